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

"$1"
