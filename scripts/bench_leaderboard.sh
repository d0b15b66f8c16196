#!/usr/bin/env bash
# Benchmark (not a test): `evaluate -m A -m B -m C` (one read and decode of each image for every
# model) against the same models evaluated one after another, on the same images in one run,
# alternating, median of REPEATS. Models default to the bundled one three times (its copies share
# preprocessing, as checkpoints of one recipe do).
#   scripts/bench_leaderboard.sh [--split LIST] [--repeats N] [MODEL_DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."
split=datasets/splits/val.txt
repeats=3
models=()
while [ $# -gt 0 ]; do
  case $1 in
    --split) split=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(models/ham10000-skinnet models/ham10000-skinnet models/ham10000-skinnet)
scripts/setup.sh >&2  # installs what is missing; rebuilds only what changed
data=${SKINSCAN_DATA:-../shared/datasets/ham10000}
bin=build/cli/skinscan
model_args=()
for m in "${models[@]}"; do model_args+=(-m "$m"); done
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -n 1; }
one_pass=() separate=()
for _ in $(seq "$repeats"); do
  one_pass+=("$(seconds "$bin" evaluate -q --data "$data" --split "$split" "${model_args[@]}")")
  total=0
  for m in "${models[@]}"; do
    t=$(seconds "$bin" evaluate -q --data "$data" --split "$split" -m "$m")
    total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
  done
  separate+=("$total")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
a=$(median "${one_pass[@]}") b=$(median "${separate[@]}")
cat <<TABLE
machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1); split $split; ${#models[@]} models; median of $repeats

| run | seconds | |
|---|---|---|
| evaluate -m x${#models[@]}, one pass | $a | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx faster", b / a }') |
| ${#models[@]} separate evaluate runs | $b | 1 |
TABLE
