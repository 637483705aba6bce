# Shared by the benchmarks that compare two release servers side by side, each on a bridge
# of its own: their start, an account with an API key on each, the API calls the figures
# are measured with, and cleanup that leaves no segment behind.
# shellcheck shell=bash
#
# Set before sourcing: SERVERS, one "name bridge bridge-addr port endpoint-ports [serve
# flags...]" per server, and INSTANCE_TAG (the segment instances are "$INSTANCE_TAG-name-PID").
# Provides: TARGET, SERVER (the binary), WORK, LIBVIRT_TLS_URI (as `scripts/host-setup.sh`
# printed it), start_servers, api, now, median, create_active and delete.

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$REPO_ROOT"
ensure_debian_packages curl unzip
TARGET=$(target_dir)
IMAGES=/var/lib/carina/images
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -p server >&2
SERVER="$TARGET/release/server"
WORK=$(mktemp -d)
LIBVIRT_TLS_URI=

flags_of() { # bridge addr name
  echo --bridge "$1" --bridge-addr "$2" --instance "$INSTANCE_TAG-$3-$$" --image-dir "$IMAGES" --warm-segments 0
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

# Starts every server of SERVERS and gives each an account and an API key.
start_servers() {
  local spec name bridge addr port ports extra setup base
  for spec in "${SERVERS[@]}"; do
    read -r name bridge addr port ports extra <<<"$spec"
    setup=$(CARINA_BRIDGE=$bridge CARINA_BRIDGE_ADDR=$addr CARINA_IMAGE_DIR=$IMAGES scripts/host-setup.sh)
    LIBVIRT_TLS_URI=$(printf '%s\n' "$setup" | sed -n 's/^libvirt_tls_uri=//p')
    mkdir -p "$WORK/$name"
    # shellcheck disable=SC2046,SC2086
    RUST_LOG=warn "$SERVER" --data-dir "$WORK/$name" serve --addr "127.0.0.1:$port" \
      $(flags_of "$bridge" "$addr" "$name") --endpoint-ports "$ports" $extra >"$WORK/$name/server.log" 2>&1 &
    echo $! >"$WORK/$name.pid"
    base=http://127.0.0.1:$port
    for _ in $(seq 1 100); do curl -sf -o /dev/null "$base/" && break; sleep 0.1; done
    curl -sf -o /dev/null -c "$WORK/$name/jar" -H "Origin: $base" -H "Accept: application/json" \
      --data-urlencode "email=bench@example.com" --data-urlencode "password=correct horse battery" "$base/api/sign_up"
    curl -sf -b "$WORK/$name/jar" -H "Origin: $base" -H "Accept: application/json" --data-urlencode "name=bench" \
      "$base/api/create_api_key" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' >"$WORK/$name/key"
    [ -s "$WORK/$name/key" ] || die "no API key from the $name server"
  done
}

api() { # server-name path curl-args...
  local port
  port=$(printf '%s\n' "${SERVERS[@]}" | awk -v n="$1" '$1 == n {print $4}')
  curl -s -H "Authorization: Bearer $(cat "$WORK/$1/key")" -H "Content-Type: application/json" "${@:3}" \
    "http://127.0.0.1:$port$2"
}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Seconds from the create request to `active` (polled every 20 ms).
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
