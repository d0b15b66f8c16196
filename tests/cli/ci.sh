#!/usr/bin/env bash
# End-to-end test of the CI recipe in docs/ci.md: its commands, run as written there.
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash ci.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

test_ci_recipe_from_docs_runs_as_written() {
  local doc=$SKINSCAN_SOURCE/docs/ci.md
  sed -n '/^# ci-recipe-begin$/,/^# ci-recipe-end$/p' "$doc" | grep -v '^# ci-recipe' >"$WORK/recipe.sh"
  [ -s "$WORK/recipe.sh" ] || fail "docs/ci.md has no recipe between # ci-recipe-begin and # ci-recipe-end"
  # Both jobs carry the recipe's command unchanged (joined lines, indentation aside).
  local command
  command=$(tr -s ' \n' ' ' <"$WORK/recipe.sh")
  "$PYTHON" - "$doc" "$command" <<'PYEOF' || fail "a CI job in docs/ci.md does not run the recipe's command"
import re, sys
doc, command = open(sys.argv[1]).read(), sys.argv[2].strip()
blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
assert len(blocks) == 2, len(blocks)
for b in blocks:
    flat = " ".join(b.split())
    assert " ".join(command.split()) in flat, (command, flat)
PYEOF
  make_imagefolder
  rm "$WORK/folder/nv/broken.jpg"
  mkdir -p "$WORK/job" "$WORK/bin"
  ln -s "$SKINSCAN" "$WORK/bin/skinscan"
  (cd "$WORK/job" && MODEL=$TINY7 DATA=$WORK/folder PATH="$WORK/bin:$PATH" bash "$WORK/recipe.sh") >"$WORK/out" 2>"$WORK/err"
  rc=$?
  # The fixture model is random: its gates fail, which is exit 3 with every artefact written.
  expect_rc 3
  expect_err "skinscan: gate failed: balanced_accuracy = "
  for f in report.json per_image.csv junit.xml summary.md; do
    [ -s "$WORK/job/$f" ] || fail "the recipe did not write $f"
  done
  xmllint --noout --schema "$SKINSCAN_SOURCE/tests/ci/junit.xsd" "$WORK/job/junit.xml" 2>"$WORK/xerr" ||
    { cat "$WORK/xerr" >&2; fail "the recipe's JUnit file does not validate"; }
  grep -qF '| `balanced_accuracy=0.60` | fail_under |' "$WORK/job/summary.md" || fail "summary lacks the gate table"
  py "
import json
r = json.load(open('$WORK/job/report.json'))
assert [g['gate'] for g in r['gates']['results']] == ['balanced_accuracy=0.60', 'ece=0.10']
assert r['gates']['results'][0]['ci'] is not None  # --bootstrap 200
"
}

"$1"
