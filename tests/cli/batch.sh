#!/usr/bin/env bash
# End-to-end tests of `skinscan batch` (streaming, formats, atomic output, interrupt and resume).
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash batch.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_batch_jsonl_streams_one_record_per_image() {
  run "$SKINSCAN" batch -m "$TINY7" "$GOOD"
  expect_rc 0
  [ "$(wc -l <"$WORK/out")" = "$(ls "$GOOD" | wc -l)" ] || fail "one line per image expected"
  py "
import json
for line in open('$WORK/out'):
    r = json.loads(line)
    assert 'error' not in r, r
    assert abs(sum(r['probabilities'].values()) - 1) < 1e-5
"
  expect_err "skinscan: 16 images, 16 ok, 0 failed"
}

test_batch_mixed_folder_records_every_item() {
  run "$SKINSCAN" batch --format csv -m "$TINY7" "$FX/images"
  expect_rc 2
  local n_files
  n_files=$(find "$FX/images" -type f | wc -l)
  [ "$(($(wc -l <"$WORK/out") - 1))" = "$n_files" ] || fail "every file must appear in the csv"
  py "
import csv
rows = list(csv.DictReader(open('$WORK/out')))
bad = [r for r in rows if r['error']]
assert len(bad) == 8, [r['path'] for r in bad]
assert all('/bad/' in r['path'] and r['error'].startswith(r['path'] + ': ') for r in bad)
"
  expect_err "8 failed"
}

test_batch_quiet_prints_nothing_on_stderr() {
  run "$SKINSCAN" batch --quiet -m "$TINY7" "$GOOD"
  expect_rc 0
  [ ! -s "$WORK/err" ] || fail "--quiet must keep stderr empty: $(cat "$WORK/err")"
}

test_batch_reads_paths_from_stdin() {
  find "$GOOD" -type f | sort >"$WORK/list"
  "$SKINSCAN" batch -m "$TINY7" - <"$WORK/list" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 0
  [ "$(wc -l <"$WORK/out")" = "$(wc -l <"$WORK/list")" ] || fail "one record per stdin line"
}

test_batch_out_is_atomic() {
  echo "previous good report" >"$WORK/report.jsonl"
  run "$SKINSCAN" batch -m "$FX/models/label_mismatch" --out "$WORK/report.jsonl" "$GOOD"
  expect_rc 1
  [ "$(cat "$WORK/report.jsonl")" = "previous good report" ] || fail "failed run replaced the report"
  run "$SKINSCAN" batch -m "$TINY7" --out "$WORK/report.jsonl" "$GOOD"
  expect_rc 0
  [ ! -s "$WORK/out" ] || fail "stdout must stay empty with --out"
  [ "$(wc -l <"$WORK/report.jsonl")" = 16 ] || fail "report incomplete"
  [ ! -e "$WORK/report.jsonl.partial" ] || fail "partial file left behind"
  run "$SKINSCAN" batch -m "$TINY7" --out "$WORK/no/such/dir/r.jsonl" "$GOOD"
  expect_rc 1
  expect_err "$WORK/no/such/dir/r.jsonl: cannot create file"
}

test_batch_isic_needs_ham_labels() {
  run "$SKINSCAN" batch --format isic -m "$TINY2" "$GOOD"
  expect_rc 1
  expect_err "isic format needs the 7 HAM10000 classes; model 'tiny2' has no 'mel'"
  run "$SKINSCAN" batch --format isic -m "$TINY7" "$FX/images"
  expect_rc 2
  [ "$(head -1 "$WORK/out")" = "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC" ] || fail "isic header"
  [ "$(($(wc -l <"$WORK/out") - 1))" = 16 ] || fail "isic rows for the good images only"
  expect_err "skinscan: error: $BAD/empty.jpg: file is empty"
}

