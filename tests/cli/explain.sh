#!/usr/bin/env bash
# End-to-end tests of `skinscan explain`.
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash explain.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_explain_gradcam_writes_overlays_of_original_size() {
  run "$SKINSCAN" explain -m "$TINY7" --method gradcam --out "$WORK/ex" "$GOOD/plain.png" "$GOOD/exif_rotated.jpg"
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
assert r['saliency']['method'] == 'occlusion-blur', r['saliency']
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

test_explain_faithfulness_report_plot_and_table() {
  # A folder with one bad file: the bad one is recorded, the rest measured, exit 2.
  mkdir -p "$WORK/in"
  cp "$GOOD/plain.png" "$GOOD/exif_rotated.jpg" "$WORK/in/"
  cp "$BAD/truncated.jpg" "$WORK/in/"
  run "$SKINSCAN" explain -m "$TINY2" --faithfulness --steps 5 --out "$WORK/faith.json" "$WORK/in"
  expect_rc 2
  expect_err "truncated.jpg: truncated jpeg"
  expect_out "Faithfulness of occlusion-blur on 2 images (5 steps"
  expect_out "deletion drop at 20%"
  expect_out "- centre"
  py "
import json
from PIL import Image
r = json.load(open('$WORK/faith.json'))
assert r['method'] == 'occlusion-blur' and r['model']['name'] == 'tiny2', r['method']
assert len(r['images']) == 2 and len(r['errors']) == 1 and 'truncated.jpg' in r['errors'][0]['path']
for im in r['images']:
    for kind in ('deletion', 'insertion'):
        for ranking in ('method', 'random', 'centre'):
            c = im[kind][ranking]['probability']
            assert len(c) == 6, c
    # nothing blurred = all revealed = the unmodified image
    assert abs(im['deletion']['method']['probability'][0] - im['probability']) < 1e-5
    assert abs(im['insertion']['random']['probability'][-1] - im['probability']) < 1e-5
s = r['summary']['rankings']['centre']['deletion_area']
assert s['ci95'][0] <= s['mean'] <= s['ci95'][1], s
assert Image.open('$WORK/faith.png').size == (700, 640)
"
  # Same seed and order (the folder is walked sorted), same numbers; --json prints the report.
  run "$SKINSCAN" explain -m "$TINY2" --faithfulness --steps 5 --json "$GOOD/exif_rotated.jpg" "$GOOD/plain.png"
  expect_rc 0
  py "
import json
a, b = json.load(open('$WORK/faith.json')), json.load(open('$WORK/out'))
assert a['summary']['rankings'] == b['summary']['rankings']
"
  run "$SKINSCAN" explain -m "$TINY2" --faithfulness --method gradcampp "$GOOD/plain.png"
  expect_rc 1
  expect_err "exports no features/head methods"
  run "$SKINSCAN" explain -m "$TINY2" --faithfulness "$BAD/truncated.jpg"
  expect_rc 1
  expect_err "no image could be measured"
}

test_real_data_explain_bundled_model_default_method() {
  need_shared
  # The bundled model's default saliency on two val images: occlusion, smooth heatmaps (the
  # 99.9th-percentile step between neighbouring pixels at 224 px, as --faithfulness measures it,
  # at most 16 grey levels), overlays kept as artefacts to look at.
  ids="ISIC_0024308 ISIC_0024334"
  for id in $ids; do cp "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" "$WORK/"; done
  run "$SKINSCAN" explain --json --out "$WORK/ex" "$WORK/ISIC_0024308.jpg" "$WORK/ISIC_0024334.jpg"
  expect_rc 0
  py "
import json
import numpy as np
from PIL import Image
d = json.load(open('$WORK/out'))
assert [r['saliency']['method'] for r in d['results']] == ['occlusion-blur'] * 2, d['results'][0]['saliency']
for id in '$ids'.split():
    heat = np.asarray(Image.open('$WORK/ex/%s_heatmap.png' % id).resize((224, 224), Image.BOX), dtype=int)
    steps = np.concatenate([np.abs(np.diff(heat, axis=0)).ravel(), np.abs(np.diff(heat, axis=1)).ravel()])
    p999 = np.sort(steps)[int((len(steps) - 1) * 0.999)]
    print(id, 'heatmap step p99.9:', p999)
    assert p999 <= 16, (id, p999)
    assert Image.open('$WORK/ex/%s_overlay.png' % id).size == Image.open('$WORK/%s.jpg' % id).size
"
  if [ -n "${SKINSCAN_ARTIFACTS:-}" ]; then
    mkdir -p "$SKINSCAN_ARTIFACTS"
    for id in $ids; do cp "$WORK/ex/${id}_overlay.png" "$SKINSCAN_ARTIFACTS/explain_${id}_overlay.png"; done
  fi
}

test_explain_save_map_writes_float_tiff() {
  run "$SKINSCAN" explain -m "$TINY7" --method gradcampp --save-map --json --out "$WORK/ex" "$GOOD/plain.png"
  expect_rc 0
  py "
import json
import numpy as np
from PIL import Image
d = json.load(open('$WORK/out'))
s = d['results'][0]['saliency']
assert s['method'] == 'grad-cam++', s
m = np.asarray(Image.open(s['map']))
assert m.dtype == np.float32 and m.shape == (32, 32), (m.dtype, m.shape)
assert 0 <= m.min() and abs(m.max() - 1) < 1e-6, (m.min(), m.max())
"
}

"$1"
