#!/usr/bin/env bash
# Distributed migrations (issue 13) measured on the sandbox; each run rewrites its measured section
# of SCALE.md (between <!-- bench:NAME --> and <!-- /bench:NAME -->) and bench/distributed-results.md.
#
#   bench/distributed.sh [RUN ...] [options]        RUN: noop, scaling, kill (default: all three)
#
#   noop     a no-op migration (everything up to date) of --noop-set (default noop200k: 200,000 x 1 KiB;
#            noop: 20,000 x 4 KiB) with --workers (default "1 2"): objects/s, activities/s, and the
#            planning pages' seconds from the workers' logs (what bounds it)
#   scaling  scale2g (32 x 64 MiB = 2 GiB) with 1, 2 and 4 workers side by side, each capped at
#            --cap (default 8MiB/s: 4 x 8 MiB/s stays under Azurite's ~40-47 MB/s ingest, so the cap,
#            not the sink, bounds each worker), batches of 1 object: a table with a speed-up column
#   kill     dist50k (50,000 objects of 4 KiB-64 MiB, 40 large, half of them multipart, ~1.9 GiB) in
#            64 partitions, 3 workers; one killed with kill -9 mid-batch (a batch its .started marker
#            names, frozen with SIGSTOP and checked unfinished first) at a random point of 15-35 %, one
#            at a random moment of 45-65 %, each restarted at once; then: verify (destination == source),
#            one report line per key, no blob committed before a kill rewritten (ETag and last-modified
#            listed before each kill), recovery per kill (until every batch in flight at it finished)
#
# Options: --noop-set SET, --workers "1 2", --cap SIZE, --keep (keep the seeded sets; default: the
# large sets are deleted after their run, RGW's memstore holds 8 GiB for everyone).
# Needs the sandbox (./sandbox.sh status). Records `uptime` before and after each run. Worker logs,
# status JSON and reports: bench/out/distributed/.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
cd "$REPO"
RUNS=()
NOOP_SET=noop200k
WORKERS="1 2"
CAP=8MiB
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    noop|scaling|kill) RUNS+=("$1"); shift ;;
    --noop-set) NOOP_SET=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --cap) CAP=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ ${#RUNS[@]} -gt 0 ] || RUNS=(noop scaling kill)
PY=/usr/bin/python3
TOOLS=$BENCH/distributed_tools.py
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

./sandbox.sh status >/dev/null 2>&1 || die "a sandbox service is down: see ./sandbox.sh status (only then ./sandbox.sh up)"
eval "$(./sandbox.sh env)"
ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='  # Azurite's well-known dev key (bench probes only)
AZ_SAS=$($PY "$BENCH/tools.py" sas "$ACCOUNT" "$AZ_KEY")
ACCOUNT_URL=${SANDBOX_BLOB_ENDPOINT%/}
RUN_ID=$(date -u +%H%M%S)
export SKYBRIDGE_HUB=benchd$RUN_ID SKYBRIDGE_HUB_STORAGE=$SANDBOX_BLOB_ENDPOINT
HUB_CONTAINER=$(echo "$SKYBRIDGE_HUB" | tr 'A-Z' 'a-z')-migrations
OUT=$BENCH/out/distributed/$RUN_ID; mkdir -p "$OUT"
RESULTS=$BENCH/distributed-results.md
./skybridge --version >/dev/null   # builds the CLI once, before anything is timed

pids=()
start_worker() { # LOG [worker options]: a worker in the background; its PID is the dotnet process (./skybridge execs)
  local logf=$1; shift
  ./skybridge migrate worker --log-level information "$@" >"$logf" 2>&1 &
  pids+=($!)
}
stop_workers() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap stop_workers EXIT

# seconds from the orchestration's creation to its last update, from a status JSON
status_field() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
elapsed() { $PY - "$1" <<'PY'
import json, sys
from datetime import datetime
s = json.load(open(sys.argv[1]))
t = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))
print(f'{(t(s["last_updated_utc"]) - t(s["created_utc"])).total_seconds():.1f}')
PY
}
# Planning pages from the workers' logs: count, mean and total seconds
plan_stats() { cat "$@" | $PY -c '
import re, sys
s = [float(m.group(1)) for m in re.finditer(r"planned page \S+: \d+ object\(s\) listed, \d+ to execute, in ([0-9.]+) s", sys.stdin.read())]
print(len(s), f"{(sum(s)/len(s) if s else 0):.2f}", f"{sum(s):.1f}")'; }
wait_done() { ./skybridge migrate status "$1" --wait --output json >"$2" || true; }
section() { $PY "$TOOLS" section "$REPO/SCALE.md" "$1" "$2"; { echo; echo "## $1 ($(date -u +%Y-%m-%dT%H:%MZ))"; cat "$2"; } >>"$RESULTS"; }

# ------------------------------------------------------------------ noop
run_noop() {
  local set=$NOOP_SET src dst up_before up_after frag=$OUT/noop.md
  src=s3://skybridge-bench-$set/$( [ "$set" = noop ] && echo noop || echo "$set")
  dst=$SANDBOX_BLOB_ENDPOINT/skybridge-bench-dist/$set
  log "noop: seeding $set"
  $PY "$BENCH/seed.py" "$set" >&2
  log "noop: making the destination up to date (one copy)"
  ./skybridge copy "$src" "$dst" --no-journal --progress none --concurrency 64 >&2 || die "the preparing copy failed"
  up_before=$(uptime)
  local rows=()
  for w in $WORKERS; do
    for i in $(seq 1 "$w"); do start_worker "$OUT/noop-w$w-$i.log" --concurrency 16 --batches 4; done
    sleep 3
    local id; id=$(./skybridge migrate start "$src" "$dst" --partitions 16 --batch-size 1000)
    log "noop: $w worker(s), migration $id"
    wait_done "$id" "$OUT/noop-w$w.json"
    stop_workers
    local secs planned skipped pages batches parts stats
    secs=$(elapsed "$OUT/noop-w$w.json"); planned=$(status_field "$OUT/noop-w$w.json" planned); skipped=$(status_field "$OUT/noop-w$w.json" skipped)
    pages=$(status_field "$OUT/noop-w$w.json" pages); batches=$(status_field "$OUT/noop-w$w.json" batches); parts=$(status_field "$OUT/noop-w$w.json" partitions)
    read -r n mean total < <(plan_stats "$OUT"/noop-w"$w"-*.log)
    rows+=("$($PY -c 'import sys; w,p,s,parts,pages,b,secs,n,mean,total=sys.argv[1:]; a=int(pages)+int(b)+1; print(f"| {w} | {int(p):,} | {int(s):,} | {parts} | {a} | {float(secs):.1f} | {int(p)/float(secs):,.0f} | {a/float(secs):.1f} | {mean} | {float(total)/float(secs):.1f} |")' \
      "$w" "$planned" "$skipped" "$parts" "$pages" "$batches" "$secs" "$n" "$mean" "$total")")
  done
  up_after=$(uptime)
  {
    echo "| workers | objects listed | skipped (up to date) | partitions | activities | seconds | objects/s | activities/s | s per planning page | planning pages at once (mean) |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores by \`bench/distributed.sh noop --noop-set $set\` (commit $(git rev-parse --short HEAD)):"
    echo "16 partitions, batches of 1,000, workers \`--concurrency 16 --batches 4\`; seconds from the orchestration's creation to its"
    echo "last update; \"s per planning page\" and \"at once\" (sum of planning seconds / wall seconds) from the workers' \`planned page\` log lines."
    echo "uptime before: \`$up_before\`; after: \`$up_after\`."
  } >"$frag"
  section noop "$frag"
}

# ------------------------------------------------------------------ scaling
run_scaling() {
  local src=s3://skybridge-bench-scale2g/scale frag=$OUT/scaling.md up_before up_after t1=""
  log "scaling: seeding scale2g"
  $PY "$BENCH/seed.py" scale2g >&2
  up_before=$(uptime)
  local rows=()
  for w in 1 2 4; do
    local container=bench-scale-$RUN_ID-w$w
    for i in $(seq 1 "$w"); do start_worker "$OUT/scaling-w$w-$i.log" --concurrency 4 --batches 2 --max-bandwidth "$CAP"; done
    sleep 3
    local id; id=$(./skybridge migrate start "$src" "$SANDBOX_BLOB_ENDPOINT/$container/" --partitions 16 --batch-size 1 --mode stream)
    log "scaling: $w worker(s) at $CAP each, migration $id"
    wait_done "$id" "$OUT/scaling-w$w.json"
    stop_workers
    local secs copied bytes failed
    secs=$(elapsed "$OUT/scaling-w$w.json"); copied=$(status_field "$OUT/scaling-w$w.json" copied)
    bytes=$(status_field "$OUT/scaling-w$w.json" bytes_copied); failed=$(status_field "$OUT/scaling-w$w.json" failed)
    [ "$copied" = 32 ] && [ "$failed" = 0 ] || log "scaling: $w worker(s) copied $copied, failed $failed (expected 32, 0)"
    [ -n "$t1" ] || t1=$secs
    rows+=("$($PY -c 'import sys; w,c,b,secs,t1=sys.argv[1:]; print(f"| {w} | {int(c)} | {int(b)/2**30:.2f} | {float(secs):.1f} | {int(b)/float(secs)/2**20:.1f} | {int(b)/float(secs)/2**20/int(w):.1f} | {float(t1)/float(secs):.2f}x |")' "$w" "$copied" "$bytes" "$secs" "$t1")")
  done
  up_after=$(uptime)
  for w in 1 2 4; do DROPS+=("bench-scale-$RUN_ID-w$w"); done
  [ "$KEEP" = 1 ] || $PY "$BENCH/seed.py" --delete scale2g >&2
  {
    echo "| workers | objects | GiB | seconds | MiB/s | MiB/s per worker | speed-up |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores by \`bench/distributed.sh scaling --cap $CAP\` (commit $(git rev-parse --short HEAD)):"
    echo "32 x 64 MiB from RGW to Azurite, \`--mode stream\`, 16 partitions, batches of 1 object, each worker"
    echo "\`--max-bandwidth $CAP --concurrency 4 --batches 2\`; seconds from the orchestration's creation to its last update."
    echo "uptime before: \`$up_before\`; after: \`$up_after\`."
  } >"$frag"
  section scaling "$frag"
}

# ------------------------------------------------------------------ kill
# (status exits 1 once an object has failed: its JSON still counts; under pipefail the exit must not add a second "0")
progress() { local j; j=$(./skybridge migrate status "$1" --output json 2>/dev/null) || true; echo "$j" | $PY -c 'import json,sys; s=json.load(sys.stdin); print(s["copied"]+s["skipped"]+s["failed"])' 2>/dev/null || echo 0; }
inflight() { $PY "$TOOLS" inflight "$ACCOUNT_URL" "$AZ_SAS" "$HUB_CONTAINER" "$1"; }
worker_of_pid() { echo "$(hostname)-$1"; }
# Waits until every batch listed in FILE has its outcomes; prints the seconds from START (epoch seconds, float) to the
# last of their outcomes blobs' Last-Modified (Azurite's clock, this host's: 1 s resolution). Not "until this
# script saw them": on a loaded Azurite one probe can take 30-60 s, which measured 230.9 s for a 73 s recovery.
recover() {
  local file=$1 start=$2 last=0 w
  while read -r batch _; do
    until $PY "$TOOLS" finished "$ACCOUNT_URL" "$AZ_SAS" "$HUB_CONTAINER" "$batch" 2>/dev/null; do sleep 0.5; done
    w=$($PY "$TOOLS" written "$ACCOUNT_URL" "$AZ_SAS" "$HUB_CONTAINER" "$batch"); [ "$w" -gt "$last" ] && last=$w
  done <"$file"
  $PY -c "print(f'{max(0.0, $last - $start):.0f}')"
}

run_kill() {
  local src=s3://skybridge-bench-dist50k/dist container=bench-kill-$RUN_ID frag=$OUT/kill.md up_before up_after total=50000
  local dst=$SANDBOX_BLOB_ENDPOINT/$container/
  log "kill: seeding dist50k"
  $PY "$BENCH/seed.py" dist50k >&2
  up_before=$(uptime)
  for i in 1 2 3; do start_worker "$OUT/kill-$i.log" --concurrency 16 --batches 2; done
  local id; id=$(./skybridge migrate start "$src" "$dst" --partitions 64 --batch-size 500 --mode stream)
  local t0; t0=$($PY -c 'import time; print(time.time())')
  log "kill: migration $id, workers ${pids[*]}"
  local kills=() n=0
  for k in 1 2; do
    local lo hi at victim="" batch="" frac
    if [ $k = 1 ]; then lo=15; hi=35; else lo=45; hi=65; fi
    frac=$((lo + RANDOM % (hi - lo + 1)))
    at=$((total * frac / 100))
    log "kill $k: waiting for $frac % ($at objects)"
    while [ "$(progress "$id")" -lt "$at" ]; do sleep 2; done
    if [ $k = 1 ]; then
      # Mid-batch: a live worker named by an unfinished batch's .started marker, frozen, checked, killed.
      while [ -z "$victim" ]; do
        while read -r b w; do
          for p in "${pids[@]}"; do
            if [ "$(worker_of_pid "$p")" = "$w" ] && kill -0 "$p" 2>/dev/null; then
              kill -STOP "$p"; sleep 0.5
              if $PY "$TOOLS" finished "$ACCOUNT_URL" "$AZ_SAS" "$HUB_CONTAINER" "$b"; then kill -CONT "$p"; else victim=$p; batch=$b; fi
              break
            fi
          done
          [ -n "$victim" ] && break
        done < <(inflight "$id")
        [ -n "$victim" ] || sleep 0.3
      done
    else
      local live=(); for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && live+=("$p"); done
      victim=${live[$((RANDOM % ${#live[@]}))]}
    fi
    inflight "$id" >"$OUT/kill-$k-inflight.txt"
    $PY "$TOOLS" snapshot "$ACCOUNT_URL" "$AZ_SAS" "$container" "" "$OUT/kill-$k-before.json" >"$OUT/kill-$k-committed.txt"
    local done_at; done_at=$(progress "$id")
    local t; t=$($PY -c 'import time; print(time.time())')
    kill -9 "$victim"
    wait "$victim" 2>/dev/null || true
    start_worker "$OUT/kill-restarted-$k.log" --concurrency 16 --batches 2
    log "kill $k: killed $victim (batch ${batch:-any}) at $done_at objects; restarted as ${pids[-1]}"
    local rec; rec=$(recover "$OUT/kill-$k-inflight.txt" "$t")
    local rerun_batch="n/a"
    if [ -n "$batch" ]; then
      # Its outcomes came from a later attempt: every line re-decided ("an earlier attempt of ...")
      rerun_batch=$(curl -fsS "$ACCOUNT_URL/$HUB_CONTAINER/$batch.outcomes.jsonl?$AZ_SAS" | $PY -c 'import sys; l=[x for x in sys.stdin if x.strip()]; n=sum(1 for x in l if "an earlier attempt of" in x); print(f"{n}/{len(l)}")')
    fi
    kills+=("| $k | ${batch:+mid-batch }${batch:-random} | $($PY -c "print(f'{$t - $t0:.0f}')") | $done_at | $(cat "$OUT/kill-$k-committed.txt") | $(wc -l <"$OUT/kill-$k-inflight.txt") | $rerun_batch | $rec |")
    batch=""
  done
  wait_done "$id" "$OUT/kill.json"
  stop_workers
  local secs; secs=$(elapsed "$OUT/kill.json")
  log "kill: verifying"
  local verify=clean
  ./skybridge verify "$src" "$dst" --progress none >"$OUT/kill-verify.txt" 2>&1 || verify="NOT clean (exit $?, $OUT/kill-verify.txt)"
  ./skybridge migrate report "$id" --report "$OUT/kill-report.jsonl" >&2
  local check; check=$($PY "$TOOLS" report-check "$OUT/kill-report.jsonl" "$total")
  $PY "$TOOLS" snapshot "$ACCOUNT_URL" "$AZ_SAS" "$container" "" "$OUT/kill-after.json" >/dev/null
  local rew1 rew2
  rew1=$($PY "$TOOLS" rewritten "$OUT/kill-1-before.json" "$OUT/kill-after.json"); rew2=$($PY "$TOOLS" rewritten "$OUT/kill-2-before.json" "$OUT/kill-after.json")
  up_after=$(uptime)
  DROPS+=("$container")
  [ "$KEEP" = 1 ] || $PY "$BENCH/seed.py" --delete dist50k >&2
  {
    echo "| kill | victim | seconds into the run | objects done at the kill | blobs committed before it | batches in flight | victim's batch re-decided by a later attempt | recovery (s) |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${kills[@]}"
    echo
    $PY - "$OUT/kill.json" "$secs" "$check" "$verify" "$rew1" "$rew2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); secs = float(sys.argv[2]); c = json.loads(sys.argv[3])
print(f"Whole run: {s['state']}, {s['partitions']} partitions, {s['copied']:,} copied ({s['bytes_copied']/2**30:.2f} GiB), {s['skipped']:,} skipped, "
      f"{s['failed']} failed, {s['rerun']} executed again, {secs:.0f} s ({(s['copied']+s['skipped'])/secs:,.0f} objects/s). "
      f"Verify: {sys.argv[4]}. Report: {c['lines']:,} lines for {c['keys']:,} keys of {c['expected']:,} expected, "
      f"{c['keys_with_more_than_one_line']} keys with more than one line, {c['reruns']} lines say \"executed again\". "
      f"Blobs committed before kill 1 / kill 2 and written again afterwards (ETag or last-modified changed): {sys.argv[5]} / {sys.argv[6]}.")
PY
    echo
    echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores by \`bench/distributed.sh kill\` (commit $(git rev-parse --short HEAD)):"
    echo "dist50k (50,000 objects, 4 KiB-64 MiB) RGW -> Azurite, \`--partitions 64 --batch-size 500 --mode stream\`, 3 workers"
    echo "\`--concurrency 16 --batches 2\`, each killed one restarted at once. Recovery: from the kill until every batch in flight at"
    echo "it (the victim's among them) has written its outcomes."
    echo "uptime before: \`$up_before\`; after: \`$up_after\`."
  } >"$frag"
  section kill "$frag"
}

# Destination containers are dropped after the last run, not after their own: Azurite keeps blobs in
# RAM, and after a big container is deleted it stops answering for minutes (2026-12-01 twice; on
# 2026-12-02 the 1.9 GiB kill container stalled the noop run after it for 20 minutes and more).
DROPS=()
for r in "${RUNS[@]}"; do "run_$r"; done
for c in ${DROPS[@]+"${DROPS[@]}"}; do $PY "$TOOLS" drop "$ACCOUNT_URL" "$AZ_SAS" "$c"; done
log "done: SCALE.md sections ${RUNS[*]} rewritten; logs in $OUT"
