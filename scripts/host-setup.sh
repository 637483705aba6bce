#!/usr/bin/env bash
# Prepares this machine to run segments: packages, libvirtd (in its own mount namespace,
# also listening on TLS on loopback, see lib/libvirt-tls.sh),
# the machine-wide shared mount root for segment overlays, one bridge, the segment root
# filesystem and the base image. Idempotent and quick when everything is already in place;
# safe to run concurrently (one lock) and by several instances with their own bridges.
#
# Environment (defaults in brackets):
#   CARINA_DATA_DIR       data root of this instance                [/var/lib/carina]
#   CARINA_IMAGE_DIR      cache for the root filesystem and images  [$CARINA_DATA_DIR/images]
#   CARINA_SEGMENTS_ROOT  machine-wide shared mount root; every instance keeps its
#                         segments in a directory below it          [/var/lib/carina-segments]
#   CARINA_BRIDGE         host bridge of this instance               [carina0]
#   CARINA_BRIDGE_ADDR    gateway address/prefix on that bridge      [10.213.0.1/24]
#   CARINA_SUITE          Debian suite of the segment root           [bookworm]
#   CARINA_MIRROR         Debian mirror for debootstrap [derived from this machine's apt sources]
#
# Prints "==> ..." progress lines on stderr, then key=value lines describing the result.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/apt-mirror.sh
source "$here/lib/apt-mirror.sh"
# shellcheck source=lib/base-image.sh
source "$here/lib/base-image.sh"
# shellcheck source=lib/libvirt-tls.sh
source "$here/lib/libvirt-tls.sh"

: "${CARINA_DATA_DIR:=/var/lib/carina}"
: "${CARINA_IMAGE_DIR:=$CARINA_DATA_DIR/images}"
: "${CARINA_SEGMENTS_ROOT:=/var/lib/carina-segments}"
: "${CARINA_BRIDGE:=carina0}"
: "${CARINA_BRIDGE_ADDR:=10.213.0.1/24}"
: "${CARINA_SUITE:=bookworm}"
: "${CARINA_MIRROR:=}"

LIBVIRT_URI=lxc:///system
LIBVIRTD_PIDFILE=/run/libvirtd.pid
PACKAGES=(libvirt-daemon libvirt-daemon-driver-lxc libvirt-clients libvirt-dev pkg-config
  debootstrap busybox-static apparmor iptables ebtables iproute2 bridge-utils util-linux e2fsprogs openssl)
# What dockerd inside a segment needs; iproute2 and procps help when debugging one.
ROOTFS_INCLUDE=docker.io,iptables,ca-certificates,tini,iproute2,procps
# Bump when the steps after debootstrap change: a new recipe builds a new root.
ROOTFS_POST_VERSION=1
BASE_IMAGE_VERSION=1
BASE_IMAGE_REF=busybox:latest

[ "$(id -u)" = 0 ] || die "must run as root"

# One setup at a time on this machine: libvirtd start and image builds are machine-wide.
mkdir -p /run/lock
exec 9>/run/lock/carina-host-setup.lock
flock 9

# --- packages ---------------------------------------------------------------------------
install_packages() {
  ensure_debian_packages "${PACKAGES[@]}"
}

# --- libvirt prerequisites --------------------------------------------------------------
libvirt_prerequisites() {
  # The QEMU driver, loaded with the daemon, refuses to start without its account.
  getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
  getent group kvm >/dev/null || groupadd --system kvm
  id libvirt-qemu >/dev/null 2>&1 ||
    useradd --system -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
  mkdir -p /var/log/libvirt /var/lib/libvirt
}

# --- shared mount root ------------------------------------------------------------------
# mountinfo_field PIDDIR MOUNTPOINT: prints the optional fields (shared:N, master:N) of
# the mount at MOUNTPOINT as that process sees it, or nothing when it is not a mount point.
mount_tags() {
  awk -v mp="$2" '$5 == mp { t = ""; for (i = 7; $i != "-"; i++) t = t " " $i; print t "|"; exit }' \
    "/proc/$1/mountinfo"
}

