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
# name bridge bridge-addr port endpoint-ports
SERVERS=("one carinab1 10.218.0.1/24 3213 27000-27009" "two carinab7 10.234.0.1/24 3219 27330-27339")
INSTANCE_TAG=hosts
. "$(dirname "$0")/lib/pair.sh"
start_servers
[ -n "$LIBVIRT_TLS_URI" ] || die "scripts/host-setup.sh printed no libvirt_tls_uri"
"$SERVER" --data-dir "$WORK/two" admin add-host second --uri "$LIBVIRT_TLS_URI" >/dev/null 2>&1

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
