//! How dockerd runs inside a segment: its command line and the segment's init script.

/// dockerd's TCP port, as on Carina's segments.
pub const DOCKERD_TLS_PORT: u16 = 42376;

/// Inside the segment: where dockerd's TLS files are.
pub(crate) const TLS_DIR: &str = "/etc/docker";
/// File names in [`TLS_DIR`], in the order `ls` prints them.
pub(crate) const CA_FILE: &str = "ca.pem";
/// Inside the segment: the CA dockerd checks client certificates against (see
/// [`crate::SegmentTls::client_ca_pem`]).
pub(crate) const CLIENT_CA: &str = "/etc/carina/client-ca.pem";
/// Server certificate file name.
pub(crate) const CERT_FILE: &str = "server-cert.pem";
/// Server key file name.
pub(crate) const KEY_FILE: &str = "server-key.pem";
/// Inside the segment: the certificate dockerd's TCP listener serves to the control plane
/// (see [`crate::SegmentTls::listener_cert_pem`]), and its key.
pub(crate) const LISTENER_CERT: &str = "/etc/carina/listener-cert.pem";
/// The listener's key.
pub(crate) const LISTENER_KEY: &str = "/etc/carina/listener-key.pem";

/// Inside the segment: the init script, run by tini as PID 1's only child.
pub(crate) const INIT_SCRIPT: &str = "/etc/carina/segment-init";
/// Inside the segment: dockerd's configuration file, for what has no flag.
pub(crate) const DAEMON_JSON: &str = "/etc/carina/daemon.json";
/// Inside the segment: dockerd's log (on the host: `<segment>/run/dockerd.log`).
pub(crate) const DOCKERD_LOG: &str = "/run/dockerd.log";
/// In the host's pids and name=systemd cgroup hierarchies (which libvirt does not manage):
/// the parent of each segment's own cgroup (made by the host before each start, see
/// [`crate::userns`]).
pub(crate) const HOST_CGROUP_DIR: &str = "/carina";
/// Controllers (by mount option) for which segments get a cgroup under [`HOST_CGROUP_DIR`].
pub(crate) const SELF_MANAGED_CGROUPS: [&str; 2] = ["pids", "name=systemd"];
/// Inside the segment: tini, from the Debian root.
pub(crate) const TINI: &str = "/usr/bin/tini";

/// dockerd's arguments. TLS on TCP also avoids dockerd 20.10's deliberate 15 s start-up
/// delay for an unauthenticated TCP listener.
pub fn dockerd_args() -> Vec<String> {
    vec![
        "-H".into(),
        "unix:///run/docker.sock".into(),
        "-H".into(),
        format!("tcp://0.0.0.0:{DOCKERD_TLS_PORT}"),
        "--tlsverify".into(),
        format!("--tlscacert={CLIENT_CA}"),
        format!("--tlscert={LISTENER_CERT}"),
        format!("--tlskey={LISTENER_KEY}"),
        format!("--config-file={DAEMON_JSON}"),
        // Keeps the log, a host file without rotation, small.
        "--log-level=warn".into(),
    ]
}

/// The content of [`DAEMON_JSON`]. dockerd 20.10 writes its identity key to
/// `/etc/docker/key.json` unless told otherwise (there is no flag for it); there it would
/// show up next to the TLS files that users list through `swarm-data`. (Its Swarm raft
/// ticks, `swarm-raft-heartbeat-tick` and `swarm-raft-election-tick`, which would make an
/// idle manager's heartbeats rarer, have JSON names but no flag, and dockerd 20.10 refuses
/// to start with them here.)
pub(crate) fn daemon_json() -> String {
    "{\n  \"deprecated-key-path\": \"/var/lib/docker/key.json\"\n}\n".to_owned()
}

/// Go runtime settings for dockerd and the containerd it starts (which inherits its
/// environment). An idle engine keeps a small live heap (about 10 MiB, 20 MiB for a Swarm
/// manager) and Go's default lets the heap grow to twice that before it collects; 50 lets
/// it grow by half. Collections get more frequent but stay cheap at these heap sizes, and
/// an idle engine allocates little. No GOMEMLIMIT: a limit below what a busy engine needs
/// would make it collect without pause, and one above it changes nothing when idle.
pub(crate) const GO_ENV: &str = "GOGC=50";

