#!/usr/bin/env bash
# The end-to-end tests in Debian's Chromium, against servers of a debug build
# (scripts/build.sh debug): one reached directly, one behind a real nginx. Arguments go
# to Playwright (e.g. a spec file). scripts/test.sh runs it last. With E2E_DATABASE_URL
# (a postgres:// URL) the direct server stores in that PostgreSQL database, the proxied one
# in SQLite as always: one run drives the panel over both backends.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"
TARGET=$(target_dir)

log "end-to-end tests in Chromium"
. "$REPO_ROOT/scripts/lib/nginx.sh"
DATA=$(mktemp -d)
PORT=${E2E_PORT:-3111}
# A second server behind a real nginx (https://localhost:PROXY_PORT, from
# deploy/nginx.conf): the same panel as users reach it through a reverse proxy.
PROXIED_PORT=$((PORT + 1)) PROXY_PORT=$((PORT + 2))
# Real segments on a bridge and subnet of the end-to-end tests' own.
# E2E_BRIDGE/E2E_BRIDGE_ADDR/E2E_ENDPOINT_PORTS move them (two checkouts side by side).
E2E_BRIDGE=${E2E_BRIDGE:-carinat2}
E2E_BRIDGE_ADDR=${E2E_BRIDGE_ADDR:-10.217.0.1/24}
ENDPOINT_PORTS=${E2E_ENDPOINT_PORTS:-26000-26099}
# The last 20 endpoint ports go to the proxied server.
PROXIED_FIRST=$((${ENDPOINT_PORTS#*-} - 19))
E2E_SEGMENTS=(--image-dir /var/lib/carina/images --segment-memory-mib 1024 --segment-vcpus 1)
# The proxied server's segments on a bridge of their own (two databases on one subnet
# would hand out the same addresses): E2E_PROXY_BRIDGE/E2E_PROXY_BRIDGE_ADDR.
E2E_PROXY_BRIDGE=${E2E_PROXY_BRIDGE:-carinat3}
E2E_PROXY_BRIDGE_ADDR=${E2E_PROXY_BRIDGE_ADDR:-10.219.0.1/24}
for bridge in "$E2E_BRIDGE $E2E_BRIDGE_ADDR" "$E2E_PROXY_BRIDGE $E2E_PROXY_BRIDGE_ADDR"; do
  CARINA_BRIDGE=${bridge% *} CARINA_BRIDGE_ADDR=${bridge#* } CARINA_IMAGE_DIR=/var/lib/carina/images \
    "$REPO_ROOT/scripts/host-setup.sh" >/dev/null
done
DIRECT_NET=(--bridge "$E2E_BRIDGE" --bridge-addr "$E2E_BRIDGE_ADDR")
PROXIED_NET=(--bridge "$E2E_PROXY_BRIDGE" --bridge-addr "$E2E_PROXY_BRIDGE_ADDR")
DIRECT_DB=()
[ -z "${E2E_DATABASE_URL:-}" ] || DIRECT_DB=(--database-url "$E2E_DATABASE_URL")
SERVER_PIDS=()
# start_server NAME PORT ARGS...: a server with its own data directory and instance.
start_server() {
  local name=$1 port=$2; shift 2
  mkdir -p "$DATA/$name"
  LEPTOS_SITE_ROOT=$REPO_ROOT/target/site "$TARGET/debug/server" --data-dir "$DATA/$name" serve \
    --addr "127.0.0.1:$port" --instance "e2e-$name-$$" "${E2E_SEGMENTS[@]}" "$@" >"$DATA/$name.log" 2>&1 &
  SERVER_PIDS+=($!)
}
cleanup() {
  stop_nginx "$DATA/nginx"
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  # Clusters the browser tests left (a failed test): remove their segments too.
  for name in direct proxied; do
    local net=("${DIRECT_NET[@]}"); [ "$name" = direct ] || net=("${PROXIED_NET[@]}")
    "$TARGET/debug/server" --data-dir "$DATA/$name" admin purge-segments --instance "e2e-$name-$$" \
      "${net[@]}" "${E2E_SEGMENTS[@]}" >/dev/null 2>&1 ||
      log "could not purge the end-to-end segments (instance e2e-$name-$$)"
  done
  rm -rf "$DATA"
}
trap cleanup EXIT
start_server direct "$PORT" "${DIRECT_NET[@]}" "${DIRECT_DB[@]}" --endpoint-ports "${ENDPOINT_PORTS%-*}-$((PROXIED_FIRST - 1))"
start_server proxied "$PROXIED_PORT" "${PROXIED_NET[@]}" --warm-segments 0 \
  --endpoint-ports "$PROXIED_FIRST-${ENDPOINT_PORTS#*-}" \
  --public-url "https://localhost:$PROXY_PORT" --trusted-proxy 127.0.0.1
start_nginx "$DATA/nginx" "$PROXY_PORT" "$PROXIED_PORT"
answered=0
for _ in $(seq 1 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && curl -skf -o /dev/null "https://localhost:$PROXY_PORT/" &&
    { answered=1; break; }
  for pid in "${SERVER_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || { cat "$DATA"/*.log; die "a server did not start"; }
  done
  sleep 0.2
done
[ "$answered" = 1 ] || { tail -n 50 "$DATA"/*.log; die "the servers did not answer within 30 s"; }
# The server binary and the direct server's data directory (and database, in
# CARINA_DATABASE_URL for Playwright only: the proxied server stays on SQLite): tests run
# operator commands on it (quotas, operator accounts), as an operator would.
if ! (cd end2end && { [ -z "${E2E_DATABASE_URL:-}" ] || export CARINA_DATABASE_URL=$E2E_DATABASE_URL; } &&
  BASE_URL="http://127.0.0.1:$PORT" PROXY_URL="https://localhost:$PROXY_PORT" \
  E2E_SERVER="$TARGET/debug/server" E2E_DATA_DIR="$DATA/direct" \
  CI=true npx playwright test "$@") 2>&1 | tee "$DATA/playwright.out"; then
  # The servers' logs first, Playwright's failures last: what CI shows is the tail.
  log "server logs:"; tail -n 30 "$DATA"/direct.log "$DATA"/proxied.log
  # A failure's cause may be long before the tail: every warning and error, whenever.
  log "server warnings and errors:"; grep -h -E "(WARN|ERROR)" "$DATA"/direct.log "$DATA"/proxied.log | tail -n 60 || true
  log "failed end-to-end tests:"
  sed -n '/^ *[0-9][0-9]*) /,$p' "$DATA/playwright.out" | head -n 150
  exit 1
fi
log "end-to-end tests passed"
