#!/usr/bin/env bash
# End-to-end tests of `skinscan evaluate` (reports, gates, plots, label maps, subgroups, the research report golden).
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash evaluate.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_evaluate_report_and_per_image() {
  make_imagefolder
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --out "$WORK/report.json" --per-image "$WORK/per.csv" --bootstrap 50
  expect_rc 2  # broken.jpg failed, and is listed
  expect_out "imagefolder"
  expect_out "balanced accuracy"
  expect_err "broken.jpg: file is empty"
  py "
import json, csv
r = json.load(open('$WORK/report.json'))
for k in ['schema_version', 'model', 'dataset', 'metrics', 'per_class', 'confusion_matrix', 'calibration', 'binary', 'items_failed']:
    assert k in r, k
for k in ['accuracy', 'balanced_accuracy', 'macro_f1', 'ece', 'mce', 'brier', 'nll', 'macro_auc']:
    assert k in r['metrics'], k
assert r['model']['name'] == 'tiny7' and len(r['model']['manifest_sha256']) == 64
assert r['dataset']['scored'] == 5 and r['dataset']['failed'] == 1 and r['dataset']['labelled'] == 6
assert r['items_failed'][0]['id'] == 'broken.jpg'
assert r['confusion_matrix']['labels'][4] == 'mel' and sum(map(sum, r['confusion_matrix']['counts'])) == 5
lo, hi = r['confidence_intervals']['accuracy']
assert lo <= r['metrics']['accuracy'] <= hi
rows = list(csv.DictReader(open('$WORK/per.csv')))
assert len(rows) == 5 and list(rows[0]) == ['id', 'path', 'truth', 'prediction', 'confidence', 'correct'] + ['p_' + l for l in r['confusion_matrix']['labels']]
for row in rows:
    p = [float(row['p_' + l]) for l in r['confusion_matrix']['labels']]
    assert abs(sum(p) - 1) < 1e-6 and abs(max(p) - float(row['confidence'])) < 1e-9
"
}

test_evaluate_gates_exit_3() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --fail-under accuracy=0 --fail-over ece=1
  expect_rc 0
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --fail-under accuracy=1.01 --fail-over ece=-1
  expect_rc 3
  expect_err "skinscan: gate failed: accuracy = "
  expect_err "is below 1.01"
  expect_err "skinscan: gate failed: ece = "
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --fail-under accuracy
  expect_rc 1
  expect_err "gate 'accuracy' must look like METRIC=VALUE"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --fail-under speed=1
  expect_rc 1
  expect_err "unknown metric 'speed'"
}

test_evaluate_bad_labels_and_predictions() {
  make_imagefolder
  mkdir -p "$WORK/folder/xyz" && cp "$GOOD/plain.png" "$WORK/folder/xyz/odd.png"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder"
  expect_rc 1
  expect_err "model 'tiny7' has classes (akiec, bcc, bkl, df, mel, nv, vasc) but the dataset has (mel, nv, xyz); not covered: xyz"
  printf 'image_id,dx\nA,mel\nB,nv\n' >"$WORK/truth.csv"
  printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nA,0.5,0.5,0,0,0,0,0\nB,nan,1,0,0,0,0,0\n' >"$WORK/p.csv"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv"
  expect_rc 1
  expect_err "$WORK/p.csv: row 3: 'MEL' is not finite: 'nan'"
  printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nA,0.5,0.5,0,0,0,0,0\nA,0,1,0,0,0,0,0\n' >"$WORK/p.csv"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv"
  expect_rc 1
  expect_err "row 3: duplicate image id 'A' (first at row 2)"
  printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nA,0.9,0.5,0,0,0,0,0\n' >"$WORK/p.csv"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv"
  expect_rc 1
  expect_err "row 2: probabilities sum to 1.4, not 1"
  printf 'image,MEL,BCC\nA,1,0\n' >"$WORK/p.csv"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv"
  expect_rc 1
  expect_err "$WORK/p.csv has classes (mel, bcc) but the dataset has (mel, nv); not covered: nv"
  printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nA,1,0,0,0,0,0,0\n' >"$WORK/p.csv"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --json
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/out'))
assert r['dataset']['scored'] == 1 and r['items_missing'] == ['B'], r['dataset']
"
}

