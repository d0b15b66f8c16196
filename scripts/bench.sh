#!/usr/bin/env bash
# Benchmark (not a test): skinscan against a Python reference and the model's forward ceiling,
# on the same TorchScript model and machine, in one run. Prints a table of ratios.
#   scripts/bench.sh            (N=2000 images; SKINSCAN_DATA to point at another HAM10000 copy)
# Or: `skinscan batch` speed of one model relative to another, start-up included, on full-size
# 600x450 JPEGs (HAM10000 images upscaled), both models in the same run, alternating, best of 3
# wall times each; the ratio is what to quote:
#   scripts/bench.sh --compare MODEL_DIR REFERENCE_DIR     (N=128 images)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2  # installs what is missing; rebuilds only what changed

compare_models() {
model=$1 reference=$2
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
}
if [ "${1:-}" = --compare ]; then
  [ $# = 3 ] || { echo "usage: scripts/bench.sh --compare MODEL_DIR REFERENCE_DIR" >&2; exit 1; }
  N=${N:-128} compare_models "$2" "$3"
  exit 0
fi
py=${PYTHON:-/usr/bin/python3}
bin=build/cli/skinscan
model=${SKINSCAN_MODEL:-models/ham10000-skinnet}
data=${SKINSCAN_DATA:-../shared/datasets/ham10000}
n=${N:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$data/HAM10000_images" -name '*.jpg' | sort >"$work/all"
head -n "$n" "$work/all" >"$work/list"
head -n 500 "$work/all" >"$work/list500"
head -n 5000 "$work/all" >"$work/list5000"
$py scripts/bench_reference.py make-large --list "$work/list" --count 300 --out "$work/large"
find "$work/large" -name '*.jpg' | sort >"$work/large_list"
cat "$work/list" >/dev/null  # warm the page cache for both contenders alike
cat $(cat "$work/list") >/dev/null

rate() {  # images/s from skinscan's summary line
  "$bin" batch -m "$model" --threads "$(nproc)" --out "$work/out.jsonl" - <"$1" 2>&1 >/dev/null |
    sed -n 's/.*(\([0-9.]*\) images\/s).*/\1/p'
}
ours=$(rate "$work/list")
ours_large=$(rate "$work/large_list")
ref=$($py scripts/bench_reference.py throughput --model "$model" --list "$work/list")
ref_large=$($py scripts/bench_reference.py throughput --model "$model" --list "$work/large_list")
ceiling_plain=$($py scripts/bench_reference.py forward --model "$model" --batch 32)
ceiling=$($py scripts/bench_reference.py forward --model "$model" --optimize --batch 8)

img=$(head -n 1 "$work/list")
median_wall() {  # median wall seconds of 5 runs of a command (after one warm-up)
  "$@" >/dev/null 2>&1
  for i in 1 2 3 4 5; do /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -n 1; done | sort -n | sed -n 3p
}
cold_ours=$(median_wall "$bin" classify -m "$model" "$img")
cold_ref=$(median_wall $py scripts/bench_reference.py classify-one --model "$model" --image "$img")
rss() { /usr/bin/time -f %M "$bin" batch --quiet -m "$model" --out "$work/rss.jsonl" - <"$1" 2>&1 >/dev/null | tail -n 1; }
rss500=$(rss "$work/list500")
rss5000=$(rss "$work/list5000")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<TABLE
machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1); model: $model; $n images (224x224) + 300 upscaled to 600x450

| measure                                   | skinscan | Python reference | ratio |
|-------------------------------------------|----------|------------------|-------|
| batch throughput, 224x224 JPEG (images/s) | $ours | $ref | $(ratio "$ours" "$ref") |
| batch throughput, 600x450 JPEG (images/s) | $ours_large | $ref_large | $(ratio "$ours_large" "$ref_large") |
| pure forward, plain module, batch 32 (images/s) |   | $ceiling_plain | |
| pure forward ceiling: optimised module, batch 8 (images/s) | | $ceiling | skinscan/ceiling $(ratio "$ours" "$ceiling") (224), $(ratio "$ours_large" "$ceiling") (600x450) |
| cold start, classify one image (s)        | $cold_ours | $cold_ref | $(ratio "$cold_ours" "$cold_ref") |
| peak RSS of batch, 500 images (MB)        | $((rss500 / 1024)) | | |
| peak RSS of batch, 5000 images (MB)       | $((rss5000 / 1024)) | | 5000/500 $(ratio "$rss5000" "$rss500") |
TABLE
