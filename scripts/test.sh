#!/usr/bin/env bash
# Runs every test: unit, storage, integration against real libvirt segments and dockerd,
# and the end-to-end tests in Debian's Chromium. Sets up whatever is missing first.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/build.sh" debug
TARGET=$(target_dir)

log "cargo tests (unit, storage, integration)"
# frontend is the wasm entry point; its code is exercised by the browser tests.
cargo test --workspace --exclude frontend

log "end-to-end tests in Chromium"
DATA=$(mktemp -d)
PORT=${E2E_PORT:-3111}
LOG_FILE="$DATA/server.log"
LEPTOS_SITE_ROOT=$REPO_ROOT/target/site "$TARGET/debug/server" --data-dir "$DATA" serve --addr "127.0.0.1:$PORT" \
  >"$LOG_FILE" 2>&1 &
SERVER_PID=$!
cleanup() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG_FILE"; die "the server did not start"; }
  sleep 0.2
done
if ! (cd end2end && BASE_URL="http://127.0.0.1:$PORT" CI=true npx playwright test); then
  log "server log:"; tail -n 50 "$LOG_FILE"
  exit 1
fi
log "all tests passed"
