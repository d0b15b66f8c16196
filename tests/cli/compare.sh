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

test_compare_max_drop_gate_and_junit() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --out "$WORK/a.json"
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/a.json'))
r['metrics']['accuracy'] -= 0.05
r['metrics']['ece'] += 0.001
json.dump(r, open('$WORK/worse.json', 'w'))
"
  run "$SKINSCAN" compare "$WORK/a.json" "$WORK/worse.json" --max-drop 0.01 --junit "$WORK/c.xml"
  expect_rc 3
  expect_err "skinscan: gate failed: accuracy = "
  expect_err "worse than the baseline"
  xmllint --noout --schema "$SKINSCAN_SOURCE/tests/ci/junit.xsd" "$WORK/c.xml" 2>"$WORK/xerr" || { cat "$WORK/xerr" >&2; fail "compare's JUnit does not validate"; }
  py "
import xml.etree.ElementTree as ET
s = ET.parse('$WORK/c.xml').getroot().find('testsuite')
cases = s.findall('testcase')
assert [c.get('name') for c in cases] == [m + ' max_drop=0.01' for m in ['accuracy', 'balanced_accuracy', 'macro_f1', 'macro_auc', 'ece']]
assert [c.get('name').split()[0] for c in cases if c.find('failure') is not None] == ['accuracy']
props = {p.get('name'): p.get('value') for p in s.find('properties')}
assert props['baseline'].endswith('a.json') and props['candidate'].endswith('worse.json') and props['model.name'] == 'tiny7'
"
  run "$SKINSCAN" compare "$WORK/a.json" "$WORK/worse.json" --max-drop 0.1 --json
  expect_rc 0
  run "$SKINSCAN" compare "$WORK/a.json" "$WORK/worse.json" --junit "$WORK/none/c.xml"
  expect_rc 1
  expect_err "$WORK/none/c.xml: cannot create file (No such file or directory)"
}

"$1"
