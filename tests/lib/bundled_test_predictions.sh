#!/usr/bin/env bash
# bundled_test_predictions.sh OUT: the bundled default model over the shared images of the test
# split, once, as an ISIC submission CSV (skinscan batch --format isic). The real-data tests that
# score the bundled model read OUT instead of each running the model over the same 897 images.
# Without the shared data it writes nothing and exits 0; those tests skip on their own.
set -euo pipefail
: "${SKINSCAN:?}" "${SKINSCAN_SOURCE:?}"
out=$1
rm -f "$out"
if [ ! -f "${SKINSCAN_SHARED_DATA:-/nonexistent}/HAM10000_metadata.csv" ]; then
  echo "SKIPPED: shared HAM10000 data not found; no bundled-model predictions" >&2
  exit 0
fi
mkdir -p "$(dirname "$out")"
while read -r id; do
  [ -f "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" ] && echo "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg"
done <"$SKINSCAN_SOURCE/datasets/splits/test.txt" | "$SKINSCAN" batch --format isic --quiet --out "$out" -
echo "$out: $(($(wc -l <"$out") - 1)) predictions"
