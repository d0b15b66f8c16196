#!/usr/bin/env bash
# Sets up (if needed) and runs the whole test suite, then prints how long each stage took:
#   1. Release build (-Werror) and every test: unit, CLI end-to-end, serve, metric cross-checks
#      (Python/R), the Slurm cluster, training scripts (ctest);
#   2. one clang build with AddressSanitizer + UBSan that also holds the libFuzzer targets (compiled
#      at low priority while stage 1's tests run), and the tests that exercise skinscan's native
#      code under it;
#   3. a short fuzz run of those targets.
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
  # A failed stage leaves no compiler behind.
  [ -z "${asan_build:-}" ] || kill "$asan_build" 2>/dev/null || true
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
asan_build=""
if [ "${SKINSCAN_SANITIZE:-1}" != 0 ]; then
  # clang, so that the libFuzzer targets (SKINSCAN_FUZZ) come from the same sanitized build. It
  # compiles during the Release tests at the lowest CPU priority: the tests wait on servers,
  # sockets and the cluster much of the time, and the compiler takes only what they leave.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
    -DSKINSCAN_SANITIZE=ON -DSKINSCAN_FUZZ=ON -DSKINSCAN_WERROR=ON >/dev/null
  # ninja itself (not through cmake --build), so that stopping it stops its compilers; in this
  # session, not a new one (a new session is a scheduler autogroup of its own, which gets an equal
  # share of the CPU whatever its nice value).
  nice -n 19 ninja -C build-asan -j 2 >build-asan/build.log 2>&1 &
  asan_build=$!
fi
stage "Release tests (ctest), ASan build alongside at nice 19"
ctest --test-dir build --output-on-failure -j2 "$@"

if [ -n "$asan_build" ]; then
  stage "rest of the ASan + UBSan build (build-asan/)"
  wait "$asan_build" || { cat build-asan/build.log; echo "test.sh: the ASan + UBSan build failed" >&2; exit 1; }
  stage "ASan + UBSan tests"
  # Every test but those whose work is not skinscan's native code (labels in tests/CMakeLists.txt):
  # the Python/R reference checks (reference), the training scripts (script), the Slurm cluster
  # (cluster), the load test (load), and the bundled model's forward passes over hundreds of images
  # (model_compute: LibTorch is not instrumented, and the same code paths run here on fixtures).
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir build-asan --output-on-failure -j2 -LE "reference|script|cluster|load|model_compute" "$@"

  seconds=${SKINSCAN_FUZZ_SECONDS:-10}
  if [ "$seconds" != 0 ]; then
    stage "fuzzing, ${seconds}s per target"
    SKINSCAN_FUZZ_BUILD=build-asan scripts/fuzz.sh "$seconds"
  fi
fi
