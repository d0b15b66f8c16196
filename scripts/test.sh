#!/usr/bin/env bash
# Sets up (if needed) and runs the whole test suite: unit, CLI end-to-end, script smoke tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j2 "$@"
