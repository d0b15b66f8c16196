#!/usr/bin/env bash
# Sets up (if needed) and runs skinscan's main job with the bundled default model on real
# HAM10000 images: classify and explain two held-out images, evaluate the held-out test split
# (report, per-image CSV, plots) and write an ISIC-format prediction file. Outputs: demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh  # installs what is missing; rebuilds only what changed
data=${SKINSCAN_DATA:-../shared/datasets/ham10000}
if [ ! -f "$data/HAM10000_metadata.csv" ]; then
  echo "demo: HAM10000 not found at $data (set SKINSCAN_DATA to a copy: Harvard Dataverse doi:10.7910/DVN/DBW86T)" >&2
  exit 1
fi
out=demo-output
mkdir -p "$out"
bin=build/cli/skinscan
"$bin" --version

echo; echo "== classify two held-out images"
"$bin" classify "$data/HAM10000_images/ISIC_0024698.jpg" "$data/HAM10000_images/ISIC_0026769.jpg"

echo; echo "== explain them (saliency overlays in $out/explain/)"
"$bin" explain --out "$out/explain" "$data/HAM10000_images/ISIC_0024698.jpg" "$data/HAM10000_images/ISIC_0026769.jpg"

echo; echo "== evaluate the default model on the held-out test split"
"$bin" evaluate --data "$data" --split datasets/splits/test.txt --bootstrap 1000 --group-by dataset,sex,age --age-bins 0,30,50,70,120 \
  --out "$out/test_report.json" --per-image "$out/test_per_image.csv" --plots "$out/plots"

echo; echo "== batch: ISIC 2018 submission CSV for the test-split images"
sed "s|^|$data/HAM10000_images/|; s|$|.jpg|" datasets/splits/test.txt | while read -r f; do [ -f "$f" ] && echo "$f"; done |
  "$bin" batch --format isic --out "$out/test_predictions_isic.csv" -
echo; echo "demo: outputs in $out/: $(cd "$out" && find . -type f | sort | tr '\n' ' ')"
