//! JSON shapes of the API, close to Carina's (`cluster_name`, `nodes`, `status`...).

use provisioner::{Action, BundleInfo, ClusterDetail, ClusterStatus, ClusterSummary, SegmentInfo, SegmentStatus};
use serde::{Deserialize, Serialize};

/// `GET /account`.
#[derive(Serialize)]
pub struct AccountJson {
    pub email: String,
    pub max_clusters: u32,
    pub max_nodes_per_cluster: u32,
    pub clusters: u32,
}

/// A cluster in a list, and the answer to create/grow/rebuild.
#[derive(Serialize)]
pub struct ClusterJson {
    pub id: String,
    pub cluster_name: String,
    pub status: ClusterStatus,
    pub status_reason: Option<String>,
    /// What the status permits now (`grow`, `rebuild`, `delete`, `download_credentials`).
    pub actions: Vec<Action>,
    pub nodes: u32,
    pub ready_nodes: u32,
    pub flavor: String,
    pub created_at: i64,
}

impl From<ClusterSummary> for ClusterJson {
    fn from(c: ClusterSummary) -> Self {
        ClusterJson {
            id: c.id,
            cluster_name: c.name,
            status: c.status,
            status_reason: c.status_reason,
            actions: c.status.permitted(),
            nodes: c.desired_segments,
            ready_nodes: c.ready_segments,
            flavor: c.flavor,
            created_at: c.created_at,
        }
    }
}

/// `GET /clusters/{name}`.
#[derive(Serialize)]
pub struct ClusterDetailJson {
    #[serde(flatten)]
    pub cluster: ClusterJson,
    pub token: String,
    pub docker_host: String,
    pub segments: Vec<SegmentJson>,
    pub events: Vec<EventJson>,
}

impl From<ClusterDetail> for ClusterDetailJson {
    fn from(d: ClusterDetail) -> Self {
        ClusterDetailJson {
            cluster: d.summary.into(),
            token: d.token,
            docker_host: d.docker_host,
            segments: d.segments.into_iter().map(SegmentJson::from).collect(),
            events: d.events.into_iter().map(|e| EventJson { kind: e.kind, message: e.message, at: e.at }).collect(),
        }
    }
}

/// A segment.
#[derive(Serialize)]
pub struct SegmentJson {
    pub name: String,
    pub address: String,
    pub state: SegmentStatus,
    pub state_reason: Option<String>,
    pub memory_mib: u64,
    pub vcpus: u32,
    pub disk_mib: u64,
}

impl From<SegmentInfo> for SegmentJson {
    fn from(s: SegmentInfo) -> Self {
        SegmentJson {
            name: s.name,
            address: s.address,
            state: s.state,
            state_reason: s.state_reason,
            memory_mib: s.memory_mib,
            vcpus: s.vcpus,
            disk_mib: s.disk_mib,
        }
    }
}

/// An event of a cluster's history.
#[derive(Serialize)]
pub struct EventJson {
    pub kind: String,
    pub message: String,
    pub at: i64,
}

/// `GET /api/v1`: the API's index.
#[derive(Serialize)]
pub struct IndexJson {
    pub name: &'static str,
    pub version: &'static str,
    pub authentication: &'static str,
    pub errors: &'static str,
    pub docs: &'static str,
    pub routes: Vec<RouteJson>,
}

/// One route in the index.
#[derive(Serialize)]
pub struct RouteJson {
    pub method: &'static str,
    pub path: &'static str,
    pub description: &'static str,
}

/// A credentials bundle.
#[derive(Serialize)]
pub struct BundleJson {
    pub id: String,
    /// The certificate's common name, as the panel and the refusal history name it.
    pub name: String,
    pub fingerprint_prefix: String,
    pub created_at: i64,
    pub revoked: bool,
}

impl From<BundleInfo> for BundleJson {
    fn from(b: BundleInfo) -> Self {
        BundleJson {
            id: b.id,
            name: b.label,
            fingerprint_prefix: b.fingerprint_prefix,
            created_at: b.created_at,
            revoked: b.revoked,
        }
    }
}

/// `POST /clusters`.
#[derive(Deserialize)]
pub struct CreateCluster {
    pub cluster_name: String,
    #[serde(default = "one", deserialize_with = "number_or_string")]
    pub nodes: u32,
}

/// `POST /clusters/{name}/grow`.
#[derive(Deserialize)]
pub struct GrowCluster {
    #[serde(deserialize_with = "number_or_string")]
    pub nodes: u32,
}

fn one() -> u32 {
    1
}

/// Carina's API sent `nodes` as a string; accept a number or a numeric string.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u32),
        Text(String),
    }
    match Either::deserialize(d)? {
        Either::Number(n) => Ok(n),
        Either::Text(s) => {
            s.trim().parse().map_err(|_| serde::de::Error::custom(format!("nodes must be a whole number, got {s:?}")))
        }
    }
}