test_real_data_isic_submission() {
  need_shared
  # `batch --format isic` of the bundled model over the test split's images, made once for the
  # real-data tests (tests/lib/bundled_test_predictions.sh).
  local predictions=${SKINSCAN_BUNDLED_TEST_PREDICTIONS:?}
  [ -s "$predictions" ] || fail "no bundled-model predictions at $predictions"
  local images=0
  while read -r id; do [ -f "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" ] && images=$((images + 1)); done \
    <"$SKINSCAN_SOURCE/datasets/splits/test.txt"
  py "
import csv
rows = list(csv.DictReader(open('$predictions')))
assert list(rows[0]) == ['image', 'MEL', 'NV', 'BCC', 'AKIEC', 'BKL', 'DF', 'VASC'], list(rows[0])
assert len(rows) == $images, (len(rows), $images)
for r in rows:
    s = sum(float(r[c]) for c in ['MEL','NV','BCC','AKIEC','BKL','DF','VASC'])
    assert abs(s - 1) < 1e-5, (r['image'], s)
    assert r['image'].startswith('ISIC_') and not r['image'].endswith('.jpg')
"
}

test_interrupt_keeps_results_and_resume_finishes() {
  mkdir -p "$WORK/many"
  for i in $(seq 1 150); do ln -s "$GOOD/baseline.jpg" "$WORK/many/img_$i.jpg"; done
  # The bundled model at batch 1 is slow enough to be interrupted mid-run.
  "$SKINSCAN" batch -b 1 --decode-threads 1 --out "$WORK/r.jsonl" "$WORK/many" >"$WORK/out" 2>"$WORK/err" &
  local pid=$! lines=0
  for _ in $(seq 1 300); do
    lines=$(cat "$WORK/r.jsonl.partial" 2>/dev/null | wc -l)
    [ "$lines" -ge 20 ] && break
    sleep 0.1
  done
  kill -INT $pid
  wait $pid
  rc=$?
  expect_rc 130
  expect_err "skinscan: interrupted after "
  expect_err "results so far are in $WORK/r.jsonl.partial"
  [ ! -e "$WORK/r.jsonl" ] || fail "an interrupted run must not look finished"
  local kept
  kept=$(wc -l <"$WORK/r.jsonl.partial")
  [ "$kept" -ge 20 ] && [ "$kept" -lt 150 ] || fail "expected a partial result, got $kept lines"
  py "
import json
for line in open('$WORK/r.jsonl.partial'):
    json.loads(line)  # every kept record is complete
"
  run "$SKINSCAN" batch --out "$WORK/r.jsonl" --resume "$WORK/many"
  expect_rc 0
  expect_err "already done in the earlier run"
  [ ! -e "$WORK/r.jsonl.partial" ] || fail "partial file left after the resumed run finished"
  py "
import json
paths = [json.loads(l)['path'] for l in open('$WORK/r.jsonl')]
assert len(paths) == 150 and len(set(paths)) == 150, (len(paths), len(set(paths)))
"
  run "$SKINSCAN" batch --resume "$WORK/many"
  expect_rc 1
  expect_err "--resume needs --out FILE and --format jsonl"
}

test_batch_profile_goes_to_stderr_and_leaves_the_output_alone() {
  run "$SKINSCAN" batch -m "$TINY7" "$GOOD"
  cp "$WORK/out" "$WORK/plain.jsonl"
  run "$SKINSCAN" batch --profile --forward-streams 1 -m "$TINY7" "$GOOD"
  expect_rc 0
  cmp -s "$WORK/out" "$WORK/plain.jsonl" || fail "--profile changed stdout"
  for line in "start-up: process and libraries" "start-up: tiny7: model read" "run: 16 images in" \
    "calling thread: waiting for images" "decode workers (2, summed): read and decode"; do
    expect_err "skinscan: profile: $line"
  done
  grep -Eq "skinscan: profile: start-up: process and libraries [0-9]+\.[0-9]{3} s \(malloc from /.+\)$" "$WORK/err" ||
    fail "start-up line lacks the allocator: $(cat "$WORK/err")"
  # The numbers are seconds with three decimals: what scripts/bench_profile.sh parses.
  grep -Eq "skinscan: profile: calling thread: waiting for images [0-9]+\.[0-9]{3} s, forward [0-9]+\.[0-9]{3} s" \
    "$WORK/err" || fail "profile line format changed: $(cat "$WORK/err")"
}

