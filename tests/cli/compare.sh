#!/usr/bin/env bash
# End-to-end tests of `skinscan compare`.
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash compare.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_compare_and_baseline_gate() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --out "$WORK/a.json" --per-image "$WORK/a.csv"
  expect_rc 0
  run "$SKINSCAN" evaluate -m "$TINY2" --layout imagefolder --data "$WORK/folder" --out "$WORK/b.json"
  expect_rc 1  # tiny2 knows only benign/malignant: mel is not one of its classes
  expect_err "model 'tiny2' has classes (benign, malignant) but the dataset has (mel, nv); not covered: mel, nv"
  py "
import json
r = json.load(open('$WORK/a.json'))
r['metrics']['accuracy'] += 0.5
r['metrics']['ece'] -= 0.5
json.dump(r, open('$WORK/better.json', 'w'))
"
  run "$SKINSCAN" compare "$WORK/a.json" "$WORK/better.json" --per-image "$WORK/a.csv" "$WORK/a.csv"
  expect_rc 0
  expect_out "accuracy"
  expect_out "+0.5000"
  expect_out "McNemar on 5 paired images"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --baseline "$WORK/better.json" --max-drop 0.1
  expect_rc 3
  expect_err "gate failed: accuracy = "
  expect_err "worse than the baseline"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --baseline "$WORK/a.json" --max-drop 0
  expect_rc 0
}

test_compare_delong_needs_probability_columns() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --out "$WORK/a.json" --per-image "$WORK/a.csv"
  expect_rc 0
  run "$SKINSCAN" compare "$WORK/a.json" "$WORK/a.json" --per-image "$WORK/a.csv" "$WORK/a.csv" --json
  expect_rc 0
  py "
import json
d = json.load(open('$WORK/out'))['delong']
assert d['paired_images'] == 5 and 'malignant' in d
"
  cut -d, -f1-6 "$WORK/a.csv" >"$WORK/old.csv"  # a per-image file from before the probability columns
  run "$SKINSCAN" compare "$WORK/a.json" "$WORK/a.json" --per-image "$WORK/old.csv" "$WORK/a.csv"
  expect_rc 1
  expect_err "$WORK/old.csv: no class probability columns (p_<label>); the DeLong test needs them"
}

"$1"