test_evaluate_shift_report_plot_gate_and_errors() {
  make_imagefolder
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift --seed 3 --out "$WORK/r.json" --plots "$WORK/plots"
  expect_rc 2  # broken.jpg failed in every corruption, and is listed once
  expect_out "balanced accuracy under acquisition changes"
  expect_err "broken.jpg: file is empty"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift --seed 3 --json
  py "
import json
r = json.load(open('$WORK/r.json'))
again = json.loads(open('$WORK/out').read())
names = ['white_balance', 'gamma', 'brightness', 'contrast', 'blur', 'defocus', 'jpeg', 'noise', 'vignette', 'zoom', 'rotate']
assert sorted(r['shift']) == sorted(names), sorted(r['shift'])
assert r['shift'] == again['shift'], 'same seed, different shift section'
cells = []
for name in names:
    rows = r['shift'][name]
    assert [row['severity'] for row in rows] == [0, 1, 2, 3, 4, 5], name
    for k in ['accuracy', 'balanced_accuracy', 'macro_auc', 'ece', 'malignant_sensitivity', 'drop']:
        assert k in rows[0], (name, k)
    for k in ['accuracy', 'balanced_accuracy', 'ece']:
        assert abs(rows[0][k] - r['metrics'][k]) < 1e-12, (name, k)
    for row in rows:
        assert row['n'] == 5
        assert abs(row['drop']['accuracy'] - (rows[0]['accuracy'] - row['accuracy'])) < 1e-12
    cells += [row['balanced_accuracy'] for row in rows[1:]]
s = r['shift_summary']
assert abs(s['mean_balanced_accuracy'] - sum(cells) / len(cells)) < 1e-12
assert abs(r['metrics']['shift_mean_balanced_accuracy'] - s['mean_balanced_accuracy']) < 1e-12
assert s['worst']['balanced_accuracy'] == min(cells) and s['seed'] == 3
assert len(r['items_failed']) == 1
"
  [ "$(head -c 8 "$WORK/plots/shift.png" | od -An -tx1 | tr -d ' ')" = "89504e470d0a1a0a" ] || fail "shift.png is not a PNG"

  # Severity 3 of brightness (+0.18 x 255) and of jpeg (quality 15) made offline with numpy/PIL and
  # evaluated plainly must give exactly the numbers --shift reports: the variants reach the right items.
  mkdir -p "$WORK/clean/mel" "$WORK/clean/nv" "$WORK/bright/mel" "$WORK/bright/nv" "$WORK/jpeg/mel" "$WORK/jpeg/nv"
  py "
import numpy as np
from PIL import Image
rng = np.random.default_rng(4)
for i in range(8):
    cls = 'mel' if i % 2 else 'nv'
    a = rng.integers(0, 256, (30 + i, 40, 3), dtype=np.uint8)
    Image.fromarray(a).save('$WORK/clean/%s/i%d.png' % (cls, i))
    Image.fromarray(np.clip(np.rint(a + 0.18 * 255), 0, 255).astype(np.uint8)).save('$WORK/bright/%s/i%d.png' % (cls, i))
    Image.fromarray(a).save('$WORK/jpeg/%s/i%d.jpg' % (cls, i), quality=15)
"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/clean" --shift brightness,jpeg --json
  expect_rc 0
  cp "$WORK/out" "$WORK/shift.json"
  for kind in bright jpeg; do
    run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/$kind" --json
    expect_rc 0
    cp "$WORK/out" "$WORK/$kind.json"
  done
  py "
import json
shift = json.load(open('$WORK/shift.json'))['shift']
for name, kind in [('brightness', 'bright'), ('jpeg', 'jpeg')]:
    plain = json.load(open('$WORK/%s.json' % kind))['metrics']
    row = shift[name][3]
    for k in ['accuracy', 'balanced_accuracy', 'ece', 'macro_auc']:
        assert abs(row[k] - plain[k]) < 1e-9, (name, k, row[k], plain[k])
"
  # The paired statistics of brightness at severity 3 must be those of batch's per-image
  # probabilities on the clean and the offline-brightened images.
  for kind in clean bright; do
    run "$SKINSCAN" batch -m "$TINY7" "$WORK/$kind" --format jsonl
    expect_rc 0
    cp "$WORK/out" "$WORK/$kind.jsonl"
  done
  py "
import json, os
import numpy as np
def load(kind):
    rows = [json.loads(l) for l in open('$WORK/%s.jsonl' % kind)]
    return {os.path.basename(r['path']): r['probabilities'] for r in rows}
clean, bright = load('clean'), load('bright')
manifest = json.load(open(os.path.join('$TINY7', 'manifest.json')))
malignant = manifest['malignant']
mal = lambda p: sum(p[k] for k in malignant)
keys = sorted(clean)
d = np.array([mal(bright[k]) - mal(clean[k]) for k in keys])
flips = np.mean([max(clean[k], key=clean[k].get) != max(bright[k], key=bright[k].get) for k in keys])
calls = np.mean([(mal(clean[k]) >= 0.5) != (mal(bright[k]) >= 0.5) for k in keys])
paired = json.load(open('$WORK/shift.json'))['shift']['brightness'][3]['paired']
assert paired['n'] == len(keys) == 8, paired
assert abs(paired['top1_flip_rate'] - flips) < 1e-12, (paired['top1_flip_rate'], flips)
assert abs(paired['malignant_change']['mean'] - d.mean()) < 1e-6, (paired['malignant_change']['mean'], d.mean())
assert abs(paired['malignant_call_flip_rate'] - calls) < 1e-12
lo, hi = paired['malignant_change']['ci']
assert lo <= paired['malignant_change']['mean'] <= hi
"

  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift blur --fail-under shift_mean_balanced_accuracy=1.01
  expect_rc 3
  expect_err "skinscan: gate failed: shift_mean_balanced_accuracy = "
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift blur,nope
  expect_rc 1
  expect_err "unknown corruption 'nope' (known: all, acquisition, artefacts, white_balance, gamma, brightness, contrast, blur, defocus, jpeg, noise, vignette, zoom, rotate, ink, hair, ruler, bubbles, patch)"
  printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nplain,1,0,0,0,0,0,0\n' >"$WORK/pred.csv"
  run "$SKINSCAN" evaluate --data "$WORK/folder" --predictions "$WORK/pred.csv" --shift
  expect_rc 1
  expect_err "--shift runs the model on corrupted images: it cannot score --predictions"
  run "$SKINSCAN" evaluate --help
  expect_out "vignette: dermoscope field of view"
}

