#!/usr/bin/env bash
# Trains several variants side by side on one machine (made for a GPU, works on CPU).
# Each variant logs to OUTDIR/<variant>.log and leaves OUTDIR/<variant>.npz.
# Usage: [SWEEP=ablation|seeds|resolution] training/train_sweep.sh DATA_DIR OUTDIR [extra train.py args...]
#   ablation: A = sqrt class weights, strong aug, EMA, label smoothing;
#            B = A without class weights; C = A with flips/90-degree rotations only;
#            D = balanced sampler instead of class weights
#   seeds: the D recipe (S0-S2) and D + CutMix p=0.5 (M0-M2), seeds 0-2,
#            so that recipe differences can be told from seed noise
#   resolution: the D recipe at input 288 (images upsampled from 224), seeds 0-2 (R0-R2)
set -u
data=$1 out=$2; shift 2
py=${PYTHON:-/usr/bin/python3}
cd "$(dirname "$0")/.."
mkdir -p "$out"
run() {
  local v=$1; shift
  PYTHONUNBUFFERED=1 "$py" training/train.py --data "$data" --out "${TMPDIR:-/tmp}/sweep/$v" "$@" > "$out/$v.log" 2>&1
  cp "${TMPDIR:-/tmp}/sweep/$v/weights.npz" "$out/$v.npz"
}
balanced=(--sampler balanced --class-weight none)
case ${SWEEP:-ablation} in
  ablation)
    variants=(A B C D)
    run A "$@" &
    run B --class-weight none "$@" &
    run C --aug flips "$@" &
    run D "${balanced[@]}" "$@" & ;;
  seeds)
    variants=(S0 S1 S2 M0 M1 M2)
    for s in 0 1 2; do
      run "S$s" "${balanced[@]}" --seed "$s" "$@" &
      run "M$s" "${balanced[@]}" --cutmix 0.5 --seed "$s" "$@" &
    done ;;
  resolution)
    variants=(R0 R1 R2)
    for s in 0 1 2; do run "R$s" "${balanced[@]}" --size 288 --seed "$s" "$@" & done ;;
  *) echo "unknown SWEEP=${SWEEP}" >&2; exit 1 ;;
esac
wait
for v in "${variants[@]}"; do echo "== $v"; tail -n 1 "$out/$v.log" | cut -c1-600; done
