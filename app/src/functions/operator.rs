//! The operator page's data: for operator accounts only.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::OperatorView;

/// How many of the latest audit entries (of every account) the page shows.
pub const RECENT_SHOWN: u32 = 100;

/// Accounts, clusters, host capacity and the latest audit entries. `Forbidden` for an
/// account that is not an operator.
#[server(prefix = "/api", endpoint = "operator_overview")]
pub async fn operator_overview() -> Result<OperatorView, AppError> {
    use crate::format::memory;
    use crate::model::{OperatorAccountView, OperatorClusterView};
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    let p = provisioner()?;
    let o = p.operator_overview(&account).await.map_err(fail)?;
    let recent = p.audit_trail_of_all(0, RECENT_SHOWN).await.map_err(fail)?;
    let c = o.capacity;
    let per = |n: u32| n as u64;
    let segments = c.cluster_segments + c.warm_segments;
    let host_memory = c.host_memory_mib.map(memory).unwrap_or_else(|| "unknown".into());
    let host_cpus = c.host_cpus.map(|n| n.to_string()).unwrap_or_else(|| "unknown".into());
    let mut capacity = vec![
        ("Segments".into(), format!("{} in clusters, {} warm", c.cluster_segments, c.warm_segments)),
        (
            "Memory".into(),
            format!("{} promised to segments, of {host_memory}", memory(per(segments) * c.segment_memory_mib)),
        ),
        ("CPUs".into(), format!("{} promised to segments, of {host_cpus}", segments * c.segment_vcpus)),
        ("Disk".into(), format!("up to {} for segments' Docker data", memory(per(segments) * c.segment_disk_mib))),
        ("Addresses".into(), format!("{} free on the segments' subnet", c.free_addresses)),
    ];
    // Hosts change with `server admin add-host`, `remove-host`, `set-host-capacity`,
    // `drain-host` and `resume-host`.
    for host in &o.hosts {
        let limit = host.capacity.map_or_else(|| "no segment limit".to_owned(), |n| format!("up to {n} segments"));
        let state = match (host.draining, host.unreachable_since) {
            (_, Some(_)) => "not answering: no new segments, its segments shown down",
            (true, None) => "draining: no new segments",
            (false, None) => "taking new segments",
        };
        let holds = format!("{} segment(s) on it", host.segments);
        capacity.push((format!("Host {}", host.name), format!("{}, {holds}, {limit}, {state}", host.uri)));
    }
    let room = o.room.map_or_else(|| "no limit".to_owned(), |n| format!("{n} more cluster segment(s) fit"));
    capacity.push(("Room".into(), room));
    Ok(OperatorView {
        accounts: o
            .accounts
            .into_iter()
            .map(|a| OperatorAccountView {
                email: a.email,
                is_operator: a.is_operator,
                max_clusters: a.max_clusters,
                max_segments_per_cluster: a.max_segments_per_cluster,
                clusters: a.clusters,
                segments: a.segments,
                created_at: a.created_at,
            })
            .collect(),
        clusters: o
            .clusters
            .into_iter()
            .map(|c| OperatorClusterView {
                owner: c.owner,
                name: c.name,
                status: c.status,
                segments: c.segments,
                desired_segments: c.desired_segments,
                endpoint_port: c.endpoint_port,
            })
            .collect(),
        capacity,
        recent: recent
            .into_iter()
            .map(|mut e| (std::mem::take(&mut e.account_email), super::audit::entry_view(e)))
            .collect(),
    })
}
