//! The provisioner's settings.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::quota::Quotas;
use crate::storage::AddressPool;

/// Settings of the domain layer (the server fills them from flags and environment).
#[derive(Clone, Debug)]
pub struct ProvisionerConfig {
    /// Quotas of new accounts.
    pub default_quotas: Quotas,
    /// How long a panel session lasts.
    pub session_ttl: Duration,
    /// The size of every segment.
    pub flavor: Flavor,
    /// The subnet segments get their addresses from (the host bridge's).
    pub segment_network: AddressPool,
    /// Where users reach cluster endpoints: the host name or address written into
    /// `docker.env`, and the ports clusters get their endpoint on.
    pub endpoint_host: String,
    pub endpoint_ports: RangeInclusive<u16>,
    /// The Docker version segments run (`DOCKER_VERSION` in `docker.env`).
    pub docker_version: String,
    /// How many started, unassigned segments to keep ready for new clusters (the warm
    /// pool); 0 turns the pool off.
    pub warm_segments: u32,
    /// How long events (the clusters' history and the audit trail) are kept.
    pub audit_retention: Duration,
    /// This server's name among the replicas that share one database (the holder of its
    /// leases, see `reconciler/lease.rs`). It must differ between replicas and stay the
    /// same across restarts of one: a restarted server then takes its work back at once,
    /// instead of waiting for the leases of its former self to expire.
    pub replica: String,
}

impl Default for ProvisionerConfig {
    fn default() -> Self {
        ProvisionerConfig {
            default_quotas: Quotas::default(),
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            flavor: Flavor::default(),
            segment_network: AddressPool { gateway: Ipv4Addr::new(10, 213, 0, 1), prefix_len: 24 },
            endpoint_host: "127.0.0.1".into(),
            endpoint_ports: 23760..=24759,
            docker_version: "20.10.24".into(),
            warm_segments: 0,
            audit_retention: Duration::from_secs(365 * 24 * 3600),
            replica: "local".into(),
        }
    }
}

/// A segment size: memory, CPU, disk and process limits of each segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flavor {
    /// Shown to users, like Carina's `container1-4G`.
    pub name: String,
    pub memory_mib: u64,
    pub vcpus: u32,
    /// Size of each segment's Docker file system (a sparse image: a ceiling, not a
    /// reservation). Applies to segments made after a change.
    pub disk_mib: u64,
    /// Most tasks (processes and threads) a segment may run at once.
    pub pids_max: u64,
}

impl Flavor {
    /// The spec of segment (domain) `name` of this size, at `address`, with `tls`.
    pub fn segment_spec(
        &self,
        name: &str,
        address: std::net::Ipv4Addr,
        tls: segments::SegmentTls,
    ) -> segments::SegmentSpec {
        segments::SegmentSpec {
            name: name.to_owned(),
            address,
            memory_mib: self.memory_mib,
            vcpus: self.vcpus,
            disk_mib: self.disk_mib,
            pids_max: self.pids_max,
            tls,
        }
    }
}

impl Default for Flavor {
    fn default() -> Self {
        Flavor { name: "container1-4G".into(), memory_mib: 4096, vcpus: 2, disk_mib: 20 * 1024, pids_max: 4096 }
    }
}
