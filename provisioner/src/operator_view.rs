//! What the operator page shows: every account with its quotas and clusters, every
//! cluster, and how much of the host the segments take. For operator accounts only.

use std::collections::HashMap;

use crate::account::Account;
use crate::error::{Error, Result};
use crate::Provisioner;

/// One account, as operators see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountOverview {
    pub email: String,
    pub is_operator: bool,
    pub max_clusters: u32,
    pub max_segments_per_cluster: u32,
    pub clusters: u32,
    pub segments: u32,
    pub created_at: i64,
}

/// One cluster, as operators see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterOverview {
    pub owner: String,
    pub name: String,
    pub status: String,
    pub segments: u32,
    pub desired_segments: u32,
    pub endpoint_port: u16,
    pub created_at: i64,
}

/// What the segments take of the host, and what it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostCapacity {
    /// Segments of clusters, and started ones in the warm pool.
    pub cluster_segments: u32,
    pub warm_segments: u32,
    /// Each segment's limits (the flavor).
    pub segment_memory_mib: u64,
    pub segment_vcpus: u32,
    pub segment_disk_mib: u64,
    /// The host's memory and CPUs (none where they cannot be read).
    pub host_memory_mib: Option<u64>,
    pub host_cpus: Option<u32>,
    /// Addresses left on the segments' subnet.
    pub free_addresses: u32,
}

/// The operator page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorOverview {
    pub accounts: Vec<AccountOverview>,
    pub clusters: Vec<ClusterOverview>,
    pub capacity: HostCapacity,
    /// The libvirt hosts, and how many more cluster segments fit on them (`None`: no limit).
    pub hosts: Vec<crate::host::HostView>,
    pub room: Option<u32>,
}

impl Provisioner {
    /// Everything operators see; `Forbidden` for anyone else.
    pub async fn operator_overview(&self, who: &Account) -> Result<OperatorOverview> {
        if !who.is_operator {
            return Err(Error::Forbidden("This page is for operators.".into()));
        }
        let accounts = self.storage.all_accounts().await?;
        let clusters = self.storage.all_clusters().await?;
        let counts: HashMap<String, i64> = self.storage.segment_counts().await?.into_iter().collect();
        let email_of: HashMap<&str, &str> = accounts.iter().map(|a| (a.id.as_str(), a.email.as_str())).collect();
        let segments_of = |id: &str| counts.get(id).copied().unwrap_or(0) as u32;
        let account_views = accounts
            .iter()
            .map(|a| {
                let own = clusters.iter().filter(|c| c.account_id == a.id);
                AccountOverview {
                    email: a.email.clone(),
                    is_operator: a.is_operator,
                    max_clusters: a.max_clusters as u32,
                    max_segments_per_cluster: a.max_segments_per_cluster as u32,
                    clusters: own.clone().count() as u32,
                    segments: own.map(|c| segments_of(&c.id)).sum(),
                    created_at: a.created_at,
                }
            })
            .collect();
        let cluster_views = clusters
            .iter()
            .map(|c| ClusterOverview {
                owner: email_of.get(c.account_id.as_str()).copied().unwrap_or_default().to_owned(),
                name: c.name.clone(),
                status: c.status.clone(),
                segments: segments_of(&c.id),
                desired_segments: c.desired_segments as u32,
                endpoint_port: c.endpoint_port as u16,
                created_at: c.created_at,
            })
            .collect();
        let pool = self.storage.pool_segments().await?.len() as u32;
        let cluster_segments: u32 = counts.values().map(|n| *n as u32).sum();
        let flavor = &self.config.flavor;
        let network = self.config.segment_network;
        // The subnet minus network, broadcast and the host's own address.
        let addresses = (1u64 << (32 - u32::from(network.prefix_len))).saturating_sub(3) as u32;
        let capacity = HostCapacity {
            cluster_segments,
            warm_segments: pool,
            segment_memory_mib: flavor.memory_mib,
            segment_vcpus: flavor.vcpus,
            segment_disk_mib: flavor.disk_mib,
            host_memory_mib: host_memory_mib(),
            host_cpus: std::thread::available_parallelism().ok().map(|n| n.get() as u32),
            free_addresses: addresses.saturating_sub(cluster_segments + pool),
        };
        let limits: Vec<_> = self.storage.hosts().await?.iter().map(|h| h.limit()).collect();
        let wanted = clusters.iter().map(|c| c.desired_segments).sum();
        let room = crate::host::room(&limits, wanted).map(|n| n as u32);
        let hosts = self.hosts().await?;
        Ok(OperatorOverview { accounts: account_views, clusters: cluster_views, capacity, hosts, room })
    }
}

/// `MemTotal` of /proc/meminfo, in MiB.
fn host_memory_mib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 =
        text.lines().find_map(|l| l.strip_prefix("MemTotal:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024)
}