shared_root() {
  mkdir -p "$CARINA_SEGMENTS_ROOT"
  CARINA_SEGMENTS_ROOT=$(realpath "$CARINA_SEGMENTS_ROOT")
  local tags
  tags=$(mount_tags self "$CARINA_SEGMENTS_ROOT")
  if [ -z "$tags" ]; then
    log "making $CARINA_SEGMENTS_ROOT a shared mount"
    mount --bind "$CARINA_SEGMENTS_ROOT" "$CARINA_SEGMENTS_ROOT"
    tags=" |"
  fi
  # Overlays mounted below it later must reach libvirtd's own mount namespace.
  case $tags in *shared:*) ;; *) mount --make-shared "$CARINA_SEGMENTS_ROOT" ;; esac
}

# --- libvirtd ---------------------------------------------------------------------------
libvirtd_pid() {
  local pid
  pid=$(cat "$LIBVIRTD_PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] &&
    echo "$pid"
}

start_libvirtd() {
  local pid tags i
  ensure_libvirt_pki
  if pid=$(libvirtd_pid) && virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1; then
    tags=$(mount_tags "$pid" "$CARINA_SEGMENTS_ROOT")
    case $tags in *master:*) libvirtd_listens "$pid" && return 0 ;; esac
    # Started by someone else, before the shared root existed (it would never see a
    # segment's overlay), or without its TLS listener. Running domains survive a libvirtd
    # restart, so restart it.
    log "restarting libvirtd (to see mounts under $CARINA_SEGMENTS_ROOT and listen on TLS on loopback)"
    kill "$pid"
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  log "starting libvirtd"
  rm -f "$LIBVIRTD_PIDFILE"
  # Its own mount namespace: slave, so it receives the overlays mounted under the shared
  # root, and without the empty cgroup2 mount on which LXC domains fail to start.
  # fd 9 (our lock) must not leak into the daemon.
  LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" \
    unshare -m --propagation slave sh -c '
      if grep -q " /sys/fs/cgroup/unified " /proc/self/mountinfo; then umount -l /sys/fs/cgroup/unified; fi
      exec libvirtd -d --listen --config "$0"' "$LIBVIRT_PKI/libvirtd.conf" 9>&-
  for i in $(seq 1 100); do
    virsh -c "$LIBVIRT_URI" version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "libvirtd did not answer on $LIBVIRT_URI (see /var/log/libvirt/libvirtd.log)"
}

# --- bridge and packet filter -----------------------------------------------------------
ensure_rule() {
  local table=$1
  shift
  iptables -w -t "$table" -C "$@" 2>/dev/null || iptables -w -t "$table" -I "$@"
}

ensure_rule6() {
  ip6tables -w -C "$@" 2>/dev/null || ip6tables -w -I "$@"
}

# Segments' host-side interfaces are all named cs<hash> (segments::veth_name).
SEGMENT_IFACES=cs+
# The machine-wide ebtables chain of every frame a segment sends (segments::SEGMENTS_CHAIN).
L2_CHAIN=CARINA-SEGMENTS

# L2, shared by every bridge (ebtables here cannot match the bridge a frame entered: no
# nft bridge meta support): frames from segment interfaces go to one chain, which jumps to
# each segment's own chain. The server writes that chain before the segment starts: IPv4
# and ARP from the segment's own MAC and address pass, everything else drops (other MACs,
# forged ARP, IPv6 of every kind, router advertisements included), towards other segments
# and towards the host alike. In nat PREROUTING: before the bridge learns the source MAC
# (later hooks would let a segment with a neighbour's MAC divert the neighbour's traffic).
# Frames of interfaces without a chain return (policy RETURN), so this leaves alone the
# segments of other instances on the machine that predate it.
# ebtables (nf_tables) loses rules when run concurrently: every caller, the server too,
# holds this lock (segments::link_filter).
EBTABLES_LOCK=/run/lock/carina-ebtables.lock
ebt() { flock "$EBTABLES_LOCK" ebtables -t nat "$@"; }

link_filter() {
  ebt -L "$L2_CHAIN" >/dev/null 2>&1 || ebt -N "$L2_CHAIN"
  ebt -P "$L2_CHAIN" RETURN
  ebt -L PREROUTING | grep -qxF -- "-i $SEGMENT_IFACES -j $L2_CHAIN" ||
    ebt -I PREROUTING -i "$SEGMENT_IFACES" -j "$L2_CHAIN"
}

