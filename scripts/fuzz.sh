#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake, SKINSCAN_FUZZ=ON with clang: ASan + UBSan) into build-fuzz/
# and runs each for SECONDS (default 60) from seed corpora generated here; prints executions and
# findings.
#   scripts/fuzz.sh [SECONDS]
#   SKINSCAN_FUZZ_BUILD=DIR scripts/fuzz.sh   uses DIR, a build configured with SKINSCAN_FUZZ=ON
#                                             (scripts/test.sh passes its sanitizer build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}
out=${SKINSCAN_FUZZ_BUILD:-build-fuzz}
if [ -z "${SKINSCAN_FUZZ_BUILD:-}" ]; then
  cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DSKINSCAN_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build "$out" --target fuzz_image fuzz_csv fuzz_manifest
out=$out/tests/fuzz

# Seeds: the generated fixtures and hostile corpus (images), small CSVs and manifests.
seeds=$out/seeds
rm -rf "$seeds" && mkdir -p "$seeds/image" "$seeds/csv" "$seeds/manifest"
"${PYTHON:-/usr/bin/python3}" tests/fixtures/make_fixtures.py "$seeds/fixtures" >/dev/null
"${PYTHON:-/usr/bin/python3}" tests/fixtures/make_hostile_corpus.py "$seeds/hostile" >/dev/null
find "$seeds/fixtures/images" "$seeds/hostile" -type f -size -64k -exec cp {} "$seeds/image/" \; 2>/dev/null || true
find "$seeds/fixtures/models" -name manifest.json | while read -r f; do cp "$f" "$seeds/manifest/$(basename "$(dirname "$f")").json"; done
cp models/*/manifest.json "$seeds/manifest/default.json"
printf 'image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nISIC_1,0.1,0.6,0.1,0.05,0.05,0.05,0.05\n' >"$seeds/csv/isic.csv"
printf '\xef\xbb\xbfimage_id,dx\r\n"a,b",mel\r\n\r\n"multi\nline",nv\r\n' >"$seeds/csv/quoted.csv"
printf 'path,id,label,probability,a,b,malignant_probability,error\nx.jpg,x,a,0.9,0.9,0.1,,\ny.jpg,y,,,,,,"y.jpg: file is empty"\n' >"$seeds/csv/skinscan.csv"

status=0
for target in fuzz_image fuzz_csv fuzz_manifest; do
  corpus=$out/corpus_$target
  mkdir -p "$corpus"
  kind=${target#fuzz_}
  log=$out/$target.log
  if "$out/$target" "$corpus" "$seeds/$kind" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/$target-" >"$log" 2>&1; then
    result=ok
  else
    result="FINDING (see $log and $out/$target-*)"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "$target: ${seconds}s, ${execs:-?} executions, corpus $(ls "$corpus" | wc -l) files: $result"
done
exit $status
