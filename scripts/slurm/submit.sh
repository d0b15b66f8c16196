#!/usr/bin/env bash
# Submits a sharded skinscan run and its gather job, which runs only if every shard succeeded.
#   scripts/slurm/submit.sh SHARDS OUTDIR DATA_DIR [evaluate options...] -- INPUT...
# e.g. scripts/slurm/submit.sh 8 runs/test /data/ham10000 --fail-under accuracy=0.8 -- /data/ham10000/images
# Prints the two job ids. OUTDIR must be on a file system every node sees.
set -euo pipefail
shards=$1 out=$2 data=$3
shift 3
gates=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do gates+=("$1"); shift; done
[ "${1:-}" = -- ] || { echo "usage: $0 SHARDS OUTDIR DATA_DIR [evaluate options...] -- INPUT..." >&2; exit 1; }
shift
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
array=$(sbatch --parsable --array=0-$((shards - 1)) --output="$out/shard-%a.log" "$here/array.sbatch" "$out" "$@")
gather=$(sbatch --parsable --dependency=afterok:"${array%%;*}" --output="$out/gather.log" "$here/gather.sbatch" "$out" "$data" "${gates[@]}")
echo "array job $array, gather job $gather"
