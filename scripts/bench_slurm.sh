#!/usr/bin/env bash
# Benchmark (not a test): the shared HAM10000 images classified by one `batch` process with 2
# threads, and by a 4-task Slurm array (1 CPU each) on a one-node cluster on this machine
# (tests/slurm/cluster.sh; needs root, slurm-wlm and munge), in one run. Prints wall times and
# Slurm's overhead (submission to the first record written).   scripts/bench_slurm.sh [IMAGES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
images=${1:-../shared/datasets/ham10000/HAM10000_images}
skinscan=$PWD/build/cli/skinscan
work=$(mktemp -d) && dir=$(mktemp -d /tmp/skinscan-slurm.XXXXXX) && chmod 755 "$dir"
trap 'tests/slurm/cluster.sh stop "$dir"; rm -rf "$work" "$dir"' EXIT
eval "$(tests/slurm/cluster.sh start "$dir")"
n=$(find "$images" -name '*.jpg' | wc -l)

t0=$(date +%s.%N)
"$skinscan" batch --threads 2 --quiet --out "$work/whole.jsonl" "$images"
t1=$(date +%s.%N)

t2=$(date +%s.%N)
SKINSCAN=$skinscan sbatch --parsable --array=0-3 --cpus-per-task=1 --output="$work/shard-%a.log" \
  scripts/slurm/array.sbatch "$work/shards" "$images" >/dev/null
first=""
while :; do
  if [ -z "$first" ] && cat "$work"/shards/shard-*.jsonl.partial 2>/dev/null | head -c 1 | grep -q .; then
    first=$(date +%s.%N)
  fi
  [ "$(ls "$work"/shards/*.shard.json 2>/dev/null | wc -l)" = 4 ] && break
  sleep 0.05
done
t3=$(date +%s.%N)
"$skinscan" merge "$work/merged.jsonl" "$work"/shards/shard-*.jsonl
t4=$(date +%s.%N)

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1); $n images"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v f="$first" -v n="$n" 'BEGIN {
  printf "one batch process, 2 threads: %.1f s (%.1f images/s)\n", b - a, n / (b - a)
  printf "Slurm array, 4 tasks x 1 CPU: %.1f s from submission to the last shard (%.1f images/s); merge %.2f s\n", d - c, n / (d - c), e - d
  printf "Slurm overhead, submission to the first record written: %.1f s; ratio array/process %.2f\n", f - c, (d - c) / (b - a) }'
