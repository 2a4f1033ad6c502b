#!/usr/bin/env bash
# Distributed migrations (issue 13), measured on the sandbox: a no-op migration (everything already
# up to date) of the benchmark's noop set (20,000 x 4 KiB in 200 folders) with 1 and 2 worker
# processes, with pages of 1,000 objects (objects/s) and of 100 (activities/s).
#
#   bench/distributed.sh [--workers "1 2"] [--batches "1000 100"]
#
# Writes bench/distributed-results.md (the table SCALE.md quotes) and prints it.
# Needs the sandbox (./sandbox.sh up). The task hub "benchdist" is reused between runs.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
cd "$REPO"
WORKERS="1 2"
BATCHES="1000 100"
while [ $# -gt 0 ]; do
  case $1 in
    --workers) WORKERS=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
./sandbox.sh status >/dev/null 2>&1 || ./sandbox.sh up
eval "$(./sandbox.sh env)"
export SKYBRIDGE_HUB=benchdist SKYBRIDGE_HUB_STORAGE=$SANDBOX_BLOB_ENDPOINT
OUT=$BENCH/out/distributed; mkdir -p "$OUT"
SRC=s3://skybridge-bench-noop/noop
DST=$SANDBOX_BLOB_ENDPOINT/skybridge-bench-dist/noop

/usr/bin/python3 "$BENCH/seed.py" noop >&2
# Make the destination up to date once (a no-op copy when it already is).
./skybridge copy "$SRC" "$DST" --no-journal --progress none >&2

pids=()
stop_workers() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap stop_workers EXIT

rows=()
for batch in $BATCHES; do
  for w in $WORKERS; do
    for i in $(seq 1 "$w"); do ./skybridge migrate worker --concurrency 16 >"$OUT/worker-$batch-$w-$i.log" 2>&1 & pids+=($!); done
    sleep 3
    id=$(./skybridge migrate start "$SRC" "$DST" --partitions 16 --batch-size "$batch")
    ./skybridge migrate status "$id" --wait --output json >"$OUT/status-$batch-$w.json"
    stop_workers
    rows+=("$(/usr/bin/python3 - "$OUT/status-$batch-$w.json" "$w" "$batch" <<'PY'
import json, sys
from datetime import datetime
s = json.load(open(sys.argv[1]))
t = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))
secs = (t(s["last_updated_utc"]) - t(s["created_utc"])).total_seconds()
acts = s["pages"] + s["batches"] + 1  # planning pages, executed batches, the discovery
print(f"| {sys.argv[2]} | {sys.argv[3]:>5} | {s['planned']:,} | {s['skipped']:,} | {s['partitions']} | {acts} | {secs:.1f} | {s['planned']/secs:,.0f} | {acts/secs:.1f} |")
PY
)")
  done
done
{
  echo "| workers | batch | objects listed | skipped (up to date) | partitions | activities | seconds | objects/s | activities/s |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores by bench/distributed.sh (no-op: every object up to date; seconds from the orchestration's creation to its last update)."
} | tee "$BENCH/distributed-results.md"
