#!/usr/bin/env bash
# Sets up (if needed) and runs the whole test suite, then prints how long each stage took:
#   1. Release build (-Werror) and every test: unit, CLI end-to-end, serve, metric cross-checks
#      (Python/R), the Slurm cluster, training scripts (ctest);
#   2. one clang build with AddressSanitizer + UBSan that also holds the libFuzzer targets, and the
#      tests that exercise skinscan's native code under it;
#   3. a short fuzz run of those targets.
#   The stages run one after another: the tests keep both cores busy (ctest -j2), and a build
#   compiling beside them at nice 19 made them twice as slow and itself no faster.
#   SKINSCAN_SANITIZE=0 skips stage 2 (and fuzzing, which needs its build);
#   SKINSCAN_FUZZ_SECONDS=0 skips fuzzing. Extra arguments go to both ctest runs.
set -euo pipefail
cd "$(dirname "$0")/.."

stages=()
started=$(date +%s)
stage_start=$started
# stage NAME: closes the stage that was running (timing it) and opens NAME.
stage() {
  local now
  now=$(date +%s)
  [ -n "${current:-}" ] && stages+=("$current|$((now - stage_start))")
  current=$1
  stage_start=$now
  [ "$1" = end ] || echo "== $1"
}
report() {
  local status=$?
  stage end
  echo
  printf '%-52s %8s\n' "stage" "seconds"
  for s in "${stages[@]}"; do printf '%-52s %8s\n' "${s%%|*}" "${s##*|}"; done
  printf '%-52s %8s\n' "total" "$(($(date +%s) - started))"
  [ "$status" = 0 ] || echo "test.sh: FAILED (exit $status)"
}
trap report EXIT

stage "setup and Release build (build/)"
scripts/setup.sh -DSKINSCAN_WERROR=ON
stage "Release tests (ctest)"
ctest --test-dir build --output-on-failure -j2 "$@"

if [ "${SKINSCAN_SANITIZE:-1}" != 0 ]; then
  stage "ASan + UBSan build (build-asan/)"
  # clang, so that the libFuzzer targets (SKINSCAN_FUZZ) come from the same sanitized build.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DSKINSCAN_SANITIZE=ON -DSKINSCAN_FUZZ=ON -DSKINSCAN_WERROR=ON >/dev/null
  cmake --build build-asan
  stage "ASan + UBSan tests"
  # Every test but those whose work is not skinscan's native code (labels in tests/CMakeLists.txt):
  # the Python/R reference checks (reference), the training scripts (script), the Slurm cluster
  # (cluster), the load test (load), and the bundled model's forward passes over hundreds of images
  # (model_compute: LibTorch is not instrumented, and the same code paths run here on fixtures),
  # and a model that LibTorch itself leaks on load (torch_leak: its interface-typed submodule).
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir build-asan --output-on-failure -j2 -LE "reference|script|cluster|load|model_compute|torch_leak" "$@"

  seconds=${SKINSCAN_FUZZ_SECONDS:-10}
  if [ "$seconds" != 0 ]; then
    stage "fuzzing, ${seconds}s per target"
    SKINSCAN_FUZZ_BUILD=build-asan scripts/fuzz.sh "$seconds"
  fi
fi
