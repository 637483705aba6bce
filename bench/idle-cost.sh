#!/usr/bin/env bash
# What idle clusters cost the host: a release server with 3 active 3-segment clusters and
# nothing else to do. Prints the CPU time the server and the segments' dockerds use per
# 20 s window (the reconciler's quick looks and full passes, plus dockerd's own Swarm
# upkeep), WINDOWS times, and the median. Then what each of the 3 warm (pooled) segments, one
# swarm group, costs once the pool is full and frozen: memory (PSS and RSS of every process
# in it, by command) and CPU per 20 s (measured over 60 s).
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
# The warm segments are read from the server's database.
ensure_debian_packages sqlite3
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

# The warm segments: every process in their cgroups (named after the domain). Read from the
# pool's table: segments taken from the pool keep their pool- domain names, so a name
# pattern would count the clusters' segments too.
# Measured as they wait for users: full, and frozen.
wait_pool_frozen
WARM=$(sqlite3 "$WORK/carina.db" "SELECT domain FROM pool_segments WHERE state = 'ready'")
[ "$(wc -l <<<"$WARM")" = "$WARM_SEGMENTS" ] || die "could not read the warm segments"
pooled_pids() {
  local dir
  for dir in /proc/[0-9]*; do
    grep -qF "$(sed 's/$/.libvirt-lxc/' <<<"$WARM")" "$dir/cgroup" 2>/dev/null && echo "${dir#/proc/}"
  done
  return 0
}
pids=$(pooled_pids)
# pid -> "comm utime+stime" now.
snapshot() { local pid; for pid in $pids; do awk -v p="$pid" '{print p, $2, $14 + $15}' "/proc/$pid/stat" 2>/dev/null; done; }
snapshot >"$WORK/pool-t0"
sleep 60
snapshot >"$WORK/pool-t1"
# Per process: RSS counts the binaries' pages once per process; PSS shares every page out
# among the processes that map it (the pool's dockerds share one dockerd binary, and
# segments' clusters' dockerds share it too), so PSS summed over the pool is what the pool
# adds to the host's memory. Pss_Anon is each process's own memory (Go heap, stacks).
for pid in $pids; do
  [ -r "/proc/$pid/smaps_rollup" ] || continue
  awk -v p="$pid" '/^Rss:/ {r = $2} /^Pss:/ {s = $2} /^Pss_Anon:/ {a = $2} END {print p, r, s, a}' "/proc/$pid/smaps_rollup"
done >"$WORK/pool-mem"
n=$WARM_SEGMENTS
echo "warm segments, idle, per segment (mean of $n; CPU over 60 s, per 20 s):"
join <(sort "$WORK/pool-t0") <(sort "$WORK/pool-t1") | join - <(sort "$WORK/pool-mem") |
  awk -v n="$n" -v hz="$(getconf CLK_TCK)" '
    # pid comm ticks0 comm ticks1 rss pss pss_anon (KiB)
    { c = $2; gsub(/[()]/, "", c); cnt[c]++; cpu[c] += $5 - $3; rss[c] += $6; pss[c] += $7; anon[c] += $8
      tc += $5 - $3; tr += $6; tp += $7 }
    END {
      for (c in cnt) printf "  %-16s %2d proc  RSS %6.1f MiB  PSS %6.1f MiB  (own %5.1f)  CPU %4d ms\n", c, cnt[c] / n, rss[c] / n / 1024, pss[c] / n / 1024, anon[c] / n / 1024, cpu[c] * 1000 / hz / n / 3
      printf "warm segment, idle: %d MiB PSS, %d MiB RSS each (target <= 64; RSS counts shared binaries once per segment), %d ms CPU per 20 s each (%d processes in %d segments)\n", tp / n / 1024, tr / n / 1024, tc * 1000 / hz / n / 3, NR, n
    }'
