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
  run "$SKINSCAN" evaluate -m "$WORK/c" --data "$WORK/folder" --json --bootstrap 50 --fail-under conformal_coverage=1.01
  expect_rc 3
  expect_err "gate failed: conformal_coverage = "
  py "
import json
r = json.load(open('$WORK/out'))
c = r['conformal']
assert c['method'] == 'aps' and c['target_coverage'] == 0.75 and 0 <= c['coverage'] <= 1 and c['mean_set_size'] >= 0
assert r['metrics']['conformal_coverage'] == c['coverage'] and set(c['per_class']) == set(r['confusion_matrix']['labels'])
lo, hi = c['coverage_ci']
assert lo <= c['coverage'] <= hi and c['mean_set_size_ci'][0] <= c['mean_set_size'] <= c['mean_set_size_ci'][1], c
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
  # Under acquisition changes, each shift entry says whether the promises still hold.
  run "$SKINSCAN" evaluate -m "$WORK/g" --data "$WORK/folder" --shift blur --out "$WORK/shift.json"
  expect_rc 0
  py "
import json
rows = json.load(open('$WORK/shift.json'))['shift']['blur']
assert len(rows) == 6
for row in rows:
    assert 0 <= row['conformal_coverage'] <= 1 and row['conformal_mean_set_size'] >= 0, row
    assert 0 <= row['guarantee_sensitivity'] <= 1, row
"
  # A new temperature makes the threshold stale: the copy drops it.
  run "$SKINSCAN" calibrate -m "$WORK/g" --data "$WORK/folder" --out "$WORK/t"
  expect_rc 0
  py "
import json
assert 'malignant_guarantee' not in json.load(open('$WORK/t/manifest.json'))
"
}

test_calibrate_and_evaluate_ood() {
  # tiny7 with feature statistics (so it gives pooled features), 12 labelled images at its 32 px input.
  cp -r "$TINY7" "$WORK/m" && mkdir -p "$WORK/d/mel" "$WORK/d/nv" "$WORK/far" "$WORK/empty"
  py "
import json
import numpy as np
from PIL import Image
m = json.load(open('$WORK/m/manifest.json'))
m['feature_statistics'] = {'n': 10, 'mean': [0.1 * c for c in range(8)], 'std': [0.5] * 8}
json.dump(m, open('$WORK/m/manifest.json', 'w'))
rng = np.random.default_rng(4)
for i in range(12):
    a = np.clip(rng.normal(150, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(a).save('$WORK/d/%s/i%d.png' % ('mel' if i % 2 else 'nv', i))
for i in range(6):  # unlike them: saturated stripes
    a = np.zeros((32, 32, 3), np.uint8); a[:, ::4] = 255; a[..., i % 3] = 255
    Image.fromarray(a).save('$WORK/far/f%d.png' % i)
"
  run "$SKINSCAN" calibrate -m "$TINY7" --data "$WORK/d" --ood mahalanobis --out "$WORK/x"
  expect_rc 1
  expect_err "model 'tiny7' gives no pooled features (its manifest has no feature_statistics): --ood mahalanobis cannot be fitted"
  run "$SKINSCAN" calibrate -m "$WORK/m" --data "$WORK/nonexistent" --ood energy --ood-tpr 1.5 --out "$WORK/x"
  expect_rc 1
  expect_err "--ood-tpr 1.5 must lie strictly between 0 and 1"
  run "$SKINSCAN" calibrate -m "$WORK/m" --data "$WORK/d" --ood mahalanobis --ood-tpr 0.9 --out "$WORK/o"
  expect_rc 0
  expect_out "OOD mahalanobis: threshold "
  py "
import json
o = json.load(open('$WORK/o/manifest.json'))['ood']
assert o['method'] == 'mahalanobis' and o['tpr'] == 0.9 and len(o['class_means']) == 7 and len(o['variance']) == 8, o
assert o['class_means'][0] == [] and len(o['class_means'][4]) == 8  # akiec has no images; mel has
"
  run "$SKINSCAN" classify -m "$WORK/o" "$WORK/far/f0.png"
  expect_rc 0
  expect_out "out-of-distribution check (mahalanobis): score "
  run "$SKINSCAN" batch -m "$WORK/o" --format csv "$WORK/d" "$WORK/far"
  expect_rc 0
  py "
import csv, json
rows = list(csv.DictReader(open('$WORK/out')))
t = json.load(open('$WORK/o/manifest.json'))['ood']['threshold']
assert len(rows) == 18
for r in rows:
    assert (float(r['ood_score']) > t) == (r['ood_flagged'] == '1'), r
# 90% of the calibration images are left unflagged by construction.
assert sum(r['ood_flagged'] == '1' for r in rows if '/d/' in r['path']) == 1
"
  run "$SKINSCAN" evaluate -m "$WORK/o" --data "$WORK/d" --ood "$WORK/far" --out "$WORK/r.json"
  expect_rc 0
  expect_out "OOD separation from $WORK/far (12 in-distribution, 6 OOD images)"
  py "
import json
o = json.load(open('$WORK/r.json'))['ood']
assert o['ood_images'] == 6 and set(o['methods']) == {'msp', 'energy', 'mahalanobis'}
for m in o['methods'].values():
    assert 0 <= m['auroc'] <= 1 and 0 <= m['fpr_at_95_tpr'] <= 1, m
assert o['model_flag']['method'] == 'mahalanobis' and abs(o['model_flag']['in_distribution_flagged'] - 1 / 12) < 1e-12
"
  # Without calibrated class means Mahalanobis says why it is missing; the rest are measured.
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/d" --ood "$WORK/far" --json
  expect_rc 0
  py "
import json
m = json.load(open('$WORK/out'))['ood']['methods']
assert m['mahalanobis']['auroc'] is None and 'calibrate --ood' in m['mahalanobis']['why_missing'] and m['energy']['auroc'] is not None
"
  # Errors before any work: an OOD folder without images, with --predictions.
  touch "$WORK/empty/notes.txt"
  run "$SKINSCAN" evaluate -m "$WORK/o" --data "$WORK/d" --ood "$WORK/empty" --out "$WORK/r2.json"
  expect_rc 1
  expect_err "--ood $WORK/empty: no images there (1 other files skipped)"
  [ ! -e "$WORK/r2.json" ] || fail "a report was written for a usage error"
  run "$SKINSCAN" evaluate --data "$WORK/d" --predictions "$WORK/out" --ood "$WORK/far"
  expect_rc 1
  expect_err "--ood runs the model on the OOD images: it cannot score --predictions"
  # Only undecodable images in the folder: the evaluation is still written, the error said, exit 2.
  mkdir -p "$WORK/broken" && cp "$BAD/empty.jpg" "$WORK/broken/a.jpg"
  run "$SKINSCAN" evaluate -m "$WORK/o" --data "$WORK/d" --ood "$WORK/broken" --out "$WORK/r3.json"
  expect_rc 2
  expect_err "no image in the OOD folder could be scored (1 failed)"
  [ -s "$WORK/r3.json" ] || fail "the evaluation was lost"
}

"$1"
