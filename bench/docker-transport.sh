#!/usr/bin/env bash
# What reaching segments' dockerds over TLS costs (as the control plane must on a host other
# than its own) against their unix sockets on this machine. Two release servers side by
# side, each on a bridge of its own: one with --docker-transport unix, one with tls.
# Alternating, RUNS times:
#  - create->active of a 3-segment cluster (polled every 20 ms), then its deletion;
# then, with one 3-segment cluster on each, N times alternating through each endpoint with
# the docker CLI:
#  - `docker ps` and `docker run --rm busybox true`;
#  - `docker logs` of a container that printed LOG_MB (default 100) MB of lines (the
#    bulk-stream path: a reader thread on the socket, a reader task over TLS).
# Prints each figure's median and the ratio tls/unix. Everything is removed afterwards.
# Usage: bench/docker-transport.sh [runs, default 5]. SKIP_BUILD=1 reuses the release build;
# N (default 15) sets the CLI runs.
set -euo pipefail
RUNS=${1:-5}
N=${N:-15}
LOG_MB=${LOG_MB:-100}
# name bridge bridge-addr port endpoint-ports serve-flags
SERVERS=("unix carinab1 10.218.0.1/24 3213 27000-27009 --docker-transport unix"
  "tls carinab7 10.234.0.1/24 3219 27330-27339 --docker-transport tls")
INSTANCE_TAG=transport
. "$(dirname "$0")/lib/pair.sh"
start_servers

declare -A creates
for i in $(seq 1 "$RUNS"); do
  for name in unix tls; do
    creates[$name]+="$(create_active "$name" bench) "
    delete "$name" bench
  done
  echo "run $i: create->active unix $(echo "${creates[unix]}" | awk '{print $NF}')s, tls $(echo "${creates[tls]}" | awk '{print $NF}')s"
done

# Milliseconds one docker CLI command takes through the endpoint of server $1's cluster.
cli_ms() { # server args...
  local name=$1 start
  shift
  start=$(now)
  (cd "$WORK/$name/bundle" && set -a && . ./docker.env && set +a && docker "$@" >/dev/null 2>&1) ||
    die "$name: docker $* failed"
  awk -v a="$start" -v b="$(now)" 'BEGIN{printf "%.1f", (b-a)*1000}'
}
for name in unix tls; do
  create_active "$name" cli >/dev/null
  api "$name" /api/v1/clusters/cli/credentials -o "$WORK/$name/cli.zip" -X POST
  unzip -q -o "$WORK/$name/cli.zip" -d "$WORK/$name"
  mv "$WORK/$name/cli" "$WORK/$name/bundle"
  cli_ms "$name" run --rm busybox true >/dev/null # warms the image lookup
  cli_ms "$name" run -d --name logger busybox sh -c \
    "yes 'a line of the log stream, forty bytes.' | head -c $((LOG_MB * 1000000))" >/dev/null
done
for name in unix tls; do
  (cd "$WORK/$name/bundle" && set -a && . ./docker.env && set +a && docker wait logger >/dev/null)
done
declare -A ps runs logs
for i in $(seq 1 "$N"); do
  for name in unix tls; do
    ps[$name]+="$(cli_ms "$name" ps) "
    runs[$name]+="$(cli_ms "$name" run --rm busybox true) "
    # MB/s; fewer runs: each reads the whole log.
    if [ "$i" -le 5 ]; then
      logs[$name]+="$(awk -v ms="$(cli_ms "$name" logs logger)" -v mb="$LOG_MB" 'BEGIN{printf "%.1f", mb/(ms/1000)}') "
    fi
  done
done

report() { # label unit unix-values tls-values
  local u t
  u=$(printf '%s\n' $3 | median)
  t=$(printf '%s\n' $4 | median)
  printf '%-28s unix %8s %s   tls %8s %s   ratio tls/unix %s\n' "$1" "$u" "$2" "$t" "$2" \
    "$(awk -v a="$t" -v b="$u" 'BEGIN{printf "%.2f", a/b}')"
}
echo "medians:"
report "create->active (3 segments)" s "${creates[unix]}" "${creates[tls]}"
report "docker ps" ms "${ps[unix]}" "${ps[tls]}"
report "docker run --rm busybox true" ms "${runs[unix]}" "${runs[tls]}"
report "docker logs (${LOG_MB} MB)" MB/s "${logs[unix]}" "${logs[tls]}"
