#!/usr/bin/env bash
# Placement view benchmark (issue 13). A server with one 3-segment cluster; prints:
#  - from `docker run -d` returning to the container's tile being visible in Chromium,
#    20 tries, and the median (target: <= 250 ms);
#  - the time the page takes to apply one full update (the page's data, as the live
#    stream sends it, through the render and a layout) with PER_SEGMENT containers on each
#    of the 3 segments (default 100), 10 updates, and the median;
#  - the server's CPU while 50 live streams of the cluster's page are open and nothing
#    happens, over 30 s (from /proc).
# Figures only: nothing is asserted. Usage: bench/placement.sh. PROFILE=release for the
# release build (default: debug, as the tests build); SKIP_BUILD=1 reuses the build;
# BENCH_BRIDGE, BENCH_BRIDGE_ADDR, BENCH_PORT and BENCH_ENDPOINT_PORTS move it.
set -euo pipefail
BRIDGE=${BENCH_BRIDGE:-carinab6}
BRIDGE_ADDR=${BENCH_BRIDGE_ADDR:-10.233.0.1/24}
PORT=${BENCH_PORT:-3218}
ENDPOINT_PORTS=${BENCH_ENDPOINT_PORTS:-27320-27329}
INSTANCE=placement-$$
PER_SEGMENT=${PER_SEGMENT:-100}
# Room for a hundred containers on each segment.
EXTRA_SEGMENT_FLAGS=(--segment-memory-mib 2048 --segment-vcpus 1)
export PROFILE=${PROFILE:-debug}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  "$(dirname "$0")/../scripts/build.sh" "$PROFILE" >&2
fi
SKIP_BUILD=1
. "$(dirname "$0")/lib/panel.sh"

create_active bench 3
curl -sf -b "$WORK/jar" -H "Origin: $BASE" -X POST -o "$WORK/bundle.zip" "$BASE/clusters/bench/credentials.zip"
unzip -q -o "$WORK/bundle.zip" -d "$WORK"

echo "== docker run -> tile, and full updates with $PER_SEGMENT containers per segment (Chromium)"
(cd end2end && BASE_URL=$BASE BENCH_EMAIL=bench@example.com BENCH_BUNDLE=$WORK/bench \
  BENCH_PER_SEGMENT=$PER_SEGMENT npx playwright test --config bench.config.ts)

echo "== idle: the server's CPU over 30 s, without and with 50 open live streams of the cluster's page"
ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
hz=$(getconf CLK_TCK)
window() {
  local t0 t1 ms streams
  t0=$(ticks)
  sleep 30
  t1=$(ticks)
  ms=$(((t1 - t0) * 1000 / hz))
  streams=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
  echo "server CPU with $streams open connections: ${ms} ms in 30 s ($(awk "BEGIN {printf \"%.2f\", $ms / 300}")% of one core)"
}
sleep 5
window
for _ in $(seq 1 50); do
  curl -s -N -b "$WORK/jar" -o /dev/null "$BASE/live/clusters/bench" &
done
sleep 5
window
