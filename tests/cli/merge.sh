#!/usr/bin/env bash
# End-to-end tests of `skinscan merge` and sharded batch runs (including a one-node Slurm cluster).
# Each test_* function is one ctest (tests/CMakeLists.txt); `bash merge.sh test_NAME` runs one.
set -u
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# submit_and_wait SBATCH_ARGS...: submits and polls the controller every 0.25 s until every task of
# the job has ended (sbatch --wait backs off to 10 s between polls, which is most of this test's
# time otherwise); rc=0 when all tasks COMPLETED, 1 when any did not, 124 after 600 s.
submit_and_wait() {
  local job states
  job=$(sbatch --parsable "$@") || { rc=1; return; }
  job=${job%%;*}
  for _ in $(seq 2400); do
    states=$(scontrol -o show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    if [ -n "$states" ] && ! grep -qE 'PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED' <<<"$states"; then
      if grep -qvx COMPLETED <<<"$states"; then rc=1; else rc=0; fi
      return
    fi
    sleep 0.25
  done
  rc=124
}

test_slurm_cluster_sharded_batch_merge_and_resume() {
  need_shared
  local images=$WORK/images
  # The daemons' folder must be reachable by the munge user ($WORK is private to root).
  dir=$(mktemp -d /tmp/skinscan-slurm.XXXXXX) && chmod 755 "$dir"
  trap '"$SKINSCAN_SOURCE/tests/slurm/cluster.sh" stop "$dir"; rm -rf "$WORK" "$dir"' EXIT
  start=$("$SKINSCAN_SOURCE/tests/slurm/cluster.sh" start "$dir") || { rc=$?; [ $rc = 77 ] && exit 77; fail "cluster did not start"; }
  eval "$start"
  # The first 320 shared images of the val split: 80 per shard, enough for shard 2 to be killed
  # mid-run below (the bundled model's cost, not the cluster's, grows with the count).
  mkdir -p "$images"
  local n=0
  while read -r id && [ $n -lt 320 ]; do
    [ -f "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" ] || continue
    ln -s "$SKINSCAN_SHARED_DATA/HAM10000_images/$id.jpg" "$images/$id.jpg" && n=$((n + 1))
  done <"$SKINSCAN_SOURCE/datasets/splits/val.txt"
  export SKINSCAN
  submit_and_wait --array=0-3 --cpus-per-task=1 --output="$WORK/shard-%a.log" \
    "$SKINSCAN_SOURCE/scripts/slurm/array.sbatch" "$WORK/shards" "$images"
  [ "$rc" = 0 ] || { cat "$WORK"/shard-*.log "$dir"/slurmd.log >&2; fail "array job failed ($rc)"; }
  "$SKINSCAN" batch --threads 2 --quiet --out "$WORK/whole.jsonl" "$images" || fail "unsharded run"
  run "$SKINSCAN" merge "$WORK/merged.jsonl" "$WORK"/shards/shard-*.jsonl
  expect_rc 0
  expect_err "merged 4 shards, 320 records"
  compare_runs() {
    py "
import json
a = {r['id']: r for r in map(json.loads, open('$1'))}
b = [json.loads(l) for l in open('$2')]
assert [r['id'] for r in b] == sorted(a), 'merged output is not the same ids, sorted'
for r in b:
    for k, v in r['probabilities'].items():
        assert abs(v - a[r['id']]['probabilities'][k]) <= 1e-6, (r['id'], k)
"
  }
  compare_runs "$WORK/whole.jsonl" "$WORK/merged.jsonl"
  # Kill shard 2 mid-run, then resubmit it: merge refuses until it has finished.
  rm "$WORK"/shards/shard-2.jsonl*
  job=$(SKINSCAN_SHARD=2/4 sbatch --parsable --cpus-per-task=1 --output="$WORK/slow.log" \
    "$SKINSCAN_SOURCE/scripts/slurm/array.sbatch" "$WORK/shards" "$images" --batch-size 1)
  for _ in $(seq 300); do
    [ "$(wc -l <"$WORK/shards/shard-2.jsonl.partial" 2>/dev/null || echo 0)" -ge 20 ] && break
    sleep 0.1
  done
  scancel "$job"
  for _ in $(seq 100); do squeue -h -j "$job" 2>/dev/null | grep -q . || break; sleep 0.2; done
  kept=$(wc -l <"$WORK/shards/shard-2.jsonl.partial")
  [ "$kept" -ge 20 ] && [ ! -f "$WORK/shards/shard-2.jsonl" ] || fail "the killed shard should have left a .partial with records"
  run "$SKINSCAN" merge "$WORK/merged2.jsonl" "$WORK"/shards/shard-*.jsonl "$WORK/shards/shard-2.jsonl"
  expect_rc 1
  expect_err "shard-2.jsonl: shard did not finish (only"
  [ ! -e "$WORK/merged2.jsonl" ] || fail "merge wrote output despite a missing shard"
  export SKINSCAN_SHARD=2/4  # sbatch passes the environment on to the job
  submit_and_wait --cpus-per-task=1 --output="$WORK/resume.log" \
    "$SKINSCAN_SOURCE/scripts/slurm/array.sbatch" "$WORK/shards" "$images"
  unset SKINSCAN_SHARD
  expect_rc 0
  run "$SKINSCAN" merge "$WORK/merged2.jsonl" "$WORK"/shards/shard-*.jsonl
  expect_rc 0
  compare_runs "$WORK/whole.jsonl" "$WORK/merged2.jsonl"
  # The gather job scores the merged run and gates it.
  submit_and_wait --output="$WORK/gather.log" "$SKINSCAN_SOURCE/scripts/slurm/gather.sbatch" \
    "$WORK/shards" "$SKINSCAN_SHARED_DATA" --fail-under accuracy=0.99
  [ "$rc" != 0 ] || fail "the gather job should fail its accuracy gate"
  grep -q "gate failed: accuracy" "$WORK/gather.log" || fail "gather log lacks the failed gate"
  [ -f "$WORK/shards/report.json" ] || fail "gather wrote no report"
}

test_merge_refuses_mixed_or_incomplete_shards() {
  mkdir -p "$WORK/in" && cp "$GOOD"/plain.png "$GOOD"/baseline.jpg "$GOOD"/grey.png "$GOOD"/cmyk.jpg "$GOOD"/sixteen.png "$WORK/in/"
  for i in 0 1; do "$SKINSCAN" batch -m "$TINY7" --shard $i/2 --out "$WORK/s$i.jsonl" -q "$WORK/in" || fail "shard $i"; done
  "$SKINSCAN" batch -m "$TINY2" --shard 1/2 --out "$WORK/other.jsonl" -q "$WORK/in" || fail "other model"
  "$SKINSCAN" batch -m "$TINY7" --shard 1/2 --out "$WORK/fewer.jsonl" -q "$GOOD/plain.png" || fail "other inputs"
  run "$SKINSCAN" merge "$WORK/m.jsonl" "$WORK/s0.jsonl" "$WORK/s1.jsonl"
  expect_rc 0
  [ "$(wc -l <"$WORK/m.jsonl")" = 5 ] || fail "merged record count"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/other.jsonl"
  expect_rc 1
  expect_err "other.jsonl: made with model \"tiny2\""
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/fewer.jsonl"
  expect_rc 1
  expect_err "fewer.jsonl: made from a different input list than"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl"
  expect_rc 1
  expect_err "merge: shard 1 of 2 missing"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/s0.jsonl" "$WORK/s1.jsonl"
  expect_rc 1
  expect_err "shard 0/2 given twice"
  head -c -3 "$WORK/s1.jsonl" >"$WORK/cut.jsonl" && cp "$WORK/s1.jsonl.shard.json" "$WORK/cut.jsonl.shard.json"
  run "$SKINSCAN" merge "$WORK/x.jsonl" "$WORK/s0.jsonl" "$WORK/cut.jsonl"
  expect_rc 1
  expect_err "cut.jsonl: last line is incomplete"
  [ ! -e "$WORK/x.jsonl" ] || fail "merge wrote output for bad shards"
  run "$SKINSCAN" batch -m "$TINY7" --shard 2/2 --out "$WORK/z.jsonl" "$WORK/in"
  expect_rc 1
  expect_err "--shard 2/2: I must be below N"
  run "$SKINSCAN" batch -m "$TINY7" --shard 0/0 --out "$WORK/z.jsonl" "$WORK/in"
  expect_rc 1
  expect_err "--shard 0/0: N must be at least 1"
  run env -u SLURM_ARRAY_TASK_ID "$SKINSCAN" batch -m "$TINY7" --shard slurm --out "$WORK/z.jsonl" "$WORK/in"
  expect_rc 1
  expect_err "SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT must be set"
  run "$SKINSCAN" batch -m "$TINY7" --shard 0/2 "$WORK/in"
  expect_rc 1
  expect_err "--shard needs --out FILE"
  # CSV shards merge too; evaluate scores a merged JSONL run.
  for i in 0 1; do "$SKINSCAN" batch -m "$TINY7" --format csv --shard $i/2 --out "$WORK/c$i.csv" -q "$WORK/in" || fail csv; done
  run "$SKINSCAN" merge "$WORK/c.csv" "$WORK/c0.csv" "$WORK/c1.csv"
  expect_rc 0
  [ "$(wc -l <"$WORK/c.csv")" = 6 ] && head -n 1 "$WORK/c.csv" | grep -q '^path,id,label' || fail "merged csv"
}

"$1"
