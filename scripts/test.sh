#!/usr/bin/env bash
# Runs every test: .NET (unit, Azurite integration, contract, browser) and the browser app's unit tests.
# Installs what is missing first. Ends with one line: "N passed, N failed".
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_dotnet
ensure_debs git:git chromium:chromium prometheus:prometheus
ensure_npm "$ROOT"
ensure_web_built

results="$ROOT/.artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

log "building"
# Warnings are errors, except NU1603 (a dependency floor that NuGet here does not serve, so the next version is used):
# the Worker SDK restores its generated WebJobs extensions project as part of the build, and that project's
# dependencies ask for versions that are not served (../shared/docs/ENVIRONMENT.md).
dotnet build IdpServerless.sln -c Release -warnaserror -warnnotaserror:NU1603 --nologo -v quiet 2>&1 | tail -n 20

status=0
log "dotnet test"
dotnet_status=0
dotnet test IdpServerless.sln -c Release --no-build --nologo \
  --logger "trx;LogFilePrefix=dotnet" --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=true || dotnet_status=1
[ "$dotnet_status" -eq 0 ] || status=1

web_passed=0; web_failed=0
if [ -f "$ROOT/static-web/package.json" ]; then
  log "browser app unit tests"
  if (cd "$ROOT/static-web" && npx vitest run --reporter=default --reporter=json --outputFile="$results/vitest.json"); then :; else status=1; fi
  if [ -f "$results/vitest.json" ]; then
    read -r web_passed web_failed < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests+" "+(r.numFailedTests+(r.numRuntimeErrorTestSuites||0)))' "$results/vitest.json")
  else
    web_failed=1
  fi
fi

read -r dn_passed dn_failed < <(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    if c is not None:
        p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
print(p, f)
PY
)

# A test host that crashed or a run that was aborted leaves no failed result in the .trx: it still counts as one.
if [ "$dotnet_status" -ne 0 ] && [ "$dn_failed" -eq 0 ]; then
  echo "dotnet test failed without a failed test in its results (the test host crashed or the run was aborted): counted as 1 failed" >&2
  dn_failed=1
fi

passed=$((dn_passed + web_passed)); failed=$((dn_failed + web_failed))
if [ "$passed" -eq 0 ]; then status=1; fi
if [ "$failed" -gt 0 ]; then status=1; fi
echo "${passed} passed, ${failed} failed"
exit $status
