#!/usr/bin/env bash
# Sets everything up, builds the release, and runs the panel (embedded SQLite, real
# segments). Flags are passed to the server, e.g. --addr 0.0.0.0:3000 --data-dir /srv/carina;
# CARINA_ADDR and CARINA_DATA_DIR work too.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/build.sh" release
export LEPTOS_SITE_ROOT=$REPO_ROOT/target/site
log "starting the panel"
exec "$(target_dir)/release/server" serve "$@"