test_evaluate_and_batch_dataset_shift_score() {
  # tiny7 with reference feature statistics in its manifest; images at its input size (32x32), so
  # the model input is the pixels and the score can be recomputed here with torch.
  cp -r "$TINY7" "$WORK/m" && mkdir -p "$WORK/d/mel" "$WORK/d/nv"
  py "
import json
import numpy as np
from PIL import Image
m = json.load(open('$WORK/m/manifest.json'))
m['feature_statistics'] = {'n': 10, 'mean': [0.1 * c for c in range(8)], 'std': [0.5, 0.4, 0.3, 0.2, 1.0, 0.0, 0.7, 0.6]}
json.dump(m, open('$WORK/m/manifest.json', 'w'))
rng = np.random.default_rng(2)
for i in range(6):
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save('$WORK/d/%s/i%d.png' % ('mel' if i % 2 else 'nv', i))
"
  run "$SKINSCAN" evaluate -m "$WORK/m" --data "$WORK/d" --json
  expect_rc 0
  cp "$WORK/out" "$WORK/r.json"
  py "
import glob, json
import numpy as np, torch
from PIL import Image
r = json.load(open('$WORK/r.json'))
d = r['dataset_shift']
m = json.load(open('$WORK/m/manifest.json'))
spec, fs = m['input'], m['feature_statistics']
module = torch.jit.load('$WORK/m/model.pt')
std = np.array(fs['std'])
std = np.maximum(std, 0.05 * np.median(std))
pooled = []
for path in sorted(glob.glob('$WORK/d/*/*.png')):
    x = (np.asarray(Image.open(path).convert('RGB'), np.float64) / 255 - spec['mean']) / spec['std']
    x = torch.from_numpy(x.astype(np.float32)).permute(2, 0, 1)[None]
    with torch.no_grad():
        pooled.append(module.features(x).mean(dim=(2, 3))[0].double().numpy())
pooled = np.array(pooled)
m, s = pooled.mean(0), pooled.std(0)
score = np.mean(((m - fs['mean']) ** 2 + (s - np.array(fs['std'])) ** 2) / std ** 2)
assert d['images'] == 6 and d['threshold'] is None and d['warning'] is False, d
assert abs(d['score'] - score) < 1e-5 * max(1, score), (d['score'], score)
assert 0 < d['mean_max_probability'] <= 1
"
  py "
import json
m = json.load(open('$WORK/m/manifest.json'))
m['feature_statistics']['warning_threshold'] = 0.001
json.dump(m, open('$WORK/m/manifest.json', 'w'))
"
  run "$SKINSCAN" evaluate -m "$WORK/m" --data "$WORK/d" --out "$WORK/r2.json"
  expect_rc 0
  expect_out "dataset shift: score"
  expect_err "skinscan: warning: these 6 images look unlike the model's training data (dataset shift score"
  py "
import json
d = json.load(open('$WORK/r2.json'))['dataset_shift']
assert d['warning'] is True and d['threshold'] == 0.001
"
  run "$SKINSCAN" batch -m "$WORK/m" "$WORK/d"
  expect_rc 0
  expect_err "skinscan: dataset shift: score"
  expect_err "skinscan: warning: these 6 images look unlike"
  # A model without reference statistics: no score at all (not a zero).
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/d" --json
  expect_rc 0
  py "
import json
assert 'dataset_shift' not in json.loads(open('$WORK/out').read())
"
  run "$SKINSCAN" batch -m "$TINY7" "$WORK/d"
  grep -q "dataset shift" "$WORK/err" && fail "a model without statistics printed a shift score"
  # Statistics that do not fit the model are a model error at load time.
  py "
import json
m = json.load(open('$WORK/m/manifest.json'))
m['feature_statistics']['mean'] = [0.0] * 5
m['feature_statistics']['std'] = [1.0] * 5
json.dump(m, open('$WORK/m/manifest.json', 'w'))
"
  run "$SKINSCAN" evaluate -m "$WORK/m" --data "$WORK/d"
  expect_rc 1
  expect_err "features have 8 channels but feature_statistics describes 5"
}

test_real_data_dataset_shift_minority_source_scores_higher_than_val() {
  need_shared
  # The bundled model's val images from rosendahl (a minority source) against 200 val images of all
  # sources: the score must put the warning threshold between them (the calibration, with
  # leave-one-source-out models, is in the manifest's feature_statistics.threshold_calibration).
  py "
import csv, os, random
val = [l.strip() for l in open('$SKINSCAN_SOURCE/datasets/splits/val.txt') if l.strip()]
source = {r['image_id']: r['dataset'] for r in csv.DictReader(open('$SKINSCAN_SHARED_DATA/HAM10000_metadata.csv'))}
val = [i for i in val if i in source and os.path.exists('$SKINSCAN_SHARED_DATA/HAM10000_images/%s.jpg' % i)]
open('$WORK/rosendahl.txt', 'w').write(''.join(i + '\n' for i in val if source[i] == 'rosendahl'))
random.Random(1).shuffle(val)
open('$WORK/val200.txt', 'w').write(''.join(i + '\n' for i in val[:200]))
"
  for list in val200 rosendahl; do
    run "$SKINSCAN" evaluate --data "$SKINSCAN_SHARED_DATA" --split "$WORK/$list.txt" --out "$WORK/$list.json"
    expect_rc 0
  done
  expect_err "skinscan: warning: these"  # rosendahl's run
  py "
import json
r = json.load(open('$WORK/rosendahl.json'))['dataset_shift']
v = json.load(open('$WORK/val200.json'))['dataset_shift']
print('rosendahl', r['score'], r['images'], 'val', v['score'], v['images'], 'threshold', r['threshold'])
assert r['images'] > 100 and v['images'] == 200
assert v['score'] < r['threshold'] < r['score'], (v['score'], r['threshold'], r['score'])
assert r['warning'] and not v['warning']
assert r['mean_max_probability'] < v['mean_max_probability']
"
}

test_real_data_evaluate_test_split() {
  need_shared
  # The bundled model's predictions over the test images (tests/lib/bundled_test_predictions.sh,
  # skinscan batch: the decoding and preprocessing evaluate's model path shares), scored here.
  local predictions=${SKINSCAN_BUNDLED_TEST_PREDICTIONS:?}
  [ -s "$predictions" ] || fail "no bundled-model predictions at $predictions"
  run "$SKINSCAN" evaluate --data "$SKINSCAN_SHARED_DATA" --split "$SKINSCAN_SOURCE/datasets/splits/test.txt" \
    --predictions "$predictions" --json
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/out'))
d = r['dataset']
assert d['layout'] == 'ham10000' and d['labelled'] == 1516 and d['scored'] == 897 and d['missing'] == 619, d
assert len(r['items_missing']) == 619
m = r['metrics']
print('test split:', {k: round(m[k], 4) for k in ['accuracy', 'balanced_accuracy', 'macro_f1', 'ece']})
# The numbers in models/ham10000-skinnet/MODEL_CARD.md (test_report.json) must stay what the tool
# measures: a change to decoding, preprocessing or the metrics that moves them fails here.
card = json.load(open('$SKINSCAN_SOURCE/models/ham10000-skinnet/test_report.json'))['metrics']
for k in ['accuracy', 'balanced_accuracy', 'macro_f1', 'ece', 'nll', 'macro_auc']:
    assert abs(m[k] - card[k]) < 1e-4, (k, m[k], card[k])
"
}

test_evaluate_plots_are_pngs() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --plots "$WORK/plots"
  expect_rc 0
  for f in confusion_matrix reliability roc; do
    [ "$(head -c 8 "$WORK/plots/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$f.png is not a PNG"
    [ "$(stat -c %s "$WORK/plots/$f.png")" -gt 5000 ] || fail "$f.png is suspiciously small"
  done
}

