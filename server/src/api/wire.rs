//! JSON shapes of the API's clusters, close to Carina's (`cluster_name`, `nodes`,
//! `status`...). Each derives its OpenAPI schema, so the document is the code.

use provisioner::{
    Action, BundleInfo, ClusterDetail, ClusterEvent, ClusterStatus, ClusterSummary, SegmentInfo, SegmentStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A cluster's status (the schema of [`ClusterStatus`]).
#[derive(Serialize, ToSchema)]
#[schema(as = ClusterStatus)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum StatusSchema {
    New,
    Building,
    Active,
    Growing,
    Rebuilding,
    Deleting,
    Error,
}

/// What a cluster's status permits now (the schema of [`Action`]).
#[derive(Serialize, ToSchema)]
#[schema(as = Action)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
pub enum ActionSchema {
    Grow,
    Rebuild,
    Delete,
    DownloadCredentials,
}

/// A segment's state (the schema of [`SegmentStatus`]).
#[derive(Serialize, ToSchema)]
#[schema(as = SegmentState)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
pub enum SegmentStateSchema {
    Pending,
    Starting,
    Running,
    Ready,
    Down,
    Removing,
}

/// A cluster in a list, and the answer to create, grow, rebuild and delete.
#[derive(Serialize, ToSchema)]
pub struct ClusterJson {
    pub id: String,
    pub cluster_name: String,
    #[schema(value_type = StatusSchema)]
    pub status: ClusterStatus,
    /// Why the cluster is in `error` (or what a step is waiting for).
    pub status_reason: Option<String>,
    /// What the status permits now.
    #[schema(value_type = Vec<ActionSchema>)]
    pub actions: Vec<Action>,
    /// How many segments the cluster has (or is growing to).
    pub nodes: u32,
    /// Segments that run, answer Docker and are members of the Swarm.
    pub ready_nodes: u32,
    pub flavor: String,
    /// Milliseconds since the Unix epoch.
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

/// A cluster with its discovery token, `DOCKER_HOST`, segments and latest history.
#[derive(Serialize, ToSchema)]
pub struct ClusterDetailJson {
    #[serde(flatten)]
    pub cluster: ClusterJson,
    /// `token://<cluster id>`.
    pub token: String,
    /// What `docker.env` sets `DOCKER_HOST` to.
    pub docker_host: String,
    pub segments: Vec<SegmentJson>,
    /// The latest 50 events, newest first.
    pub events: Vec<EventJson>,
}

impl From<ClusterDetail> for ClusterDetailJson {
    fn from(d: ClusterDetail) -> Self {
        ClusterDetailJson {
            cluster: d.summary.into(),
            token: d.token,
            docker_host: d.docker_host,
            segments: d.segments.into_iter().map(SegmentJson::from).collect(),
            events: d.events.into_iter().map(EventJson::from).collect(),
        }
    }
}

/// A segment.
#[derive(Serialize, ToSchema)]
pub struct SegmentJson {
    /// `<cluster id>-n<i>`.
    pub name: String,
    pub address: String,
    #[schema(value_type = SegmentStateSchema)]
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
#[derive(Serialize, ToSchema)]
pub struct EventJson {
    /// `action` (asked for by the owner), `progress` (a step of the service) or `policy`
    /// (a request the cluster endpoint refused).
    pub kind: String,
    pub message: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

impl From<ClusterEvent> for EventJson {
    fn from(e: ClusterEvent) -> Self {
        EventJson { kind: e.kind, message: e.message, at: e.at }
    }
}

/// A credentials bundle.
#[derive(Serialize, ToSchema)]
pub struct BundleJson {
    pub id: String,
    /// The certificate's common name, as the panel and the refusal history name it.
    pub name: String,
    pub fingerprint_prefix: String,
    /// Milliseconds since the Unix epoch.
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

/// The body of `POST /api/v1/clusters`.
#[derive(Deserialize, ToSchema)]
pub struct CreateCluster {
    pub cluster_name: String,
    /// How many segments (1 unless given); a number or a numeric string, as Carina's API.
    #[serde(default = "one", deserialize_with = "number_or_string")]
    #[schema(value_type = u32, default = 1, minimum = 1)]
    pub nodes: u32,
}

/// The body of `POST /api/v1/clusters/{name}/grow`.
#[derive(Deserialize, ToSchema)]
pub struct GrowCluster {
    /// How many segments to *add* (Carina's meaning): a cluster of 1 grown with
    /// `{"nodes": 2}` has 3. A number or a numeric string.
    #[serde(deserialize_with = "number_or_string")]
    #[schema(value_type = u32, minimum = 1)]
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
