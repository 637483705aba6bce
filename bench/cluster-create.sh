#!/usr/bin/env bash
# Cluster creation benchmark (issue: segments and Swarm). Alternates, RUNS times:
#  - the product: from the create request (POST /api/v1/clusters, 3 segments) to the
#    cluster reported `active` (polled every 20 ms), measured by this script's clock;
#  - the floor: bench/segment-floor.sh, the same 3 segments started in parallel and joined
#    into a 3-manager swarm with plain commands.
# Prints each run, the medians and their ratio (target: <= 1.3). The product's cluster is
# deleted after each run. Usage: bench/cluster-create.sh [runs, default 5]
# SKIP_BUILD=1 reuses the release build.
set -euo pipefail
RUNS=${1:-5}
BRIDGE=carinab1
BRIDGE_ADDR=10.218.0.1/24
PORT=3213
ENDPOINT_PORTS=27000-27009
INSTANCE=bench-$$
EXTRA_SEGMENT_FLAGS=()
. "$(dirname "$0")/lib/panel.sh"
now() { date +%s.%N; }

product_run() {
  local start end status
  start=$(now)
  api -o /dev/null -X POST --data '{"cluster_name":"bench","nodes":3}' "$BASE/api/v1/clusters"
  while :; do
    status=$(api "$BASE/api/v1/clusters/bench" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
    [ "$status" = active ] && break
    [ "$status" = error ] && die "the cluster ended in error"
    sleep 0.02
  done
  end=$(now)
  api -o /dev/null -X DELETE "$BASE/api/v1/clusters/bench"
  while [ "$(api -o /dev/null -w '%{http_code}' "$BASE/api/v1/clusters/bench")" != 404 ]; do sleep 0.1; done
  awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}'
}

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
products=() floors=()
for i in $(seq 1 "$RUNS"); do
  p=$(product_run)
  f=$(bash bench/segment-floor.sh 2>/dev/null | sed -n 's/^floor_seconds=//p')
  products+=("$p"); floors+=("$f")
  echo "run $i: create->active ${p}s, floor ${f}s"
done
pm=$(printf '%s\n' "${products[@]}" | median)
fm=$(printf '%s\n' "${floors[@]}" | median)
echo "median: create->active ${pm}s, floor ${fm}s, ratio $(awk -v a="$pm" -v b="$fm" 'BEGIN{printf "%.2f", a/b}') (target <= 1.3)"