test_evaluate_label_map_unlabelled_and_strict() {
  printf 'image_id,dx\nA,mel\nB,akiec\nC,nv\n' >"$WORK/truth.csv"
  # ISIC 2019 columns; D has no label; C has no prediction.
  printf 'image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\nA,0.6,0.1,0,0.1,0,0,0,0.1,0.1\nB,0,0.2,0,0.5,0,0,0,0.3,0\nD,0,1,0,0,0,0,0,0,0\n' >"$WORK/p.csv"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv"
  expect_rc 1
  expect_err "not covered: akiec. Map the columns with --label-map"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --label-map AK=akiec,SCC=akiec,UNK=- --json
  expect_rc 0
  expect_err "label map: SCC -> akiec"
  expect_err "label map: UNK -> (dropped)"
  py "
import json
r = json.load(open('$WORK/out'))
assert r['items_unlabelled'] == ['D'] and r['dataset']['unlabelled'] == 1, r['items_unlabelled']
assert r['items_missing'] == ['C']
assert r['label_map']['columns']['AK'] == 'akiec' and r['label_map']['renormalised'] is True
assert r['confusion_matrix']['labels'] == ['mel', 'nv', 'bcc', 'akiec', 'bkl', 'df', 'vasc']
assert r['metrics']['accuracy'] == 1.0  # A -> mel 0.6/0.9, B -> akiec 0.8
"
  printf 'AK=akiec\n# comment\nSCC,akiec\nUNK=-\n' >"$WORK/map.txt"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --label-map "$WORK/map.txt" --strict
  expect_rc 1
  expect_err "--strict: 1 labelled items have no prediction (C); 1 predictions have no label (D)"
}

test_evaluate_subgroups_thresholds_and_group_gates() {
  printf 'image_id,dx,sex,age\n' >"$WORK/truth.csv"
  printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n' >"$WORK/p.csv"
  for i in $(seq 1 60); do
    if [ $((i % 3)) = 0 ]; then dx=mel; else dx=nv; fi
    sex=$([ $((i % 2)) = 0 ] && echo female || echo male)
    m=$(awk -v i=$i 'BEGIN { printf "%.2f", (i % 7) / 7 }')
    printf 'I%d,%s,%s,%d\n' $i $dx $sex $((20 + i)) >>"$WORK/truth.csv"
    awk -v id=I$i -v m=$m 'BEGIN { printf "%s,%s,%.2f,0,0,0,0,0\n", id, m, 1 - m }' >>"$WORK/p.csv"
  done
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --group-by sex,age --age-bins 0,40,60,100 \
    --min-group-n 10 --pick-threshold youden --save-thresholds "$WORK/t.json" --out "$WORK/r.json"
  expect_rc 0
  expect_out "disparity balanced_accuracy"
  expect_out "age            [40,60)"
  py "
import json
r = json.load(open('$WORK/r.json'))
groups = {(g['column'], g['group']): g for g in r['subgroups']}
assert set(groups) == {('sex', 'female'), ('sex', 'male'), ('age', '[0,40)'), ('age', '[40,60)'), ('age', '[60,100)')}, set(groups)
assert groups[('age', '[0,40)')]['n'] == 19 and groups[('age', '[60,100)')]['n'] == 21
for k in ['accuracy', 'balanced_accuracy', 'macro_auc', 'ece', 'malignant_auc']:
    assert k in r['disparity'] and 'max_gap' in r['disparity'][k], k
t = json.load(open('$WORK/t.json'))
assert t['rule'] == 'youden' and 'malignant' in t['thresholds'] and 'mel' in t['thresholds']
"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --thresholds "$WORK/t.json" --json
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/out'))
res = r['thresholds_applied']['results']['mel']
assert res['tp'] + res['fp'] + res['tn'] + res['fn'] == 60 and res['sensitivity'] is not None
"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --group-by sex \
    --fail-under-group balanced_accuracy=1.01 --max-gap accuracy=-1
  expect_rc 3
  expect_err "gate failed: balanced_accuracy = "
  expect_err "for group sex=female (n = 30) is below 1.01"
  expect_err "gate failed: accuracy gap between groups"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --max-gap accuracy=0.1
  expect_rc 1
  expect_err "--fail-under-group and --max-gap need --group-by"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --group-by colour
  expect_rc 1
  expect_err "--group-by colour: no item of the dataset has this column (columns: age, sex"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --pick-threshold sens=2
  expect_rc 1
  expect_err "threshold rule 'sens=2': the level must be a number in (0, 1]"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --thresholds "$WORK/truth.csv"
  expect_rc 1
  expect_err "$WORK/truth.csv: invalid JSON"
}

