#!/usr/bin/env bash
# Skybridge local sandbox — TEST STAND-INS ONLY, everything on 127.0.0.1.
#
#   AWS side:   single-node Ceph (mon + memstore OSD) + radosgw with real STS/IAM/S3
#   Azure side: Entra ID stand-in (sandbox/Skybridge.LocalCloud, C#) + Azurite (https, OAuth "basic")
#
# Usage: ./sandbox.sh up       start (idempotent: exits fast when already running and healthy)
#        ./sandbox.sh down     stop what 'up' started (by PID) and delete Ceph/Azurite data
#        ./sandbox.sh status   one line per component; exit 0 only if all are healthy
#        ./sandbox.sh env      print 'export K=V' lines for tests, demo and the CLI (exit 1 if not up)
#
# Ports: Ceph mon 17300/17301, OSD 17400-17499, RGW 17080, Entra stand-in 17090 (http) / 17091 (https),
#        Azurite blob/queue/table 10000/10001/10002 (https), copy-from-URL shim in front of Azurite 10100 (https;
#        TEST STAND-IN: performs Put Blob/Block From URL itself, which Azurite cannot; log .sandbox/log/copy-shim.log).
# State: $REPO/.sandbox/ (gitignored). Kept across 'down': ca/ (local CA + server cert, installed in
#        the system trust store), entra/ (signing keys), identity-header, build/ (stand-in binaries).
# Needs root for apt-get and the system CA store (this project's machines run as root).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S=$REPO/.sandbox
RUN=$S/run
LOG=$S/log
CEPH_DIR=$S/ceph
CA_DIR=$S/ca
ENV_FILE=$S/env.sh

TENANT_ID=7f3c1a52-5b0e-4c1e-9d7a-2b8e6f4a9c10
AUDIENCE=api://skybridge-sandbox
ROLE_NAME=skybridge-sandbox
PINNED_ROLE_NAME=skybridge-sandbox-pinned
BUCKET=skybridge-demo
MON_V2=17300; MON_V1=17301
RGW_PORT=17080
ENTRA_HTTP=17090; ENTRA_HTTPS=17091
BLOB_PORT=10000; QUEUE_PORT=10001; TABLE_PORT=10002
SHIM_PORT=10100                          # copy-from-URL shim (sandbox/Skybridge.LocalCloud/CopyFromUrlShim) -> Azurite
STS_KEY=skybridgesbx0001                 # rgw sts key: exactly 16 chars (test value)
ADMIN_AK=SKYBRIDGEADMIN000001            # RGW admin user: fixed TEST keys, sandbox only
ADMIN_SK=skybridgeadminsecret00000000000000000001
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
PY=/usr/bin/python3                      # Debian python with python3-boto3 (not the pyenv shim)
CEPH="ceph -c $CEPH_DIR/ceph.conf --connect-timeout 15"
APT_PACKAGES=(radosgw ceph-mon ceph-osd python3-boto3 awscli rclone uuid-runtime bc sqlite3 openssl curl ca-certificates util-linux iproute2)
LOCALCLOUD_DLL=$S/build/bin/Skybridge.LocalCloud/release/Skybridge.LocalCloud.dll
AZURITE_JS=$REPO/sandbox/node_modules/azurite/dist/src/azurite.js

