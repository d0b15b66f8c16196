#!/usr/bin/env bash
# End-to-end tests of the binary as a whole: version, help, usage and model errors, model lookup, hostile inputs, full disks, the fetch script.
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash general.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_version() {
  run "$SKINSCAN" --version
  expect_rc 0
  expect_out "skinscan "
  expect_out "LibTorch 1."
  expect_out "OpenCV 4."
}

test_help_documents_exit_codes_and_examples() {
  for sub in classify batch evaluate calibrate explain compare audit; do
    run "$SKINSCAN" $sub --help
    expect_rc 0
    expect_out "Examples:"
    expect_out "Exit codes: 0 all ok; 1 usage, model, data file or output error; 2 some items failed"
    # compare reads two reports and audit hashes images: neither runs a model.
    if [ $sub = compare ] || [ $sub = audit ]; then continue; fi
    expect_out "--threads"
    expect_out "--quiet"
    expect_out "--model"
  done
}

test_usage_errors_exit_1() {
  run "$SKINSCAN"
  expect_rc 1
  run "$SKINSCAN" batch --format xml "$GOOD"
  expect_rc 1
  run "$SKINSCAN" classify --no-such-option "$GOOD/plain.png"
  expect_rc 1
}

test_model_errors_exit_1() {
  run "$SKINSCAN" classify -m "$FX/models/label_mismatch" "$GOOD/plain.png"
  expect_rc 1
  expect_err "manifest says 9 labels, model outputs 7"
  run "$SKINSCAN" classify -m "$FX/models/bad_json" "$GOOD/plain.png"
  expect_rc 1
  expect_err "invalid JSON"
  run "$SKINSCAN" batch -m "$FX/models/nowhere" "$GOOD"
  expect_rc 1
  expect_err "model directory not found"
  SKINSCAN_MODEL="$FX/models/truncated_model" run "$SKINSCAN" classify "$GOOD/plain.png"
  expect_rc 1
  expect_err "not a loadable TorchScript model"
}

test_model_lookup_env_and_bundled() {
  SKINSCAN_MODEL="$TINY2" run "$SKINSCAN" classify --json "$GOOD/plain.png"
  expect_rc 0
  expect_out '"name": "tiny2"'
  run "$SKINSCAN" classify --json "$GOOD/plain.png"
  expect_rc 0
  expect_out '"name": "ham10000-skinnet"'
}

test_model_lookup_after_install() {
  local build
  build=$(dirname "$(dirname "$SKINSCAN")")
  cmake --install "$build" --prefix "$WORK/prefix" >/dev/null || fail "cmake --install failed"
  (cd / && "$WORK/prefix/bin/skinscan" classify --json "$GOOD/plain.png") >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 0
  expect_out "\"directory\": \"$WORK/prefix/share/skinscan/models/ham10000-skinnet\""
}

test_hostile_corpus_batch_and_evaluate() {
  "$PYTHON" "$SKINSCAN_SOURCE/tests/fixtures/make_hostile_corpus.py" "$WORK/corpus" >/dev/null || fail "corpus generation"
  # No hang: the whole corpus has a hard time bound; every entry is a result or an error record.
  timeout 120 "$SKINSCAN" batch -m "$TINY7" "$WORK/corpus" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 2
  timeout 120 "$SKINSCAN" evaluate -m "$TINY7" --layout imagefolder --data "$WORK/corpus" --json \
    --per-image "$WORK/per.csv" >"$WORK/report.json" 2>"$WORK/err2"
  rc=$?
  expect_rc 2
  py "
import csv, json, os
root = '$WORK/corpus/'
expected = json.load(open(root + 'expected.json'))
fix = lambda p: p.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')
expected = {fix(k): v for k, v in expected.items()}
seen = {}
for line in open('$WORK/out'):
    r = json.loads(line)
    seen[r['path'][len(root):]] = 'error' if 'error' in r else 'ok'
    if 'error' in r:
        assert r['error'].startswith(r['path'] + ': ') and '\\n' not in r['error'], r
missing = set(expected) - set(seen)
wrong = {k: (v, seen[k]) for k, v in expected.items() if k in seen and seen[k] != v}
assert not missing and not wrong, (missing, wrong)
assert set(seen) == set(expected), set(seen) - set(expected)
report = json.load(open('$WORK/report.json'))
failed = {f['path'][len(root):] for f in report['items_failed']}
scored = {row['id'] for row in csv.DictReader(open('$WORK/per.csv', errors='surrogateescape'))}
assert report['dataset']['labelled'] == len(expected), report['dataset']
assert failed == {k for k, v in expected.items() if v == 'error'}, failed ^ {k for k, v in expected.items() if v == 'error'}
assert len(scored) == sum(v == 'ok' for v in expected.values())
print(len(expected), 'entries; batch and evaluate agree with expected.json')
"
}

