#!/usr/bin/env bash
# End-to-end tests of `skinscan calibrate`.
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash calibrate.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_calibrate_writes_a_new_model() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/folder" --out "$WORK/calibrated"
  expect_rc 0
  expect_out "temperature"
  expect_out "NLL"
  py "
import json
m = json.load(open('$WORK/calibrated/manifest.json'))
c = m['provenance']['calibration']
assert m['output']['temperature'] == c['temperature'] and c['temperature_before'] == 1.0
assert c['nll_after'] <= c['nll_before'] + 1e-12, c
"
  run "$SKINSCAN" classify -m "$WORK/calibrated" "$GOOD/plain.png"
  expect_rc 0
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/folder" --out "$WORK/calibrated"
  expect_rc 1
  expect_err "already holds a model (use --force to replace it)"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/folder" --out "$WORK/calibrated" --force
  expect_rc 0
  [ -s "$WORK/calibrated/model.pt" ] || fail "--force lost the model"
  ls -d "$WORK"/calibrated.partial-* "$WORK"/calibrated.old-* 2>/dev/null && fail "staging or old folder left behind"
  return 0
}

test_calibrate_conformal_prediction_sets() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/folder" --conformal aps --alpha 0.1 --out "$WORK/c"
  expect_rc 1
  expect_err "5 calibration images are too few for alpha 0.1: at least 9 are needed"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/nonexistent" --conformal lac --alpha 1.5 --out "$WORK/c"
  expect_rc 1
  expect_err "conformal alpha 1.5 must lie strictly between 0 and 1"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/folder" --conformal aps --alpha 0.25 --out "$WORK/c"
  expect_rc 0
  expect_out "conformal aps at alpha 0.25 on 5 images"
  expect_out "qhat "
  py "
import json
c = json.load(open('$WORK/c/manifest.json'))['conformal']
assert c['method'] == 'aps' and c['alpha'] == 0.25 and len(c['qhat']) == 1 and c['mondrian'] is False, c
assert c['record']['calibration_images'] == 5 and len(c['record']['image_ids_sha256']) == 64
"
  run "$SKINSCAN" classify -m "$WORK/c" "$GOOD/plain.png"
  expect_rc 0
  expect_out "prediction set (aps at 75%): {"
  run "$SKINSCAN" classify -m "$WORK/c" --json "$GOOD/plain.png"
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/out'))['results'][0]
s = r['prediction_set']
assert s and all(l in r['probabilities'] for l in s)
ps = [r['probabilities'][l] for l in s]
assert ps == sorted(ps, reverse=True), s  # by decreasing probability
"
  run "$SKINSCAN" batch -m "$WORK/c" --format csv "$WORK/folder"
  expect_rc 0
  head -1 "$WORK/out" | grep -q ",malignant_probability,prediction_set,error$" || fail "csv header lacks prediction_set"
  run "$SKINSCAN" evaluate -m "$WORK/c" --data "$WORK/folder" --json --fail-under conformal_coverage=1.01
  expect_rc 3
  expect_err "gate failed: conformal_coverage = "
  py "
import json
r = json.load(open('$WORK/out'))
c = r['conformal']
assert c['method'] == 'aps' and c['target_coverage'] == 0.75 and 0 <= c['coverage'] <= 1 and c['mean_set_size'] >= 0
assert r['metrics']['conformal_coverage'] == c['coverage'] and set(c['per_class']) == set(r['confusion_matrix']['labels'])
"
  # A gate on conformal coverage fails (does not pass silently) for a model without prediction sets.
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --fail-under conformal_coverage=0.5
  expect_rc 3
  expect_err "conformal_coverage is undefined for this data"
  run "$SKINSCAN" evaluate -m "$WORK/c" --data "$WORK/folder" --label-map "VASC=-"
  expect_rc 1
  expect_err "model 'tiny7' has conformal prediction sets over its own classes"
  # A new temperature makes the quantile stale: the copy drops it.
  run "$SKINSCAN" calibrate -m "$WORK/c" --data "$WORK/folder" --out "$WORK/t"
  expect_rc 0
  py "
import json
assert 'conformal' not in json.load(open('$WORK/t/manifest.json'))
"
}

test_calibrate_guaranteed_malignant_sensitivity() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  # Levels are checked before any work; too few malignant images name the minimum.
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/nonexistent" --malignant-sensitivity 1.2 --out "$WORK/g"
  expect_rc 1
  expect_err "target sensitivity 1.2 must lie strictly between 0 and 1"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/nonexistent" --malignant-sensitivity 0.9 --delta 0 --out "$WORK/g"
  expect_rc 1
  expect_err "delta 0 must lie strictly between 0 and 1"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/folder" --malignant-sensitivity 0.95 --out "$WORK/g"
  expect_rc 1
  expect_err "3 malignant calibration images are too few for sensitivity 0.95 with delta 0.1: at least 45 are needed"
  [ ! -e "$WORK/g" ] || fail "a model was written for a calibration set that is too small"
  # Three malignant images at s = 0.5, delta = 0.5: P(Bin(3, 0.5) <= 1) = 0.5 allows one miss.
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/folder" --malignant-sensitivity 0.5 --delta 0.5 --conformal lac \
    --alpha 0.25 --out "$WORK/g"
  expect_rc 0
  expect_out "sensitivity >= 0.5 with confidence 0.5 (3 malignant and 2 benign calibration images, 1 misses allowed"
  py "
import json, csv, subprocess
m = json.load(open('$WORK/g/manifest.json'))
g = m['malignant_guarantee']
assert g['sensitivity'] == 0.5 and g['delta'] == 0.5 and g['misses_allowed'] == 1 and g['calibration_malignant'] == 3, g
assert 'conformal' in m and len(g['calibration']['image_ids_sha256']) == 64
"
  run "$SKINSCAN" classify -m "$WORK/g" "$GOOD/plain.png"
  expect_rc 0
  expect_out "malignant call: "
  run "$SKINSCAN" batch -m "$WORK/g" --format csv "$WORK/folder"
  expect_rc 0
  head -1 "$WORK/out" | grep -q ",malignant_probability,prediction_set,malignant_call,error$" || fail "csv header lacks malignant_call"
  cp "$WORK/out" "$WORK/batch.csv"
  run "$SKINSCAN" evaluate -m "$WORK/g" --data "$WORK/folder" --json --fail-under guarantee_sensitivity=1.01
  expect_rc 3
  expect_err "gate failed: guarantee_sensitivity = "
  py "
import csv, json
r = json.load(open('$WORK/out'))
g = r['malignant_guarantee']
t = g['threshold']
rows = list(csv.DictReader(open('$WORK/batch.csv')))
calls = {row['id']: row['malignant_call'] for row in rows}
for row in rows:  # the call is the malignant probability against the stored threshold
    assert (float(row['malignant_probability']) >= t) == (row['malignant_call'] == '1'), row
assert g['tp'] + g['fn'] == 3 and g['tn'] + g['fp'] == 2
assert g['tp'] >= 2  # one miss allowed on the calibration images themselves
assert r['metrics']['guarantee_sensitivity'] == g['sensitivity']['value'] == g['tp'] / 3
lo, hi = g['sensitivity']['ci']
assert 0 <= lo <= g['sensitivity']['value'] <= hi <= 1
"
  # A new temperature makes the threshold stale: the copy drops it.
  run "$SKINSCAN" calibrate -m "$WORK/g" --data "$WORK/folder" --out "$WORK/t"
  expect_rc 0
  py "
import json
assert 'malignant_guarantee' not in json.load(open('$WORK/t/manifest.json'))
"
}

"$1"
