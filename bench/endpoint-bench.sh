#!/usr/bin/env bash
# Cluster endpoint benchmark: the docker CLI through the endpoint versus the same CLI
# directly on one segment's dockerd socket (and, for log streaming, versus nginx as an
# mTLS reverse proxy to that socket). Prints medians and ratios.
#
# Against a running endpoint:
#   DOCKER_HOST=tcp://HOST:PORT DOCKER_CERT_PATH=DIR DIRECT_SOCKET=/path/to/segment.sock \
#     bench/endpoint-bench.sh
# Against throwaway local dockerds (builds and starts gateway's endpoint_dev example):
#   bench/endpoint-bench.sh --local
# Against a real 3-segment cluster of a release server started for the purpose (libvirt
# segments on a bridge of their own; everything is removed afterwards):
#   bench/endpoint-bench.sh --cluster
#
# Knobs (env): N (runs per latency metric, default 20), LOG_MB (MB of log lines,
# default 200), LOG_RUNS (default 3), IMAGE (default busybox), RUN_ARGS (extra
# `docker run` flags; --local uses --network none), DOCKER_CLI (default docker),
# SEGMENTS (--local only, default 3).
set -euo pipefail

N=${N:-20}
LOG_MB=${LOG_MB:-200}
LOG_RUNS=${LOG_RUNS:-3}
IMAGE=${IMAGE:-busybox}
DOCKER_CLI=${DOCKER_CLI:-docker}
RUN_ARGS=${RUN_ARGS:-}

WORK=$(mktemp -d)
DEV_PID=""
NGINX_PID=""
LOG_CONTAINER=""

