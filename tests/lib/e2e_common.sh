# e2e_common.sh: what the end-to-end test scripts (cli/, serve/) share. Source it after `set -u`;
# the sourcing script defines fail() (each adds its own context to a failure).
: "${SKINSCAN:?}" "${SKINSCAN_FIXTURES:?}" "${PYTHON:=/usr/bin/python3}"
FX=$SKINSCAN_FIXTURES
GOOD=$FX/images/good
BAD=$FX/images/bad
WORK=$(mktemp -d)

# py CODE: a Python check; a failed assertion fails the test.
py() { "$PYTHON" -c "$@" || fail "python check failed"; }
# need_shared: tests on the real HAM10000 data skip (exit 77, loudly) when it is absent.
need_shared() {
  if [ ! -f "${SKINSCAN_SHARED_DATA:-/nonexistent}/HAM10000_metadata.csv" ]; then
    echo "SKIPPED: shared HAM10000 data not found at ${SKINSCAN_SHARED_DATA:-unset}" >&2
    exit 77
  fi
}
