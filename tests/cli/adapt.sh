#!/usr/bin/env bash
# End-to-end tests of `skinscan adapt` (the statistics themselves: tests/adapt/check_adapt_reference.py).
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash adapt.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_adapt_writes_a_new_model_and_records_failures() {
  make_bn_model "$WORK/m"
  # An OOD flag fitted on the unadapted network: the adapted copy must not keep it.
  py "
import json
m = json.load(open('$WORK/m/manifest.json'))
m['ood'] = {'method': 'energy', 'threshold': -1.0, 'tpr': 0.95}
json.dump(m, open('$WORK/m/manifest.json', 'w'))
"
  mkdir -p "$WORK/clinic/a"
  cp "$GOOD"/plain.png "$GOOD"/baseline.jpg "$GOOD"/grey.png "$GOOD"/cmyk.jpg "$GOOD"/sixteen.png "$WORK/clinic/a/"
  cp "$BAD/empty.jpg" "$WORK/clinic/broken.jpg"
  before=$(sha256sum "$WORK/m/model.pt" "$WORK/m/manifest.json")
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/clinic" --out "$WORK/adapted"
  expect_rc 2
  expect_err "broken.jpg: file is empty"
  expect_err "skinscan: 1 of 1 batch-norm layers re-estimated on 5 images; model bn-tiny 0.1.0+adapted written to"
  [ "$(sha256sum "$WORK/m/model.pt" "$WORK/m/manifest.json")" = "$before" ] || fail "the original model changed"
  ls -d "$WORK"/adapted.partial* 2>/dev/null && fail "staging directory left behind"
  py "
import json
m = json.load(open('$WORK/adapted/manifest.json'))
a = m['adaptation']
assert m['version'] == '0.1.0+adapted' and a['images'] == 5 and a['images_failed'] == 1 and a['layers'] == 1, a
assert a['source'] == '$WORK/clinic' and len(a['image_ids_sha256']) == 64 and a['base_model']['name'] == 'bn-tiny'
assert 'ood' not in m and a['base_calibration_dropped'] == ['ood'], a
"
  run "$SKINSCAN" classify -m "$WORK/adapted" "$GOOD/plain.png"
  expect_rc 0
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/clinic/a" --out "$WORK/adapted"
  expect_rc 1
  expect_err "adapted: exists and is not an empty directory"
}

test_adapt_class_balanced_weighting_is_on_record() {
  make_bn_model "$WORK/m"
  mkdir -p "$WORK/clinic"
  cp "$GOOD"/plain.png "$GOOD"/baseline.jpg "$GOOD"/grey.png "$WORK/clinic/"
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/clinic" --weighting class-balanced --out "$WORK/balanced"
  expect_rc 0
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/clinic" --weighting uniform --out "$WORK/uniform"
  expect_rc 0
  py "
import json
b = json.load(open('$WORK/balanced/manifest.json'))['adaptation']['weighting']
u = json.load(open('$WORK/uniform/manifest.json'))['adaptation']['weighting']
assert b.startswith('class-balanced') and u.startswith('uniform'), (b, u)
"
}

test_adapt_leaves_a_users_partial_directory_alone() {
  # Regression: adapt --out X once began with remove_all("X.partial"), deleting a folder of that name.
  make_bn_model "$WORK/m"
  mkdir -p "$WORK/clinic" "$WORK/new.partial"
  cp "$GOOD"/plain.png "$GOOD"/baseline.jpg "$WORK/clinic/"
  echo "user data" >"$WORK/new.partial/notes.txt"
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/clinic" --out "$WORK/new"
  expect_rc 0
  [ "$(cat "$WORK/new.partial/notes.txt" 2>/dev/null)" = "user data" ] || fail "adapt removed the user's new.partial"
  [ -s "$WORK/new/model.pt" ] && [ -s "$WORK/new/manifest.json" ] || fail "the adapted model was not written"
  ls -d "$WORK"/new.partial-* 2>/dev/null && fail "staging directory left behind"
  return 0
}

test_adapt_refuses_bad_input() {
  make_bn_model "$WORK/m"
  mkdir -p "$WORK/empty"
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/empty" --out "$WORK/x"
  expect_rc 1
  expect_err "empty: no images found to adapt on"
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/nowhere" --out "$WORK/x"
  expect_rc 1
  expect_err "nowhere"
  mkdir -p "$WORK/bad" && cp "$BAD/empty.jpg" "$WORK/bad/a.jpg"
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$WORK/bad" --out "$WORK/x"
  expect_rc 1
  expect_err "no usable images to adapt on"
  run "$SKINSCAN" adapt -m "$TINY7" --images "$GOOD/plain.png" --out "$WORK/x"
  expect_rc 1
  expect_err "has no batch-norm layer with running statistics"
  [ ! -e "$WORK/x" ] || fail "a refused adaptation wrote a model"
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$GOOD/plain.png" --out "$WORK/m"
  expect_rc 1
  expect_err "exists and is not an empty directory"
  run "$SKINSCAN" adapt -m "$WORK/m" --images "$GOOD/plain.png" --weighting balanced --out "$WORK/x"
  expect_rc 1
  expect_err "--weighting: balanced not in {uniform,class-balanced}"
  run "$SKINSCAN" adapt --images "$GOOD/plain.png"
  expect_rc 1
  expect_err "--out is required"
  run "$SKINSCAN" adapt --help
  expect_rc 0
  expect_out "skinscan adapt --images clinic_b/ --out models/skinnet-clinic-b"
}

"$1"