test_disk_full_fails_clearly_and_keeps_the_old_report() {
  echo "previous good report" >"$WORK/r.jsonl"
  # A 1 KiB file-size limit (SIGXFSZ ignored) makes writes fail like a full disk.
  (trap '' XFSZ; ulimit -f 1; exec "$SKINSCAN" batch -m "$TINY7" --out "$WORK/r.jsonl" "$GOOD") >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 1
  expect_err "skinscan: error: $WORK/r.jsonl: write failed (File too large)"
  [ "$(cat "$WORK/r.jsonl")" = "previous good report" ] || fail "the old report was damaged"
  [ ! -e "$WORK/r.jsonl.partial" ] || fail "a half-written partial file was left behind"
  echo "{}" >"$WORK/report.json"
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  (trap '' XFSZ; ulimit -f 1; exec "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --out "$WORK/report.json") >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 1
  expect_err "write failed (File too large)"
  [ "$(cat "$WORK/report.json")" = "{}" ] || fail "the old report was damaged"
  if [ -w /dev/full ]; then
    run "$SKINSCAN" batch -m "$TINY7" --out /dev/full "$GOOD"
    expect_rc 1
    expect_err "skinscan: error: /dev/full: write failed (No space left on device)"
  fi
}

test_fetch_script_lays_out_local_downloads() {
  # The download needs internet; the verify + layout step runs on local stand-ins here.
  local dl=$WORK/downloads
  mkdir -p "$dl"
  py "
import hashlib, json, os, zipfile
dl, good = '$dl', '$GOOD/baseline.jpg'
def zip_of(name, members):
    with zipfile.ZipFile(os.path.join(dl, name), 'w') as z:
        for arc in members:
            z.write(good, arc)
zip_of('HAM10000_images_part_1.zip', ['ISIC_0000001.jpg', 'ISIC_0000002.jpg'])
zip_of('HAM10000_images_part_2.zip', ['ISIC_0000003.jpg'])
zip_of('ISIC2018_Task3_Test_Images.zip', ['ISIC2018_Task3_Test_Input/ISIC_0000009.jpg'])
with zipfile.ZipFile(os.path.join(dl, 'ISIC2018_Task3_Test_Images.zip'), 'a') as z:
    z.writestr('ISIC2018_Task3_Test_Input/LICENSE.txt', 'CC BY-NC')
open(os.path.join(dl, 'HAM10000_metadata.csv'), 'w').write(
    'lesion_id,image_id,dx\\nL1,ISIC_0000001,mel\\nL2,ISIC_0000002,nv\\nL3,ISIC_0000003,bkl\\nL4,ISIC_0000004,nv\\n')
open(os.path.join(dl, 'ISIC2018_Task3_Test_GroundTruth.csv'), 'w').write(
    'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\\nISIC_0000009,0,1,0,0,0,0,0\\n')
files = [{'id': i, 'name': n, 'md5': hashlib.md5(open(os.path.join(dl, n), 'rb').read()).hexdigest()}
         for i, n in enumerate(sorted(os.listdir(dl)))]
json.dump(files, open(os.path.join(dl, 'files.json'), 'w'))
"
  run "$PYTHON" "$SKINSCAN_SOURCE/scripts/fetch_ham10000.py" --layout-only "$dl" "$WORK/data"
  expect_rc 0
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/data/ham10000" --json
  expect_rc 0
  py "
import json
d = json.load(open('$WORK/out'))['dataset']
assert d['layout'] == 'ham10000' and d['labelled'] == 4 and d['scored'] == 3 and d['missing'] == 1, d
"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/data/isic2018_test" --json
  expect_rc 0
  expect_out '"layout": "isic"'
  printf 'tampered' >>"$dl/HAM10000_images_part_2.zip"
  run "$PYTHON" "$SKINSCAN_SOURCE/scripts/fetch_ham10000.py" --layout-only "$dl" "$WORK/data2"
  expect_rc 1
  expect_err "HAM10000_images_part_2.zip: MD5 mismatch"
}

"$1"