test_real_data_research_report_golden() {
  need_shared
  # The bundled model ran once over the test images (tests/lib/bundled_test_predictions.sh); both
  # reports below score its predictions.
  [ -s "${SKINSCAN_BUNDLED_TEST_PREDICTIONS:?}" ] || fail "no bundled-model predictions"
  cp "$SKINSCAN_BUNDLED_TEST_PREDICTIONS" "$WORK/predictions.csv"
  run "$SKINSCAN" evaluate --data "$SKINSCAN_SHARED_DATA" --split "$SKINSCAN_SOURCE/datasets/splits/test.txt" \
    --predictions "$WORK/predictions.csv" \
    --group-by dataset,sex,age,localization --age-bins 0,30,50,70,120 --bootstrap 200 --seed 1 \
    --pick-threshold sens=0.95 --plots "$WORK/plots" --out "$WORK/r.json" -q
  expect_rc 0
  py "
import json, os
r = json.load(open('$WORK/r.json'))
labels = r['confusion_matrix']['labels']
for l in labels:
    pc = r['per_class'][l]
    assert len(pc['auc_ci']) == 2 and pc['auc_ci'][0] <= pc['auc'] <= pc['auc_ci'][1] and pc['auc_ci_method'] == 'bootstrap', l
    op = r['operating_points'][l]
    for k in ['sens_at_spec_0.90', 'sens_at_spec_0.95', 'spec_at_sens_0.90', 'spec_at_sens_0.95', 'pauc_above_sens_0.80', 'standardized_pauc_max_fpr_0.20']:
        assert k in op, (l, k)
b = r['binary']
assert b['auc_ci'][0] <= b['auc'] <= b['auc_ci'][1] and b['auc_ci_method'] == 'bootstrap'
assert 'malignant' in r['operating_points'] and 0 < r['operating_points']['malignant']['pauc_above_sens_0.80'] < b['auc']  # area from the sens-0.80 point only
assert set(r['thresholds_picked']['thresholds']) == set(labels) | {'malignant'}
sel = r['selective']
assert 0 < sel['aurc'] < r['metrics']['aurc'] + 1e-12 and 'risk_at_coverage_0.80' in sel and 'coverage_at_risk_0.05' in sel
assert 'within each true class' in r['confidence_intervals']['method']
cols = {g['column'] for g in r['subgroups']}
assert cols == {'dataset', 'sex', 'age', 'localization'}, cols
for g in r['subgroups']:
    assert set(g) >= {'column', 'group', 'n', 'flagged_small', 'metrics', 'ci'}
    assert set(g['metrics']) == {'accuracy', 'balanced_accuracy', 'macro_f1', 'macro_auc', 'ece', 'malignant_sensitivity', 'malignant_specificity', 'malignant_auc'}
    assert g['flagged_small'] == (g['n'] < 20)
assert sum(g['n'] for g in r['subgroups'] if g['column'] == 'sex') == r['dataset']['scored']
for k, d in r['disparity'].items():
    assert d is None or {'worst_group', 'max_gap', 'min_ratio', 'by_column'} <= set(d), k
assert r['items_unlabelled'] == [] and r['label_map'] is None
# Predictions written by batch score as evaluate scores the model itself (the shipped test report).
card = json.load(open('$SKINSCAN_SOURCE/models/ham10000-skinnet/test_report.json'))['metrics']
assert r['dataset']['scored'] == 897, r['dataset']
for k in ['accuracy', 'balanced_accuracy', 'macro_f1', 'macro_auc', 'ece', 'nll']:
    assert abs(r['metrics'][k] - card[k]) < 1e-4, (k, r['metrics'][k], card[k])
for f in ['roc.png', 'roc_points.csv', 'risk_coverage.png', 'risk_coverage.csv', 'subgroups.png']:
    assert os.path.getsize(os.path.join('$WORK/plots', f)) > 100, f
# DeLong (default without --bootstrap) on the same split
"
  run "$SKINSCAN" evaluate --data "$SKINSCAN_SHARED_DATA" --split "$SKINSCAN_SOURCE/datasets/splits/test.txt" \
    --predictions "$WORK/predictions.csv" --json -q
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/out'))
assert all(r['per_class'][l]['auc_ci_method'] == 'delong' for l in r['per_class'])
assert r['binary']['auc_ci_method'] == 'delong' and 'confidence_intervals' not in r
"
}

# Truth and predictions for the CI-output tests, made by arithmetic (no random numbers): 40 images of
# four classes, the model right on most, with a malignant column, so every number is reproducible.
make_ci_predictions() {
  "$PYTHON" - "$WORK" <<'PYEOF' || fail "could not write the CI fixtures"
import sys
work = sys.argv[1]
labels = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]
truth = [labels[(i * 3) % 7] if i % 5 else "nv" for i in range(40)]
with open(f"{work}/truth.csv", "w") as t, open(f"{work}/p.csv", "w") as p:
    t.write("image_id,dx,dataset\n")
    p.write("image," + ",".join(l.upper() for l in labels) + "\n")
    for i, y in enumerate(truth):
        t.write(f"img{i:02d},{y},{'clinic_a' if i % 2 else 'clinic_b'}\n")
        k = labels.index(y) if i % 7 else (labels.index(y) + 1) % 7  # every 7th image wrong
        row = [0.02] * 7
        row[k] = 0.88 - (i % 4) * 0.05
        row[(k + 2) % 7] += 1 - sum(row)
        p.write(f"img{i:02d}," + ",".join(f"{v:.4f}" for v in row) + "\n")
PYEOF
}

test_evaluate_gates_checked_before_any_work() {
  # The data folder does not exist: each error below must come from the argument checks, which run
  # before the dataset is read or a model loaded.
  local data=$WORK/nonexistent
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --fail-under balanced_acuracy=0.6 --out "$WORK/r.json"
  expect_rc 1
  expect_err "gate 'balanced_acuracy=0.6': unknown metric 'balanced_acuracy' (use accuracy, balanced_accuracy, "
  [ ! -e "$WORK/r.json" ] || fail "a report was written for a usage error"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --fail-over shift_mean_corruption_error=1.5
  expect_rc 1
  expect_err "gate 'shift_mean_corruption_error=1.5': shift_mean_corruption_error needs --shift"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --fail-under-group balanced_acc=0.5 --group-by sex
  expect_rc 1
  expect_err "gate 'balanced_acc=0.5': unknown group metric 'balanced_acc' (use accuracy, balanced_accuracy"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --max-gap accuracy=0.1
  expect_rc 1
  expect_err "--fail-under-group and --max-gap need --group-by"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --fail-under accuracy=high
  expect_rc 1
  expect_err "gate 'accuracy=high' must look like METRIC=VALUE"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --baseline "$WORK/missing.json"
  expect_rc 1
  expect_err "$WORK/missing.json: cannot open report"
  echo '{"x": 1}' >"$WORK/not_report.json"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --baseline "$WORK/not_report.json"
  expect_rc 1
  expect_err "$WORK/not_report.json: not a skinscan evaluate report"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --junit "$WORK/no/such/dir/junit.xml"
  expect_rc 1
  expect_err "$WORK/no/such/dir/junit.xml: cannot create file (No such file or directory)"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --summary-md "$WORK"
  expect_rc 1
  expect_err "$WORK: cannot create file (Is a directory)"
  # With valid gates the same command gets as far as the data.
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$data" --fail-under balanced_accuracy=0.6
  expect_rc 1
  expect_err "$data"
}

