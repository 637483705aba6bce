#!/usr/bin/env bash
# The hand-made floor for cluster creation: with plain commands only (mount, virsh with
# hand-written XML, the docker CLI over each segment's unix socket), stand up 3 segments
# in parallel, `swarm init` on the first and 2 manager joins in parallel, and print the
# wall time from nothing to "3 ready managers" as one machine-readable line:
#   floor_seconds=2.61
# Then remove everything again. What the product adds on top (TLS, cgroup namespace,
# infrastructure containers, bookkeeping) is exactly what this floor leaves out.
#
# Uses scripts/host-setup.sh (run first, quick when done) for libvirtd, the root
# filesystem and a bridge of its own: CARINA_BRIDGE [carinab0], CARINA_BRIDGE_ADDR
# [10.215.0.1/24]. Progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CARINA_BRIDGE:=carinab0}"
: "${CARINA_BRIDGE_ADDR:=10.215.0.1/24}"
export CARINA_BRIDGE CARINA_BRIDGE_ADDR

setup_out=$(bash "$here/../scripts/host-setup.sh")
get() { sed -n "s/^$1=//p" <<<"$setup_out"; }
segments_root=$(get segments_root)
rootfs=$(readlink -f "$(get rootfs)")
uri=$(get libvirt_uri)
gateway=${CARINA_BRIDGE_ADDR%/*}
prefix=${CARINA_BRIDGE_ADDR#*/}
net=${gateway%.*}
docker_cli=$(command -v docker || echo "$rootfs/usr/bin/docker")
virsh="virsh -q -c $uri"

id=floor-$$
dir=$segments_root/bench-$id
addr() { echo "$net.$((10 + $1))"; }
sock() { echo "$dir/$id-n$1/run/docker.sock"; }
dk() {
  local i=$1
  shift
  "$docker_cli" -H "unix://$(sock "$i")" "$@"
}
log() { echo "segment-floor: $*" >&2; }

# The bridge's filter chain drops traffic between segments unless allowed: let the
# floor's segments reach each other for the run (one rule, cheaper than the panel's).
floor_rule=(CARINA-"$CARINA_BRIDGE" -m comment --comment "carina:$id" -j ACCEPT)

cleanup() {
  local i n
  iptables -w -D "${floor_rule[@]}" 2>/dev/null || true
  for i in 1 2 3; do
    n=$id-n$i
    $virsh destroy "$n" >/dev/null 2>&1 || true
    $virsh undefine "$n" >/dev/null 2>&1 || true
    umount "$dir/$n/root" 2>/dev/null || true
    rm -f "/var/log/libvirt/lxc/$n.log"
  done
  rm -rf "$dir"
}
trap cleanup EXIT
iptables -w -I "${floor_rule[@]}"

# One segment: overlay root, domain, start, wait for dockerd on its socket.
segment() {
  local i=$1 n=$id-n$1 d=$dir/$id-n$1 deadline
  mkdir -p "$d"/{upper,work,root,docker,run}
  mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$d/upper,workdir=$d/work" "$d/root"
  cat >"$d/domain.xml" <<EOF
<domain type='lxc'>
  <name>$n</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os>
    <type>exe</type>
    <init>/usr/bin/tini</init>
    <initarg>--</initarg>
    <initarg>/usr/bin/sh</initarg>
    <initarg>-c</initarg>
    <initarg>exec /usr/sbin/dockerd -H unix:///run/docker.sock &lt;/dev/null &gt;/run/dockerd.log 2&gt;&amp;1</initarg>
  </os>
  <features><privnet/><capabilities policy='allow'/></features>
  <devices>
    <filesystem type='mount'><source dir='$d/root'/><target dir='/'/></filesystem>
    <filesystem type='mount'><source dir='$d/docker'/><target dir='/var/lib/docker'/></filesystem>
    <filesystem type='mount'><source dir='$d/run'/><target dir='/run'/></filesystem>
    <interface type='bridge'>
      <source bridge='$CARINA_BRIDGE'/>
      <ip address='$(addr "$i")' prefix='$prefix'/>
      <route address='0.0.0.0' prefix='0' gateway='$gateway'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>
EOF
  $virsh define "$d/domain.xml" >/dev/null
  $virsh start "$n" >/dev/null
  deadline=$((SECONDS + 30))
  until dk "$i" version >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || {
      log "dockerd of $n never answered"
      return 1
    }
    sleep 0.05
  done
}

ready_managers() {
  dk 1 node ls --format '{{.Status}} {{.ManagerStatus}}' 2>/dev/null | grep -cE '^Ready (Leader|Reachable)$' || true
}

mkdir -p "$dir"
start=$(date +%s.%N)

pids=()
for i in 1 2 3; do
  segment "$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
log "3 segments answer Docker after $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s"

dk 1 swarm init --advertise-addr "$(addr 1)" >/dev/null
token=$(dk 1 swarm join-token -q manager)
pids=()
for i in 2 3; do
  dk "$i" swarm join --token "$token" --advertise-addr "$(addr "$i")" "$(addr 1):2377" >/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

deadline=$((SECONDS + 60))
until [ "$(ready_managers)" = 3 ]; do
  [ $SECONDS -lt $deadline ] || {
    log "no 3 ready managers"
    exit 1
  }
  sleep 0.05
done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "floor_seconds=%.2f\n", e - s }'
