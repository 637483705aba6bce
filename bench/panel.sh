#!/usr/bin/env bash
# Panel benchmark (issue: foundation). Prints:
#  - the size of what the first page load fetches besides the HTML: wasm + JS + CSS, raw
#    and brotli (as served: the server sends the precompressed .br files);
#  - requests/second of the signed-in clusters page (SSR, session lookup, SQLite) against a
#    bare axum handler on the same machine, measured alternately, medians and their ratio:
#    as a browser asks for it (a page may be reused for up to a second), and rendered every
#    time (a new query string per request).
# Usage: bench/panel.sh [seconds per run, default 10] [runs, default 3]. SKIP_BUILD=1 reuses the release build.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
SECS=${1:-10}
RUNS=${2:-3}
TARGET=$(target_dir)
ensure_debian_packages wrk brotli curl

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  scripts/build.sh release >&2
  cargo build --release -p server --example bare_axum >&2
fi

PKG=target/site/pkg
echo "== first page load: static assets (release build)"
total_raw=0 total_br=0
for f in carina.wasm carina.js carina.css; do
  raw=$(stat -c %s "$PKG/$f")
  br=$(stat -c %s "$PKG/$f.br")
  total_raw=$((total_raw + raw)); total_br=$((total_br + br))
  printf '%-12s raw %9d B   brotli %8d B\n' "$f" "$raw" "$br"
done
printf '%-12s raw %9d B   brotli %8d B\n' "total" "$total_raw" "$total_br"

WORK=$(mktemp -d)
cleanup() {
  kill "${PANEL_PID:-}" "${BARE_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -z "${INSTANCE:-}" ] || rmdir "/var/lib/carina-segments/$INSTANCE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PANEL=127.0.0.1:3211
BARE=127.0.0.1:3212
# An instance of its own: no clusters are made, but the server prepares a segment directory.
INSTANCE=panel-bench-$$
RUST_LOG=warn LEPTOS_SITE_ROOT=$REPO_ROOT/target/site "$TARGET/release/server" --data-dir "$WORK" serve --addr "$PANEL" \
  --instance "$INSTANCE" >"$WORK/panel.log" 2>&1 &
PANEL_PID=$!
"$TARGET/release/examples/bare_axum" "$BARE" &
BARE_PID=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://$PANEL/" && curl -sf -o /dev/null "http://$BARE/" && break
  sleep 0.1
done

# A signed-in session for the clusters page.
curl -sf -o /dev/null -c "$WORK/jar" -H "Origin: http://$PANEL" -H "Accept: application/json" \
  --data-urlencode "email=bench-$$@example.com" --data-urlencode "password=correct horse battery" \
  "http://$PANEL/api/sign_up"
COOKIE=$(awk '$6=="carina_session"{print "carina_session="$7}' "$WORK/jar")
[ -n "$COOKIE" ] || die "could not sign up"
curl -sf -H "Cookie: $COOKIE" "http://$PANEL/clusters" | grep -q "0 of 3 clusters" || die "the clusters page did not render"

rps() { wrk -t2 -c16 -d"${SECS}s" "$@" | awk '/Requests\/sec/{print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# Each request with a query string of its own: nothing rendered is reused (the page cache
# keys on path and query), so this is the cost of a render from the session's query on.
cat >"$WORK/fresh.lua" <<'LUA'
local n = 0
request = function() n = n + 1; return wrk.format(nil, "/clusters?fresh=" .. n) end
LUA
echo "== requests/second, wrk -t2 -c16, ${SECS}s x $RUNS runs, alternating"
panel_runs=() fresh_runs=() bare_runs=()
for i in $(seq 1 "$RUNS"); do
  p=$(rps -H "Cookie: $COOKIE" "http://$PANEL/clusters"); panel_runs+=("$p")
  f=$(rps -s "$WORK/fresh.lua" -H "Cookie: $COOKIE" "http://$PANEL/clusters"); fresh_runs+=("$f")
  b=$(rps "http://$BARE/"); bare_runs+=("$b")
  echo "run $i: clusters page $p req/s, rendered every time $f req/s, bare axum $b req/s"
done
pm=$(printf '%s\n' "${panel_runs[@]}" | median)
fm=$(printf '%s\n' "${fresh_runs[@]}" | median)
bm=$(printf '%s\n' "${bare_runs[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
echo "median: clusters page $pm req/s (ratio $(ratio "$pm" "$bm")), rendered every time $fm req/s (ratio $(ratio "$fm" "$bm")), bare axum $bm req/s"
