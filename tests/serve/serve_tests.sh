#!/usr/bin/env bash
# End-to-end tests of `skinscan serve`: each test_* function is one ctest (see ../CMakeLists.txt).
# Every test starts its own server on a free loopback port and stops it with SIGTERM, which must
# end it with exit code 0. Needs SKINSCAN, SKINSCAN_FIXTURES, PYTHON, curl; the browser and load
# tests also need SKINSCAN_SHARED_DATA (they exit 77, skipped, when it is absent).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/e2e_common.sh
. "$HERE/../lib/e2e_common.sh"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

fail() {
  echo "FAIL: $*" >&2
  [ -f "$WORK/server.err" ] && { echo "--- server stderr (last 20 lines):" >&2; tail -20 "$WORK/server.err" >&2; }
  exit 1
}

# start_server ARGS...: runs `skinscan serve --port 0 ARGS` in the background and sets PORT from
# its "serving http://127.0.0.1:PORT/" line.
start_server() {
  "$SKINSCAN" serve --port 0 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    PORT=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$WORK/server.err" 2>/dev/null | grep -o '[0-9]*$')
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited before listening"
    sleep 0.1
  done
  fail "server did not start listening"
}
# stop_server: SIGTERM, then the server must exit 0 within 30 s.
stop_server() {
  kill -TERM "$SERVER_PID"
  for _ in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "server still running 30 s after SIGTERM"
  wait "$SERVER_PID"
  local rc=$?
  SERVER_PID=""
  [ "$rc" = 0 ] || fail "server exited $rc after SIGTERM, expected 0"
  grep -q "SIGTERM: finishing requests in flight" "$WORK/server.err" || fail "no stop message"
}
# http NAME CURL_ARGS...: body in $WORK/NAME, status in $status.
http() {
  local name=$1
  shift
  status=$(curl -sS -o "$WORK/$name" -w '%{http_code}' "$@") || fail "curl $* failed"
}
# metrics_show PATTERN: fetch /metrics into metrics.txt until a line matches PATTERN (up to 5 s).
# A request is counted once its answer has been written, a moment after the client has read it.
metrics_show() {
  local i
  for i in $(seq 50); do
    curl -sS -o "$WORK/metrics.txt" "http://127.0.0.1:$PORT/metrics" || fail "curl /metrics failed"
    grep -q "$1" "$WORK/metrics.txt" && return 0
    sleep 0.1
  done
  return 1
}
expect_status() { [ "$status" = "$1" ] || { cat "$WORK/$2" >&2; fail "status $status, expected $1 ($2)"; }; }
# expect_error NAME STATUS TEXT: a JSON error body {"error": ..., "status": STATUS} containing TEXT.
expect_error() {
  expect_status "$2" "$1"
  py "import json,sys; d=json.load(open('$WORK/$1')); assert d['status']==$2, d; assert '''$3''' in d['error'], d" 
}

