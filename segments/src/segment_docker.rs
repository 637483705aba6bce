//! The narrow interface the reconciler drives a segment's Docker through, as
//! [`crate::SegmentDriver`] is for the segment itself: exactly the operations a reconcile
//! pass performs, so that a fake can stand in for dockerd in tests of the reconciler.

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use dockerlink::DockerAddress;

use crate::{EngineError, JoinTokens, LocalSwarm, NodeRole, SegmentEngine, SwarmNode};

/// The Docker and Swarm operations on one segment that the reconciler needs. Every one is
/// idempotent, as on [`SegmentEngine`], which documents each in detail.
#[async_trait]
pub trait SegmentDocker: Send + Sync {
    /// Makes sure the base image exists, loading it from `tar` when missing.
    async fn ensure_base_image(&self, tar: &Path) -> Result<(), EngineError>;
    /// Creates `swarm-data`, and `swarm-manager` when `with_manager`.
    async fn ensure_infra_containers(&self, cluster_id: &str, with_manager: bool) -> Result<(), EngineError>;
    /// This node's own view of its swarm membership.
    async fn local_swarm(&self) -> Result<LocalSwarm, EngineError>;
    /// Creates a swarm with this node as its first manager.
    async fn swarm_init(&self, advertise: Ipv4Addr) -> Result<JoinTokens, EngineError>;
    /// The swarm's join tokens (managers only).
    async fn join_tokens(&self) -> Result<JoinTokens, EngineError>;
    /// Joins the swarm managed at `manager` with `token`.
    async fn swarm_join(&self, advertise: Ipv4Addr, manager: Ipv4Addr, token: &str) -> Result<(), EngineError>;
    /// Leaves the swarm; `force` is needed for a manager.
    async fn swarm_leave(&self, force: bool) -> Result<(), EngineError>;
    /// Every node of the swarm (managers only).
    async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError>;
    /// Sets a node's role (managers only).
    async fn set_role(&self, id: &str, role: NodeRole) -> Result<(), EngineError>;
    /// Removes a node from the swarm (managers only).
    async fn remove_node(&self, id: &str, force: bool) -> Result<(), EngineError>;
}

/// Reaches segments' dockerds: the factory the reconciler gets its [`SegmentDocker`]s from.
#[async_trait]
pub trait DockerConnector: Send + Sync {
    /// Waits until the dockerd at `address` answers (at most `timeout`), then returns a
    /// connection to it. This is also the reconciler's health check.
    async fn wait_ready(
        &self,
        address: &DockerAddress,
        timeout: Duration,
    ) -> Result<Box<dyn SegmentDocker>, EngineError>;
}

/// The real connector: bollard over each segment's unix socket or TLS listener.
#[derive(Debug, Clone, Copy, Default)]
pub struct BollardDocker;

#[async_trait]
impl DockerConnector for BollardDocker {
    async fn wait_ready(
        &self,
        address: &DockerAddress,
        timeout: Duration,
    ) -> Result<Box<dyn SegmentDocker>, EngineError> {
        Ok(Box::new(SegmentEngine::wait_ready(address, timeout).await?))
    }
}

#[async_trait]
impl SegmentDocker for SegmentEngine {
    async fn ensure_base_image(&self, tar: &Path) -> Result<(), EngineError> {
        SegmentEngine::ensure_base_image(self, tar).await
    }
    async fn ensure_infra_containers(&self, cluster_id: &str, with_manager: bool) -> Result<(), EngineError> {
        SegmentEngine::ensure_infra_containers(self, cluster_id, with_manager).await
    }
    async fn local_swarm(&self) -> Result<LocalSwarm, EngineError> {
        SegmentEngine::local_swarm(self).await
    }
    async fn swarm_init(&self, advertise: Ipv4Addr) -> Result<JoinTokens, EngineError> {
        SegmentEngine::swarm_init(self, advertise).await
    }
    async fn join_tokens(&self) -> Result<JoinTokens, EngineError> {
        SegmentEngine::join_tokens(self).await
    }
    async fn swarm_join(&self, advertise: Ipv4Addr, manager: Ipv4Addr, token: &str) -> Result<(), EngineError> {
        SegmentEngine::swarm_join(self, advertise, manager, token).await
    }
    async fn swarm_leave(&self, force: bool) -> Result<(), EngineError> {
        SegmentEngine::swarm_leave(self, force).await
    }
    async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        SegmentEngine::nodes(self).await
    }
    async fn set_role(&self, id: &str, role: NodeRole) -> Result<(), EngineError> {
        SegmentEngine::set_role(self, id, role).await
    }
    async fn remove_node(&self, id: &str, force: bool) -> Result<(), EngineError> {
        SegmentEngine::remove_node(self, id, force).await
    }
}
