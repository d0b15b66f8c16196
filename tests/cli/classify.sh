#!/usr/bin/env bash
# End-to-end tests of `skinscan classify`.
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash classify.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

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
  # One run over every file (exit 0 only when each was classified; a failure is named on stderr),
  # rather than one start-up of the binary per file.
  run "$SKINSCAN" classify -m "$TINY7" "$GOOD"/*
  expect_rc 0
  for f in "$GOOD"/*; do
    grep -qxF -- "$f" "$WORK/out" || { cat "$WORK/out" >&2; fail "no result for $f"; }
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

test_classify_quality_flags_small_images() {
  run "$SKINSCAN" classify --quality -m "$TINY7" "$GOOD/one_pixel.png"
  expect_rc 0
  expect_out "quality size     image is small (1x1"
  run "$SKINSCAN" classify --quality --json -m "$TINY7" "$GOOD/plain.png"
  expect_rc 0
  expect_out '"check": "blur"'
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

test_classify_few_images_start_without_the_optimisation() {
  # Up to 8 named images: the quick startup (docs/performance.md); more, or stdin: optimised.
  local eight nine
  eight=$(find "$GOOD" -type f | sort | head -n 8)
  nine=$(find "$GOOD" -type f | sort | head -n 9)
  # shellcheck disable=SC2086
  run "$SKINSCAN" classify --json --profile -m "$TINY7" $eight
  expect_rc 0
  expect_err "model read"
  expect_err "not optimised"
  cp "$WORK/out" "$WORK/quick.json"
  # shellcheck disable=SC2086
  run "$SKINSCAN" classify --json --profile -m "$TINY7" $nine
  expect_rc 0
  grep -q "not optimised" "$WORK/err" && fail "9 images must take the optimised startup"
  expect_err ", optimise "
  py "
import json
quick = json.load(open('$WORK/quick.json'))['results']
full = json.load(open('$WORK/out'))['results'][:8]
assert [r['path'] for r in quick] == [r['path'] for r in full]
for a, b in zip(quick, full):
    for label, p in a['probabilities'].items():
        assert abs(p - b['probabilities'][label]) <= 1e-5, (a['path'], label, p, b['probabilities'][label])
"
  find "$GOOD" -type f | sort | head -n 2 | "$SKINSCAN" classify --profile -m "$TINY7" - >/dev/null 2>"$WORK/err"
  expect_err ", optimise "
}

test_classify_warns_once_when_the_model_cannot_be_optimised() {
  # A model that freezing rejects still classifies, unoptimised, with one warning line on stderr
  # naming the file and the reason; stdout is the same as the quick startup's.
  local nine model=$FX/models/unfreezable
  nine=$(find "$GOOD" -type f | sort | head -n 9)
  # shellcheck disable=SC2086
  run "$SKINSCAN" classify --json -m "$model" $nine
  expect_rc 0
  expect_err "skinscan: warning: $model/model.pt: the inference optimisation failed, running the unoptimised model (slower): "
  [ "$(grep -c . "$WORK/err")" = 1 ] || { cat "$WORK/err" >&2; fail "expected exactly one stderr line"; }
  cp "$WORK/out" "$WORK/fallback.json"
  run "$SKINSCAN" classify --json -m "$model" "$(find "$GOOD" -type f | sort | head -n 1)"
  expect_rc 0
  [ -s "$WORK/err" ] && { cat "$WORK/err" >&2; fail "the quick startup does not optimise, so nothing to warn about"; }
  py "
import json
quick = json.load(open('$WORK/out'))['results'][0]
full = json.load(open('$WORK/fallback.json'))['results'][0]
assert quick['path'] == full['path']
for label, p in quick['probabilities'].items():
    assert abs(p - full['probabilities'][label]) <= 1e-6, (label, p, full['probabilities'][label])
"
}

"$1"