test_serve_endpoints_answer_like_the_cli() {
  start_server
  local img=$GOOD/baseline.jpg
  "$SKINSCAN" classify --json --quality --top-k 3 "$img" >"$WORK/cli.json" 2>/dev/null || fail "classify --json failed"
  http classify.json -F "file=@$img" "http://127.0.0.1:$PORT/v1/classify?quality=1"
  expect_status 200 classify.json
  http raw.json --data-binary "@$img" "http://127.0.0.1:$PORT/v1/classify"
  expect_status 200 raw.json
  # Same probabilities, labels, top-k and malignant probability as the CLI; same model block.
  py "
import json
cli = json.load(open('$WORK/cli.json')); served = json.load(open('$WORK/classify.json')); raw = json.load(open('$WORK/raw.json'))
c, s = cli['results'][0], served['results'][0]
assert s['path'] == 'baseline.jpg' and s['id'] == 'baseline', s
for key in ('label', 'quality'):
    assert c[key] == s[key], (key, c[key], s[key])
assert 'quality' not in raw['results'][0]
# classify on one image runs the model unoptimised (its quick startup), the server optimised:
# the same probabilities to 1e-5 (docs/performance.md).
assert [t['label'] for t in c['top_k']] == [t['label'] for t in s['top_k']], (c['top_k'], s['top_k'])
for a, b in zip(c['top_k'], s['top_k']):
    assert abs(a['probability'] - b['probability']) < 1e-5 and a['name'] == b['name'], (a, b)
for label, p in c['probabilities'].items():
    assert abs(p - s['probabilities'][label]) < 1e-5, (label, p, s['probabilities'][label])
    assert abs(p - raw['results'][0]['probabilities'][label]) < 1e-5
# The two server routes run the same module.
for label, p in s['probabilities'].items():
    assert abs(p - raw['results'][0]['probabilities'][label]) < 1e-6
assert abs(c['malignant_probability'] - s['malignant_probability']) < 1e-5
# The per-image OOD score (the bundled model's Mahalanobis on pooled features) as the CLI gives it.
if 'ood' in c:
    assert s['ood']['method'] == c['ood']['method'] and s['ood']['flagged'] == c['ood']['flagged'], (c['ood'], s['ood'])
    assert abs(s['ood']['score'] - c['ood']['score']) <= 1e-4 * max(1.0, abs(c['ood']['score'])), (c['ood'], s['ood'])
assert cli['model'] == served['model'], (cli['model'], served['model'])
assert set(s['timing_ms']) == {'decode', 'inference'} and served['timing_ms']['total'] > 0
assert served['disclaimer'] == cli['disclaimer']
"
  http predict.json -F "file=@$img" "http://127.0.0.1:$PORT/predict"
  expect_status 200 predict.json
  py "
import json
cli = json.load(open('$WORK/cli.json'))['results'][0]; p = json.load(open('$WORK/predict.json'))
assert p['success'] is True
assert p['prediction']['class_code'] == cli['label'] and abs(p['prediction']['confidence'] - cli['probability']) < 1e-6
assert isinstance(p['prediction']['is_cancerous'], bool)
assert [a['class_code'] for a in p['all_predictions']][:3] == [t['label'] for t in cli['top_k']]
"
  "$SKINSCAN" explain --json "$img" >"$WORK/cli_explain.json" 2>/dev/null || fail "explain --json failed"
  http explain.json -F "file=@$img" "http://127.0.0.1:$PORT/v1/explain"
  expect_status 200 explain.json
  http overlay.png -F "file=@$img" "http://127.0.0.1:$PORT/v1/explain?format=png"
  expect_status 200 overlay.png
  py "
import base64, json
cli = json.load(open('$WORK/cli_explain.json')); served = json.load(open('$WORK/explain.json'))
c, s = cli['results'][0], served['results'][0]
for key in ('differential', 'risk', 'next_step', 'warnings', 'quality', 'uncertainty'):
    assert json.dumps(c[key], sort_keys=True) == json.dumps(s[key], sort_keys=True), key
assert c['saliency']['class'] == s['saliency']['class']
png = base64.b64decode(s['overlay_png_base64'])
assert png[:8] == b'\x89PNG\r\n\x1a\n' and png == open('$WORK/overlay.png', 'rb').read()
assert served['sources'] == cli['sources'] and served['model'] == cli['model']
"
  http health.json "http://127.0.0.1:$PORT/health"
  expect_status 200 health.json
  py "import json; d=json.load(open('$WORK/health.json')); assert d['status']=='ok' and d['model_loaded'] is True"
  http model.json "http://127.0.0.1:$PORT/v1/model"
  expect_status 200 model.json
  local model_dir
  model_dir=$("$PYTHON" -c "import json; print(json.load(open('$WORK/cli.json'))['model']['directory'])")
  py "
import hashlib, json
d = json.load(open('$WORK/model.json'))
assert d['manifest_sha256'] == hashlib.sha256(open('$model_dir/manifest.json','rb').read()).hexdigest()
assert d['model_sha256'] == hashlib.sha256(open('$model_dir/model.pt','rb').read()).hexdigest()
assert d['manifest'] == json.load(open('$model_dir/manifest.json'))
"
  http page.html "http://127.0.0.1:$PORT/"
  expect_status 200 page.html
  grep -q '<input id="file"' "$WORK/page.html" || fail "upload page lacks the file input"
  if grep -Eq '(src|href)="https?://' "$WORK/page.html"; then fail "upload page loads external assets"; fi
  http metrics.txt "http://127.0.0.1:$PORT/metrics"
  expect_status 200 metrics.txt
  metrics_show '^skinscan_http_requests_total{route="/v1/classify",code="200"} 2$' || fail "metrics: classify count"
  grep -q '^skinscan_batch_size_count [1-9]' "$WORK/metrics.txt" || fail "metrics: batch sizes"
  grep -q '^skinscan_http_request_duration_seconds_bucket{le="+Inf"} [0-9]' "$WORK/metrics.txt" || fail "metrics: latency"
  # One access-log line per request: method, path, status, bytes, milliseconds.
  grep -Eq '^POST /v1/classify 200 [0-9]+ [0-9.]+ms$' "$WORK/server.err" || fail "no access-log line"
  stop_server
}

