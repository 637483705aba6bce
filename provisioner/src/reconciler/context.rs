//! What a reconciler works with: the domain, the segments' host, the segments' Docker,
//! and how long it waits for each. Tests put fakes and short patience here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use segments::DockerConnector;

use crate::Provisioner;

/// How long the reconciler waits for the world. The defaults are the production values;
/// they are parameters so that tests of the reconciler run in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patience {
    /// How long a freshly started segment may take to answer Docker.
    pub start: Duration,
    /// How long a running segment may take to answer a health check.
    pub health: Duration,
    /// How long a running segment whose Docker stopped answering may stay silent before
    /// it is restarted.
    pub hang: Duration,
    /// How long each probe of a possibly hung dockerd waits.
    pub hang_probe: Duration,
    /// How long joined nodes may take to be reported ready.
    pub nodes_ready: Duration,
    /// How long a segment may take to answer the quick look at an active cluster.
    pub quick_look: Duration,
    /// A build, grow or rebuild that has not converged after this long ends in `error`.
    pub converge_deadline: Duration,
    /// How long a replica's lease on a cluster or the pool lasts unrenewed: how soon
    /// another replica takes over the work of one that died (see `lease.rs`).
    pub lease: Duration,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            start: Duration::from_secs(60),
            health: Duration::from_secs(3),
            hang: Duration::from_secs(10),
            hang_probe: Duration::from_millis(500),
            nodes_ready: Duration::from_secs(30),
            quick_look: Duration::from_secs(1),
            converge_deadline: super::CONVERGE_DEADLINE,
            lease: Duration::from_secs(30),
        }
    }
}

/// Everything a [`super::Reconciler`] drives.
#[derive(Clone)]
pub struct Context {
    /// The domain: desired state and status in SQL.
    pub provisioner: Provisioner,
    /// Creates, inspects and removes segments, each on its host.
    pub fleet: crate::Fleet,
    /// Reaches each segment's dockerd (the factory of its [`segments::SegmentDocker`]s).
    pub docker: Arc<dyn DockerConnector>,
    /// The base image every segment gets (`docker load` format).
    pub base_image_tar: PathBuf,
    /// How long to wait for each thing.
    pub patience: Patience,
}
