# cli/common.sh: what every tests/cli/<subcommand>.sh shares: the fixtures, run/expect helpers and
# a labelled image folder. Sourced after `set -u`; each script ends by running the test named in $1.
# Needs: SKINSCAN (binary), SKINSCAN_FIXTURES (tests/fixtures/make_fixtures.py output), PYTHON; tests on
# real data also need SKINSCAN_SHARED_DATA and exit 77 (skipped, loudly) when it is absent.
# shellcheck source=../lib/e2e_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/e2e_common.sh"
TINY7=$FX/models/tiny7
TINY2=$FX/models/tiny2
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# run CMD...: captures stdout, stderr and the exit code in $WORK/out, $WORK/err, $rc.
run() { "$@" >"$WORK/out" 2>"$WORK/err"; rc=$?; }
expect_rc() { [ "$rc" = "$1" ] || { cat "$WORK/err" >&2; fail "exit code $rc, expected $1"; }; }
expect_out() { grep -qF -- "$1" "$WORK/out" || { cat "$WORK/out" >&2; fail "stdout lacks: $1"; }; }
expect_err() { grep -qF -- "$1" "$WORK/err" || { cat "$WORK/err" >&2; fail "stderr lacks: $1"; }; }

make_imagefolder() {
  mkdir -p "$WORK/folder/mel" "$WORK/folder/nv"
  cp "$GOOD/plain.png" "$GOOD/baseline.jpg" "$GOOD/grey.png" "$WORK/folder/mel/"
  cp "$GOOD/cmyk.jpg" "$GOOD/sixteen.png" "$WORK/folder/nv/"
  cp "$BAD/empty.jpg" "$WORK/folder/nv/broken.jpg"
}

# make_bn_model DIR: a small scripted network with batch norm, and its manifest.
make_bn_model() {
  mkdir -p "$1"
  py "
import json, torch
from torch import nn
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 7))
torch.jit.script(net.eval()).save('$1/model.pt')
json.dump({'schema_version': 1, 'name': 'bn-tiny', 'version': '0.1.0',
           'labels': ['akiec', 'bcc', 'bkl', 'df', 'mel', 'nv', 'vasc'],
           'input': {'width': 32, 'height': 32, 'mean': [0.5] * 3, 'std': [0.25] * 3}}, open('$1/manifest.json', 'w'))
"
}
