#!/usr/bin/env bash
# Create->active of a 3-segment cluster spread over two hosts (the server's own libvirt,
# and this machine's libvirtd again through its network protocol, TLS on loopback, with
# that host's dockerds reached over TLS), against the same on one host. Two release
# servers side by side, each on a bridge of its own: "one" with its own host only, "two"
# with a second host added by `server admin add-host`. Alternating, RUNS times: create
# (polled every 20 ms), then delete. Prints the medians and the ratio two/one, and where
# the segments of "two" ran. Everything is removed afterwards.
# Usage: bench/two-hosts.sh [runs, default 7]. SKIP_BUILD=1 reuses the release build.
set -euo pipefail
RUNS=${1:-7}
. "$(dirname "$0")/../scripts/lib/common.sh"
cd "$REPO_ROOT"
ensure_debian_packages curl
TARGET=$(target_dir)
IMAGES=/var/lib/carina/images
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -p server >&2
SERVER="$TARGET/release/server"
WORK=$(mktemp -d)

# name bridge bridge-addr port endpoint-ports
SERVERS=("one carinab1 10.218.0.1/24 3213 27000-27009" "two carinab7 10.234.0.1/24 3219 27330-27339")
flags_of() { # bridge addr name
  echo --bridge "$1" --bridge-addr "$2" --instance "hosts-$3-$$" --image-dir "$IMAGES" --warm-segments 0
}
cleanup() {
  set +e
  local spec name bridge addr
  for spec in "${SERVERS[@]}"; do
    read -r name bridge addr _ <<<"$spec"
    [ -f "$WORK/$name.pid" ] && kill "$(cat "$WORK/$name.pid")" 2>/dev/null
  done
  wait 2>/dev/null
  for spec in "${SERVERS[@]}"; do
    read -r name bridge addr _ <<<"$spec"
    # shellcheck disable=SC2046
    "$SERVER" --data-dir "$WORK/$name" admin purge-segments $(flags_of "$bridge" "$addr" "$name") >/dev/null 2>&1
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

TLS_URI=
for spec in "${SERVERS[@]}"; do
  read -r name bridge addr port ports <<<"$spec"
  setup=$(CARINA_BRIDGE=$bridge CARINA_BRIDGE_ADDR=$addr CARINA_IMAGE_DIR=$IMAGES scripts/host-setup.sh)
  TLS_URI=$(printf '%s\n' "$setup" | sed -n 's/^libvirt_tls_uri=//p')
  mkdir -p "$WORK/$name"
  # shellcheck disable=SC2046
  RUST_LOG=warn "$SERVER" --data-dir "$WORK/$name" serve --addr "127.0.0.1:$port" $(flags_of "$bridge" "$addr" "$name") \
    --endpoint-ports "$ports" >"$WORK/$name/server.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  base=http://127.0.0.1:$port
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$base/" && break; sleep 0.1; done
  curl -sf -o /dev/null -c "$WORK/$name/jar" -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "email=bench@example.com" --data-urlencode "password=correct horse battery" "$base/api/sign_up"
  curl -sf -b "$WORK/$name/jar" -H "Origin: $base" -H "Accept: application/json" --data-urlencode "name=bench" \
    "$base/api/create_api_key" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' >"$WORK/$name/key"
  [ -s "$WORK/$name/key" ] || die "no API key from the $name server"
done
[ -n "$TLS_URI" ] || die "scripts/host-setup.sh printed no libvirt_tls_uri"
"$SERVER" --data-dir "$WORK/two" admin add-host second --uri "$TLS_URI" >/dev/null 2>&1

api() { # server-name path curl-args...
  local port
  port=$(printf '%s\n' "${SERVERS[@]}" | awk -v n="$1" '$1 == n {print $4}')
  curl -s -H "Authorization: Bearer $(cat "$WORK/$1/key")" -H "Content-Type: application/json" "${@:3}" \
    "http://127.0.0.1:$port$2"
}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Seconds from the create request to `active`.
create_active() { # server cluster
  local start status
  start=$(now)
  api "$1" /api/v1/clusters -o /dev/null -X POST --data "{\"cluster_name\":\"$2\",\"nodes\":3}"
  while :; do
    status=$(api "$1" "/api/v1/clusters/$2" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
    [ "$status" = active ] && break
    [ "$status" = error ] && die "$1: the cluster ended in error"
    sleep 0.02
  done
  awk -v a="$start" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'
}
delete() { # server cluster
  api "$1" "/api/v1/clusters/$2" -o /dev/null -X DELETE
  while [ "$(api "$1" "/api/v1/clusters/$2" -o /dev/null -w '%{http_code}')" != 404 ]; do sleep 0.1; done
}

declare -A creates
for i in $(seq 1 "$RUNS"); do
  for name in one two; do
    creates[$name]+="$(create_active "$name" bench) "
    [ "$name" = two ] && spread=$("$SERVER" --data-dir "$WORK/two" admin hosts 2>/dev/null | awk '{print $1 ":" $NF}' | tail -n +2 | tr '\n' ' ')
    delete "$name" bench
  done
  echo "run $i: create->active one host $(echo "${creates[one]}" | awk '{print $NF}')s, two hosts $(echo "${creates[two]}" | awk '{print $NF}')s ($spread)"
done
o=$(printf '%s\n' ${creates[one]} | median)
t=$(printf '%s\n' ${creates[two]} | median)
echo "medians:"
printf 'create->active (3 segments)  one host %5s s   two hosts %5s s   ratio two/one %s\n' "$o" "$t" \
  "$(awk -v a="$t" -v b="$o" 'BEGIN{printf "%.2f", a/b}')"
