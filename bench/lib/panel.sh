# Shared by the cluster benchmarks: a release server (PROFILE=debug: the debug build) on a
# bridge of the benchmark's own, an account with an API key, and cleanup that leaves no
# segment behind.
# shellcheck shell=bash
#
# Set before sourcing: BRIDGE, BRIDGE_ADDR, PORT, ENDPOINT_PORTS (a range), INSTANCE, and
# optionally EXTRA_SEGMENT_FLAGS (an array) and WARM_SEGMENTS (the warm pool, default 0:
# figures of cold segments unless a benchmark asks for the pool). Provides: TARGET, WORK, BASE, KEY, api,
# create_active and SEGMENT_FLAGS; the server runs as SERVER_PID until the script exits.

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$REPO_ROOT"
TARGET=$(target_dir)
IMAGES=/var/lib/carina/images

PROFILE=${PROFILE:-release}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ "$PROFILE" = release ]; then cargo build --release -p server >&2; else cargo build -p server >&2; fi
fi
CARINA_BRIDGE=$BRIDGE CARINA_BRIDGE_ADDR=$BRIDGE_ADDR CARINA_IMAGE_DIR=$IMAGES scripts/host-setup.sh >/dev/null

WORK=$(mktemp -d)
SEGMENT_FLAGS=(--bridge "$BRIDGE" --bridge-addr "$BRIDGE_ADDR" --instance "$INSTANCE" --image-dir "$IMAGES"
  --warm-segments "${WARM_SEGMENTS:-0}" "${EXTRA_SEGMENT_FLAGS[@]}")
cleanup() {
  kill "${SERVER_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  "$TARGET/$PROFILE/server" --data-dir "$WORK" admin purge-segments "${SEGMENT_FLAGS[@]}" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
RUST_LOG=${BENCH_LOG:-warn} "$TARGET/$PROFILE/server" --data-dir "$WORK" serve --addr "127.0.0.1:$PORT" "${SEGMENT_FLAGS[@]}" \
  --endpoint-ports "$ENDPOINT_PORTS" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -sf -o /dev/null "$BASE/" && break; sleep 0.1; done

# An account and an API key, through the panel's own endpoints.
curl -sf -o /dev/null -c "$WORK/jar" -H "Origin: $BASE" -H "Accept: application/json" \
  --data-urlencode "email=bench@example.com" --data-urlencode "password=correct horse battery" "$BASE/api/sign_up"
KEY=$(curl -sf -b "$WORK/jar" -H "Origin: $BASE" -H "Accept: application/json" --data-urlencode "name=bench" \
  "$BASE/api/create_api_key" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
[ -n "$KEY" ] || die "could not make an API key"
api() { curl -s -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" "$@"; }

# Waits (up to 3 minutes) until the warm pool is full.
wait_pool_full() {
  for _ in $(seq 1 900); do
    curl -s "$BASE/status.json" | grep -q "\"warm_pool\":{\"size\":$WARM_SEGMENTS,\"ready\":$WARM_SEGMENTS," && return 0
    sleep 0.2
  done
  die "the warm pool did not fill"
}

# Waits until the pool is full and every warm segment in it is frozen, as it waits for
# users once the filler is done (needs the sqlite3 CLI).
wait_pool_frozen() {
  wait_pool_full
  local domain
  for _ in $(seq 1 200); do
    for domain in $(sqlite3 "$WORK/carina.db" "SELECT domain FROM pool_segments"); do
      [ "$(virsh -c lxc:///system domstate "$domain" 2>/dev/null)" = paused ] || { sleep 0.1; continue 2; }
    done
    return 0
  done
  die "the warm pool was not frozen"
}

# Creates cluster $1 with $2 segments and waits (up to 2 minutes) until it is active.
create_active() {
  api -o /dev/null -X POST --data "{\"cluster_name\":\"$1\",\"nodes\":$2}" "$BASE/api/v1/clusters"
  for _ in $(seq 1 600); do api "$BASE/api/v1/clusters/$1" | grep -q '"status":"active"' && return 0; sleep 0.2; done
  die "cluster $1 did not become active"
}
