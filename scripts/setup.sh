#!/usr/bin/env bash
# Installs everything the panel and its tests need on a fresh Debian 12 machine, and sets
# up the host for segments (libvirtd, the bridge, the segment root filesystem).
# Idempotent: quick when everything is already there.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

log "checking Debian packages"
# chromium: end-to-end tests; docker.io: Debian's docker CLI (20.10) that must work against
# cluster endpoints too; docker-compose (1.29): Compose against cluster endpoints in
# tests; nginx: the end-to-end tests behind a reverse proxy, and benchmarks; brotli,
# hyperfine: benchmarks; libvirt-dev and pkg-config: building the libvirt bindings;
# ebtables, e2fsprogs: segments' L2 filters and disk images; libxml2-utils: xmllint,
# which virt-xml-validate runs on generated domain XML in tests; postgresql: the tests'
# throwaway PostgreSQL server (its packaged server is not started).
ensure_debian_packages build-essential pkg-config libvirt-dev chromium docker.io \
  nginx brotli hyperfine wrk curl unzip sqlite3 util-linux ca-certificates openssl docker-compose \
  ebtables e2fsprogs libxml2-utils postgresql postgresql-client

log "checking the Rust wasm target"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI must be exactly the version of the crate in Cargo.lock.
wbg=$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg" ]; then
  log "installing wasm-bindgen-cli $wbg (a few minutes, once)"
  # Not --locked: its own lockfile pins a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$wbg"
fi

log "checking npm packages (playwright, sass, wasm-opt)"
stamp=end2end/node_modules/.carina-lock-hash
want=$(sha256sum end2end/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi

"$REPO_ROOT/scripts/host-setup.sh"
log "setup complete"
