#!/usr/bin/env bash
# End-to-end tests of `skinscan explain`.
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash explain.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

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

"$1"
