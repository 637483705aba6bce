//! Wire types: what server functions send to the browser.

use serde::{Deserialize, Serialize};

/// The signed-in account, as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub is_operator: bool,
    pub max_clusters: u32,
    pub max_segments_per_cluster: u32,
    /// How many clusters the account has now (all statuses count, `error` included).
    pub clusters_used: u32,
}

/// A personal API key, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

/// A just-created API key: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKeyView {
    pub key: ApiKeyView,
    pub secret: String,
}

/// Where a cluster is in its life, as the panel shows it (the provisioner's state machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterState {
    New,
    Building,
    Active,
    Growing,
    Rebuilding,
    Deleting,
    Error,
}

impl ClusterState {
    /// The displayed name, also the badge's CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterState::New => "new",
            ClusterState::Building => "building",
            ClusterState::Active => "active",
            ClusterState::Growing => "growing",
            ClusterState::Rebuilding => "rebuilding",
            ClusterState::Deleting => "deleting",
            ClusterState::Error => "error",
        }
    }

    /// Whether the service is still working on the cluster, so the page will change by itself.
    pub fn is_converging(self) -> bool {
        !matches!(self, ClusterState::Active | ClusterState::Error)
    }
}

/// What the cluster's status permits now, as the provisioner decides it
/// (`provisioner::ClusterStatus::permits`): the panel offers exactly these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permits {
    /// Segments can be added.
    pub grow: bool,
    /// The segments can be replaced.
    pub rebuild: bool,
    /// A delete can be asked for (it is not already under way).
    pub delete: bool,
    /// Credentials can be downloaded (there is something to connect to).
    pub download_credentials: bool,
}

#[cfg(feature = "ssr")]
impl From<provisioner::ClusterStatus> for Permits {
    fn from(status: provisioner::ClusterStatus) -> Self {
        use provisioner::Action;
        Permits {
            grow: status.permits(Action::Grow),
            rebuild: status.permits(Action::Rebuild),
            delete: status.permits(Action::Delete),
            download_credentials: status.permits(Action::DownloadCredentials),
        }
    }
}

impl std::fmt::Display for ClusterState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "ssr")]
impl From<provisioner::ClusterStatus> for ClusterState {
    fn from(status: provisioner::ClusterStatus) -> Self {
        use provisioner::ClusterStatus as S;
        match status {
            S::New => ClusterState::New,
            S::Building => ClusterState::Building,
            S::Active => ClusterState::Active,
            S::Growing => ClusterState::Growing,
            S::Rebuilding => ClusterState::Rebuilding,
            S::Deleting => ClusterState::Deleting,
            S::Error => ClusterState::Error,
        }
    }
}

/// A cluster in a line: what its card on the clusters page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    pub id: String,
    pub name: String,
    pub state: ClusterState,
    /// What its owner may ask of it now.
    pub permits: Permits,
    /// Why the cluster is in `error` (or what it is waiting for), when known.
    pub reason: Option<String>,
    pub desired_segments: u32,
    /// Segments that run and answer Docker.
    pub ready_segments: u32,
    pub flavor: String,
    pub created_at: i64,
}

/// The clusters page's data, also what its live stream sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterListData {
    pub clusters: Vec<ClusterView>,
    /// The account's quotas, for the quota line and the create form.
    pub max_clusters: u32,
    pub max_segments_per_cluster: u32,
}

/// One segment of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentView {
    /// `<cluster id>-n<ordinal>`: the libvirt domain and Docker engine name.
    pub name: String,
    pub ordinal: u32,
    pub address: String,
    /// pending, ready, ...
    pub state: String,
    pub state_reason: Option<String>,
    pub memory_mib: u64,
    pub vcpus: u32,
}

/// One container in the placement view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerView {
    /// The short (12 character) id.
    pub id: String,
    pub name: String,
    pub image: String,
    /// starting (created moments ago), created, running, paused, exited...
    pub state: String,
    /// healthy, unhealthy or starting, for containers with a health check.
    pub health: Option<String>,
    /// The Swarm service or compose project it belongs to: its tasks share a colour.
    pub group: Option<String>,
    /// What it reserves of its segment: memory in bytes (`--memory`), thousandths of a
    /// CPU (`--cpus`).
    pub reserved_memory: i64,
    pub reserved_millicpu: i64,
    /// Carina's own containers (swarm-data, swarm-manager): shown, but muted.
    pub infrastructure: bool,
}

/// The containers of one segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentPlacementView {
    pub segment: String,
    pub ordinal: u32,
    pub address: String,
    /// `None` while the segment's Docker cannot be asked (it is starting or down).
    pub containers: Option<Vec<ContainerView>>,
    /// Its use of the host, oldest first, over the last 15 minutes at most.
    pub usage: Vec<UsageView>,
}

/// One sample of a segment's use of the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    /// Unix seconds.
    pub at: i64,
    /// Thousandths of one CPU.
    pub millicpu: u32,
    /// Bytes.
    pub memory: u64,
}

/// An issued credentials bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleView {
    pub id: String,
    /// Its name for users: the certificate's common name, which the history's refusals
    /// name the client by too.
    pub label: String,
    /// The start of the client certificate's SHA-256 fingerprint.
    pub fingerprint_prefix: String,
    pub created_at: i64,
    pub revoked: bool,
}

/// One line of a cluster's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// progress, action or policy (a request the endpoint refused).
    pub kind: String,
    pub message: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// Everything the cluster page shows: its server render, and each message of its live
/// stream, so that both always agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterPageData {
    pub cluster: ClusterView,
    /// `token://<cluster id>`.
    pub token: String,
    /// What `docker.env` sets `DOCKER_HOST` to.
    pub docker_host: String,
    /// Whether segments run under an enforced AppArmor profile on this host.
    pub apparmor_enforced: bool,
    /// Whether Swarm services get virtual IPs (the kernel has IPVS), or DNS round-robin.
    pub service_vips: bool,
    /// The account's limit, for the grow form.
    pub max_segments_per_cluster: u32,
    /// The size of each segment: memory and vCPUs.
    pub segment_memory_mib: u64,
    pub segment_vcpus: u32,
    pub segments: Vec<SegmentView>,
    pub placement: Vec<SegmentPlacementView>,
    pub bundles: Vec<BundleView>,
    /// Newest first.
    pub events: Vec<EventView>,
}

/// One entry of the account's audit trail: who did what, from where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: i64,
    /// The cluster it concerns (it may be gone), if any.
    pub cluster: Option<String>,
    pub message: String,
    /// `panel`, `api key NAME (PREFIX…)`, `api (password)` or `operator`; none for Carina.
    pub actor: Option<String>,
    pub address: Option<String>,
}

/// One account on the operator page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAccountView {
    pub email: String,
    pub is_operator: bool,
    pub max_clusters: u32,
    pub max_segments_per_cluster: u32,
    pub clusters: u32,
    pub segments: u32,
    pub created_at: i64,
}

/// One cluster on the operator page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorClusterView {
    pub owner: String,
    pub name: String,
    pub status: String,
    pub segments: u32,
    pub desired_segments: u32,
    pub endpoint_port: u16,
}

/// The operator page: accounts, clusters, host capacity, and the latest audit entries of
/// every account (with their account's email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub accounts: Vec<OperatorAccountView>,
    pub clusters: Vec<OperatorClusterView>,
    /// `(label, value)` lines, e.g. `("Segments", "4 in clusters, 3 warm")`.
    pub capacity: Vec<(String, String)>,
    pub recent: Vec<(String, AuditEntryView)>,
}