test_evaluate_outputs_written_before_a_failing_gate_or_late_error() {
  make_ci_predictions
  local args=(evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv")
  run "$SKINSCAN" "${args[@]}" --fail-under balanced_accuracy=0.99 --out "$WORK/r.json" \
    --per-image "$WORK/per.csv" --plots "$WORK/plots" --junit "$WORK/j.xml" --summary-md "$WORK/s.md"
  expect_rc 3
  expect_err "skinscan: gate failed: balanced_accuracy = "
  for f in r.json per.csv plots/confusion_matrix.png j.xml s.md; do
    [ -s "$WORK/$f" ] || fail "$f was not written before the failing gate decided the exit code"
  done
  py "
import json
g = json.load(open('$WORK/r.json'))['gates']
assert g['failed'] and g['results'][0]['passed'] is False and g['results'][0]['metric'] == 'balanced_accuracy', g
assert g['results'][0]['threshold'] == 0.99 and 0 < g['results'][0]['value'] < 0.99
"
  # --strict fails after the work (a labelled image without a prediction): outputs are kept.
  echo "extra,mel,clinic_a" >>"$WORK/truth.csv"
  rm -f "$WORK/r.json"
  run "$SKINSCAN" "${args[@]}" --strict --out "$WORK/r.json"
  expect_rc 1
  expect_err "--strict: 1 labelled items have no prediction (extra)"
  [ -s "$WORK/r.json" ] || fail "the report was lost to a late --strict error"
}

test_evaluate_junit_matches_schema() {
  command -v xmllint >/dev/null || fail "xmllint (libxml2-utils) is not installed"
  make_ci_predictions
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --bootstrap 100 \
    --fail-under balanced_accuracy=0.5 --fail-under accuracy=0.99 --fail-over ece=0.5 \
    --group-by dataset --min-group-n 5 --fail-under-group accuracy=0.5 --max-gap accuracy=0.3 \
    --out "$WORK/base.json" --junit "$WORK/j.xml"
  expect_rc 3
  local schema=$SKINSCAN_SOURCE/tests/ci/junit.xsd
  xmllint --noout --schema "$schema" "$WORK/j.xml" 2>"$WORK/xmllint.err" || { cat "$WORK/xmllint.err" >&2; fail "JUnit file does not validate"; }
  py "
import xml.etree.ElementTree as ET, json
root = ET.parse('$WORK/j.xml').getroot()
assert root.tag == 'testsuites'
suites = root.findall('testsuite')
assert len(suites) == 1
s = suites[0]
cases = s.findall('testcase')
names = [c.get('name') for c in cases]
assert names == ['balanced_accuracy=0.5', 'accuracy=0.99', 'ece=0.5', 'accuracy=0.5', 'accuracy=0.3', 'every item scored'], names
failed = [c.get('name') for c in cases if c.find('failure') is not None]
assert failed == ['accuracy=0.99'], failed
assert s.get('tests') == '6' and s.get('failures') == '1' and s.get('errors') == '0'
f = cases[1].find('failure')
assert f.get('message').startswith('accuracy = ') and 'is below 0.99' in f.get('message')
out = cases[0].find('system-out').text
assert out.startswith('fail_under balanced_accuracy=0.5: measured ') and '95% CI' in out, out
props = {p.get('name'): p.get('value') for p in s.find('properties')}
assert props['model.kind'] == 'predictions' and props['model.path'].endswith('p.csv') and len(props['model.sha256']) == 64, props
assert props['dataset.scored'] == '40', props
r = json.load(open('$WORK/base.json'))
assert [x['gate'] for x in r['gates']['results']] == names[:-1]
"
  # The schema check can fail: a test case without its required name attribute is refused.
  sed 's/<testcase name="[^"]*"/<testcase/' "$WORK/j.xml" >"$WORK/broken.xml"
  ! xmllint --noout --schema "$schema" "$WORK/broken.xml" 2>/dev/null || fail "xmllint accepted a test case without a name"
  # A model run's properties: name, version and manifest hash.
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --fail-under accuracy=0 --junit "$WORK/m.xml"
  expect_rc 0
  xmllint --noout --schema "$schema" "$WORK/m.xml" 2>/dev/null || fail "JUnit file of a model run does not validate"
  py "
import xml.etree.ElementTree as ET
s = ET.parse('$WORK/m.xml').getroot().find('testsuite')
props = {p.get('name'): p.get('value') for p in s.find('properties')}
assert props['model.name'] == 'tiny7' and len(props['model.manifest_sha256']) == 64 and props['model.version'], props
assert props['dataset.layout'] == 'imagefolder' and s.get('failures') == '0'
"
}

test_evaluate_summary_markdown_golden() {
  make_ci_predictions
  local args=(evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --bootstrap 100 --seed 3
    --group-by dataset --min-group-n 5)
  run "$SKINSCAN" "${args[@]}" --out "$WORK/base.json" -q
  expect_rc 0
  # A worse candidate: two more wrong answers.
  sed -e 's/^img03,\(.*\)/img03,0.88,0.02,0.02,0.02,0.02,0.02,0.02/' -e 's/^img04,\(.*\)/img04,0.88,0.02,0.02,0.02,0.02,0.02,0.02/' \
    "$WORK/p.csv" >"$WORK/p2.csv"
  : >"$WORK/summary.md"  # exists, as $GITHUB_STEP_SUMMARY does: appended to
  echo "earlier step" >>"$WORK/summary.md"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p2.csv" --bootstrap 100 --seed 3 \
    --group-by dataset --min-group-n 5 --fail-under balanced_accuracy=0.7 --fail-over ece=0.2 \
    --baseline "$WORK/base.json" --max-drop 0.03 --summary-md "$WORK/summary.md"
  expect_rc 3
  [ "$(head -1 "$WORK/summary.md")" = "earlier step" ] || fail "the summary file's earlier content was not kept"
  # Paths differ per run; everything else must match the golden file byte for byte.
  tail -n +2 "$WORK/summary.md" | sed -e "s|$WORK|WORK|g" >"$WORK/got.md"
  diff -u "$SKINSCAN_SOURCE/tests/ci/summary.golden.md" "$WORK/got.md" || fail "Markdown summary differs from tests/ci/summary.golden.md"
}

test_evaluate_many_models_one_read_leaderboard() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  make_bn_model "$WORK/bn"
  # A model that preprocesses differently (another input size and normalisation: decoded apart).
  py "
import json
m = json.load(open('$WORK/bn/manifest.json'))
m['input'].update(width=40, height=40, mean=[0.4, 0.5, 0.6])
json.dump(m, open('$WORK/bn/manifest.json', 'w'))
"
  local models=("$TINY7" "$FX/models/tiny7_coarse" "$FX/models/tiny7_ensemble" "$WORK/bn")
  run "$SKINSCAN" evaluate -m "${models[0]}" -m "${models[1]}" -m "${models[2]}" -m "${models[3]}" \
    --data "$WORK/folder" --bootstrap 200 --seed 5 --fail-under accuracy=0 --out "$WORK/board.json" --junit "$WORK/j.xml" \
    --summary-md "$WORK/s.md"
  expect_rc 0
  expect_err "model bn-tiny preprocesses images unlike tiny7: its inputs are prepared separately"
  expect_out "rank  model"
  for k in 0 1 2 3; do
    "$SKINSCAN" evaluate -m "${models[$k]}" --data "$WORK/folder" --bootstrap 200 --seed 5 --out "$WORK/single$k.json" \
      --per-image "$WORK/single$k.csv" -q >/dev/null || fail "single run of model $k failed"
  done
  xmllint --noout --schema "$SKINSCAN_SOURCE/tests/ci/junit.xsd" "$WORK/j.xml" 2>/dev/null || fail "JUnit of several models does not validate"
  grep -qF "## skinscan leaderboard (sorted by balanced_accuracy)" "$WORK/s.md" || fail "summary lacks the leaderboard"
  py "
import csv, json
from scipy.stats import binomtest
b = json.load(open('$WORK/board.json'))
assert len(b['reports']) == 4 and len(b['rows']) == 4 and len(b['pairwise']) == 3
# Each model's report is the report of a run of that model alone (one read of the images changes nothing).
for k in range(4):
    one = json.load(open(f'$WORK/single{k}.json'))
    many = b['reports'][k]
    assert many['model']['name'] == one['model']['name']
    for name, v in one['metrics'].items():
        assert (v is None and many['metrics'][name] is None) or abs(many['metrics'][name] - v) < 1e-12, (k, name)
    assert many['confusion_matrix'] == one['confusion_matrix'], k
    assert many['gates']['results'][0]['gate'] == 'accuracy=0'
# Rows sorted by balanced accuracy, descending, ranks 1..4.
values = [r['metric'] for r in b['rows']]
assert values == sorted(values, reverse=True) and [r['rank'] for r in b['rows']] == [1, 2, 3, 4], values
# McNemar against the first model, from the single runs' per-image files (scipy's exact binomial test).
def correct(k):
    return {r['id']: r['correct'] == '1' for r in csv.DictReader(open(f'$WORK/single{k}.csv'))}
ref = correct(0)
for k in (1, 2, 3):
    other = correct(k)
    a = sum(ref[i] and not other[i] for i in ref)
    c = sum(other[i] and not ref[i] for i in ref)
    p = b['pairwise'][k - 1]
    assert p['paired_images'] == 5 and p['mcnemar']['right_only_in_reference'] == a and p['mcnemar']['right_only_in_model'] == c
    expected = 1.0 if a + c == 0 else binomtest(min(a, c), a + c, 0.5).pvalue
    assert abs(p['mcnemar']['p_value'] - expected) < 1e-9, (p['mcnemar'], expected)
    d = p['balanced_accuracy_difference']
    est = b['reports'][k]['metrics']['balanced_accuracy'] - b['reports'][0]['metrics']['balanced_accuracy']
    assert abs(d['estimate'] - est) < 1e-12 and d['ci'][0] <= d['estimate'] + 1e-12 <= d['ci'][1] + 2e-12 and 0 < d['p_value'] <= 1
"
  # Refused before any image is read: classes that differ, and options that take one model.
  run "$SKINSCAN" evaluate -m "$TINY7" -m "$TINY2" --data "$WORK/folder" --label-map "MEL=mel,NV=nv,BCC=-,AKIEC=-,BKL=-,DF=-,VASC=-"
  expect_rc 1
  run "$SKINSCAN" evaluate -m "$TINY7" -m "$TINY2" --data "$WORK/folder"
  expect_rc 1
  expect_err "model 'tiny2' has classes (benign, malignant) but the dataset has (mel, nv)"
  run "$SKINSCAN" evaluate -m "$TINY7" -m "$TINY7" --data "$WORK/nonexistent" --shift
  expect_rc 1
  expect_err "--shift takes one model; 2 were given with -m"
  run "$SKINSCAN" evaluate -m "$TINY7" -m "$TINY7" --data "$WORK/nonexistent" --sort-by speed
  expect_rc 1
  expect_err "--sort-by 'speed': unknown metric (use accuracy, "
}

