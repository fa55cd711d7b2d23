#!/usr/bin/env bash
# Starts demo deployments on the simulated clusters so the portal has something to show: checkout-service 1.0.0
# promoted dev -> staging -> prod, then 1.1.0 to prod as a canary (weights, analysis, steps visible for about a minute),
# and storefront-web 1.0.0 to dev. Usage: scripts/demo-deploy.sh [api-base]   (default http://127.0.0.1:7071)
# Signs in as user:default/admin through the local dev issuer (IDP_MODE=local), or uses IDP_TOKEN.
set -euo pipefail
API="${1:-http://127.0.0.1:7071}"
TOKEN="${IDP_TOKEN:-}"
if [ -z "$TOKEN" ]; then
  TOKEN="$(curl -s -X POST -H 'Content-Type: application/json' -d '{"user":"user:default/admin"}' "$API/api/auth/dev-token" \
    | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
fi
[ -n "$TOKEN" ] || { echo "demo-deploy: no token (is IDP_MODE=local?)" >&2; exit 1; }
AUTH=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')

post() { # path json -> deployment id (empty, with the answer on stderr, when refused)
  local body id
  body="$(curl -s "${AUTH[@]}" -X POST -d "$2" "$API$1")"
  id="$(printf '%s' "$body" | sed -n 's/.*"id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
  [ -n "$id" ] || echo "  POST $1 refused: $body" >&2
  printf '%s' "$id"
}

wait_for() { # id -> waits until the deployment finishes (at most 3 minutes)
  local id="$1" deadline=$((SECONDS + 180)) status=""
  [ -n "$id" ] || return 0
  while [ $SECONDS -lt $deadline ]; do
    # The deployment's own status is the one followed by requestedBy (steps have statuses too).
    status="$(curl -s "${AUTH[@]}" "$API/api/deployments/$id" | sed -n 's/.*"status":"\([^"]*\)","requestedBy".*/\1/p')"
    case "$status" in Succeeded|Failed|RolledBack|Aborted) echo "  $id: $status"; return 0 ;; esac
    sleep 1
  done
  echo "  $id: still $status" >&2
}

echo "demo deployments on $API"
wait_for "$(post /api/deployments '{"component":"checkout-service","environment":"dev","version":"1.0.0"}')"
wait_for "$(post /api/components/default/checkout-service/promote '{"from":"dev","to":"staging"}')"
wait_for "$(post /api/components/default/checkout-service/promote '{"from":"staging","to":"prod"}')"
wait_for "$(post /api/deployments '{"component":"storefront-web","environment":"dev","version":"1.0.0"}')"
id="$(post /api/deployments '{"component":"checkout-service","environment":"prod","version":"1.1.0"}')"
if [ -n "$id" ]; then
  echo "canary of checkout-service 1.1.0 in prod: $id (watch it in the browser app, or GET $API/api/deployments/$id)"
else
  # E.g. a restart over kept data (.data/) while the previous run's canary is still going: that one is the demo.
  echo "no new canary of checkout-service (refused above); the browser app's Deployments page shows the one under way"
fi