T0=$(date +%s.%N)
log() { echo "[sandbox $(date +%T.%3N)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
elapsed() { echo "$(date +%s.%N) - ${1:-$T0}" | bc | xargs printf '%.1f'; }

# ---------------------------------------------------------------- processes ---
# name:pidfile:cmdline-pattern (the pattern guards against a recycled PID)
COMPONENTS=(
  "entra-standin:$RUN/entra.pid:Skybridge.LocalCloud"
  "azurite:$RUN/azurite.pid:azurite"
  "copy-shim:$RUN/copy-shim.pid:copy-shim"
  "ceph-mon:$RUN/mon.a.pid:ceph-mon"
  "ceph-osd:$RUN/osd.0.pid:ceph-osd"
  "radosgw:$RUN/client.rgw.a.pid:radosgw"
)

# prints the PID if the pid file names a live process whose command line matches the pattern
live_pid() {
  local file=$1 pattern=$2 pid
  [ -s "$file" ] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern" || return 1
  echo "$pid"
}

# all component processes alive + configuration finished (cheap: no network); $1: a component to leave out
all_alive() {
  [ -e "$RUN/ready" ] || return 1
  local c name
  for c in "${COMPONENTS[@]}"; do
    IFS=: read -r name file pattern <<<"$c"
    [ "$name" = "${1:-}" ] && continue
    live_pid "$file" "$pattern" >/dev/null || return 1
  done
}

# a process that exists and is not a zombie (killed daemons stay zombies until PID 1 reaps them)
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# TERM, wait up to $1 seconds, then KILL; for the components named in the remaining args
stop_components() {
  local secs=$1; shift
  local c pids=() pid p want
  for c in "${COMPONENTS[@]}"; do
    IFS=: read -r name file pattern <<<"$c"
    for want in "$@"; do
      [ "$want" = "$name" ] || continue
      if pid=$(live_pid "$file" "$pattern"); then
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid:$name")
      fi
    done
  done
  local deadline; deadline=$(echo "$(date +%s.%N) + $secs" | bc)
  for p in "${pids[@]}"; do
    pid=${p%%:*}
    while alive "$pid" && [ "$(echo "$(date +%s.%N) < $deadline" | bc)" = 1 ]; do sleep 0.05; done
    if alive "$pid"; then
      log "${p#*:} (pid $pid) still running ${secs}s after SIGTERM: SIGKILL"  # usual for ceph-osd
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.02; done
    fi
  done
}

stop_all() {
  # clients of RADOS first (radosgw hangs in shutdown once the OSD/mon are gone), then Ceph
  # (their data is thrown away anyway: a memstore OSD does not need a clean shutdown)
  stop_components 5 radosgw entra-standin copy-shim azurite
  log "radosgw, stand-in, azurite stopped ($(elapsed)s)"
  stop_components 1 ceph-osd ceph-mon
  rm -f "$RUN"/*.pid "$RUN/ready"
}

# start a long-running process detached from our stdio/session; record its PID
spawn() {
  local name=$1; shift
  setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
}

wait_for() {  # wait_for <what> <seconds> <pidfile|-> <command...>  (fails fast if the process died)
  local what=$1 secs=$2 pidfile=$3; shift 3
  local deadline; deadline=$(echo "$(date +%s.%N) + $secs" | bc)
  until "$@" >/dev/null 2>&1; do
    if [ "$(echo "$(date +%s.%N) > $deadline" | bc)" = 1 ]; then return 1; fi
    if [ "$pidfile" != - ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null || echo 0)" 2>/dev/null; then
      log "$what exited"; return 1
    fi
    sleep 0.1
  done
  log "$what ready ($(elapsed)s)"
}

# ---------------------------------------------------------------- install -----
ensure_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$LOG/apt.log" 2>&1 || { cat "$LOG/apt.log" >&2; die "apt-get update failed"; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG/apt.log" 2>&1 \
      || { tail -30 "$LOG/apt.log" >&2; die "apt-get install failed"; }
  fi
  command -v dotnet >/dev/null || die "dotnet SDK not found (needed to build sandbox/Skybridge.LocalCloud)"
}

ensure_azurite() {
  local stamp=$REPO/sandbox/node_modules/.skybridge-npm-ci
  if [ ! -f "$AZURITE_JS" ] || [ ! -f "$stamp" ] || [ "$REPO/sandbox/package-lock.json" -nt "$stamp" ]; then
    log "npm ci (azurite, from sandbox/package-lock.json)"
    (cd "$REPO/sandbox" && npm ci --no-audit --no-fund --loglevel=error >"$LOG/npm.log" 2>&1) \
      || { tail -30 "$LOG/npm.log" >&2; die "npm ci failed"; }
    touch "$stamp"
  fi
}

localcloud_outdated() {
  [ -f "$LOCALCLOUD_DLL" ] || return 0
  [ -n "$(find "$REPO/sandbox/Skybridge.LocalCloud" "$REPO/Directory.Build.props" "$REPO/Directory.Packages.props" \
      \( -name bin -o -name obj \) -prune -o -type f -newer "$LOCALCLOUD_DLL" -print | head -1)" ]
}

ensure_localcloud() {
  local src=$REPO/sandbox/Skybridge.LocalCloud
  if localcloud_outdated; then
    log "building the Entra ID stand-in (sandbox/Skybridge.LocalCloud)"
    # own artifacts dir; no build servers: nothing may linger holding our caller's stdio
    dotnet build "$src/Skybridge.LocalCloud.csproj" -c Release --artifacts-path "$S/build" \
      --disable-build-servers -nologo -v:q >"$LOG/build.log" 2>&1 \
      || { tail -30 "$LOG/build.log" >&2; die "building Skybridge.LocalCloud failed"; }
    touch "$LOCALCLOUD_DLL"
  fi
}

# Local CA + server certificate for 127.0.0.1/localhost, trusted system-wide (so .NET, curl, python
# and node trust Azurite and the stand-in's https port). Generated once, kept across 'down'.
ensure_ca() {
  mkdir -p "$CA_DIR"
  if [ ! -s "$CA_DIR/ca.pem" ] || [ ! -s "$CA_DIR/server.pem" ]; then
    log "generating the sandbox CA and server certificate"
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$CA_DIR/ca.key" -out "$CA_DIR/ca.pem" -subj "/CN=Skybridge sandbox local CA (TEST ONLY)" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$CA_DIR/server.key" \
      -out "$CA_DIR/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$CA_DIR/server.ext"
    openssl x509 -req -in "$CA_DIR/server.csr" -CA "$CA_DIR/ca.pem" -CAkey "$CA_DIR/ca.key" \
      -CAcreateserial -days 825 -sha256 -extfile "$CA_DIR/server.ext" -out "$CA_DIR/server.pem" 2>/dev/null
    chmod 600 "$CA_DIR/ca.key" "$CA_DIR/server.key"
  fi
  local trusted=/usr/local/share/ca-certificates/skybridge-sandbox-ca.crt
  if ! cmp -s "$CA_DIR/ca.pem" "$trusted"; then
    log "installing the sandbox CA into the system trust store"
    cp "$CA_DIR/ca.pem" "$trusted"
    update-ca-certificates >"$LOG/update-ca.log" 2>&1 || { cat "$LOG/update-ca.log" >&2; die "update-ca-certificates failed"; }
  fi
}

identity_header() {
  if [ ! -s "$S/identity-header" ]; then
    (umask 077; openssl rand -hex 24 >"$S/identity-header")
  fi
  cat "$S/identity-header"
}

# TEST STAND-IN: the copy-from-URL shim (same binary as the Entra stand-in, 'copy-shim' mode)
start_copy_shim() {
  setsid dotnet "$LOCALCLOUD_DLL" copy-shim --port "$SHIM_PORT" --upstream "https://127.0.0.1:$BLOB_PORT" \
    --https-cert "$CA_DIR/server.pem" --https-key "$CA_DIR/server.key" --log "$LOG/copy-shim.log" \
    >>"$LOG/copy-shim.out" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/copy-shim.pid"
}

ensure_copy_shim() {
  live_pid "$RUN/copy-shim.pid" copy-shim >/dev/null && return 0
  start_copy_shim
  wait_for "copy-from-URL shim" 30 "$RUN/copy-shim.pid" copy_shim_ok || { tail -20 "$LOG/copy-shim.out" >&2; die "copy-from-URL shim did not start"; }
}

start_entra() {
  spawn entra dotnet "$LOCALCLOUD_DLL" --state-dir "$S/entra" --identity-header "$1" \
    --https-cert "$CA_DIR/server.pem" --https-key "$CA_DIR/server.key" \
    --http-port "$ENTRA_HTTP" --https-port "$ENTRA_HTTPS"
}

# ---------------------------------------------------------------- ceph --------
write_ceph_conf() {
  cat >"$CEPH_DIR/ceph.conf" <<EOF
[global]
fsid = $1
mon host = [v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false
ms bind port min = 17400
ms bind port max = 17499
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $CEPH_DIR/\$name.keyring
admin socket = $CEPH_DIR/\$name.asok
pid file = $RUN/\$name.pid
run dir = $CEPH_DIR
log file = $LOG/\$name.log
crash dir = $CEPH_DIR/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
auth allow insecure global id reclaim = false

[mon]
keyring = \$mon_data/keyring
mon data = $CEPH_DIR/mon/\$cluster-\$id
mon data avail warn = 1
mon data avail crit = 0
# the default (1 s) makes every pool creation cost ~1 s: 14 s instead of ~3 s to a working RGW
paxos propose interval = 0.05
paxos min wait = 0.01

[osd]
osd data = $CEPH_DIR/osd/\$cluster-\$id
osd objectstore = memstore
# RAM-backed: grows only as data is written. 8 GiB leaves room for the benchmarks and a full
# test run (a full OSD makes every S3 write hang) on a 24 GiB machine.
memstore device bytes = 8589934592
osd memory target = 1073741824
osd max object name len = 460

[client.rgw.a]
# tcp_nodelay: without it every small GET waits ~40 ms (Nagle against the client's delayed ACK):
# 16 parallel 16 KiB GETs ran at ~350 objects/s whatever the client, 5,000 in 14 s with curl.
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $CEPH_DIR/rgw
rgw sts key = $STS_KEY
rgw s3 auth use sts = true
rgw enable apis = s3, s3website, admin, sts, iam
rgw thread pool size = 64
debug rgw = ${RGW_DEBUG:-1}
EOF
}

start_ceph() {
  mkdir -p "$CEPH_DIR"/{mon,osd/ceph-0,rgw,crash}
  local fsid; fsid=$(uuidgen)
  write_ceph_conf "$fsid"
  ceph-authtool --create-keyring "$CEPH_DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$CEPH_DIR/client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$CEPH_DIR/mon.keyring" --import-keyring "$CEPH_DIR/client.admin.keyring" >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_V2,v1:127.0.0.1:$MON_V1]" "$CEPH_DIR/monmap" >/dev/null
  ceph-mon -c "$CEPH_DIR/ceph.conf" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/mon.keyring"
  # Ceph daemons fork into the background themselves and write their own pid files into $RUN
  ceph-mon -c "$CEPH_DIR/ceph.conf" -i a </dev/null 9>&- >>"$LOG/ceph-mon.out" 2>&1
  log "ceph-mon started ($(elapsed)s)"

  local uuid secret id
  uuid=$(uuidgen); secret=$(ceph-authtool --gen-print-key)
  id=$(echo "{\"cephx_secret\": \"$secret\"}" | $CEPH osd new "$uuid" -i -)
  [ "$id" = 0 ] || die "expected osd id 0, got '$id'"
  ceph-authtool --create-keyring "$CEPH_DIR/osd/ceph-0/keyring" --name osd.0 --add-key "$secret" >/dev/null
  ceph-osd -c "$CEPH_DIR/ceph.conf" -i 0 --mkfs --osd-uuid "$uuid" --keyring "$CEPH_DIR/osd/ceph-0/keyring" \
    >"$LOG/osd-mkfs.log" 2>&1 || { tail -20 "$LOG/osd-mkfs.log" >&2; die "ceph-osd --mkfs failed"; }
  ceph-osd -c "$CEPH_DIR/ceph.conf" -i 0 --keyring "$CEPH_DIR/osd/ceph-0/keyring" </dev/null 9>&- >>"$LOG/ceph-osd.out" 2>&1
  wait_for "ceph-osd" 30 "$RUN/osd.0.pid" bash -c "$CEPH osd stat -f json 2>/dev/null | grep -q '\"num_up_osds\":1'" \
    || { tail -20 "$LOG/osd.0.log" >&2; die "OSD did not come up"; }

  $CEPH auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' -o "$CEPH_DIR/client.rgw.a.keyring"
  radosgw -c "$CEPH_DIR/ceph.conf" -n client.rgw.a </dev/null 9>&- >>"$LOG/radosgw.out" 2>&1
}

# ---------------------------------------------------------------- health ------
entra_ok()   { curl -fsS --max-time 2 "http://127.0.0.1:$ENTRA_HTTP/healthz" >/dev/null && \
               curl -fsS --max-time 2 --cacert "$CA_DIR/ca.pem" "https://127.0.0.1:$ENTRA_HTTPS/healthz" >/dev/null; }
rgw_ok()     { curl -fsS --max-time 2 "http://127.0.0.1:$RGW_PORT/" >/dev/null; }
# any HTTP answer over verified TLS (an anonymous request gets 4xx)
azurite_ok() { local code; code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$CA_DIR/ca.pem" \
               "https://127.0.0.1:$BLOB_PORT/devstoreaccount1?comp=list") && [ "$code" != 000 ]; }

copy_shim_ok() { local code; code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$CA_DIR/ca.pem" \
               "https://127.0.0.1:$SHIM_PORT/devstoreaccount1?comp=list") && [ "$code" != 000 ]; }

status() {
  local rc=0 c name file pattern pid health
  for c in "${COMPONENTS[@]}"; do
    IFS=: read -r name file pattern <<<"$c"
    if ! pid=$(live_pid "$file" "$pattern"); then
      printf '%-14s DOWN\n' "$name"; rc=1; continue
    fi
    health=ok
    case $name in
      entra-standin) entra_ok || health=UNHEALTHY; url="http://127.0.0.1:$ENTRA_HTTP https://127.0.0.1:$ENTRA_HTTPS" ;;
      azurite) azurite_ok || health=UNHEALTHY; url="https://127.0.0.1:$BLOB_PORT (queue $QUEUE_PORT, table $TABLE_PORT)" ;;
      copy-shim) copy_shim_ok || health=UNHEALTHY; url="https://127.0.0.1:$SHIM_PORT -> Azurite (copy-from-URL shim, log $LOG/copy-shim.log)" ;;
      radosgw) rgw_ok || health=UNHEALTHY; url="http://127.0.0.1:$RGW_PORT (S3, STS, IAM)" ;;
      ceph-mon) url="127.0.0.1:$MON_V2/$MON_V1" ;;
      ceph-osd) url="memstore" ;;
    esac
    [ $health = ok ] || rc=1
    printf '%-14s %-9s pid %-7s %s\n' "$name" "$health" "$pid" "$url"
  done
  if [ -e "$RUN/ready" ]; then
    printf '%-14s %-9s %s\n' "iam-config" ok "OIDC provider, role $ROLE_NAME, bucket $BUCKET"
  else
    printf '%-14s %s\n' "iam-config" MISSING; rc=1
  fi
  return $rc
}

# refuse to start when one of our ports is taken by a process we did not start (clear message
# instead of a daemon dying later): e.g. a sandbox of another checkout, or a stray azurite
check_ports() {
  local busy
  busy=$(ss -Hltnp 2>/dev/null | awk -v ports=" $MON_V2 $MON_V1 $RGW_PORT $ENTRA_HTTP $ENTRA_HTTPS $BLOB_PORT $QUEUE_PORT $TABLE_PORT $SHIM_PORT " \
    '{ n = split($4, a, ":"); if (index(ports, " " a[n] " ")) print "  port " a[n] ": " $6 }')
  [ -z "$busy" ] || die "ports already in use (stop that first; './sandbox.sh down' only stops what this checkout started):
$busy"
}

# ---------------------------------------------------------------- commands ----
# Serialises up/down between concurrent callers (e.g. several test runs). Daemons are started
# with fd 9 closed so that they never hold the lock.
lock() { mkdir -p "$S"; exec 9>"$S/.lock"; flock -w 600 9 || die "could not lock $S/.lock"; }

up() {
  lock
  # (a sandbox started before the copy shim existed keeps running: only the shim is added)
  if all_alive copy-shim; then
    if localcloud_outdated; then
      # stand-in sources changed: rebuild and restart only the stand-in (its signing key persists
      # in .sandbox/entra, so RGW keeps trusting its tokens; its settings go back to defaults)
      ensure_localcloud
      stop_components 5 entra-standin copy-shim
      start_entra "$(identity_header)"
      wait_for "entra stand-in (restarted)" 30 "$RUN/entra.pid" entra_ok \
        || { tail -20 "$LOG/entra.log" >&2; die "Entra stand-in did not restart"; }
    fi
    ensure_copy_shim
    if status >/dev/null 2>&1; then
      log "already running and healthy ($(elapsed)s)"
      return 0
    fi
  fi
  stop_all
  check_ports
  rm -rf "$CEPH_DIR" "$S/azurite" "$ENV_FILE" "$LOG"
  mkdir -p "$RUN" "$LOG" "$CEPH_DIR" "$S/azurite" "$S/entra"

  ensure_packages
  ensure_azurite
  ensure_localcloud
  ensure_ca
  local secret; secret=$(identity_header)
  log "installed/checked ($(elapsed)s)"
  local t_start; t_start=$(date +%s.%N)

  start_entra "$secret"
  # in-memory: Azurite keeps blobs in RAM (restart between big runs); cwd = $S/azurite
  (cd "$S/azurite" && spawn azurite node "$AZURITE_JS" --blobHost 127.0.0.1 --blobPort "$BLOB_PORT" \
    --queueHost 127.0.0.1 --queuePort "$QUEUE_PORT" --tableHost 127.0.0.1 --tablePort "$TABLE_PORT" \
    --cert "$CA_DIR/server.pem" --key "$CA_DIR/server.key" --oauth basic \
    --inMemoryPersistence --skipApiVersionCheck --disableTelemetry --silent)
  start_ceph

  wait_for "entra stand-in" 30 "$RUN/entra.pid" entra_ok || { tail -20 "$LOG/entra.log" >&2; die "Entra stand-in did not start"; }
  wait_for "azurite" 30 "$RUN/azurite.pid" azurite_ok || { tail -20 "$LOG/azurite.log" >&2; die "Azurite did not start"; }
  ensure_copy_shim
  wait_for "radosgw" 60 "$RUN/client.rgw.a.pid" rgw_ok || { tail -20 "$LOG/client.rgw.a.log" >&2; die "RGW did not answer"; }

  # IAM: admin user (fixed keys) with IAM caps, then OIDC provider, roles, policy, bucket (python)
  radosgw-admin -c "$CEPH_DIR/ceph.conf" user create --uid=admin --display-name="skybridge sandbox admin" \
    --access-key="$ADMIN_AK" --secret-key="$ADMIN_SK" >/dev/null
  radosgw-admin -c "$CEPH_DIR/ceph.conf" caps add --uid=admin \
    --caps="roles=*;oidc-provider=*;users=*;buckets=*" >/dev/null
  local info; info=$(curl -fsS "http://127.0.0.1:$ENTRA_HTTP/admin/info")
  SANDBOX_RGW="http://127.0.0.1:$RGW_PORT" SANDBOX_INFO="$info" SANDBOX_AUDIENCE="$AUDIENCE" \
  SANDBOX_ROLE="$ROLE_NAME" SANDBOX_PINNED_ROLE="$PINNED_ROLE_NAME" SANDBOX_BUCKET="$BUCKET" \
  SANDBOX_MSI="http://127.0.0.1:$ENTRA_HTTP/msi/token" SANDBOX_IDENTITY_HEADER="$secret" \
  AWS_ACCESS_KEY_ID="$ADMIN_AK" AWS_SECRET_ACCESS_KEY="$ADMIN_SK" \
    $PY "$REPO/sandbox/rgw_setup.py" >"$LOG/rgw-setup.log" 2>&1 \
    || { cat "$LOG/rgw-setup.log" >&2; die "RGW IAM setup failed"; }
  log "IAM configured, AssumeRoleWithWebIdentity self-check passed ($(elapsed)s)"

  write_env "$secret" "$(echo "$info" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["systemAssignedPrincipalId"], d["systemAssignedClientId"])')"
  touch "$RUN/ready"
  log "ready: services up in $(elapsed "$t_start")s, total $(elapsed)s. Use: eval \"\$(./sandbox.sh env)\""
}

# service-side copies go through the copy-from-URL shim (Azurite cannot fetch external URLs)
shim_env() {
  echo "export SANDBOX_SERVICE_DEST_URL=https://127.0.0.1:$SHIM_PORT/devstoreaccount1/skybridge-dest-service"
  echo "export SANDBOX_COPY_SHIM_LOG=$LOG/copy-shim.log"
}

write_env() {
  local secret=$1 ids=$2 principal client
  read -r principal client <<<"$ids"
  local tmp=$ENV_FILE.tmp
  cat >"$tmp" <<EOF
export SANDBOX_TENANT_ID=$TENANT_ID
export SANDBOX_AUDIENCE=$AUDIENCE
export SANDBOX_ROLE_ARN=arn:aws:iam:::role/$ROLE_NAME
export SANDBOX_PINNED_ROLE_ARN=arn:aws:iam:::role/$PINNED_ROLE_NAME
export SANDBOX_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
export SANDBOX_STS_ENDPOINT=http://127.0.0.1:$RGW_PORT
export SANDBOX_BUCKET=$BUCKET
export SANDBOX_DEST_URL=https://127.0.0.1:$BLOB_PORT/devstoreaccount1/skybridge-dest
export SANDBOX_BLOB_ENDPOINT=https://127.0.0.1:$BLOB_PORT/devstoreaccount1
$(shim_env)
export SANDBOX_AZURITE_CONNECTION_STRING='DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;BlobEndpoint=https://127.0.0.1:$BLOB_PORT/devstoreaccount1;'
export SANDBOX_ENTRA_URL=http://127.0.0.1:$ENTRA_HTTP
export SANDBOX_ENTRA_HTTPS_URL=https://127.0.0.1:$ENTRA_HTTPS
export SANDBOX_ENTRA_ISSUER=http://127.0.0.1:$ENTRA_HTTP/$TENANT_ID/
export SANDBOX_MI_PRINCIPAL_ID=$principal
export SANDBOX_MI_CLIENT_ID=$client
export SANDBOX_ADMIN_ACCESS_KEY=$ADMIN_AK
export SANDBOX_ADMIN_SECRET_KEY=$ADMIN_SK
export SANDBOX_CA_CERT=$CA_DIR/ca.pem
export IDENTITY_ENDPOINT=http://127.0.0.1:$ENTRA_HTTP/msi/token
export IDENTITY_HEADER=$secret
export SKYBRIDGE_AUDIENCE=$AUDIENCE
export SKYBRIDGE_ROLE_ARN=arn:aws:iam:::role/$ROLE_NAME
export SKYBRIDGE_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
export SKYBRIDGE_STS_ENDPOINT=http://127.0.0.1:$RGW_PORT
export SKYBRIDGE_REGION=us-east-1
export SKYBRIDGE_AZURE_CREDENTIAL=managed-identity
EOF
  mv "$tmp" "$ENV_FILE"
}

down() {
  lock
  stop_all
  rm -rf "$CEPH_DIR" "$S/azurite" "$ENV_FILE"
  log "stopped, Ceph/Azurite data removed ($(elapsed)s)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env)
    if all_alive && [ -s "$ENV_FILE" ]; then cat "$ENV_FILE"; grep -q SANDBOX_SERVICE_DEST_URL "$ENV_FILE" || shim_env
    else echo "sandbox is not up: run ./sandbox.sh up" >&2; exit 1; fi ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
