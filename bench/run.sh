#!/usr/bin/env bash
# Skybridge vs rclone, S3 (sandbox Ceph RGW) -> Azure Blob, side by side. See bench/README.md.
#
#   bench/run.sh [--reps N] [--concurrency N] [--sinks "blackhole blackhole-verify azurite"]
#                [--scenarios "large small noop onegib"] [--no-ceiling] [--rev REV|worktree]
#
# Writes bench/results.md and bench/results.json (and raw runs + logs under bench/out/).
# Needs the sandbox (started with ./sandbox.sh up when it is not running), GNU time, rclone, curl.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
OUT=${BENCH_OUT:-$BENCH/out}
PY=/usr/bin/python3

REPS=3
CONC=16
SINKS="blackhole blackhole-verify azurite"
SCENARIOS="large small noop onegib"
CEILING=1
REV=HEAD
BH_PORT=${BENCH_BLACKHOLE_PORT:-17500}
BHV_PORT=${BENCH_BLACKHOLE_VERIFY_PORT:-17502}
AZ_PORT=${BENCH_AZURITE_PORT:-17510}
AZ_LARGE=${BENCH_AZURITE_LARGE_OBJECTS:-2}     # large objects copied to Azurite (of 8)
# Two blackholes: "blackhole" with its checks off (--no-verify: the figure the targets use; checking the
# transactional MD5 / CRC64 is the service's work, done on Azure's servers, not on these 2 cores) and
# "blackhole-verify" checking every transactional Content-MD5 / CRC64 as Azure does (its CPU shows that cost).
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-300}          # seconds one tool run may take
# Filling a no-op container: both tools at once into one Azurite took 222 s and over 300 s (rclone
# stopped at 17,513 of 20,000 blobs and ended a 22-minute run): a fill is not a measurement, give it room.
POPULATE_TIMEOUT=${BENCH_POPULATE_TIMEOUT:-1200}
FILTER=()
ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='  # Azurite's well-known dev key
while [ $# -gt 0 ]; do
  case $1 in
    --reps) REPS=$2; shift 2 ;;
    --concurrency) CONC=$2; shift 2 ;;
    --sinks) SINKS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --no-ceiling) CEILING=0; shift ;;
    --rev) REV=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

