#!/usr/bin/env bash
# Benchmark (not a test): `skinscan serve` on the bundled model, against `skinscan batch` on the
# same images in the same run. Requests/s and p50/p99 latency at concurrency 1, 8 and 32, with
# micro-batching (--max-batch 8 --max-wait-ms 5) and without (--max-batch 1), the ratio of served
# to batch throughput, and the server's RSS after 100 and after 10,000 requests.
#   scripts/bench_serve.sh      (REQUESTS=2000 per run, N=500 distinct images, RSS_REQUESTS=10000;
#                                SKIP_LOAD=1 measures only batch and the RSS)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
py=${PYTHON:-/usr/bin/python3}
bin=build/cli/skinscan
data=${SKINSCAN_DATA:-../shared/datasets/ham10000}
requests=${REQUESTS:-2000} n=${N:-500} rss_requests=${RSS_REQUESTS:-10000}
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
find "$data/HAM10000_images" -name "*.jpg" | sort | sed -n "1,${n}p" >"$work/list"
cat $(cat "$work/list") >/dev/null  # warm the page cache for both contenders alike

# The reference: batch over the same images, images/s from its summary line.
batch_rate=$("$bin" batch --out "$work/out.jsonl" - <"$work/list" 2>&1 >/dev/null |
  sed -n 's/.*(\([0-9.]*\) images\/s).*/\1/p')

start() {
  "$bin" serve --port 0 --quiet "$@" 2>"$work/server.err" &
  pid=$!
  until grep -q 'serving http' "$work/server.err" 2>/dev/null; do sleep 0.1; done
  port=$(grep -o '127.0.0.1:[0-9]*' "$work/server.err" | cut -d: -f2)
}
stop() { kill -TERM "$pid" && wait "$pid"; pid=""; }
load() { "$py" scripts/serve_load.py "$port" $(cat "$work/list") --requests "$1" --concurrency "$2"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"; }

echo "| mode | concurrency | requests/s | p50 ms | p99 ms | served / batch |"
echo "|---|---|---|---|---|---|"
modes="batched unbatched"
[ "${SKIP_LOAD:-0}" = 1 ] && modes=""
for mode in $modes; do
  if [ $mode = batched ]; then start --max-batch 8 --max-wait-ms 5; else start --max-batch 1 --max-wait-ms 0; fi
  load 32 8 >/dev/null  # warm-up
  for c in 1 8 32; do
    load "$requests" "$c" | "$py" -c "
import json, sys
r = json.load(sys.stdin)
print(f\"| $mode | $c | {r['requests_per_s']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests_per_s'] / $batch_rate:.2f} |\")"
  done
  stop
done
echo
echo "batch on the same $n images: $batch_rate images/s"

start --max-batch 8 --max-wait-ms 5
load 100 8 >/dev/null
rss100=$(rss_mb)
load 900 8 >/dev/null
rss1000=$(rss_mb)
load $((rss_requests - 1000)) 8 >/dev/null
rss_all=$(rss_mb)
stop
echo "RSS after 100 requests: ${rss100} MB; after 1,000: ${rss1000} MB; after ${rss_requests}: ${rss_all} MB"