SERVER_PID=""
cleanup() {
  set +e
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    "$SERVER_BIN" --data-dir "$WORK/server" admin purge-segments "${SEGMENT_FLAGS[@]}" >/dev/null 2>&1
  fi
  if [ -n "$LOG_CONTAINER" ] && [ -n "${DIRECT_SOCKET:-}" ]; then
    direct rm -f "$LOG_CONTAINER" >/dev/null 2>&1
  fi
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  if [ -n "$DEV_PID" ]; then
    kill "$DEV_PID" 2>/dev/null
    wait "$DEV_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

endpoint() { DOCKER_TLS_VERIFY=1 DOCKER_CONFIG="$WORK/cfg" "$DOCKER_CLI" "$@"; }
direct() { env -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_CONFIG="$WORK/cfg" DOCKER_HOST="unix://$DIRECT_SOCKET" "$DOCKER_CLI" "$@"; }
via_nginx() {
  env DOCKER_CONFIG="$WORK/cfg" DOCKER_HOST="tcp://127.0.0.1:$NGINX_PORT" DOCKER_TLS_VERIFY=1 \
    DOCKER_CERT_PATH="$WORK/nginx-client" "$DOCKER_CLI" "$@"
}
mkdir -p "$WORK/cfg"

if [ "${1:-}" = "--local" ]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  target=${CARGO_TARGET_DIR:-$repo/target}
  echo "# building the endpoint_dev example (release)..." >&2
  (cd "$repo" && CARGO_TARGET_DIR="$target" cargo build --quiet --release -p gateway --example endpoint_dev)
  "$target/release/examples/endpoint_dev" "$WORK/bundle" "${SEGMENTS:-3}" 0 >"$WORK/dev.env" 2>"$WORK/dev.log" &
  DEV_PID=$!
  for _ in $(seq 1 300); do grep -q READY "$WORK/dev.env" 2>/dev/null && break; sleep 0.1; done
  grep -q READY "$WORK/dev.env" || { cat "$WORK/dev.log" >&2; echo "endpoint_dev did not start" >&2; exit 1; }
  # shellcheck disable=SC1091
  source <(grep '^export' "$WORK/dev.env")
  RUN_ARGS=${RUN_ARGS:---network none}
fi

if [ "${1:-}" = "--cluster" ]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  target=${CARGO_TARGET_DIR:-$repo/target}
  echo "# building the server (release)..." >&2
  (cd "$repo" && CARGO_TARGET_DIR="$target" cargo build --quiet --release -p server)
  SERVER_BIN=$target/release/server
  CARINA_BRIDGE=carinab2 CARINA_BRIDGE_ADDR=10.220.0.1/24 CARINA_IMAGE_DIR=/var/lib/carina/images \
    "$repo/scripts/host-setup.sh" >/dev/null
  SEGMENT_FLAGS=(--bridge carinab2 --bridge-addr 10.220.0.1/24 --instance "ebench-$$"
    --image-dir /var/lib/carina/images)
  base=http://127.0.0.1:3214
  RUST_LOG=warn "$SERVER_BIN" --data-dir "$WORK/server" serve --addr 127.0.0.1:3214 "${SEGMENT_FLAGS[@]}" \
    --endpoint-ports 27100-27109 \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$base/" && break; sleep 0.1; done
  curl -sf -o /dev/null -c "$WORK/jar" -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "email=bench@example.com" --data-urlencode "password=correct horse battery" "$base/api/sign_up"
  key=$(curl -sf -b "$WORK/jar" -H "Origin: $base" -H "Accept: application/json" --data-urlencode "name=bench" \
    "$base/api/create_api_key" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
  api() { curl -sf -H "Authorization: Bearer $key" -H "Content-Type: application/json" "$@"; }
  api -o /dev/null --data '{"cluster_name":"bench","nodes":3}' "$base/api/v1/clusters"
  for _ in $(seq 1 600); do api "$base/api/v1/clusters/bench" | grep -q '"status":"active"' && break; sleep 0.2; done
  api -X POST -o "$WORK/bench.zip" "$base/api/v1/clusters/bench/credentials"
  (cd "$WORK" && unzip -q bench.zip)
  # shellcheck disable=SC1091
  source "$WORK/bench/docker.env"
  n1=$(api "$base/api/v1/clusters/bench" | sed -n 's/.*"segments":\[{[^}]*"name":"\([^"]*-n1\)".*/\1/p')
  DIRECT_SOCKET=/var/lib/carina-segments/ebench-$$/$n1/run/docker.sock
  [ -S "$DIRECT_SOCKET" ] || { echo "no socket for $n1" >&2; exit 1; }
fi

: "${DOCKER_HOST:?set DOCKER_HOST (the endpoint) or use --local}"
: "${DOCKER_CERT_PATH:?set DOCKER_CERT_PATH (the endpoint bundle)}"
: "${DIRECT_SOCKET:?set DIRECT_SOCKET (one segment dockerd unix socket)}"
export DOCKER_HOST DOCKER_CERT_PATH

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "-" }'; }

# interleaved_ms ARGS...: `docker ARGS` through endpoint, direct and nginx in turn, N
# rounds (after a warm-up each): alternating cancels out the load drift of a shared
# machine. Prints the three medians in ms.
interleaved_ms() {
  local runner
  for runner in endpoint direct via_nginx; do
    "$runner" "$@" >/dev/null 2>&1 || { echo "failed: $runner $*" >&2; "$runner" "$@" >&2; exit 1; }
  done
  : >"$WORK/t.endpoint"; : >"$WORK/t.direct"; : >"$WORK/t.via_nginx"
  for _ in $(seq 1 "$N"); do
    for runner in endpoint direct via_nginx; do
      local t0 t1
      t0=$(now_ns)
      "$runner" "$@" >/dev/null 2>&1
      t1=$(now_ns)
      echo $(((t1 - t0) / 1000)) >>"$WORK/t.$runner"
    done
  done
  for runner in endpoint direct via_nginx; do
    median <"$WORK/t.$runner" | awk '{printf "%.1f ", $1/1000}'
  done
}

# interleaved_mbs: median MB/s of `docker logs -f` on the finished log container, the
# three paths in turn, LOG_RUNS rounds.
interleaved_mbs() {
  : >"$WORK/m.endpoint"; : >"$WORK/m.direct"; : >"$WORK/m.via_nginx"
  for _ in $(seq 1 "$LOG_RUNS"); do
    for runner in endpoint direct via_nginx; do
      local t0 t1 bytes
      t0=$(now_ns)
      bytes=$("$runner" logs -f "$LOG_CONTAINER" 2>/dev/null | wc -c)
      t1=$(now_ns)
      awk -v b="$bytes" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f\n", b / 1048576 / (ns / 1e9) }' >>"$WORK/m.$runner"
    done
  done
  for runner in endpoint direct via_nginx; do
    median <"$WORK/m.$runner" | awk '{printf "%s ", $1}'
  done
}

start_nginx() {
  NGINX_PORT=$((20000 + RANDOM % 20000))
  local d="$WORK/nginx"
  mkdir -p "$d/logs" "$d/tmp" "$WORK/nginx-client"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench-ca \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
      -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
      -extfile server.ext -out server.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench-client \
      -keyout "$WORK/nginx-client/key.pem" -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 \
      -extfile client.ext -out "$WORK/nginx-client/cert.pem" 2>/dev/null
    cp ca.pem "$WORK/nginx-client/ca.pem"
  )
  # Workers must reach the root-owned docker socket; as root, keep them root.
  local user_line=""
  [ "$(id -u)" = 0 ] && user_line="user root;"
  cat >"$d/nginx.conf" <<EOF
daemon off;
$user_line
worker_processes auto;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  upstream docker { server unix:$DIRECT_SOCKET; keepalive 16; }
  # attach (docker run without -d) upgrades the connection.
  map \$http_upgrade \$connection_upgrade { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $d/server.pem;
    ssl_certificate_key $d/server-key.pem;
    ssl_client_certificate $d/ca.pem;
    ssl_verify_client on;
    location / {
      proxy_pass http://docker;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_buffering off;
      proxy_read_timeout 3600s;
    }
  }
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" &
  NGINX_PID=$!
  for _ in $(seq 1 50); do via_nginx version >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "nginx did not start:" >&2
  cat "$d/logs/error.log" >&2
  exit 1
}