bridge() {
  if ! ip link show dev "$CARINA_BRIDGE" >/dev/null 2>&1; then
    log "creating bridge $CARINA_BRIDGE ($CARINA_BRIDGE_ADDR)"
    ip link add "$CARINA_BRIDGE" type bridge
  fi
  # The host has no IPv6 address on the bridge: nothing on "::" is reachable from it.
  [ ! -e "/proc/sys/net/ipv6/conf/$CARINA_BRIDGE/disable_ipv6" ] ||
    echo 1 >"/proc/sys/net/ipv6/conf/$CARINA_BRIDGE/disable_ipv6"
  ip -4 -o addr show dev "$CARINA_BRIDGE" | grep -qw "inet $CARINA_BRIDGE_ADDR" ||
    ip addr add "$CARINA_BRIDGE_ADDR" dev "$CARINA_BRIDGE"
  ip link set "$CARINA_BRIDGE" up
  # Traffic between segments crosses FORWARD (br_netfilter) into the bridge's own chain,
  # where the server allows each segment its cluster's peers; the rest is dropped (the
  # chain ends in DROP). Nothing may leave the bridge for elsewhere (no NAT either).
  # Isolation needs bridged traffic to pass iptables (br_netfilter); without it, it would
  # silently not happen.
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null || true
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ||
    die "bridged traffic cannot be filtered: the br_netfilter kernel module is not available"
  local knob
  for knob in bridge-nf-call-iptables bridge-nf-call-ip6tables; do
    [ "$(cat /proc/sys/net/bridge/$knob)" = 1 ] || echo 1 >/proc/sys/net/bridge/$knob
  done
  local chain="CARINA-$CARINA_BRIDGE"
  iptables -w -n -L "$chain" >/dev/null 2>&1 || iptables -w -N "$chain"
  iptables -w -C "$chain" -j DROP 2>/dev/null || iptables -w -A "$chain" -j DROP
  # Before isolation, one rule let every segment reach every other.
  iptables -w -D FORWARD -i "$CARINA_BRIDGE" -o "$CARINA_BRIDGE" -j ACCEPT 2>/dev/null || true
  ensure_rule filter FORWARD -i "$CARINA_BRIDGE" -o "$CARINA_BRIDGE" -j "$chain"
  ensure_rule filter FORWARD -i "$CARINA_BRIDGE" ! -o "$CARINA_BRIDGE" -j DROP
  ensure_rule filter FORWARD -o "$CARINA_BRIDGE" ! -i "$CARINA_BRIDGE" -j DROP
  # The host talks to segments (Docker over TCP, replies); segments open no connection to
  # the host: they need nothing from it (no DNS, no NTP: they share the host's clock).
  ensure_rule filter INPUT -i "$CARINA_BRIDGE" -m conntrack ! --ctstate ESTABLISHED,RELATED -j DROP
  # No IPv6 from the bridge at all, should a frame ever get past the L2 filter (on a
  # kernel with IPv6).
  if [ -e /proc/net/if_inet6 ]; then
    ensure_rule6 INPUT -i "$CARINA_BRIDGE" -j DROP
    ensure_rule6 FORWARD -i "$CARINA_BRIDGE" -j DROP
    ensure_rule6 FORWARD -o "$CARINA_BRIDGE" -j DROP
  fi
  link_filter
}

# Segments' processes are limited through the pids controller (segments::pids).
check_cgroups() {
  awk '$(NF-2) == "cgroup" && $NF ~ /(^|,)pids(,|$)/ { found = 1 } END { exit !found }' /proc/self/mountinfo ||
    die "no cgroup v1 pids hierarchy is mounted: segments' process limits cannot apply"
}