test_evaluate_cluster_by_lesion() {
  # 40 lesions photographed 1-3 times, every image of a lesion with the same prediction.
  printf 'lesion_id,image_id,dx,site\n' >"$WORK/truth.csv"
  printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n' >"$WORK/p.csv"
  for l in $(seq 1 40); do
    if [ $((l % 3)) = 0 ]; then dx=mel; else dx=nv; fi
    m=$(awk -v l=$l 'BEGIN { printf "%.2f", (l * 37 % 100) / 100 }')
    for j in $(seq 0 $((l % 3))); do
      printf 'L%d,I%d_%d,%s,%s\n' $l $l $j $dx $([ $((l % 2)) = 0 ] && echo back || echo face) >>"$WORK/truth.csv"
      awk -v id=I${l}_$j -v m=$m 'BEGIN { printf "%s,%s,%.2f,0,0,0,0,0\n", id, m, 1 - m }' >>"$WORK/p.csv"
    done
  done
  # Repeated lesion ids without --cluster-by: a warning that says what to add.
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --bootstrap 200 --out "$WORK/image.json"
  expect_rc 0
  expect_err "warning: 80 images come from 40 lesion_id values"
  expect_err "add --cluster-by lesion_id"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --bootstrap 200 --cluster-by lesion_id \
    --group-by site --min-group-n 5 --out "$WORK/lesion.json"
  expect_rc 0
  expect_out "95% bootstrap CI (200 resamples of 40 lesion_id clusters)"
  expect_err "intervals resample 40 lesion_id clusters (80 images with a value, largest 3)"
  py "
import json
a, b = json.load(open('$WORK/image.json')), json.load(open('$WORK/lesion.json'))
assert a['confidence_intervals']['unit'] == 'image' and a['confidence_intervals']['clusters'] is None
ci = b['confidence_intervals']
assert ci['unit'] == 'lesion_id' and ci['clusters'] == 40 and 'within each true class' in ci['method'], ci
assert a['metrics'] == b['metrics']  # the estimates do not change, only their intervals
w = lambda r, m: r['confidence_intervals'][m][1] - r['confidence_intervals'][m][0]
assert w(b, 'accuracy') > w(a, 'accuracy'), (w(b, 'accuracy'), w(a, 'accuracy'))
assert all('ci' in g for g in b['subgroups'])
"
  # Errors before any work: an unknown column, no bootstrap, DeLong intervals.
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --bootstrap 10 --cluster-by patient_id
  expect_rc 1
  expect_err "--cluster-by patient_id: no item of the dataset has this column (columns: lesion_id, site;"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --cluster-by lesion_id
  expect_rc 1
  expect_err "--cluster-by lesion_id resamples clusters: it needs --bootstrap N"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --cluster-by lesion_id --bootstrap 10 --auc-ci delong
  expect_rc 1
  expect_err "--auc-ci delong cannot be clustered"
  # A model run with an unknown column stops before the model is loaded.
  run "$SKINSCAN" evaluate -m "$WORK/no_model" --labels "$WORK/truth.csv" --images "$WORK" --bootstrap 10 --cluster-by patient
  expect_rc 1
  expect_err "--cluster-by patient: no item"
}