echo "# endpoint $DOCKER_HOST, direct unix://$DIRECT_SOCKET, N=$N, LOG_MB=$LOG_MB, CLI $($DOCKER_CLI --version)"

start_nginx
# shellcheck disable=SC2086  # RUN_ARGS is a list of flags
{
  read -r ps_e ps_d ps_n <<<"$(interleaved_ms ps)"
  read -r run_e run_d run_n <<<"$(interleaved_ms run --rm $RUN_ARGS "$IMAGE" true)"
  # The log container lives on the direct segment; the endpoint finds it by id.
  line=$(printf 'x%.0s' $(seq 1 99))
  LOG_CONTAINER=$(direct run -d $RUN_ARGS "$IMAGE" sh -c "yes $line | head -c $((LOG_MB * 1048576))")
  direct wait "$LOG_CONTAINER" >/dev/null
}
read -r logs_e logs_d logs_n <<<"$(interleaved_mbs)"

printf '\n%-28s %10s %10s %10s %10s %10s\n' metric endpoint direct nginx end/direct end/nginx
printf '%-28s %10s %10s %10s %10s %10s\n' "docker ps (ms)" "$ps_e" "$ps_d" "$ps_n" "$(ratio "$ps_e" "$ps_d")" "$(ratio "$ps_e" "$ps_n")"
printf '%-28s %10s %10s %10s %10s %10s\n' "docker run --rm (ms)" "$run_e" "$run_d" "$run_n" "$(ratio "$run_e" "$run_d")" "$(ratio "$run_e" "$run_n")"
printf '%-28s %10s %10s %10s %10s %10s\n' "docker logs -f (MB/s)" "$logs_e" "$logs_d" "$logs_n" \
  "$(ratio "$logs_e" "$logs_d")" "$(ratio "$logs_e" "$logs_n")"
echo "# latency: median ms over $N interleaved rounds (lower is better; target end/direct <= 1.15)"
echo "# logs: median MB/s over $LOG_RUNS interleaved rounds (higher is better; targets end/direct >= 0.9, end/nginx >= 1)"
