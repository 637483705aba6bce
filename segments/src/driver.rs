//! The narrow interface the reconciler drives segments through.

use std::net::Ipv4Addr;

use async_trait::async_trait;
use dockerlink::{ControlIdentity, DockerAddress};

use crate::{SegmentError, SegmentSpec, SegmentState, SegmentTls};

/// Creates, inspects and removes the segments of one instance (one state dir).
#[async_trait]
pub trait SegmentDriver: Send + Sync {
    /// Creates whatever is missing (directories, overlay root, TLS files, domain) and
    /// starts the segment. Idempotent: a running segment is left alone (changes to `spec`,
    /// TLS included, apply at its next start); a stopped one is redefined from `spec` and
    /// started again with an empty `/run` (no stale pid files). It returns once the domain
    /// runs; use [`crate::SegmentEngine::wait_ready`] for dockerd (about 0.5 s later).
    async fn ensure(&self, spec: &SegmentSpec) -> Result<(), SegmentError>;

    /// Gives the running segment `name` a new identity in place, as one taken from the warm
    /// pool needs: its hostname (what Docker and Swarm call the node) and the TLS files of
    /// `/etc/docker` (what `swarm-data` shows). Idempotent. dockerd's TCP listener keeps
    /// its certificate (see [`SegmentTls::listener_cert_pem`]): it names the segment's
    /// address, which stays, and the control plane's CA, which is the same for every
    /// segment.
    async fn adopt(&self, name: &str, hostname: &str, tls: &SegmentTls) -> Result<(), SegmentError>;

    /// Stops the segment's domain (every process in it ends) and keeps its files, so that
    /// the next [`SegmentDriver::ensure`] starts it afresh. Idempotent: a stopped or absent
    /// segment, or a domain of another instance, is left as it is.
    async fn stop(&self, name: &str) -> Result<(), SegmentError>;

    /// Freezes every process of the running segment `name` (the freezer cgroup): it keeps
    /// its memory and network state and uses no CPU at all, which is what a warm segment
    /// waiting in the pool should cost. Idempotent: a frozen, stopped or absent segment, or
    /// a domain of another instance, is left as it is.
    async fn freeze(&self, name: &str) -> Result<(), SegmentError>;

    /// Lets the processes of a frozen segment `name` go on where they stopped (a few
    /// milliseconds). Idempotent like [`SegmentDriver::freeze`].
    async fn thaw(&self, name: &str) -> Result<(), SegmentError>;

    /// Lets segment `name` (at `address`) reach exactly `peers` on the bridge, the other
    /// segments of its cluster; everything else between segments is dropped. Also checks
    /// the segment's L2 filter (its own MAC and address only, no IPv6). Idempotent.
    async fn allow_peers(&self, name: &str, address: Ipv4Addr, peers: &[Ipv4Addr]) -> Result<(), SegmentError>;

    /// What the host has of segment `name`.
    async fn state(&self, name: &str) -> Result<SegmentState, SegmentError>;

    /// What the running segment `name` uses now, from its cgroups (as libvirt reads them);
    /// none when it does not run. Drivers without real segments have no usage.
    async fn usage(&self, name: &str) -> Result<Option<SegmentUsage>, SegmentError> {
        let _ = name;
        Ok(None)
    }

    /// Destroys and undefines the domain, unmounts the overlay and deletes every
    /// directory, log and filter rule of the segment. Idempotent; leaves nothing behind.
    async fn remove(&self, name: &str) -> Result<(), SegmentError>;

    /// Names of every segment this instance has on the host: defined domains and
    /// leftover directories. Never another instance's segments.
    async fn list(&self) -> Result<Vec<String>, SegmentError>;

    /// Where the control plane reaches the dockerd of segment `name` at `address`: its
    /// unix socket when the host is this machine, else its TLS listener, with `identity`.
    fn docker_address(&self, name: &str, address: Ipv4Addr, identity: &ControlIdentity) -> DockerAddress;

    /// The directory on this machine that is segment `name`'s `/var/lib/docker`, when the
    /// segment's files are on this machine (it is reached through its socket); `None` for
    /// a segment reached over the network, and for drivers without real segments.
    fn docker_root(&self, name: &str) -> Option<std::path::PathBuf> {
        let _ = name;
        None
    }

    /// Whether AppArmor profiles are enforced on this host.
    fn apparmor_enforced(&self) -> bool;
}

/// CPU and memory a running segment uses, from its cgroups.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegmentUsage {
    /// CPU time of all its processes since it started, in seconds (`cpuacct.usage`).
    pub cpu_seconds: f64,
    /// Memory in use, page cache included, in bytes (the memory cgroup's usage).
    pub memory_bytes: u64,
}