T0=$(date +%s.%N)
log() { printf '[bench %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$OUT/logs"
RUNS=$OUT/runs.jsonl
: >"$RUNS"
rm -f "$OUT"/logs/*

# ------------------------------------------------------------------ prerequisites
# A new machine has no apt package lists yet (seen: "Unable to locate package rclone"): update first.
apt_install() { log "installing $*"; apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
[ -x /usr/bin/time ] || apt_install time
command -v rclone >/dev/null || apt_install rclone
# The sandbox is shared: a restart wipes RGW's memstore under everyone's tests. Under a heavy load one
# status check can fail on a service that is up (it happened at load 90): start it only when three
# checks 10 s apart all fail.
sandbox_up() { local i; for i in 1 2 3; do "$REPO/sandbox.sh" status >/dev/null 2>&1 && return 0; [ $i = 3 ] || sleep 10; done; return 1; }
sandbox_up || { log "starting the sandbox"; "$REPO/sandbox.sh" up; }
eval "$("$REPO/sandbox.sh" env)"
CA_DIR=$(dirname "$SANDBOX_CA_CERT")

# ------------------------------------------------------------------ build (private artifacts)
ART=$OUT/artifacts
if [ "$REV" = worktree ]; then
  SRC=$REPO; COMMIT="$(git -C "$REPO" rev-parse --short HEAD)+worktree"
else
  COMMIT=$(git -C "$REPO" rev-parse --short "$REV")
  SRC=$OUT/src
  if [ "$(cat "$SRC/.rev" 2>/dev/null)" != "$COMMIT" ]; then
    rm -rf "$SRC"; mkdir -p "$SRC"
    git -C "$REPO" archive "$COMMIT" src Directory.Build.props Directory.Packages.props | tar -x -C "$SRC"
    echo "$COMMIT" >"$SRC/.rev"
  fi
fi
log "building Skybridge ($COMMIT) and the blackhole sink"
# Published ReadyToRun, as ./skybridge runs it (older revisions without it still build this way);
# SKYBRIDGE_BUILD=composite as in ./skybridge: self-contained, one composite image with the framework.
SKY_BUILD=${SKYBRIDGE_BUILD:-readytorun}
case $SKY_BUILD in
  readytorun) SKY_PUBLISH=(--self-contained false -p:PublishReadyToRun=true) ;;
  composite) SKY_PUBLISH=(--self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true) ;;
  # SKYBRIDGE_BUILD=aot as in ./skybridge: one Native AOT executable (links with clang).
  aot) command -v clang >/dev/null || apt_install clang  # Native AOT links with clang
       SKY_PUBLISH=(-p:PublishAot=true) ;;
  *) die "SKYBRIDGE_BUILD='$SKY_BUILD' is unknown: unset it (readytorun) or set SKYBRIDGE_BUILD=composite or aot" ;;
esac
dotnet publish "$SRC/src/Skybridge.Cli/Skybridge.Cli.csproj" -c Release -r linux-x64 "${SKY_PUBLISH[@]}" \
  --artifacts-path "$ART/sky" -o "$ART/sky/publish" -nologo -v q \
  >"$OUT/logs/build-skybridge.log" 2>&1 || { tail -20 "$OUT/logs/build-skybridge.log" >&2; die "Skybridge build failed"; }
dotnet build "$BENCH/Skybridge.Bench.Blackhole/Skybridge.Bench.Blackhole.csproj" -c Release --artifacts-path "$ART/bh" -nologo -v q \
  >"$OUT/logs/build-blackhole.log" 2>&1 || { tail -20 "$OUT/logs/build-blackhole.log" >&2; die "blackhole build failed"; }
# The command that starts the CLI: the executable itself for Native AOT, else dotnet and the dll.
SKY_RUN=(dotnet "$ART/sky/publish/Skybridge.Cli.dll")
[ "$SKY_BUILD" = aot ] && SKY_RUN=("$ART/sky/publish/Skybridge.Cli")
BH_DLL=$ART/bh/bin/Skybridge.Bench.Blackhole/release/Skybridge.Bench.Blackhole.dll
sky() { "${SKY_RUN[@]}" "$@"; }
# Streamed copies only (this benchmark measures the bytes flowing through the tool's host): newer
# builds also offer service-side copies (--mode auto|service|stream), which the local sinks cannot serve.
SKY_MODE=(); case "$(sky copy --help 2>/dev/null)" in *--mode*) SKY_MODE=(--mode stream);; esac
# rclone sends no transactional MD5 with its blocks; Skybridge's default sends one over plain http
# (the blackhole) and none over https (Azurite here, Azure for real): none on both sinks, like rclone.
# Skybridge still hashes every byte once, to prove each copy against the source ETag.
case "$(sky copy --help 2>/dev/null)" in *--upload-checksum*) SKY_MODE+=(--upload-checksum none);; esac

# ------------------------------------------------------------------ source data
# The sandbox's RGW stores everything in a 4 GiB memstore OSD shared with every test: a full OSD
# blocks all writes (deletes too). The 2.2 GiB of large/small/no-op sets are kept across runs; the
# 1 GiB object exists only while its scenario runs.
CEPH_CONF=$REPO/.sandbox/ceph/ceph.conf
osd_free_mib() {
  timeout 20 ceph -c "$CEPH_CONF" --connect-timeout 5 tell osd.0 perf dump 2>/dev/null \
    | $PY -c 'import json,sys; d=json.load(sys.stdin)["osd"]; print(d["stat_bytes_avail"] // 2**20)' 2>/dev/null || echo -1
}
rgw_gc() { timeout 120 radosgw-admin -c "$CEPH_CONF" gc process --include-all >/dev/null 2>&1 || true; }
# The small and no-op sets (slow to seed: many objects) are kept across runs; the large set (2 GiB,
# ~30 s to seed) only while this run needs it (BENCH_KEEP_LARGE=1 keeps it).
sets=(small noop)
need_large=$CEILING; case " $SCENARIOS " in *" large "*) need_large=1;; esac
[ "$need_large" = 1 ] && sets=(large "${sets[@]}")
log "seeding the bench buckets: ${sets[*]} (OSD free: $(osd_free_mib) MiB)"
$PY "$BENCH/seed.py" "${sets[@]}" >"$OUT/logs/seed.log" 2>&1 || { tail -20 "$OUT/logs/seed.log" >&2; die "seeding failed"; }
large_dropped=0
drop_large() {
  large_dropped=1
  [ "${BENCH_KEEP_LARGE:-0}" = 1 ] && return 0
  $PY "$BENCH/seed.py" --delete large >>"$OUT/logs/seed.log" 2>&1 || log "could not delete the large set"
  rgw_gc
}
BUCKET_PREFIX=${BENCH_BUCKET_PREFIX:-skybridge-bench}

# Temporary credentials for rclone (and curl), from the same keyless chain Skybridge uses.
for attempt in 1 2 3; do
  if creds=$(sky auth aws-credentials --format env --no-cache 2>"$OUT/logs/auth.err"); then break; fi
  [ $attempt = 3 ] && { cat "$OUT/logs/auth.err" >&2; die "skybridge auth aws-credentials failed"; }
  sleep 2
done
eval "$creds"
unset AWS_CA_BUNDLE   # rclone's Go SDK cannot load this machine's bundle setting; the sandbox is http
export RCLONE_CONFIG=/dev/null
export RCLONE_CONFIG_SRC_TYPE=s3 RCLONE_CONFIG_SRC_PROVIDER=Ceph RCLONE_CONFIG_SRC_ENDPOINT=$SKYBRIDGE_S3_ENDPOINT \
  RCLONE_CONFIG_SRC_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
  RCLONE_CONFIG_SRC_SESSION_TOKEN=$AWS_SESSION_TOKEN
AZ_SAS=$($PY "$BENCH/tools.py" sas "$ACCOUNT" "$AZ_KEY")
export RCLONE_CONFIG_BLACKHOLE_TYPE=azureblob RCLONE_CONFIG_BLACKHOLE_SAS_URL="http://127.0.0.1:$BH_PORT/$ACCOUNT?$AZ_SAS"
export RCLONE_CONFIG_BLACKHOLEVERIFY_TYPE=azureblob RCLONE_CONFIG_BLACKHOLEVERIFY_SAS_URL="http://127.0.0.1:$BHV_PORT/$ACCOUNT?$AZ_SAS"
export RCLONE_CONFIG_AZURITE_TYPE=azureblob RCLONE_CONFIG_AZURITE_SAS_URL="https://127.0.0.1:$AZ_PORT/$ACCOUNT?$AZ_SAS"
declare -A DEST_URL=([blackhole]="http://127.0.0.1:$BH_PORT/$ACCOUNT" [blackhole-verify]="http://127.0.0.1:$BHV_PORT/$ACCOUNT" [azurite]="https://127.0.0.1:$AZ_PORT/$ACCOUNT")
declare -A RCLONE_REMOTE=([blackhole]=blackhole [blackhole-verify]=blackholeverify [azurite]=azurite)
declare -A BH_PORT_OF=([blackhole]=$BH_PORT [blackhole-verify]=$BHV_PORT)
is_blackhole() { case $1 in blackhole|blackhole-verify) return 0;; esac; return 1; }

# ------------------------------------------------------------------ sinks (ours: started and stopped by PID)
BH_PID=""; BHV_PID=""; AZ_PID=""
start_blackhole() { # sink: blackhole (checks off) | blackhole-verify (checks on); sets BH_PID / BHV_PID
  # setsid execs (no fork: a background job is no group leader here), so $! is the server's PID
  local sink=$1 port=${BH_PORT_OF[$1]} verify=(--no-verify)
  [ "$sink" = blackhole-verify ] && verify=()
  setsid dotnet "$BH_DLL" --port "$port" "${verify[@]}" >>"$OUT/logs/$sink.log" 2>&1 </dev/null &
  if [ "$sink" = blackhole ]; then BH_PID=$!; else BHV_PID=$!; fi
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "the $sink sink did not start (see $OUT/logs/$sink.log)"
}
# A private Azurite (https, the sandbox's certificate). In memory (default; restarted to free its RAM),
# or "disk": kept in bench/out/azurite-noop across runs, for the no-op containers (filling 20,000
# blobs into Azurite costs 2-4 minutes a tool).
start_azurite() {
  stop_azurite
  local store=(--inMemoryPersistence) dir=$OUT/azurite
  if [ "${1:-memory}" = disk ]; then dir=$OUT/azurite-noop; store=(--location "$dir"); fi
  mkdir -p "$dir"
  setsid env -C "$dir" node "$REPO/sandbox/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 \
    --blobPort "$AZ_PORT" --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" "${store[@]}" \
    --skipApiVersionCheck --disableTelemetry --silent >>"$OUT/logs/azurite.log" 2>&1 </dev/null &
  AZ_PID=$!
  for _ in $(seq 1 150); do
    if [ "$(curl -s --cacert "$CA_DIR/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$AZ_PORT/$ACCOUNT?comp=list")" != 000 ]; then
      # the tools trust the system store: it must hold this sandbox's CA (another checkout's
      # `sandbox.sh up`, e.g. a CI clone, installs its own)
      [ "$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$AZ_PORT/$ACCOUNT?comp=list")" != 000 ] \
        || die "the system trust store does not hold $CA_DIR/ca.pem (another sandbox replaced it): run ./sandbox.sh up"
      return 0
    fi
    sleep 0.1
  done
  die "Azurite did not start (see $OUT/logs/azurite.log)"
}
stop_pid() { local pid=$1; [ -n "$pid" ] || return 0; kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done; kill -9 "$pid" 2>/dev/null || true; }
stop_azurite() { stop_pid "$AZ_PID"; AZ_PID=""; }
cleanup() { stop_pid "$BH_PID"; stop_pid "$BHV_PID"; stop_azurite; }
trap cleanup EXIT
trap 'exit 130' INT TERM   # so the EXIT trap runs (and stops our sinks) when interrupted

need_sink() { case " $SINKS " in *" $1 "*) return 0;; esac; return 1; }
# The 1 GiB object goes to the blackhole sinks in SINKS (the plain one when none is listed).
ONEGIB_SINKS=""; for s in blackhole blackhole-verify; do need_sink $s && ONEGIB_SINKS="$ONEGIB_SINKS $s"; done
case " $SCENARIOS " in *" onegib "*) [ -n "$ONEGIB_SINKS" ] || ONEGIB_SINKS=blackhole;; esac
for s in blackhole blackhole-verify; do
  if need_sink $s || case " $ONEGIB_SINKS " in *" $s "*) true;; *) false;; esac; then start_blackhole $s; fi
done
need_sink azurite && start_azurite

# ------------------------------------------------------------------ measurement
TCK=$(getconf CLK_TCK)
RGW_PID=$(cat "$REPO/.sandbox/run/client.rgw.a.pid" 2>/dev/null || echo "")
cpu_of() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && awk -v t="$TCK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat" || echo null; }
sink_pid() { case $1 in blackhole) echo "$BH_PID";; blackhole-verify) echo "$BHV_PID";; azurite) echo "$AZ_PID";; esac; }
delta() { if [ "$1" = null ] || [ "$2" = null ]; then echo null; else awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; fi; }

# measure KIND SCENARIO SINK TOOL REP OBJECTS BYTES NAME -- command...
# Appends one JSON line to runs.jsonl; the command's stdout/stderr go to logs/NAME.{out,err}.
LAST_EXIT=0
measure() {
  local kind=$1 scenario=$2 sink=$3 tool=$4 rep=$5 objects=$6 bytes=$7 name=$8; shift 9
  local spid; spid=$(sink_pid "$sink")
  local s0 r0 s1 r1 rc=0
  s0=$(cpu_of "$spid"); r0=$(cpu_of "$RGW_PID")
  # timeout: a hung tool becomes a failed run instead of a stuck benchmark
  local limit=$RUN_TIMEOUT; [ "$kind" = populate ] && limit=$POPULATE_TIMEOUT
  /usr/bin/time -f '%e %U %S %M' -o "$OUT/logs/$name.time" timeout "$limit" "$@" >"$OUT/logs/$name.out" 2>"$OUT/logs/$name.err" || rc=$?
  s1=$(cpu_of "$spid"); r1=$(cpu_of "$RGW_PID")
  local wall user sys rss
  read -r wall user sys rss < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$OUT/logs/$name.time" | tail -1)
  LAST_EXIT=$rc
  printf '{"kind":"%s","scenario":"%s","sink":"%s","tool":"%s","rep":%s,"objects":%s,"bytes":%s,"wall":%s,"user":%s,"sys":%s,"rss_kb":%s,"exit":%s,"sink_cpu":%s,"rgw_cpu":%s,"name":"%s"' \
    "$kind" "$scenario" "$sink" "$tool" "$rep" "$objects" "$bytes" "${wall:-null}" "${user:-null}" "${sys:-null}" "${rss:-null}" "$rc" \
    "$(delta "$s0" "$s1")" "$(delta "$r0" "$r1")" "$name" >"$OUT/logs/$name.json"
}
# finish the JSON line: verified flag, bytes actually moved, note
finish() { # name verified moved_bytes note
  printf ',"verified":%s,"moved_bytes":%s,"note":"%s"}\n' "$2" "$3" "$4" >>"$OUT/logs/$1.json"
  cat "$OUT/logs/$1.json" >>"$RUNS"
}

# ------------------------------------------------------------------ data sets
declare -A SET_OBJECTS=([large]=8 [small]=5000 [noop]=20000 [onegib]=1)
declare -A SET_BYTES=([large]=$((8 * 256 * 1024 * 1024)) [small]=$((5000 * 16384)) [noop]=$((20000 * 4096)) [onegib]=$((1024 * 1024 * 1024)))
bucket_of() { local b="$BUCKET_PREFIX-$1"; [ "${BENCH_MULTIPART:-0}" = 1 ] && case $1 in large|onegib) b="$b-mp";; esac; echo "$b"; }

copy_cmd() { # tool sink bucket container -> prints nothing; sets CMD array
  local tool=$1 sink=$2 bucket=$3 container=$4
  if [ "$tool" = skybridge ]; then
    # The same account SAS as rclone's sas_url (a connection string would make Skybridge sign
    # every request with the account key, a cost rclone does not pay).
    # BENCH_SKY_WRAP: a command put in front of Skybridge's, e.g. "dotnet-trace collect -o sky.nettrace --" to profile it.
    # shellcheck disable=SC2206
    local wrap=(${BENCH_SKY_WRAP:-})
    CMD=(env "SKYBRIDGE_DEST_SAS=$AZ_SAS" "${wrap[@]}" "${SKY_RUN[@]}" copy "s3://$bucket" "${DEST_URL[$sink]}/$container"
         --concurrency "$CONC" --progress none --output json "${SKY_MODE[@]}" "${FILTER[@]}")
  else
    # Fair tuning: same concurrency for transfers and checkers; one recursive listing each side;
    # size+MD5 as the "unchanged" test (the equivalent of Skybridge's size+ETag; rclone's default
    # size+mtime would HEAD every S3 object for its mtime metadata); Skybridge's 8 MiB x 8 blocks.
    CMD=(rclone copy "src:$bucket" "${RCLONE_REMOTE[$sink]}:$container" --transfers "$CONC" --checkers "$CONC" --fast-list --checksum
         --azureblob-chunk-size 8M --azureblob-upload-concurrency 8 --stats 1h --stats-log-level NOTICE --retries 1 "${FILTER[@]}")
  fi
}

# Checks what a run left at the destination: blob count and bytes (blackhole: its own counters;
# Azurite: one listing). Prints "count bytes".
dest_inventory() { # sink container
  if is_blackhole "$1"; then
    curl -fsS "http://127.0.0.1:${BH_PORT_OF[$1]}/_blackhole/stats?container=$ACCOUNT/$2" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["blobs"], d["committedBytes"])'
  else
    # A container not there yet (a new machine's first no-op fill) prints nothing: "0 0", no traceback.
    rclone size "$1:$2" --fast-list --json 2>/dev/null | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["count"], d["bytes"])' 2>/dev/null || echo "0 0"
  fi
}
drop_container() { # sink container
  if is_blackhole "$1"; then curl -fsS -X DELETE "http://127.0.0.1:${BH_PORT_OF[$1]}/$ACCOUNT/$2?restype=container" >/dev/null 2>&1 || true; fi
}

# one copy run into a fresh container, verified, then dropped
copy_run() { # scenario sink tool rep
  local scenario=$1 sink=$2 tool=$3 rep=$4
  local container="b-$scenario-$tool-$rep-$RANDOM" name="$scenario-$sink-$tool-$rep"
  local objects=${SET_OBJECTS[$scenario]} bytes_expected=${SET_BYTES[$scenario]}
  FILTER=()
  if [ "$scenario" = large ] && [ "$sink" = azurite ] && [ "$AZ_LARGE" -lt 8 ]; then
    # Azurite ingests ~40 MB/s whoever sends: the full 2 GiB would cost ~55 s a run. Use the first
    # AZ_LARGE objects (the blackhole runs all 8).
    local i; for i in $(seq 0 $((AZ_LARGE - 1))); do FILTER+=(--include "$(printf 'large/obj-%02d.bin' "$i")"); done
    objects=$AZ_LARGE; bytes_expected=$((AZ_LARGE * 256 * 1024 * 1024))
  fi
  copy_cmd "$tool" "$sink" "$(bucket_of "$scenario")" "$container"
  measure run "$scenario" "$sink" "$tool" "$rep" "$objects" "$bytes_expected" "$name" -- "${CMD[@]}"
  local count bytes ok=true note=""
  read -r count bytes < <(dest_inventory "$sink" "$container")
  if [ "$LAST_EXIT" != 0 ]; then ok=false; note="exit $LAST_EXIT: $(tail -c 300 "$OUT/logs/$name.err" | tr '\n"\\' "  /")"
  elif [ "$count" != "$objects" ] || [ "$bytes" != "$bytes_expected" ]; then
    ok=false; note="destination has $count blobs / $bytes bytes, expected $objects / $bytes_expected"
  fi
  finish "$name" "$ok" "$bytes_expected" "$note"
  log "  $name: $(timing "$name") $([ $ok = true ] && echo ok || echo "FAILED: $note")"
  drop_container "$sink" "$container"
}

timing() { grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$OUT/logs/$1.time" | tail -1 | awk '{printf "wall %ss cpu %.1fs rss %d MB", $1, $2+$3, $4/1024}'; }
order_for() { [ $(($1 % 2)) = 1 ] && echo "skybridge rclone" || echo "rclone skybridge"; }

# ------------------------------------------------------------------ meta
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
printf '{"kind":"meta","date":"%s","machine":"%s cores, %s","cpu":"%s","memory":"%s","os":"%s","dotnet":"%s","skybridge_commit":"%s","skybridge_build":"%s","rclone":"%s","rgw":"%s","azurite":"%s","concurrency":%s,"reps":%s,"load_at_start":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(uname -m)" "$cpu_model" "$(free -g | awk '/Mem:/{print $2" GiB"}')" \
  "$(. /etc/os-release; echo "$PRETTY_NAME")" "$(dotnet --version)" "$COMMIT" "$SKY_BUILD" "$(rclone version 2>/dev/null | head -1)" \
  "$(radosgw --version 2>/dev/null | awk '{print $3, $5}')" "$(node -p 'require(process.argv[1]).version' "$REPO/sandbox/node_modules/azurite/package.json" 2>/dev/null)" \
  "$CONC" "$REPS" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/meta.json"
# The two copy commands as every run starts them (here: the small set into the blackhole), for
# results.md's "How the numbers were reached"; the account SAS is left out, never written down.
copy_cmd skybridge blackhole "$(bucket_of small)" CONTAINER; sky_cmd="${CMD[*]}"
copy_cmd rclone blackhole "$(bucket_of small)" CONTAINER; rclone_cmd="${CMD[*]}"
$PY - "$OUT/meta.json" "$sky_cmd" "$rclone_cmd" "$AZ_SAS" "$REPO/" <<'PY'
import json, sys
path, sky, rclone, sas, repo = sys.argv[1:]
meta = json.load(open(path))
meta["commands"] = {"skybridge": sky.replace(sas, "<account SAS>").replace(repo, ""), "rclone": rclone.replace(repo, "")}
json.dump(meta, open(path, "w"))
PY

# ------------------------------------------------------------------ source ceiling
if [ $CEILING = 1 ]; then
  log "source ceiling: parallel ranged GETs of the large set to /dev/null ($CONC at once, 8 MiB ranges)"
  read -r c_objects c_bytes c_ranges < <($PY "$BENCH/tools.py" ceiling-config "$(bucket_of large)" $((8 * 1024 * 1024)) "$OUT/ceiling.curl")
  chmod 600 "$OUT/ceiling.curl"
  for rep in $(seq 1 "$REPS"); do
    name="ceiling-$rep"
    measure ceiling large rgw curl "$rep" "$c_objects" "$c_bytes" "$name" -- curl -sS --no-progress-meter --fail --parallel --parallel-max "$CONC" -K "$OUT/ceiling.curl"
    printf ',"concurrency":%s,"range_bytes":%s,"verified":%s}\n' "$CONC" $((8 * 1024 * 1024)) "$([ "$LAST_EXIT" = 0 ] && echo true || echo false)" >>"$OUT/logs/$name.json"
    cat "$OUT/logs/$name.json" >>"$RUNS"
    log "  $name: $(awk -v b="$c_bytes" '{printf "wall %ss = %.0f MB/s", $1, b/1e6/$1}' "$OUT/logs/$name.time" | tail -1)"
  done
  rm -f "$OUT/ceiling.curl"   # presigned URLs carry the session token
fi

# ------------------------------------------------------------------ matrix
for scenario in $SCENARIOS; do
  case $scenario in
    large|small)
      for sink in $SINKS; do
        log "$scenario objects -> $sink"
        for rep in $(seq 1 "$REPS"); do
          for tool in $(order_for "$rep"); do
            copy_run "$scenario" "$sink" "$tool" "$rep"
            [ "$sink" = azurite ] && [ "$scenario" = large ] && start_azurite   # free Azurite's RAM
          done
        done
        [ "$sink" = azurite ] && start_azurite
      done
      [ "$scenario" = large ] && drop_large ;;
    noop)
      for sink in $SINKS; do
        [ "$sink" = blackhole-verify ] && continue   # a no-op run writes nothing: nothing for the sink to check
        log "no-op re-run -> $sink: both tools first fill their own containers (at the same time: not a comparison)"
        declare -A NOOP_CONTAINER=()
        FILTER=(); fill_pids=(); filled=()
        [ "$sink" = azurite ] && start_azurite disk
        for tool in skybridge rclone; do
          if [ "$sink" = azurite ]; then
            # kept across runs (per Skybridge commit: its metadata may change), filled when incomplete
            NOOP_CONTAINER[$tool]="noop-$tool"
            [ "$tool" = skybridge ] && NOOP_CONTAINER[$tool]="noop-skybridge-$(echo "$COMMIT" | tr -c 'a-z0-9\n-' '-')"
            read -r count bytes < <(dest_inventory "$sink" "${NOOP_CONTAINER[$tool]}")
            if [ "$count" = 20000 ]; then log "  $sink/${NOOP_CONTAINER[$tool]}: already filled (kept from an earlier run)"; continue; fi
          else
            NOOP_CONTAINER[$tool]="b-noop-$tool-$RANDOM"
          fi
          copy_cmd "$tool" "$sink" "$(bucket_of noop)" "${NOOP_CONTAINER[$tool]}"
          measure populate populate "$sink" "$tool" 1 20000 "${SET_BYTES[noop]}" "populate-$sink-$tool" -- "${CMD[@]}" &
          fill_pids+=($!); filled+=("$tool")
        done
        [ ${#fill_pids[@]} = 0 ] || wait "${fill_pids[@]}"   # not a bare `wait`: the sinks are background jobs of this shell too
        for tool in "${filled[@]}"; do
          name="populate-$sink-$tool"
          read -r count bytes < <(dest_inventory "$sink" "${NOOP_CONTAINER[$tool]}")
          rc=$(grep -o '"exit":[0-9]*' "$OUT/logs/$name.json" | cut -d: -f2)
          ok=true; note=""
          [ "$rc" = 0 ] && [ "$count" = 20000 ] || { ok=false; note="exit $rc, destination has $count blobs"; }
          finish "$name" "$ok" "${SET_BYTES[noop]}" "$note"
          log "  $name: $(timing "$name") $([ $ok = true ] && echo ok || echo "FAILED: $note")"
          [ $ok = true ] || die "could not fill the no-op container for $tool on $sink"
        done
        for rep in $(seq 1 "$REPS"); do
          for tool in $(order_for "$rep"); do
            name="noop-$sink-$tool-$rep"
            before=""
            [ "$sink" = blackhole ] && before=$(curl -fsS "http://127.0.0.1:$BH_PORT/_blackhole/stats" | $PY -c 'import json,sys; o=json.load(sys.stdin)["operations"]; print(o.get("PutBlob",0)+o.get("PutBlockList",0))')
            copy_cmd "$tool" "$sink" "$(bucket_of noop)" "${NOOP_CONTAINER[$tool]}"
            measure run noop "$sink" "$tool" "$rep" 20000 "${SET_BYTES[noop]}" "$name" -- "${CMD[@]}"
            ok=true; note=""
            if [ "$LAST_EXIT" != 0 ]; then ok=false; note="exit $LAST_EXIT"
            elif [ "$sink" = blackhole ]; then
              after=$(curl -fsS "http://127.0.0.1:$BH_PORT/_blackhole/stats" | $PY -c 'import json,sys; o=json.load(sys.stdin)["operations"]; print(o.get("PutBlob",0)+o.get("PutBlockList",0))')
              [ "$after" = "$before" ] || { ok=false; note="wrote $((after - before)) blobs on a no-op run"; }
            elif [ "$tool" = skybridge ]; then
              grep -q '"copied": 0,' "$OUT/logs/$name.out" || { ok=false; note="copied objects on a no-op run"; }
            else
              # rclone prints a "Transferred: N / M" count line only when it transferred something
              ! grep -qE 'Transferred:[[:space:]]+[0-9]+ / [0-9]+' "$OUT/logs/$name.err" || { ok=false; note="transferred objects on a no-op run"; }
            fi
            finish "$name" "$ok" 0 "$note"
            log "  $name: $(timing "$name") $([ $ok = true ] && echo ok || echo "FAILED: $note")"
          done
        done
        for tool in skybridge rclone; do drop_container "$sink" "${NOOP_CONTAINER[$tool]}"; done
        [ "$sink" = azurite ] && start_azurite memory
      done ;;
    onegib)
      free=$(osd_free_mib)
      if [ "$free" -ge 0 ] && [ "$free" -lt 1280 ]; then
        log "memory bound: SKIPPED, the sandbox OSD has only $free MiB free (1 GiB + 256 MiB margin needed)"
        continue
      fi
      log "memory bound: one 1 GiB object ->$ONEGIB_SINKS (seeded now, deleted after)"
      $PY "$BENCH/seed.py" onegib >>"$OUT/logs/seed.log" 2>&1 || { tail -20 "$OUT/logs/seed.log" >&2; die "seeding the 1 GiB object failed"; }
      for sink in $ONEGIB_SINKS; do
        for rep in $(seq 1 "$REPS"); do
          for tool in $(order_for "$rep"); do copy_run onegib "$sink" "$tool" "$rep"; done
        done
      done
      $PY "$BENCH/seed.py" --delete onegib >>"$OUT/logs/seed.log" 2>&1 || log "could not delete the 1 GiB object"
      rgw_gc ;;
    *) die "unknown scenario $scenario" ;;
  esac
done

[ "$need_large" = 1 ] && [ "$large_dropped" = 0 ] && drop_large

# ------------------------------------------------------------------ report
total=$(echo "$(date +%s.%N) - $T0" | bc)
$PY - "$OUT/meta.json" "$total" "$(cut -d' ' -f1-3 /proc/loadavg)" "$RUNS" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
meta["total_seconds"] = round(float(sys.argv[2]), 1)
meta["load_at_end"] = sys.argv[3]
meta["note"] = (f"load average (1/5/15 min) at start {meta['load_at_start']}, at end {meta['load_at_end']}: "
                "it counts this script's own build, sandbox, sinks and runs, and anything else on these 2 cores")
lines = open(sys.argv[4]).read()
open(sys.argv[4], "w").write(json.dumps(meta) + "\n" + lines)
PY
$PY "$BENCH/tools.py" report "$RUNS" "$BENCH/results.md" "$BENCH/results.json"
log "done in ${total%.*}s: bench/results.md, bench/results.json (raw: ${RUNS#$REPO/})"
