#!/usr/bin/env bash
# Sets up (if needed) and runs the whole test suite: unit, CLI end-to-end, metric and script
# tests (ctest); then the same suite built with AddressSanitizer + UBSan; then a short fuzz run.
#   SKINSCAN_SANITIZE=0 skips the sanitizer stage; SKINSCAN_FUZZ_SECONDS=0 skips fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh -DSKINSCAN_WERROR=ON
ctest --test-dir build --output-on-failure -j2 "$@"

if [ "${SKINSCAN_SANITIZE:-1}" != 0 ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSKINSCAN_SANITIZE=ON -DSKINSCAN_WERROR=ON >/dev/null
  cmake --build build-asan
  # The reference cross-checks (Python/R against the same binary) and the Slurm cluster test
  # already ran above; under the sanitizers they would only repeat them at a tenth of the speed.
  # The serve load test measures nothing there that the bad-input tests do not already cover, and
  # the saliency faithfulness test is the bundled model's forward passes, which are not instrumented.
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir build-asan --output-on-failure -j2 -LE "reference|cluster|load|model_compute" "$@"
fi

seconds=${SKINSCAN_FUZZ_SECONDS:-20}
if [ "$seconds" != 0 ]; then
  echo "== fuzzing, ${seconds}s per target"
  scripts/fuzz.sh "$seconds"
fi
