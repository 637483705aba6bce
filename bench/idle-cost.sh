#!/usr/bin/env bash
# What idle clusters cost the host: a release server with 3 active 3-segment clusters and
# nothing else to do. Prints the CPU time the server and the segments' dockerds use per
# 20 s window (the reconciler's quick looks and full passes, plus dockerd's own Swarm
# upkeep), WINDOWS times, and the median. Then what each of the 3 warm (pooled) segments
# costs: memory (RSS of every process in it) and CPU per 20 s.
# Usage: bench/idle-cost.sh [windows, default 3]
# SKIP_BUILD=1 reuses the release build.
set -euo pipefail
WINDOWS=${1:-3}
BRIDGE=carinab3
BRIDGE_ADDR=10.231.0.1/24
PORT=3216
ENDPOINT_PORTS=27300-27309
INSTANCE=idle-$$
EXTRA_SEGMENT_FLAGS=(--segment-memory-mib 1024 --segment-vcpus 1)
WARM_SEGMENTS=3
. "$(dirname "$0")/lib/panel.sh"
for c in a b c; do create_active "$c" 3; done
wait_pool_full
# The clusters' libvirt domains (those taken from the warm pool keep their pool- names).
DOMAINS=$(sqlite3 "$WORK/carina.db" "SELECT COALESCE(domain, name) FROM segments")
[ "$(wc -l <<<"$DOMAINS")" = 9 ] || die "could not read the clusters' segments"
sleep 5

# Clock ticks (utime + stime) of the server and of these clusters' dockerds (a segment's
# cgroup is named after its domain).
ticks() {
  local total=0 pid
  for pid in $SERVER_PID $(pgrep -x dockerd); do
    if [ "$pid" != "$SERVER_PID" ]; then
      grep -qF "$DOMAINS" "/proc/$pid/cgroup" 2>/dev/null || continue
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

# The warm segments: every process in their cgroups (named after the domain, pool-...).
pooled_pids() {
  local dir
  for dir in /proc/[0-9]*; do
    grep -q -- '-pool-[0-9a-f]*\.libvirt-lxc' "$dir/cgroup" 2>/dev/null && echo "${dir#/proc/}"
  done
  return 0
}
pids=$(pooled_pids)
# RSS counts the binaries' pages once per process; PSS shares them out among the
# processes that map them (the pool's dockerds share one dockerd binary).
rss_kib=0 pss_kib=0
for pid in $pids; do
  rss_kib=$((rss_kib + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  pss_kib=$((pss_kib + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
done
pool_ticks() { local t=0 pid; for pid in $pids; do t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
t0=$(pool_ticks); sleep 20; t1=$(pool_ticks)
echo "warm segment, idle: $((pss_kib / 3 / 1024)) MiB PSS, $((rss_kib / 3 / 1024)) MiB RSS each (target <= 64), $(((t1 - t0) * 1000 / hz / 3)) ms CPU per 20 s each ($(wc -w <<<"$pids") processes in 3 segments)"
