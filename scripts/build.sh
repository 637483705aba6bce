#!/usr/bin/env bash
# Builds the panel without cargo-leptos (same layout): the wasm bundle with its JS glue,
# the CSS, and the server binary. Usage: scripts/build.sh [debug|release]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
cd "$REPO_ROOT"

PROFILE=${1:-debug}
case "$PROFILE" in debug|release) ;; *) die "usage: $0 [debug|release]" ;; esac
NAME=carina
TARGET=$(target_dir)
SITE=$REPO_ROOT/target/site
PKG=$SITE/pkg
export PATH="$REPO_ROOT/end2end/node_modules/.bin:$PATH"
# What cargo-leptos would give both builds; LEPTOS_OUTPUT_NAME at compile time decides the
# file names the server's HydrationScripts asks for.
export LEPTOS_SITE_ROOT=$SITE LEPTOS_SITE_PKG_DIR=pkg \
       LEPTOS_HASH_FILES=false LEPTOS_RELOAD_PORT=3001

if [ "$PROFILE" = release ]; then
  WASM_PROFILE=wasm-release; SERVER_FLAGS=(--release)
else
  WASM_PROFILE=debug; SERVER_FLAGS=()
fi

log "building the wasm bundle ($WASM_PROFILE)"
WASM_FLAGS=(); [ "$WASM_PROFILE" = debug ] || WASM_FLAGS=(--profile "$WASM_PROFILE")
cargo build -p frontend --lib --target wasm32-unknown-unknown --target-dir "$TARGET/front" "${WASM_FLAGS[@]}"
rm -rf "$SITE"; mkdir -p "$PKG"; cp -r public/. "$SITE"/
wasm-bindgen --target web --out-name "$NAME" --out-dir "$PKG" \
  "$TARGET/front/wasm32-unknown-unknown/$WASM_PROFILE/frontend.wasm"
mv "$PKG/${NAME}_bg.wasm" "$PKG/$NAME.wasm"
if [ "$PROFILE" = release ]; then
  log "optimising the wasm (wasm-opt -Oz)"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$PKG/$NAME.wasm" -o "$PKG/$NAME.wasm"
fi

log "compiling the stylesheet"
sass --no-source-map --style=compressed style/main.scss "$PKG/$NAME.css"

if [ "$PROFILE" = release ]; then
  log "precompressing the static files"
  for f in "$PKG/$NAME.wasm" "$PKG/$NAME.js" "$PKG/$NAME.css"; do
    brotli -f -k -q 11 "$f"
    gzip -f -k -9 "$f"
  done
else
  # The server prefers precompressed files: those of an earlier release build would be stale.
  rm -f "$PKG/$NAME".*.br "$PKG/$NAME".*.gz
fi

log "building the server ($PROFILE)"
cargo build -p server -p carina-cli "${SERVER_FLAGS[@]}"
log "built: $TARGET/$PROFILE/server and $TARGET/$PROFILE/carina, site in $SITE"
