#!/usr/bin/env bash
# Does one tenant's abuse reach another? A release server with two 1-segment clusters,
# "quiet" and "noisy". The quiet cluster's `docker ps` (through its endpoint) and the
# panel's home page are timed while the noisy cluster runs nothing, then a fork bomb, CPU
# burners, a memory hog and a disk writer, one at a time (each bounded in time and size).
# Prints the median latency under each load and its ratio to the idle median of the
# phase just before it. Usage: bench/containment.sh [samples per phase, default 15]
# SKIP_BUILD=1 reuses the release build.
set -euo pipefail
SAMPLES=${1:-15}
BRIDGE=carinab4
BRIDGE_ADDR=10.232.0.1/24
PORT=3217
ENDPOINT_PORTS=27310-27319
INSTANCE=contain-$$
EXTRA_SEGMENT_FLAGS=(--segment-memory-mib 1024 --segment-vcpus 1)
. "$(dirname "$0")/lib/panel.sh"

for c in quiet noisy; do
  create_active "$c" 1
  api -o "$WORK/$c.zip" -X POST "$BASE/api/v1/clusters/$c/credentials"
  unzip -q -o "$WORK/$c.zip" -d "$WORK"
done
on() { (cd / && source "$WORK/$1/docker.env" && shift && docker "$@"); }

# Milliseconds of one run of "$@".
time_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The median `docker ps` and panel latencies over SAMPLES runs.
measure() {
  local ps panel
  ps=$(for _ in $(seq 1 "$SAMPLES"); do time_ms on quiet ps; done | median)
  panel=$(for _ in $(seq 1 "$SAMPLES"); do time_ms curl -sf "$BASE/"; done | median)
  echo "$ps $panel"
}

# Loads, each a command for the noisy cluster; all stop by themselves within 60 s.
declare -A LOADS=(
  [fork-bomb]="run -d --name load --pids-limit 100000 busybox timeout 60 sh -c 'f() { f | f & }; f; sleep 60'"
  [cpu]="run -d --name load busybox sh -c 'for i in 1 2 3; do timeout 60 sh -c \"while :; do :; done\" & done; wait'"
  [memory]="run -d --name load busybox timeout 60 sh -c 'x=aaaaaaaaaaaaaaaa; while :; do x=\$x\$x; done'"
  [disk]="run -d --name load busybox timeout 60 dd if=/dev/zero of=/fill bs=1M count=2048"
)

# Each load is measured right after an idle phase of its own: the ratio compares two
# neighbouring phases, not a load with an idle figure from minutes before.
echo "medians of $SAMPLES; each load against the idle phase just before it"
for load in fork-bomb cpu memory disk; do
  read -r idle_ps idle_panel < <(measure)
  eval "on noisy ${LOADS[$load]}" >/dev/null
  sleep 3
  read -r ps panel < <(measure)
  state=$(on noisy inspect -f '{{.State.Status}} oom={{.State.OOMKilled}} exit={{.State.ExitCode}}' load 2>/dev/null || echo gone)
  on noisy rm -f load >/dev/null 2>&1 || true
  awk -v l="$load" -v p="$ps" -v ip="$idle_ps" -v w="$panel" -v iw="$idle_panel" -v s="$state" \
    'BEGIN {printf "%-9s docker ps %3d -> %3d ms (%.2fx), panel %3d -> %3d ms (%.2fx); noisy container: %s\n", l, ip, p, p/ip, iw, w, (iw ? w/iw : 0), s}'
  sleep 2
done
