#!/usr/bin/env bash
# End-to-end tests of the skinscan binary. Each test_* function is one ctest (see ../CMakeLists.txt).
# Needs: SKINSCAN (binary), SKINSCAN_FIXTURES (tests/fixtures/make_fixtures.py output), PYTHON; tests on
# real data also need SKINSCAN_SHARED_DATA and exit 77 (skipped, loudly) when it is absent.
set -u
# shellcheck source=../lib/e2e_common.sh
. "$(dirname "$0")/../lib/e2e_common.sh"
TINY7=$FX/models/tiny7
TINY2=$FX/models/tiny2
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# run CMD...: captures stdout, stderr and the exit code in $WORK/out, $WORK/err, $rc.
run() { "$@" >"$WORK/out" 2>"$WORK/err"; rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || { cat "$WORK/err" >&2; fail "exit code $rc, expected $1"; }; }
expect_out() { grep -qF -- "$1" "$WORK/out" || { cat "$WORK/out" >&2; fail "stdout lacks: $1"; }; }
expect_err() { grep -qF -- "$1" "$WORK/err" || { cat "$WORK/err" >&2; fail "stderr lacks: $1"; }; }

test_version() {
  run "$SKINSCAN" --version
  expect_rc 0
  expect_out "skinscan "
  expect_out "LibTorch 1."
  expect_out "OpenCV 4."
}