/// The segment's init script, run by tini. dockerd replaces the shell (exec), so it is
/// tini's only child: when dockerd dies for any reason, tini exits, the domain stops and
/// shows up as [`crate::SegmentState::Stopped`] instead of a running segment without Docker.
///
/// Before that it gives dockerd the segment's own cgroups. libvirt mounts the host's whole
/// v1 hierarchies in the segment, so dockerd would create its containers' cgroups at the
/// host's top level: outside the segment's memory and CPU limits, and in a place where
/// `docker stats` finds nothing. In a cgroup namespace rooted at the segment's cgroups,
/// freshly mounted hierarchies start at the segment instead. The segment runs in a user
/// namespace (see [`crate::userns`]): it may mount cgroup hierarchies only in a cgroup
/// namespace of its own, so a first one (rooted where libvirt put it) serves to move into
/// the cgroups the host made for it in the hierarchies libvirt leaves alone, and a second
/// one is rooted at the segment's cgroups everywhere. Its device cgroup stays as libvirt
/// made it (runc leaves device cgroups alone in a user namespace).
pub fn init_script() -> String {
    let args = dockerd_args().join(" ");
    format!(
        r#"#!/usr/bin/sh
# Written by the carina segment driver: the segment's only service.
set -e
# Not to the console: nobody reads it, and once its buffer is full every write blocks
# and dockerd hangs. /run is a host directory, emptied before every start.
exec </dev/null >{DOCKERD_LOG} 2>&1
case $CARINA_CGROUP_NS in
'')
  export CARINA_CGROUP_NS=1
  exec unshare --cgroup /usr/bin/sh "$0"
  ;;
1)
  # libvirt leaves the segment in the host's top pids and name=systemd cgroups: move it
  # to {HOST_CGROUP_DIR}/<segment> there, which the host made for it.
  mkdir -p /run/carina-cgroup
  for opts in pids none,name=systemd; do
    mount -t cgroup -o "$opts" cgroup /run/carina-cgroup
    echo $$ >"/run/carina-cgroup{HOST_CGROUP_DIR}/$LIBVIRT_LXC_NAME/cgroup.procs"
    umount /run/carina-cgroup
  done
  rmdir /run/carina-cgroup
  export CARINA_CGROUP_NS=2
  exec unshare --cgroup /usr/bin/sh "$0"
  ;;
esac
for dir in /sys/fs/cgroup/*; do
  opts=$(awk -v mp="$dir" '$5 == mp && $(NF-2) == "cgroup" {{ print $NF }}' /proc/self/mountinfo)
  [ -n "$opts" ] || continue
  opts=${{opts#rw,}}
  case $opts in name=*) opts="none,$opts" ;; esac
  umount "$dir"
  mount -t cgroup -o "$opts" cgroup "$dir"
done
# libvirt leaves pids out; dockerd wants it for docker stats and --pids-limit.
if [ ! -d /sys/fs/cgroup/pids ]; then
  mkdir /sys/fs/cgroup/pids
  mount -t cgroup -o pids cgroup /sys/fs/cgroup/pids
fi
# The host hands the cgroups libvirt made over to the segment right after the start.
tries=0
for dir in /sys/fs/cgroup/*/; do
  until [ -w "$dir" ]; do
    tries=$((tries + 1))
    if [ $tries -gt 600 ]; then
      echo "segment-init: $dir was not handed over" >&2
      exit 1
    fi
    sleep 0.1
  done
done
# No IPv6 in the segment: the host drops every IPv6 frame a segment sends (a tenant who
# turns it back on gets nowhere), and without addresses nothing inside tries it. Before
# dockerd, so its bridges and containers' host-network sockets never get an address.
if [ -e /proc/sys/net/ipv6 ]; then
  for conf in all default; do echo 1 >/proc/sys/net/ipv6/conf/$conf/disable_ipv6; done
fi
# A previous run may have left pid files in /run; dockerd and containerd refuse to
# start over them.
rm -f /run/docker.pid /run/docker/containerd/containerd.pid
# What an idle segment costs: see GO_ENV in the segment driver.
export {GO_ENV}
exec /usr/sbin/dockerd {args}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_key_stays_out_of_etc_docker() {
        let json: serde_json::Value = serde_json::from_str(&daemon_json()).unwrap();
        assert_eq!(json["deprecated-key-path"], "/var/lib/docker/key.json");
    }

    #[test]
    fn init_execs_dockerd_with_tls_on_both_listeners() {
        let script = init_script();
        assert!(script.starts_with("#!/usr/bin/sh\n"));
        assert!(script.contains("exec </dev/null >/run/dockerd.log 2>&1\n"));
        assert_eq!(script.matches("exec unshare --cgroup /usr/bin/sh \"$0\"\n").count(), 2);
        // A user namespace may not change its device cgroup.
        assert!(!script.contains("devices.allow"));
        assert!(script.contains("echo 1 >/proc/sys/net/ipv6/conf/$conf/disable_ipv6"));
        assert!(script.contains("\nexport GOGC=50\nexec /usr/sbin/dockerd "));
        assert!(script.ends_with(
            "exec /usr/sbin/dockerd -H unix:///run/docker.sock -H tcp://0.0.0.0:42376 --tlsverify \
             --tlscacert=/etc/carina/client-ca.pem --tlscert=/etc/carina/listener-cert.pem \
             --tlskey=/etc/carina/listener-key.pem --config-file=/etc/carina/daemon.json \
             --log-level=warn\n"
        ));
    }
}