test_serve_bad_inputs_get_json_errors() {
  start_server --max-file-mb 1 --max-dimension 4096
  local u=http://127.0.0.1:$PORT
  http e1 -X POST -H 'Content-Type: image/jpeg' --data-binary '' "$u/v1/classify"
  expect_error e1 400 "empty body"
  http e2 -F "image=@$GOOD/plain.png" "$u/v1/classify"
  expect_error e2 400 "multipart form has no field 'file' (fields: image)"
  http e3 -F "file=@$BAD/text.jpg" "$u/v1/classify"
  expect_error e3 415 "text.jpg: not a supported image"
  http e4 -F "file=@$BAD/truncated.jpg" "$u/v1/classify"
  expect_error e4 422 "truncated.jpg: truncated jpeg"
  http e5 -F "file=@$BAD/bomb.png" "$u/v1/classify"
  expect_error e5 422 "exceed the 4096x4096 limit"
  http e6 -F "file=@$BAD/corrupt_body.png" "$u/v1/explain"
  expect_error e6 422 "corrupt_body.png"
  head -c 3000000 /dev/urandom >"$WORK/big.bin"
  http e7 --data-binary "@$WORK/big.bin" "$u/v1/classify"
  expect_error e7 413 "over the"
  http e8 -X DELETE "$u/v1/classify"
  expect_error e8 405 "use POST"
  http e9 "$u/v1/nothing"
  expect_error e9 404 "no such endpoint: GET /v1/nothing"
  http e10 -F "file=@$BAD/empty.jpg" "$u/predict"
  expect_status 400 e10
  py "import json; d=json.load(open('$WORK/e10')); assert d['success'] is False and 'empty body' in d['error'], d"
  http e11 -F "file=@$GOOD/plain.png" "$u/v1/explain?method=nonsense"
  expect_error e11 400 "nonsense"
  # Every good format of the CLI's tests is classified here too, type judged by content.
  for f in "$GOOD"/*; do
    http ok -F "file=@$f" "$u/v1/classify"
    expect_status 200 ok
  done
  http health "$u/health"
  expect_status 200 health
  stop_server
}

test_serve_hostile_clients_do_not_stall_or_crash_it() {
  start_server --timeout 2 --workers 32
  "$PYTHON" "$HERE/hostile_clients.py" "$PORT" "$GOOD/baseline.jpg" 2 || fail "hostile clients"
  kill -0 "$SERVER_PID" 2>/dev/null || fail "server died"
  stop_server
}

test_serve_sigterm_answers_requests_in_flight() {
  start_server
  # An upload that is half sent when SIGTERM arrives still gets its answer.
  "$PYTHON" - "$PORT" "$GOOD/baseline.jpg" "$SERVER_PID" >"$WORK/inflight.out" 2>&1 <<'PYEOF' || { cat "$WORK/inflight.out" >&2; fail "in-flight request"; }
import os, signal, socket, sys, time
port, path, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
s.sendall(body[: len(body) // 2])
time.sleep(0.5)
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)
s.sendall(body[len(body) // 2 :])
response = b""
while chunk := s.recv(65536):
    response += chunk
assert response.startswith(b"HTTP/1.1 200"), response[:200]
assert b'"results"' in response
print("in-flight request answered")
PYEOF
  for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$SERVER_PID"
  local rc=$?
  SERVER_PID=""
  [ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
  # A new connection is refused once it has stopped.
  curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && fail "still answering after stop"
  return 0
}

test_serve_stops_on_a_signal_sent_before_or_as_it_starts_listening() {
  # A SIGTERM at any moment stops the server: at the listening line (the accept loop may not have
  # started yet; once such a stop was lost) and a few milliseconds either side of it.
  local delay
  for delay in 0 0 0.001 0.003 0.01 0.03; do
    "$SKINSCAN" serve --port 0 --quiet --model "$FX/models/tiny7" >"$WORK/early.out" 2>"$WORK/early.err" &
    SERVER_PID=$!
    for _ in $(seq 1 600); do grep -q "serving http://" "$WORK/early.err" 2>/dev/null && break; sleep 0.005; done
    sleep "$delay"
    kill -TERM "$SERVER_PID"
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$SERVER_PID" 2>/dev/null && { kill -KILL "$SERVER_PID"; fail "server still running 10 s after SIGTERM (delay $delay)"; }
    wait "$SERVER_PID"
    local rc=$?
    SERVER_PID=""
    [ "$rc" = 0 ] || fail "exit code $rc after an early SIGTERM (delay $delay)"
  done
}

test_serve_classify_is_not_held_up_by_an_explanation() {
  # Regression: an explanation held the model's lock, so every classify request waited for it.
  # An occlusion map of the bundled model takes seconds; classify requests sent while it runs must
  # be answered before it is.
  start_server
  curl -s -o "$WORK/explain.json" -w '%{http_code}' --data-binary @"$GOOD/baseline.jpg" \
    "http://127.0.0.1:$PORT/v1/explain?method=occlusion" >"$WORK/explain.status" &
  local explain_pid=$!
  sleep 0.5
  local i
  for i in 1 2 3; do
    http classify -F "file=@$GOOD/plain.png" "http://127.0.0.1:$PORT/v1/classify"
    [ "$status" = 200 ] || fail "classify during an explanation: status $status"
  done
  kill -0 "$explain_pid" 2>/dev/null || fail "the explanation finished before the classify requests: cannot tell whether they waited"
  wait "$explain_pid"
  [ "$(cat "$WORK/explain.status")" = 200 ] || fail "explanation status $(cat "$WORK/explain.status")"
  grep -q '"saliency"' "$WORK/explain.json" || fail "explanation lacks its saliency"
  stop_server
}

test_serve_refuses_a_port_in_use_and_a_bad_model() {
  start_server
  "$SKINSCAN" serve --port "$PORT" >"$WORK/second.out" 2>"$WORK/second.err"
  [ $? = 1 ] || fail "second server on the same port did not exit 1"
  grep -q "cannot listen on 127.0.0.1:$PORT" "$WORK/second.err" || fail "no clear bind error"
  stop_server
  "$SKINSCAN" serve --port 0 --model "$FX/models/bad_json" >"$WORK/bad.out" 2>"$WORK/bad.err"
  [ $? = 1 ] || fail "bad model did not exit 1"
  grep -q "manifest.json" "$WORK/bad.err" || fail "bad model error does not name the manifest"
}

test_serve_browser_uploads_through_the_page() {
  need_shared
  command -v chromium >/dev/null || { echo "SKIPPED: chromium not installed" >&2; exit 77; }
  start_server
  local img
  img=$(ls "$SKINSCAN_SHARED_DATA/HAM10000_images" | head -1)
  local shot=${SKINSCAN_ARTIFACTS:-$WORK}/serve_upload_page.png
  mkdir -p "$(dirname "$shot")"
  "$PYTHON" "$HERE/browser_upload.py" "$PORT" "$SKINSCAN_SHARED_DATA/HAM10000_images/$img" "$shot" || fail "browser test"
  "$PYTHON" -c "import sys; d=open('$shot','rb').read(); sys.exit(0 if d[:8]==b'\x89PNG\r\n\x1a\n' and len(d)>10000 else 1)" ||
    fail "no screenshot"
  echo "screenshot: $shot"
  stop_server
}

# Robustness under load, not speed: the small fixture model keeps this to seconds, so the
# requests exercise decoding, batching and the connection threads rather than the forward pass
# (scripts/bench_serve.sh measures the bundled model).
test_serve_load_2000_requests_at_concurrency_1_8_32() {
  need_shared
  start_server --model "$FX/models/tiny7" --quiet
  local images
  images=$(ls "$SKINSCAN_SHARED_DATA/HAM10000_images" | head -64 | sed "s|^|$SKINSCAN_SHARED_DATA/HAM10000_images/|")
  for c in 1 8 32; do
    # shellcheck disable=SC2086
    "$PYTHON" "$HERE/../../scripts/serve_load.py" "$PORT" $images --requests 2000 --concurrency "$c" --time-limit 240 ||
      fail "load at concurrency $c"
  done
  kill -0 "$SERVER_PID" 2>/dev/null || fail "server died under load"
  metrics_show '^skinscan_http_requests_total{route="/v1/classify",code="200"} 6000$' ||
    fail "metrics do not count 6000 answered requests"
  stop_server
}

"$1"
