#!/usr/bin/env bash
# What idle clusters cost the host: a release server with 3 active 3-segment clusters and
# nothing else to do. Prints the CPU time the server and the segments' dockerds use per
# 20 s window (the reconciler's quick looks and full passes, plus dockerd's own Swarm
# upkeep), WINDOWS times, and the median. Usage: bench/idle-cost.sh [windows, default 3]
# SKIP_BUILD=1 reuses the release build.
set -euo pipefail
WINDOWS=${1:-3}
BRIDGE=carinab3
BRIDGE_ADDR=10.221.0.1/24
PORT=3216
ENDPOINT_PORTS=27300-27309
INSTANCE=idle-$$
EXTRA_SEGMENT_FLAGS=(--segment-memory-mib 1024 --segment-vcpus 1)
. "$(dirname "$0")/lib/panel.sh"
for c in a b c; do create_active "$c" 3; done
# (The API's JSON has no final newline: grep -o gives one id per line.)
IDS=$(for c in a b c; do api "$BASE/api/v1/clusters/$c" | grep -o '"token":"token://[0-9a-f-]*' | cut -d/ -f3; done)
[ "$(wc -l <<<"$IDS")" = 3 ] || die "could not read the clusters' ids"
sleep 5

# Clock ticks (utime + stime) of the server and of these clusters' dockerds (a segment's
# cgroup is named after it, and its name starts with its cluster's id).
ticks() {
  local total=0 pid
  for pid in $SERVER_PID $(pgrep -x dockerd); do
    if [ "$pid" != "$SERVER_PID" ]; then
      grep -qF "$IDS" "/proc/$pid/cgroup" 2>/dev/null || continue
    fi
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)
: >"$WORK/cpu"
for i in $(seq 1 "$WINDOWS"); do
  t0=$(ticks)
  sleep 20
  t1=$(ticks)
  ms=$(((t1 - t0) * 1000 / hz))
  echo "window $i: ${ms} ms CPU in 20 s (server + 9 dockerds)"
  echo "$ms" >>"$WORK/cpu"
done
sort -n "$WORK/cpu" | awk '{a[NR]=$1} END {printf "median: %s ms CPU per 20 s, %.1f%% of one core\n", a[int((NR+1)/2)], a[int((NR+1)/2)]/200}'
