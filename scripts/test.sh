#!/usr/bin/env bash
# Runs every test: unit, storage, integration against real libvirt segments and dockerd,
# and the end-to-end tests in Debian's Chromium. Sets up whatever is missing first.
# The storage, reconciler and panel tests run twice, on SQLite and on a throwaway
# PostgreSQL server (the Debian package's, its own data directory and port, removed after).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/postgres.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/build.sh" debug
TARGET=$(target_dir)

log "clippy (workspace lints, warnings are errors)"
cargo clippy --workspace --exclude frontend --all-targets --quiet -- -D warnings

log "cargo tests (unit, storage, integration) on SQLite"
# frontend is the wasm entry point; its code is exercised by the browser tests.
cargo test --workspace --exclude frontend

log "starting a throwaway PostgreSQL"
PG_DIR=$(mktemp -d)
# On a failure, the server's own log says whether it was still up (a refused connection).
trap 'rc=$?; [ "$rc" = 0 ] || postgres_log "$PG_DIR"; postgres_stop "$PG_DIR"' EXIT
PG_URL=$(postgres_start "$PG_DIR" "${TEST_POSTGRES_PORT:-55432}")

log "storage, reconciler and panel tests on PostgreSQL"
# Each test makes its own database on this server (testkit::database). Left out: what is
# SQLite's own (file backups, the secret key's scrub of the file) and what does not touch
# the database's engine (segments, the endpoint's policy, isolation).
CARINA_TEST_DATABASE_URL=$PG_URL cargo test -p provisioner
CARINA_TEST_DATABASE_URL=$PG_URL cargo test -p server \
  --test operators --test panel_secrets --test proxy --test audit --test clusters --test replicas

# The browser tests' direct server on PostgreSQL, the proxied one on SQLite.
psql -X -q -d "$PG_URL" -c "CREATE DATABASE e2e"
E2E_DATABASE_URL=${PG_URL%/*}/e2e "$REPO_ROOT/scripts/e2e.sh"
log "all tests passed"