test_evaluate_group_by_skin_tone() {
  # Skin patches of two tones (sRGB picked for ITA about 60 and about 0) with a dark lesion in the middle.
  mkdir -p "$WORK/d/mel" "$WORK/d/nv"
  py "
import numpy as np
from PIL import Image
rng = np.random.default_rng(3)
yy, xx = np.mgrid[0:120, 0:160]
disk = (yy - 60) ** 2 + (xx - 80) ** 2 < 30 ** 2
for i in range(8):
    skin = (235, 200, 185) if i % 2 else (150, 110, 85)
    a = np.empty((120, 160, 3)); a[:] = skin; a[disk] = (40, 25, 20)
    a = np.clip(a + rng.normal(0, 2, a.shape), 0, 255).astype(np.uint8)
    Image.fromarray(a).save('$WORK/d/%s/p%d.png' % ('mel' if i < 4 else 'nv', i))
"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/d" --group-by ita --min-group-n 2 --out "$WORK/r.json" \
    --per-image "$WORK/per.csv"
  expect_rc 0
  expect_out "ita            very_light"
  py "
import csv, json
r = json.load(open('$WORK/r.json'))
groups = {g['group']: g['n'] for g in r['subgroups'] if g['column'] == 'ita'}
assert groups == {'very_light': 4, 'brown': 4}, groups
rows = list(csv.DictReader(open('$WORK/per.csv')))
assert {row['ita_category'] for row in rows} == {'very_light', 'brown'}
for row in rows:
    assert (float(row['ita']) > 55) == (row['ita_category'] == 'very_light'), row
"
  run "$SKINSCAN" batch -m "$TINY7" --skin-tone --format csv "$WORK/d"
  expect_rc 0
  head -1 "$WORK/out" | grep -q ",ita,ita_category,error$" || fail "csv header lacks ita columns"
  run "$SKINSCAN" batch -m "$TINY7" --skin-tone "$WORK/d/mel/p1.png"
  expect_rc 0
  py "
import json
r = json.loads(open('$WORK/out').readline())
assert r['ita']['category'] == 'very_light' and r['ita']['degrees'] > 55, r
"
  # Skin tone is measured on images: not from a predictions file (a joined ita column works).
  "$SKINSCAN" batch -m "$TINY7" --format csv "$WORK/d" >"$WORK/p.csv" 2>/dev/null
  run "$SKINSCAN" evaluate --data "$WORK/d" --predictions "$WORK/p.csv" --group-by ita
  expect_rc 1
  expect_err "--group-by ita measures skin tone on the images: it cannot be used with --predictions"
}


test_evaluate_shift_artefacts_paired_statistics_and_gates() {
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift artefacts --seed 5 --out "$WORK/r.json" \
    --summary-md "$WORK/summary.md"
  expect_rc 0
  expect_out "artefact that moves the malignant probability most: "
  expect_out "top-1 flips and mean change of the malignant probability"
  py "
import json
r = json.load(open('$WORK/r.json'))
names = ['ink', 'hair', 'ruler', 'bubbles', 'patch']
assert list(r['shift']) == names or sorted(r['shift']) == sorted(names), list(r['shift'])
s = r['shift_summary']
biggest = None
for name in names:
    assert s['per_corruption'][name]['artefact'] is True
    for row in r['shift'][name][1:]:
        p = row['paired']
        assert p['n'] == row['n'] == 5, p
        mc = p['malignant_change']
        assert mc['resamples'] == 1000 and mc['ci'][0] <= mc['mean'] <= mc['ci'][1], mc
        assert 0 <= mc['wilcoxon_p'] <= 1 and 0 <= p['top1_flip_rate'] <= 1
        if biggest is None or abs(mc['mean']) > abs(biggest[2]):
            biggest = (name, row['severity'], mc['mean'])
    assert 'paired' not in r['shift'][name][0]
l = s['largest_artefact_malignant_change']
assert (l['corruption'], l['severity'], l['mean_malignant_change']) == biggest, (l, biggest)
assert s['largest_malignant_change'] == l
assert abs(r['metrics']['shift_max_malignant_change'] - abs(biggest[2])) < 1e-15
assert 0 <= r['metrics']['shift_max_top1_flip_rate'] <= 1
"
  grep -q "Artefact that moves the malignant probability most:" "$WORK/summary.md" || fail "summary.md lacks the largest change"
  # A gate on the change; an unknown artefact is refused with the list of names.
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift ink --fail-over shift_max_malignant_change=0
  expect_rc 3
  expect_err "gate failed: shift_max_malignant_change = "
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift ink,tattoo
  expect_rc 1
  expect_err "unknown corruption 'tattoo' (known: all, acquisition, artefacts,"
  # --shift without a list keeps the 11 acquisition changes; all adds the artefacts.
  run "$SKINSCAN" evaluate -m "$TINY7" --data "$WORK/folder" --shift --json
  expect_rc 0
  py "
import json
r = json.loads(open('$WORK/out').read())
assert len(r['shift']) == 11 and 'ink' not in r['shift'], list(r['shift'])
assert 'largest_artefact_malignant_change' not in r['shift_summary']
"
  run "$SKINSCAN" evaluate --help
  expect_out "ink: surgical-marker ink"
  expect_out "--shift artefacts --fail-over shift_max_malignant_change=0.05"
}

"$1"
