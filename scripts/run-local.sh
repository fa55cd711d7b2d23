#!/usr/bin/env bash
# Brings up the whole portal locally: Azurite (data in .data/azurite), the function app (standalone mode),
# the browser app and demo data. Installs what is missing first. Ctrl-C stops everything it started.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

API_PORT="${IDP_API_PORT:-7071}"
WEB_PORT="${IDP_WEB_PORT:-4280}"
BLOB_PORT="${IDP_BLOB_PORT:-10000}"; QUEUE_PORT="${IDP_QUEUE_PORT:-10001}"; TABLE_PORT="${IDP_TABLE_PORT:-10002}"

ensure_dotnet
ensure_debs git:git
ensure_npm "$ROOT"
ensure_web_built

[ -f local.settings.json ] || { cp local.settings.sample.json local.settings.json; log "created local.settings.json from the sample"; }
mkdir -p .data/azurite .data/logs

pids=()      # long-running services: when one of them exits, everything stops
helpers=()   # one-shot jobs (demo deployments): they may finish on their own
cleanup() {
  trap - INT TERM EXIT
  for pid in "${helpers[@]}"; do kill "$pid" 2>/dev/null || true; done
  log "stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # Ctrl-C reaches every child too, and Azurite given two signals can report "closed" yet never exit: give each up
  # to 15 s, then make sure nothing is left holding the ports.
  local deadline=$((SECONDS + 15))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

wait_http() { # url seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for $1 (logs in .data/logs)" >&2; exit 1; }
    sleep 0.2
  done
}
wait_port() { # port seconds
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for port $1" >&2; exit 1; }
    sleep 0.2
  done
}

log "starting Azurite (blob $BLOB_PORT, queue $QUEUE_PORT, table $TABLE_PORT)"
"$ROOT/node_modules/.bin/azurite" --location .data/azurite --silent --loose \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --blobPort "$BLOB_PORT" --queuePort "$QUEUE_PORT" --tablePort "$TABLE_PORT" >.data/logs/azurite.log 2>&1 &
pids+=($!)
wait_port "$TABLE_PORT" 30; wait_port "$QUEUE_PORT" 30; wait_port "$BLOB_PORT" 30

log "building the function app"
dotnet build functions/IdpServerless.Functions -c Release --nologo -v quiet >/dev/null

KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$BLOB_PORT/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$QUEUE_PORT/devstoreaccount1;TableEndpoint=http://127.0.0.1:$TABLE_PORT/devstoreaccount1;"
export IDP_LOCAL_SETTINGS="$ROOT/local.settings.json" ASPNETCORE_URLS="http://127.0.0.1:$API_PORT"
export IDP_DATA_DIR="$ROOT/.data" IDP_DEMO_DIR="$ROOT/demo"
export IDP_CORS_ORIGINS="http://127.0.0.1:$WEB_PORT,http://localhost:$WEB_PORT"
log "starting the function app on :$API_PORT"
dotnet functions/IdpServerless.Functions/bin/Release/net10.0/IdpServerless.Functions.dll >.data/logs/functions.log 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$API_PORT/api/health" 60

if [ -x "$ROOT/scripts/load-demo.sh" ]; then
  log "loading demo data"
  "$ROOT/scripts/load-demo.sh" "http://127.0.0.1:$API_PORT"
  if [ -x "$ROOT/scripts/demo-deploy.sh" ] && [ "${IDP_DEMO_DEPLOY:-true}" = true ]; then
    log "starting demo deployments (a canary of checkout-service in prod; logs in .data/logs/demo-deploy.log)"
    "$ROOT/scripts/demo-deploy.sh" "http://127.0.0.1:$API_PORT" >.data/logs/demo-deploy.log 2>&1 &
    helpers+=($!)
  fi
fi

if [ -f static-web/serve.mjs ]; then
  log "serving the browser app on :$WEB_PORT"
  node static-web/serve.mjs --port "$WEB_PORT" --api "http://127.0.0.1:$API_PORT" >.data/logs/web.log 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$WEB_PORT/" 30
fi

cat <<TXT

  IdpServerless is up.
    Browser app   http://127.0.0.1:$WEB_PORT
    API           http://127.0.0.1:$API_PORT/api/health
    OpenAPI       http://127.0.0.1:$API_PORT/api/openapi/v1.json
    Metrics       http://127.0.0.1:$API_PORT/metrics
    Azurite       blob :$BLOB_PORT  queue :$QUEUE_PORT  table :$TABLE_PORT  (data in .data/azurite)
    Logs          .data/logs/

  Press Ctrl-C to stop everything.
TXT
status=0
wait -n "${pids[@]}" || status=$?
# Ctrl-C reaches the children as well, so one of them may be what ended the wait: that is a stop, not a failure.
case $status in 0|130|143) exit 0 ;; esac
echo "a process exited with status $status; see .data/logs" >&2
exit 1
