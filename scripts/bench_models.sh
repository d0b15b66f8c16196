#!/usr/bin/env bash
# Benchmark (not a test): `skinscan batch` speed of one model relative to another, start-up
# included, on full-size 600x450 JPEGs (HAM10000 images upscaled), both models in the same run,
# alternating, best of 3 wall times each. Prints a table; the ratio is what to quote.
#   scripts/bench_models.sh MODEL_DIR REFERENCE_DIR     (N=128 images; SKINSCAN_DATA for another copy)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 2 ] || { echo "usage: scripts/bench_models.sh MODEL_DIR REFERENCE_DIR" >&2; exit 1; }
model=$1 reference=$2
scripts/setup.sh >/dev/null  # installs what is missing; rebuilds only what changed
py=${PYTHON:-/usr/bin/python3}
bin=build/cli/skinscan
data=${SKINSCAN_DATA:-../shared/datasets/ham10000}
n=${N:-128}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$data/HAM10000_images" -name "*.jpg" | sort >"$work/all"
head -n "$n" "$work/all" >"$work/list"
$py scripts/bench_reference.py make-large --list "$work/list" --count "$n" --out "$work/large"
find "$work/large" -name '*.jpg' | sort >"$work/large_list"
cat $(cat "$work/large_list") >/dev/null  # page cache warm for both alike

wall() {  # wall seconds of one batch run over the full-size images
  /usr/bin/time -f %e "$bin" batch --quiet -m "$1" --threads "$(nproc)" --out "$work/out.jsonl" - \
    <"$work/large_list" 2>&1 >/dev/null | tail -n 1
}
best_a=999999 best_b=999999
for _ in 1 2 3; do
  a=$(wall "$model") b=$(wall "$reference")
  best_a=$(awk -v x="$a" -v y="$best_a" 'BEGIN { print (x < y) ? x : y }')
  best_b=$(awk -v x="$b" -v y="$best_b" 'BEGIN { print (x < y) ? x : y }')
done
name() { $py -c 'import json, sys; m = json.load(open(sys.argv[1] + "/manifest.json")); print(m["name"], m["version"])' "$1"; }
cat <<TABLE
machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1); $n JPEGs at 600x450, start-up included, best of 3

| model | seconds | images/s | speed relative to reference |
|---|---|---|---|
| $(name "$model") | $best_a | $(awk -v s="$best_a" -v n="$n" 'BEGIN { printf "%.1f", n / s }') | $(awk -v a="$best_a" -v b="$best_b" 'BEGIN { printf "%.2fx", b / a }') |
| $(name "$reference") (reference) | $best_b | $(awk -v s="$best_b" -v n="$n" 'BEGIN { printf "%.1f", n / s }') | 1 |
TABLE