test_batch_decode_overlap_modes_give_the_same_output() {
  run "$SKINSCAN" batch -m "$TINY7" "$GOOD"
  cp "$WORK/out" "$WORK/adaptive.jsonl"
  # 16 images at batch 4: 4 forward passes, the decode workers paused during each with "never".
  run "$SKINSCAN" batch --profile --decode-overlap never -b 4 -m "$TINY7" "$GOOD"
  expect_rc 0
  cmp -s "$WORK/out" "$WORK/adaptive.jsonl" || fail "--decode-overlap never changed the output"
  expect_err "decoding paused during 4 of 4 forward passes"
  run "$SKINSCAN" batch --profile --decode-overlap always -b 4 -m "$TINY7" "$GOOD"
  expect_rc 0
  cmp -s "$WORK/out" "$WORK/adaptive.jsonl" || fail "--decode-overlap always changed the output"
  expect_err "decoding paused during 0 of 4 forward passes"
  run "$SKINSCAN" batch --decode-overlap sometimes -m "$TINY7" "$GOOD"
  expect_rc 1
  expect_err "--decode-overlap: sometimes not in {adaptive,always,never}"
}

test_batch_forward_streams_give_the_same_output() {
  # Two single-threaded forward streams against the calling thread alone, over good and failing
  # files at batch 2: the same bytes, in input order, errors in place.
  run "$SKINSCAN" batch --threads 2 --forward-streams 1 -b 2 -m "$TINY7" "$FX/images"
  expect_rc 2
  cp "$WORK/out" "$WORK/one.jsonl"
  run "$SKINSCAN" batch --profile --threads 2 --forward-streams 2 -b 2 -m "$TINY7" "$FX/images"
  expect_rc 2
  cmp -s "$WORK/out" "$WORK/one.jsonl" || fail "two forward streams changed the output"
  expect_err "skinscan: profile: forward streams (2, summed): waiting for images"
  # No more streams than inference threads; the default is one per thread.
  run "$SKINSCAN" batch --profile --threads 2 --forward-streams 5 -b 2 -m "$TINY7" "$GOOD"
  expect_rc 0
  expect_err "skinscan: profile: forward streams (2, summed)"
  run "$SKINSCAN" batch --profile --threads 1 -m "$TINY7" "$GOOD"
  expect_rc 0
  expect_err "skinscan: profile: calling thread: waiting for images"
  run "$SKINSCAN" batch --forward-streams -1 -m "$TINY7" "$GOOD"
  expect_rc 1
  expect_err "--forward-streams: Value -1 not in range 0 to 1024"
}

test_batch_bad_model_touches_no_output() {
  # Decoding starts while the model loads; a model that fails to load must still leave the output
  # alone: no FILE or FILE.partial created, an earlier run's FILE.partial kept byte for byte.
  local bad=$FX/models/truncated_model
  run "$SKINSCAN" batch -m "$bad" --out "$WORK/new.jsonl" "$GOOD"
  expect_rc 1
  expect_err "$bad/model.pt: not a loadable TorchScript model"
  [ "$(grep -c . "$WORK/err")" = 1 ] || { cat "$WORK/err" >&2; fail "expected one error line"; }
  [ -e "$WORK/new.jsonl" ] || [ -e "$WORK/new.jsonl.partial" ] && fail "a failed model load created output"
  "$SKINSCAN" batch -m "$TINY7" --quiet "$GOOD/plain.png" >"$WORK/one.jsonl" || fail "batch failed"
  cp "$WORK/one.jsonl" "$WORK/old.jsonl.partial"
  run "$SKINSCAN" batch -m "$bad" --resume --out "$WORK/old.jsonl" "$GOOD"
  expect_rc 1
  expect_err "not a loadable TorchScript model"
  cmp -s "$WORK/one.jsonl" "$WORK/old.jsonl.partial" || fail "the earlier run's partial results changed"
  [ -e "$WORK/old.jsonl" ] && fail "a failed model load created output"
  # The same directory with a working model resumes from it.
  run "$SKINSCAN" batch -m "$TINY7" --quiet --resume --out "$WORK/old.jsonl" "$GOOD"
  expect_rc 0
  [ "$(head -n 1 "$WORK/old.jsonl")" = "$(cat "$WORK/one.jsonl")" ] || fail "resume lost the earlier record"
}

"$1"