test_help_documents_exit_codes_and_examples() {
  for sub in classify batch evaluate calibrate explain compare; do
    run "$SKINSCAN" $sub --help
    expect_rc 0
    expect_out "Examples:"
    expect_out "Exit codes: 0 all ok; 1 usage, model, data file or output error; 2 some items failed"
    [ $sub = compare ] && continue  # compares two reports: runs no model
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

test_classify_text() {
  run "$SKINSCAN" classify -m "$TINY7" "$GOOD/plain.png" "$GOOD/baseline.jpg"
  expect_rc 0
  expect_out "$GOOD/plain.png"
  expect_out "  1. "
  expect_out "  3. "
  expect_out "malignant (akiec, bcc, mel):"
  expect_out "this is not a diagnosis"
  [ "$(grep -c '^  [0-9]\. ' "$WORK/out")" = 6 ] || fail "expected 3 ranked lines per image"
}

test_classify_json() {
  run "$SKINSCAN" classify --json --top-k 7 -m "$TINY7" "$GOOD/plain.png" "$GOOD/sixteen.png"
  expect_rc 0
  py "
import json, math
d = json.load(open('$WORK/out'))
assert d['model']['name'] == 'tiny7', d['model']
assert len(d['results']) == 2
for r in d['results']:
    assert len(r['top_k']) == 7 and len(r['probabilities']) == 7
    assert abs(sum(r['probabilities'].values()) - 1) < 1e-5
    assert r['timing_ms']['decode'] >= 0
assert 'not a diagnosis' in d['disclaimer']
"
}

test_classify_two_class_model() {
  run "$SKINSCAN" classify --json -m "$TINY2" "$GOOD/cmyk.jpg"
  expect_rc 0
  py "
import json
r = json.load(open('$WORK/out'))['results'][0]
assert set(r['probabilities']) == {'benign', 'malignant'}, r
assert abs(r['malignant_probability'] - r['probabilities']['malignant']) < 1e-6
"
}

test_classify_every_good_format() {
  for f in "$GOOD"/*; do
    run "$SKINSCAN" classify -m "$TINY7" "$f"
    expect_rc 0
  done
}

test_classify_bad_inputs_name_file_and_reason() {
  check_bad() {
    run "$SKINSCAN" classify -m "$TINY7" "$BAD/$1"
    expect_rc 2
    expect_err "skinscan: error: $BAD/$1: $2"
  }
  check_bad empty.jpg "file is empty"
  check_bad truncated.jpg "truncated jpeg (no end-of-image marker)"
  check_bad text.jpg "not a supported image"
  check_bad bomb.png "dimensions 100000x100000 exceed the 8192x8192 limit"
  check_bad huge_header.jpg "dimensions 60000x60000 exceed the 8192x8192 limit"
  check_bad corrupt_body.png "corrupt png data"
  check_bad missing.jpg "no such file or directory"
  run "$SKINSCAN" classify -m "$TINY7" --max-file-mb 0.0001 "$GOOD/plain.png"
  expect_rc 2
  expect_err "byte limit"
  # one bad among good ones: the good ones are still classified
  run "$SKINSCAN" classify -m "$TINY7" "$GOOD/plain.png" "$BAD/empty.jpg"
  expect_rc 2
  expect_out "$GOOD/plain.png"
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
  local images=$SKINSCAN_SHARED_DATA/HAM10000_images
  ls "$images" | head -300 | sed "s|^|$images/|" >"$WORK/list"
  "$SKINSCAN" batch --format isic - <"$WORK/list" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 0
  py "
import csv
rows = list(csv.DictReader(open('$WORK/out')))
assert len(rows) == 300, len(rows)
for r in rows:
    s = sum(float(r[c]) for c in ['MEL','NV','BCC','AKIEC','BKL','DF','VASC'])
    assert abs(s - 1) < 1e-5, (r['image'], s)
    assert r['image'].startswith('ISIC_') and not r['image'].endswith('.jpg')
"
}

test_real_data_default_model_is_plausible() {
  need_shared
  # 150 held-out test-split images: the bundled model must do far better than chance.
  head -n 4000 "$SKINSCAN_SOURCE/datasets/splits/test.txt" | while read -r id; do
    f=$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg
    [ -f "$f" ] && echo "$f"
  done | head -150 >"$WORK/list"
  "$SKINSCAN" batch --format csv - <"$WORK/list" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 0
  py "
import csv
dx = {r['image_id']: r['dx'] for r in csv.DictReader(open('$SKINSCAN_SHARED_DATA/HAM10000_metadata.csv'))}
rows = list(csv.DictReader(open('$WORK/out')))
acc = sum(dx[r['id']] == r['label'] for r in rows) / len(rows)
print('accuracy on 150 test images:', acc)
assert len(rows) == 150 and acc > 0.7, acc
"
}

make_imagefolder() {
  mkdir -p "$WORK/folder/mel" "$WORK/folder/nv"
  cp "$GOOD/plain.png" "$GOOD/baseline.jpg" "$GOOD/grey.png" "$WORK/folder/mel/"
  cp "$GOOD/cmyk.jpg" "$GOOD/sixteen.png" "$WORK/folder/nv/"
  cp "$BAD/empty.jpg" "$WORK/folder/nv/broken.jpg"
}

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

test_real_data_evaluate_test_split() {
  need_shared
  run "$SKINSCAN" evaluate --data "$SKINSCAN_SHARED_DATA" --split "$SKINSCAN_SOURCE/datasets/splits/test.txt" --json
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
}

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

test_explain_gradcam_writes_overlays_of_original_size() {
  run "$SKINSCAN" explain -m "$TINY7" --out "$WORK/ex" "$GOOD/plain.png" "$GOOD/exif_rotated.jpg"
  expect_rc 0
  expect_out "Differential:"
  expect_out "Risk: "
  expect_out "Next step: "
  expect_out "grad-cam"
  expect_out "not a diagnosis"
  py "
from PIL import Image
for name, size in [('plain', (120, 90)), ('exif_rotated', (90, 120))]:
    for kind in ('overlay', 'heatmap'):
        im = Image.open('$WORK/ex/%s_%s.png' % (name, kind))
        assert im.size == size, (name, kind, im.size)
"
}

test_explain_occlusion_for_models_without_methods() {
  run "$SKINSCAN" explain -m "$TINY2" --json --out "$WORK/ex" "$GOOD/plain.png"
  expect_rc 0
  py "
import json
d = json.load(open('$WORK/out'))
r = d['results'][0]
assert r['saliency']['method'] == 'occlusion', r['saliency']
assert r['risk']['level'] in ('low', 'moderate', 'high')
assert 'rule' in r['risk'] and 'rule' in r['uncertainty']
assert {q['check'] for q in r['quality']} == {'blur', 'exposure', 'size'}
assert d['sources'] and 'not a diagnosis' in d['disclaimer']
"
  run "$SKINSCAN" explain -m "$TINY2" --method gradcam "$GOOD/plain.png"
  expect_rc 1
  expect_err "exports no features/head methods: use --method occlusion"
  run "$SKINSCAN" explain -m "$TINY7" --class nope "$GOOD/plain.png"
  expect_rc 1
  expect_err "class 'nope': model 'tiny7' has labels akiec, bcc"
}

test_explain_bad_input_like_classify() {
  run "$SKINSCAN" explain -m "$TINY7" "$BAD/truncated.jpg" "$GOOD/plain.png"
  expect_rc 2
  expect_err "skinscan: error: $BAD/truncated.jpg: truncated jpeg (no end-of-image marker)"
  expect_out "$GOOD/plain.png"
}

test_classify_quality_flags_small_images() {
  run "$SKINSCAN" classify --quality -m "$TINY7" "$GOOD/one_pixel.png"
  expect_rc 0
  expect_out "quality size     image is small (1x1"
  run "$SKINSCAN" classify --quality --json -m "$TINY7" "$GOOD/plain.png"
  expect_rc 0
  expect_out '"check": "blur"'
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

test_interrupt_keeps_results_and_resume_finishes() {
  mkdir -p "$WORK/many"
  for i in $(seq 1 400); do ln -s "$GOOD/baseline.jpg" "$WORK/many/img_$i.jpg"; done
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
  [ "$kept" -ge 20 ] && [ "$kept" -lt 400 ] || fail "expected a partial result, got $kept lines"
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
assert len(paths) == 400 and len(set(paths)) == 400, (len(paths), len(set(paths)))
"
  run "$SKINSCAN" batch --resume "$WORK/many"
  expect_rc 1
  expect_err "--resume needs --out FILE and --format jsonl"
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
  run "$SKINSCAN_SOURCE/scripts/fetch_ham10000.sh" --layout-only "$dl" "$WORK/data"
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
  run "$SKINSCAN_SOURCE/scripts/fetch_ham10000.sh" --layout-only "$dl" "$WORK/data2"
  expect_rc 1
  expect_err "HAM10000_images_part_2.zip: MD5 mismatch"
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
  expect_err "--group-by colour: no scored item has this column"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --pick-threshold sens=2
  expect_rc 1
  expect_err "threshold rule 'sens=2': the level must be a number in (0, 1]"
  run "$SKINSCAN" evaluate --labels "$WORK/truth.csv" --predictions "$WORK/p.csv" --thresholds "$WORK/truth.csv"
  expect_rc 1
  expect_err "$WORK/truth.csv: invalid JSON"
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

test_real_data_research_report_golden() {
  need_shared
  # The bundled model runs once, through batch; both reports below score its predictions (evaluate's
  # model path over the same images is test_real_data_evaluate_test_split's).
  while read -r id; do
    [ -f "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" ] && echo "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg"
  done <"$SKINSCAN_SOURCE/datasets/splits/test.txt" >"$WORK/test_images"
  "$SKINSCAN" batch --format isic --quiet --out "$WORK/predictions.csv" - <"$WORK/test_images" || fail "batch over the test images"
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


test_slurm_cluster_sharded_batch_merge_and_resume() {
  need_shared
  local images=$WORK/images
  # The daemons' folder must be reachable by the munge user ($WORK is private to root).
  dir=$(mktemp -d /tmp/skinscan-slurm.XXXXXX) && chmod 755 "$dir"
  trap '"$SKINSCAN_SOURCE/tests/slurm/cluster.sh" stop "$dir"; rm -rf "$WORK" "$dir"' EXIT
  start=$("$SKINSCAN_SOURCE/tests/slurm/cluster.sh" start "$dir") || { rc=$?; [ $rc = 77 ] && exit 77; fail "cluster did not start"; }
  eval "$start"
  # The shared images of the val split (897).
  mkdir -p "$images"
  while read -r id; do
    [ -f "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" ] && ln -s "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" "$images/$id.jpg"
  done <"$SKINSCAN_SOURCE/datasets/splits/val.txt"
  export SKINSCAN
  run timeout 600 sbatch --wait --array=0-3 --cpus-per-task=1 --output="$WORK/shard-%a.log" \
    "$SKINSCAN_SOURCE/scripts/slurm/array.sbatch" "$WORK/shards" "$images"
  [ "$rc" = 0 ] || { cat "$WORK"/shard-*.log "$dir"/slurmd.log >&2; fail "array job failed ($rc)"; }
  "$SKINSCAN" batch --threads 2 --quiet --out "$WORK/whole.jsonl" "$images" || fail "unsharded run"
  run "$SKINSCAN" merge "$WORK/merged.jsonl" "$WORK"/shards/shard-*.jsonl
  expect_rc 0
  expect_err "merged 4 shards, 897 records"
  compare_runs() {
    py "
import json
a = {r['id']: r for r in map(json.loads, open('$1'))}
b = [json.loads(l) for l in open('$2')]
assert [r['id'] for r in b] == sorted(a), 'merged output is not the same ids, sorted'
for r in b:
    for k, v in r['probabilities'].items():
        assert abs(v - a[r['id']]['probabilities'][k]) <= 1e-6, (r['id'], k)
"
  }
  compare_runs "$WORK/whole.jsonl" "$WORK/merged.jsonl"
  # Kill shard 2 mid-run, then resubmit it: merge refuses until it has finished.
  rm "$WORK"/shards/shard-2.jsonl*
  job=$(SKINSCAN_SHARD=2/4 sbatch --parsable --cpus-per-task=1 --output="$WORK/slow.log" \
    "$SKINSCAN_SOURCE/scripts/slurm/array.sbatch" "$WORK/shards" "$images" --batch-size 1)
  for _ in $(seq 300); do
    [ "$(wc -l <"$WORK/shards/shard-2.jsonl.partial" 2>/dev/null || echo 0)" -ge 20 ] && break
    sleep 0.1
  done
  scancel "$job"
  for _ in $(seq 100); do squeue -h -j "$job" 2>/dev/null | grep -q . || break; sleep 0.2; done
  kept=$(wc -l <"$WORK/shards/shard-2.jsonl.partial")
  [ "$kept" -ge 20 ] && [ ! -f "$WORK/shards/shard-2.jsonl" ] || fail "the killed shard should have left a .partial with records"
  run "$SKINSCAN" merge "$WORK/merged2.jsonl" "$WORK"/shards/shard-*.jsonl "$WORK/shards/shard-2.jsonl"
  expect_rc 1
  expect_err "shard-2.jsonl: shard did not finish (only"
  [ ! -e "$WORK/merged2.jsonl" ] || fail "merge wrote output despite a missing shard"
  run timeout 300 env SKINSCAN_SHARD=2/4 sbatch --wait --cpus-per-task=1 --output="$WORK/resume.log" \
    "$SKINSCAN_SOURCE/scripts/slurm/array.sbatch" "$WORK/shards" "$images"
  expect_rc 0
  run "$SKINSCAN" merge "$WORK/merged2.jsonl" "$WORK"/shards/shard-*.jsonl
  expect_rc 0
  compare_runs "$WORK/whole.jsonl" "$WORK/merged2.jsonl"
  # The gather job scores the merged run and gates it.
  run timeout 300 sbatch --wait --output="$WORK/gather.log" "$SKINSCAN_SOURCE/scripts/slurm/gather.sbatch" \
    "$WORK/shards" "$SKINSCAN_SHARED_DATA" --fail-under accuracy=0.99
  [ "$rc" != 0 ] || fail "the gather job should fail its accuracy gate"
  grep -q "gate failed: accuracy" "$WORK/gather.log" || fail "gather log lacks the failed gate"
  [ -f "$WORK/shards/report.json" ] || fail "gather wrote no report"
}

test_merge_refuses_mixed_or_incomplete_shards() {
  mkdir -p "$WORK/in" && cp "$GOOD"/plain.png "$GOOD"/baseline.jpg "$GOOD"/grey.png "$GOOD"/cmyk.jpg "$GOOD"/sixteen.png "$WORK/in/"
  for i in 0 1; do "$SKINSCAN" batch -m "$TINY7" --shard $i/2 --out "$WORK/s$i.jsonl" -q "$WORK/in" || fail "shard $i"; done
  "$SKINSCAN" batch -m "$TINY2" --shard 1/2 --out "$WORK/other.jsonl" -q "$WORK/in" || fail "other model"
  "$SKINSCAN" batch -m "$TINY7" --shard 1/2 --out "$WORK/fewer.jsonl" -q "$GOOD/plain.png" || fail "other inputs"
  run "$SKINSCAN" merge "$WORK/m.jsonl" "$WORK/s0.jsonl" "$WORK/s1.jsonl"
  expect_rc 0
  [ "$(wc -l <"$WORK/m.jsonl")" = 5 ] || fail "merged record count"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/other.jsonl"
  expect_rc 1
  expect_err "other.jsonl: made with model \"tiny2\""
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/fewer.jsonl"
  expect_rc 1
  expect_err "fewer.jsonl: made from a different input list than"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl"
  expect_rc 1
  expect_err "merge: shard 1 of 2 missing"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/s0.jsonl" "$WORK/s1.jsonl"
  expect_rc 1
  expect_err "shard 0/2 given twice"
  head -c -3 "$WORK/s1.jsonl" >"$WORK/cut.jsonl" && cp "$WORK/s1.jsonl.shard.json" "$WORK/cut.jsonl.shard.json"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/cut.jsonl"
  expect_rc 1
  expect_err "cut.jsonl: last line is incomplete"
  [ ! -e "$WORK/x.jsonl" ] || fail "merge wrote output for bad shards"
  run "$SKINSCAN" batch -m "$TINY7" --shard 2/2 --out "$WORK/z.jsonl" "$WORK/in"
  expect_rc 1
  expect_err "--shard 2/2: I must be below N"
  run "$SKINSCAN" batch -m "$TINY7" --shard 0/0 --out "$WORK/z.jsonl" "$WORK/in"
  expect_rc 1
  expect_err "--shard 0/0: N must be at least 1"
  run env -u SLURM_ARRAY_TASK_ID "$SKINSCAN" batch -m "$TINY7" --shard slurm --out "$WORK/z.jsonl" "$WORK/in"
  expect_rc 1
  expect_err "SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT must be set"
  run "$SKINSCAN" batch -m "$TINY7" --shard 0/2 "$WORK/in"
  expect_rc 1
  expect_err "--shard needs --out FILE"
  # CSV shards merge too; evaluate scores a merged JSONL run.
  for i in 0 1; do "$SKINSCAN" batch -m "$TINY7" --format csv --shard $i/2 --out "$WORK/c$i.csv" -q "$WORK/in" || fail csv; done
  run "$SKINSCAN" merge "$WORK/c.csv" "$WORK/c0.csv" "$WORK/c1.csv"
  expect_rc 0
  [ "$(wc -l <"$WORK/c.csv")" = 6 ] && head -n 1 "$WORK/c.csv" | grep -q '^path,id,label' || fail "merged csv"
}

"$1"
