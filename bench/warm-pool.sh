#!/usr/bin/env bash
# Warm pool benchmark (issue: a Swarm cluster in under a second). One release server with a
# pool of WARM_SEGMENTS warm segments (default 4, as the server's: a group of 3 and a single;
# 1 GiB, 1 vCPU each). Alternates, RUNS times, with the pool full:
#  - create -> active of a 3-segment cluster taken from the pool;
#  - grow of a 1-segment cluster by one segment from the pool (grow request -> active);
#  - the cold floor: bench/segment-floor.sh (3 segments started and joined by hand).
# Prints each run, the medians and the ratios to the floor (targets: create <= 0.5, grow
# <= 0.4). Then 10 one-segment clusters created back to back (each as soon as the previous
# one is active), each one's time: the pool drains and refills meanwhile.
# Usage: bench/warm-pool.sh [runs, default 5]. SKIP_BUILD=1 reuses the release build.
set -euo pipefail
RUNS=${1:-5}
BRIDGE=carinab4
BRIDGE_ADDR=10.232.0.1/24
PORT=3214
ENDPOINT_PORTS=27300-27319
INSTANCE=bench-pool-$$
WARM_SEGMENTS=${WARM_SEGMENTS:-4}
EXTRA_SEGMENT_FLAGS=(--segment-memory-mib 1024 --segment-vcpus 1)
. "$(dirname "$0")/lib/panel.sh"
# The warm segments are read from the server's database.
ensure_debian_packages sqlite3
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }

"$TARGET/release/server" --data-dir "$WORK" admin set-quotas --email bench@example.com --clusters 12 --segments 3 >/dev/null

wait_status() { # cluster, status
  while :; do
    local status
    status=$(api "$BASE/api/v1/clusters/$1" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
    [ "$status" = "$2" ] && return 0
    [ "$status" = error ] && die "cluster $1 ended in error"
    sleep 0.02
  done
}
delete() {
  api -o /dev/null -X DELETE "$BASE/api/v1/clusters/$1"
  while [ "$(api -o /dev/null -w '%{http_code}' "$BASE/api/v1/clusters/$1")" != 404 ]; do sleep 0.1; done
}
create_run() {
  wait_pool_frozen
  local start
  start=$(now)
  api -o /dev/null -X POST --data '{"cluster_name":"bench","nodes":3}' "$BASE/api/v1/clusters"
  wait_status bench active
  since "$start"
  delete bench >/dev/null
}
grow_run() {
  wait_pool_full
  create_active grow 1
  wait_pool_frozen
  local start
  start=$(now)
  api -o /dev/null -X POST --data '{"nodes":1}' "$BASE/api/v1/clusters/grow/grow"
  sleep 0.05
  wait_status grow active
  since "$start"
  delete grow >/dev/null
}

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
creates=() grows=() floors=()
for i in $(seq 1 "$RUNS"); do
  c=$(create_run)
  g=$(grow_run)
  f=$(bash bench/segment-floor.sh 2>/dev/null | sed -n 's/^floor_seconds=//p')
  creates+=("$c"); grows+=("$g"); floors+=("$f")
  echo "run $i: create->active ${c}s, grow by one ${g}s, cold floor ${f}s"
done
cm=$(printf '%s\n' "${creates[@]}" | median)
gm=$(printf '%s\n' "${grows[@]}" | median)
fm=$(printf '%s\n' "${floors[@]}" | median)
ratio() { awk -v a="$1" -v b="$fm" 'BEGIN{printf "%.2f", a/b}'; }
echo "median: create->active ${cm}s (ratio $(ratio "$cm"), target <= 0.5), grow ${gm}s (ratio $(ratio "$gm"), target <= 0.4), floor ${fm}s"

wait_pool_full
echo "10 one-segment clusters back to back (pool of $WARM_SEGMENTS):"
for i in $(seq 1 10); do
  start=$(now)
  api -o /dev/null -X POST --data "{\"cluster_name\":\"b$i\",\"nodes\":1}" "$BASE/api/v1/clusters"
  wait_status "b$i" active
  from=$(sqlite3 "$WORK/carina.db" "SELECT COUNT(*) FROM events e JOIN clusters c ON c.id = e.cluster_id
    WHERE c.name = 'b$i' AND e.message LIKE '%warm pool%'")
  echo "  b$i: $(since "$start")s ($([ "$from" = 1 ] && echo "from the pool" || echo cold))"
done
for i in $(seq 1 10); do delete "b$i"; done
