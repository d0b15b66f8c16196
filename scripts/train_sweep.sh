#!/usr/bin/env bash
# Runs the recipe ablation side by side (4 training processes on one machine; made for a
# lent GPU, works on CPU). Each variant logs to OUTDIR/<variant>.log and leaves OUTDIR/<variant>.npz.
# Usage: scripts/train_sweep.sh DATA_DIR OUTDIR [extra train.py args...]
# Variants: A = recipe (sqrt class weights, strong aug, EMA, label smoothing)
#           B = A without class weights; C = A with flips/90-degree rotations only;
#           D = balanced sampler instead of class weights
set -u
data=$1 out=$2; shift 2
py=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")/.."
mkdir -p "$out"
run() {
  local v=$1; shift
  PYTHONUNBUFFERED=1 "$py" scripts/train.py --data "$data" --out "${TMPDIR:-/tmp}/sweep/$v" "$@" > "$out/$v.log" 2>&1
  cp "${TMPDIR:-/tmp}/sweep/$v/weights.npz" "$out/$v.npz"
}
run A "$@" &
run B --class-weight none "$@" &
run C --aug flips "$@" &
run D --sampler balanced --class-weight none "$@" &
wait
for v in A B C D; do echo "== $v"; tail -n 1 "$out/$v.log" | cut -c1-600; done
