//! What the gateway needs to know about a cluster from the rest of the service.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use dockerlink::DockerAddress;

/// One segment of a cluster, as the provisioner knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentEndpoint {
    /// The segment (and Docker engine) name: `<cluster_uuid>-n1`.
    pub name: String,
    /// Its IP.
    pub address: Ipv4Addr,
    /// The port of its dockerd's TLS listener: with the IP, the node address `docker info`
    /// and inspect show, as classic Swarm did.
    pub tls_port: u16,
    /// Where its dockerd is reached: its unix socket on this machine, or its TLS listener.
    pub dockerd: DockerAddress,
    /// Host path of the segment's `/var/lib/docker` (used for the bind symlink check);
    /// none when the segment is on another host.
    pub docker_root: Option<PathBuf>,
}

/// Why the directory could not answer.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The cluster does not exist (any more).
    #[error("cluster not found")]
    NotFound,
    /// The directory failed; the text is logged, never sent to the user.
    #[error("cluster directory unavailable: {0}")]
    Unavailable(String),
}

/// Something a user should see in the panel's audit log: a refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointEvent {
    /// The policy rule, e.g. `CARINA-1001`; `None` for refusals without a rule.
    pub rule: Option<String>,
    /// The message the user got, e.g. `CARINA-1001: Privileged containers not allowed by policy`.
    pub message: String,
    /// Method and version-less path, e.g. `POST /containers/create`.
    pub request: String,
    /// Client certificate CN, or the first 16 hex digits of its fingerprint without a CN.
    pub client: String,
}

/// The gateway's view of the service: which segments a cluster has, and where to audit.
#[async_trait]
pub trait ClusterDirectory: Send + Sync + 'static {
    /// The cluster's current segments, in ordinal order. Called often (the gateway caches
    /// the answer for about two seconds), so keep it cheap.
    async fn segments(&self, cluster_id: &str) -> Result<Vec<SegmentEndpoint>, DirectoryError>;
    /// Audit a refusal (policy or infrastructure protection).
    async fn record_event(&self, cluster_id: &str, event: EndpointEvent);
}

/// A directory of one cluster whose segments are fixed, keeping refusals in memory: for
/// an endpoint run without the panel (development, benchmarks) and for tests.
#[derive(Debug, Default)]
pub struct StaticDirectory {
    /// The one cluster it knows.
    pub cluster_id: String,
    /// Its segments.
    pub segments: Mutex<Vec<SegmentEndpoint>>,
    /// Every refusal recorded, oldest first.
    pub events: Mutex<Vec<EndpointEvent>>,
}

impl StaticDirectory {
    /// A directory of `cluster_id` with these segments.
    pub fn new(cluster_id: &str, segments: Vec<SegmentEndpoint>) -> Self {
        StaticDirectory { cluster_id: cluster_id.to_owned(), segments: Mutex::new(segments), events: Mutex::default() }
    }
}

#[async_trait]
impl ClusterDirectory for StaticDirectory {
    async fn segments(&self, cluster_id: &str) -> Result<Vec<SegmentEndpoint>, DirectoryError> {
        if cluster_id != self.cluster_id {
            return Err(DirectoryError::NotFound);
        }
        Ok(self.segments.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    async fn record_event(&self, _cluster_id: &str, event: EndpointEvent) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}
