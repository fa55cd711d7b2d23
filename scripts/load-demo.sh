#!/usr/bin/env bash
# Loads the demo organisation (demo/catalog/*.yaml, plain Backstage catalog files) into a running backend and waits
# until it is queryable. Usage: scripts/load-demo.sh [api-base]   (default http://127.0.0.1:7071)
# With IDP_MODE=local and IDP_DEMO_DIR set, the backend registers demo/catalog/all.yaml by itself at start; this
# script then only waits. Otherwise it registers the location (POST /api/catalog/locations; 409 = already there).
# A bearer token is taken from IDP_TOKEN, or from the local dev sign-in (POST /api/auth/dev-token) when one is needed.
set -euo pipefail
API="${1:-http://127.0.0.1:7071}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${IDP_DEMO_DIR:-$ROOT/demo}/catalog/all.yaml"
PROBE="$API/api/catalog/entities/by-name/component/default/payments-service"
TOKEN="${IDP_TOKEN:-}"
DEADLINE=$((SECONDS + ${IDP_DEMO_TIMEOUT:-90}))

status() { # url -> HTTP status of a GET
  local auth=(); [ -n "$TOKEN" ] && auth=(-H "Authorization: Bearer $TOKEN")
  curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$1" || echo 000
}

dev_token() {
  local body
  body="$(curl -s -X POST -H 'Content-Type: application/json' -d '{"user":"user:default/admin"}' "$API/api/auth/dev-token" || true)"
  TOKEN="$(printf '%s' "$body" | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
}

registered=no
while [ $SECONDS -lt $DEADLINE ]; do
  code="$(status "$PROBE")"
  case "$code" in
    200)
      echo "demo catalog loaded ($API)"
      # Demo owners: alice owns the payments team's components, carol the storefront's (a 409 means already bound).
      [ -n "$TOKEN" ] || dev_token
      for owner in user:default/alice user:default/carol; do
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
          -d "{\"subject\":\"$owner\",\"role\":\"application-owner\"}" "$API/api/rbac/bindings" || true
      done
      exit 0 ;;
    401) [ -z "$TOKEN" ] && dev_token ;;
    404)
      if [ "$registered" = no ]; then
        auth=(); [ -n "$TOKEN" ] && auth=(-H "Authorization: Bearer $TOKEN")
        reply="$(curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' "${auth[@]}" \
          -d "{\"type\":\"file\",\"target\":\"$TARGET\"}" "$API/api/catalog/locations" || true)"
        case "${reply##*$'\n'}" in
          201|409) registered=yes ;;
          401) dev_token ;;
          *) echo "registering $TARGET answered: ${reply%$'\n'*}" >&2; registered=yes ;;
        esac
      fi ;;
  esac
  sleep 0.5
done
echo "the demo catalog did not become queryable at $API within the deadline" >&2
exit 1
