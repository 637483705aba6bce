#!/usr/bin/env bash
# Runs every test: unit, storage, integration against real libvirt segments and dockerd,
# and the end-to-end tests in Debian's Chromium. Sets up whatever is missing first.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/build.sh" debug
TARGET=$(target_dir)

log "clippy (workspace lints, warnings are errors)"
cargo clippy --workspace --exclude frontend --all-targets --quiet -- -D warnings

log "cargo tests (unit, storage, integration)"
# frontend is the wasm entry point; its code is exercised by the browser tests.
cargo test --workspace --exclude frontend

log "end-to-end tests in Chromium"
DATA=$(mktemp -d)
PORT=${E2E_PORT:-3111}
LOG_FILE="$DATA/server.log"
# Real segments on a bridge and subnet of the end-to-end tests' own.
# E2E_BRIDGE/E2E_BRIDGE_ADDR/E2E_ENDPOINT_PORTS move them (two checkouts side by side).
E2E_BRIDGE=${E2E_BRIDGE:-carinat2}
E2E_BRIDGE_ADDR=${E2E_BRIDGE_ADDR:-10.217.0.1/24}
E2E_SEGMENTS=(--bridge "$E2E_BRIDGE" --bridge-addr "$E2E_BRIDGE_ADDR" --instance "e2e-$$"
  --image-dir /var/lib/carina/images --segment-memory-mib 1024 --segment-vcpus 1)
CARINA_BRIDGE=$E2E_BRIDGE CARINA_BRIDGE_ADDR=$E2E_BRIDGE_ADDR CARINA_IMAGE_DIR=/var/lib/carina/images \
  "$REPO_ROOT/scripts/host-setup.sh" >/dev/null
LEPTOS_SITE_ROOT=$REPO_ROOT/target/site "$TARGET/debug/server" --data-dir "$DATA" serve --addr "127.0.0.1:$PORT" \
  "${E2E_SEGMENTS[@]}" --endpoint-ports "${E2E_ENDPOINT_PORTS:-26000-26099}" >"$LOG_FILE" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  # Clusters the browser tests left (a failed test): remove their segments too.
  "$TARGET/debug/server" --data-dir "$DATA" admin purge-segments "${E2E_SEGMENTS[@]}" >/dev/null 2>&1 ||
    log "could not purge the end-to-end segments (instance e2e-$$)"
  rm -rf "$DATA"
}
trap cleanup EXIT
answered=0
for _ in $(seq 1 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && { answered=1; break; }
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG_FILE"; die "the server did not start"; }
  sleep 0.2
done
[ "$answered" = 1 ] || { tail -n 50 "$LOG_FILE"; die "the server did not answer on port $PORT within 30 s"; }
# The server binary and its data directory: a test lowers an account's quota with the
# operator command, as an operator would.
if ! (cd end2end && BASE_URL="http://127.0.0.1:$PORT" E2E_SERVER="$TARGET/debug/server" E2E_DATA_DIR="$DATA" \
  CI=true npx playwright test); then
  log "server log:"; tail -n 50 "$LOG_FILE"
  exit 1
fi
log "all tests passed"
