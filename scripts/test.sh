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

"$REPO_ROOT/scripts/e2e.sh"
log "all tests passed"
