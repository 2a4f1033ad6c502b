#!/usr/bin/env bash
# Runs the whole test suite: unit tests, then integration tests against the local sandbox
# (started here if it is not up). Ends with one line "N passed, N failed[, N skipped]" computed
# from the TRX results, and exits non-zero if anything failed.
#   ./test.sh                 everything
#   ./test.sh unit            unit tests only (no sandbox)
#   ./test.sh integration     integration tests only
#   ./test.sh aot             the Native AOT executable (SKYBRIDGE_BUILD=aot) through the integration
#                             tests that start the CLI (part of "all": it is what the benchmark runs)
#   FILTER='FullyQualifiedName~Identity' ./test.sh   pass a dotnet test filter to both projects
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
what=${1:-all}
results="$root/.artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
status=0

run_tests() { # project trx-name [filter]
  local filter=${3:-${FILTER:-}}
  [ -n "${3:-}" ] && [ -n "${FILTER:-}" ] && filter="($FILTER)&($3)"
  local args=(test "tests/$1/$1.csproj" -c Release --nologo --logger "trx;LogFileName=$2.trx" --results-directory "$results")
  [ -n "$filter" ] && args+=(--filter "$filter")
  echo "== $2" >&2
  dotnet "${args[@]}" || status=1
}

# The integration tests that start the CLI as a process, run again against the Native AOT build; the
# rest (and the two long in-process ones named last) test the library in-process, the same code
# either way. Distributed migrations are refused by that build (DurableTask is not AOT
# compatible): the NativeAot category checks the refusal instead.
aot_filter='Category=NativeAot|(Category!=Lifecycle&FullyQualifiedName!~.Distributed.&FullyQualifiedName!~.Contracts.&FullyQualifiedName!~.StandIns.&FullyQualifiedName!~.Broker.&FullyQualifiedName!~.CredentialRefreshOnSandboxTests.&FullyQualifiedName!~.PackageInstallTests.)'
# The Native AOT build is 4-8 minutes of CPU. In "all" it starts first, at the lowest priority, in
# its own artifacts folders: the integration pass mostly waits on the sandbox, so the build
# takes the idle CPU instead of adding its minutes to the run, and the pass below waits for it. CI
# took 34 min with it in series (8 of them this build), 20 min so (built 7 min into the run).
aot_build_log="$root/.artifacts/aot-build.log"
aot_build_pid=
start_aot_build() {
  # A new machine has no apt package lists until something updates them: update first.
  command -v clang >/dev/null || { echo "== installing clang (Native AOT links with it)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
  echo "== building the Native AOT CLI (log: $aot_build_log)" >&2
  SKYBRIDGE_BUILD=aot nice -n 19 ./skybridge --version >"$aot_build_log" 2>&1 &
  aot_build_pid=$!
}
run_aot_tests() {
  [ -n "$aot_build_pid" ] || start_aot_build
  if wait "$aot_build_pid"; then
    SKYBRIDGE_TEST_CLI="$root/.artifacts/cli-aot/Skybridge.Cli" run_tests Skybridge.IntegrationTests NativeAot.IntegrationTests "$aot_filter"
  else
    cat "$aot_build_log" >&2
    echo "test.sh: the Native AOT build failed" >&2
    status=1
  fi
}

[ "$what" = all ] && start_aot_build
if [ "$what" = all ] || [ "$what" = unit ]; then
  run_tests Skybridge.Tests Skybridge.Tests
fi

if [ "$what" = all ] || [ "$what" = integration ] || [ "$what" = aot ]; then
  if ./sandbox.sh status >/dev/null 2>&1 || ./sandbox.sh up; then
    [ "$what" = aot ] || run_tests Skybridge.IntegrationTests Skybridge.IntegrationTests 'Category!=Lifecycle&Category!=NativeAot'
    [ "$what" = integration ] || run_aot_tests
    # Last, because it stops and restarts the shared sandbox: up twice is harmless, down leaves nothing running.
    [ "$what" = aot ] || SKYBRIDGE_SANDBOX_LIFECYCLE=1 run_tests Skybridge.IntegrationTests Sandbox.Lifecycle 'Category=Lifecycle'
  else
    echo "test.sh: the sandbox did not start; integration tests cannot run" >&2
    status=1
  fi
fi

# Leave nothing running (the sandbox did not start, say): the build is waited out, never orphaned.
[ -n "$aot_build_pid" ] && wait "$aot_build_pid" 2>/dev/null

# Closing line from the real results: sum the counters of every TRX file.
summary=$(/usr/bin/python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
passed = failed = skipped = 0
files = glob.glob(sys.argv[1] + "/*.trx")
for f in files:
    c = ET.parse(f).getroot().find(f"{ns}ResultSummary/{ns}Counters")
    passed += int(c.get("passed", 0))
    failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), len(files))
PY
) || { summary="0 passed, 1 failed 0"; status=1; }
count=${summary##* }; line=${summary% *}
expected=0
{ [ "$what" = all ] || [ "$what" = unit ]; } && expected=$((expected + 1))
{ [ "$what" = all ] || [ "$what" = integration ]; } && expected=$((expected + 2))
{ [ "$what" = all ] || [ "$what" = aot ]; } && expected=$((expected + 1))
if [ "$count" -lt "$expected" ]; then
  echo "test.sh: expected $expected TRX result files, found $count (a test project did not build or run)" >&2
  status=1
  case "$line" in *" 0 failed"*) line="${line/ 0 failed/ 1 failed}";; esac
fi
case "$line" in *" 0 failed"*) ;; *) status=1;; esac
echo "$line"
exit $status