# --- segment root filesystem ------------------------------------------------------------
rootfs() {
  local recipe hash dir tmp mirror log
  recipe="suite=$CARINA_SUITE variant=minbase include=$ROOTFS_INCLUDE post=$ROOTFS_POST_VERSION"
  hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)
  dir="$CARINA_IMAGE_DIR/rootfs-$hash"
  mkdir -p "$CARINA_IMAGE_DIR"
  if [ "$(cat "$dir/.carina-recipe" 2>/dev/null)" != "$recipe" ]; then
    mirror=$CARINA_MIRROR
    [ -n "$mirror" ] || mirror=$(carina_apt_mirror "$CARINA_SUITE") ||
      die "no apt source serves $CARINA_SUITE; set CARINA_MIRROR"
    log "building segment root filesystem: debootstrap $CARINA_SUITE from $mirror (about a minute)"
    tmp="$CARINA_IMAGE_DIR/.build-rootfs-$hash"
    log="$CARINA_IMAGE_DIR/.build-rootfs-$hash.log"
    rm -rf "$tmp"
    if ! debootstrap --variant=minbase --include="$ROOTFS_INCLUDE" "$CARINA_SUITE" "$tmp" "$mirror" 2>&1 |
      tee "$log" |
      grep --line-buffered -E '^I: (Resolving|Installing|Unpacking (required|the base)|Configuring (required|the base)|Base system)' |
      sed -u 's/^I: /    /'; then
      tail -20 "$log" >&2
      die "debootstrap failed (log: $log)"
    fi
    [ -x "$tmp/usr/sbin/dockerd" ] || die "debootstrap left no dockerd in $tmp (log: $log)"
    # Nothing of the host's configuration belongs in a segment; no outside network either.
    printf '# segments have no DNS\n' >"$tmp/etc/resolv.conf"
    rm -f "$tmp/etc/hostname"
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
    mkdir -p "$tmp/etc/docker" "$tmp/var/lib/docker"
    printf '%s' "$recipe" >"$tmp/.carina-recipe"
    rm -rf "$dir"
    mv -T "$tmp" "$dir"
    rm -f "$log"
  fi
  # Swap the link atomically; roots still used as a lower layer by a segment stay.
  if [ "$(readlink "$CARINA_IMAGE_DIR/rootfs" 2>/dev/null)" != "rootfs-$hash" ]; then
    ln -sfn "rootfs-$hash" "$CARINA_IMAGE_DIR/.rootfs.new"
    mv -T "$CARINA_IMAGE_DIR/.rootfs.new" "$CARINA_IMAGE_DIR/rootfs"
  fi
  local old
  for old in "$CARINA_IMAGE_DIR"/rootfs-*; do
    [ "$old" = "$dir" ] || [ ! -d "$old" ] && continue
    # In use: an overlay's lower layer, or (through an idmapped mount, which mountinfo
    # shows under the segment's path) recorded in a segment's `lower` file.
    grep -q "lowerdir=$old[,:]" /proc/self/mountinfo ||
      grep -qsxF "$old" "$CARINA_SEGMENTS_ROOT"/*/*/lower || {
      log "removing old root filesystem $old"
      rm -rf "$old"
    }
  done
}

# --- base image -------------------------------------------------------------------------
base_image() {
  local busybox stamp out="$CARINA_IMAGE_DIR/base-image.tar"
  busybox=$(dpkg -L busybox-static | grep -E '/bin/busybox$' | head -1)
  [ -x "$busybox" ] || die "busybox-static installs no busybox binary"
  stamp="ref=$BASE_IMAGE_REF busybox=$(dpkg-query -W -f='${Version}' busybox-static) v=$BASE_IMAGE_VERSION"
  if [ ! -f "$out" ] || [ "$(cat "$out.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "building base image $BASE_IMAGE_REF from busybox-static"
    carina_build_base_image "$busybox" "$out" "${BASE_IMAGE_REF%%:*}" "${BASE_IMAGE_REF##*:}"
    printf '%s' "$stamp" >"$out.stamp"
  fi
}

install_packages
libvirt_prerequisites
shared_root
start_libvirtd
bridge
check_cgroups
rootfs
base_image
log "host ready"
echo "segments_root=$CARINA_SEGMENTS_ROOT"
echo "rootfs=$CARINA_IMAGE_DIR/rootfs"
echo "base_image=$CARINA_IMAGE_DIR/base-image.tar"
echo "base_image_ref=$BASE_IMAGE_REF"
echo "bridge=$CARINA_BRIDGE"
echo "bridge_addr=$CARINA_BRIDGE_ADDR"
echo "libvirt_uri=$LIBVIRT_URI"
echo "libvirt_tls_uri=$(libvirt_tls_uri)"
