//! Swarm mode on a segment: init, join, leave, and the node list a manager sees.

use std::net::Ipv4Addr;

use bollard::models::{
    LocalNodeState, Node, NodeSpecAvailabilityEnum, NodeSpecRoleEnum, NodeState, Reachability, SwarmInitRequest,
    SwarmJoinRequest,
};
use bollard::query_parameters::{DeleteNodeOptions, LeaveSwarmOptions, ListNodesOptions, UpdateNodeOptions};

use crate::engine::SWARM_TIMEOUT;
use crate::{EngineError, SegmentEngine};

/// How long `set_role` keeps retrying a refused role change.
const ROLE_CHANGE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Swarm's cluster management port.
pub const SWARM_PORT: u16 = 2377;

/// The tokens other segments join with.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinTokens {
    /// Joins as a worker.
    pub worker: String,
    /// Joins as a manager.
    pub manager: String,
}

impl std::fmt::Debug for JoinTokens {
    // Tokens are secrets: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinTokens").finish_non_exhaustive()
    }
}

/// This segment's own view of its swarm membership (`docker info`'s Swarm section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSwarm {
    /// inactive, pending, active, error or locked.
    pub state: LocalNodeState,
    /// This node's id, once in a swarm.
    pub node_id: Option<String>,
    /// The swarm's id (known to managers only).
    pub swarm_id: Option<String>,
    /// Whether this node is a manager (has the control API).
    pub is_manager: bool,
    /// The address this node advertises.
    pub node_addr: Option<String>,
    /// The last error, if any.
    pub error: Option<String>,
}

impl LocalSwarm {
    /// Whether this node is an active member of a swarm.
    pub fn is_active(&self) -> bool {
        self.state == LocalNodeState::ACTIVE
    }
}

/// A node's role in the swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    /// Runs tasks only.
    Worker,
    /// Also takes part in Raft and serves the control API.
    Manager,
}

/// One node as a manager sees it (`docker node ls`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmNode {
    /// Node id.
    pub id: String,
    /// The node's host name: the segment name.
    pub hostname: String,
    /// The address it was seen at.
    pub address: Option<String>,
    /// ready, down, unknown or disconnected.
    pub state: NodeState,
    /// `state == ready`.
    pub ready: bool,
    /// Worker or manager.
    pub role: NodeRole,
    /// Whether it takes tasks (active), pauses or drains.
    pub availability: Option<NodeSpecAvailabilityEnum>,
    /// For managers: whether the Raft peers reach it.
    pub reachability: Option<Reachability>,
    /// For managers: whether it leads Raft.
    pub leader: bool,
}

impl From<Node> for SwarmNode {
    fn from(node: Node) -> Self {
        let spec = node.spec.unwrap_or_default();
        let status = node.status.unwrap_or_default();
        let manager = node.manager_status;
        let state = status.state.unwrap_or(NodeState::UNKNOWN);
        SwarmNode {
            id: node.id.unwrap_or_default(),
            hostname: node.description.and_then(|d| d.hostname).unwrap_or_default(),
            address: status.addr,
            state,
            ready: state == NodeState::READY,
            role: if spec.role == Some(NodeSpecRoleEnum::MANAGER) { NodeRole::Manager } else { NodeRole::Worker },
            availability: spec.availability,
            reachability: manager.as_ref().and_then(|m| m.reachability),
            leader: manager.and_then(|m| m.leader).unwrap_or(false),
        }
    }
}

impl SegmentEngine {
    /// This node's swarm membership.
    pub async fn local_swarm(&self) -> Result<LocalSwarm, EngineError> {
        let swarm = self.info().await?.swarm.unwrap_or_default();
        Ok(LocalSwarm {
            state: swarm.local_node_state.unwrap_or(LocalNodeState::INACTIVE),
            node_id: swarm.node_id.filter(|s| !s.is_empty()),
            swarm_id: swarm.cluster.and_then(|c| c.id).filter(|s| !s.is_empty()),
            is_manager: swarm.control_available.unwrap_or(false),
            node_addr: swarm.node_addr.filter(|s| !s.is_empty()),
            error: swarm.error.filter(|s| !s.is_empty()),
        })
    }

    /// Creates a swarm with this node as its first manager, advertising `advertise` (the
    /// segment's address). Idempotent: a node that already manages a swarm just returns
    /// its tokens.
    pub async fn swarm_init(&self, advertise: Ipv4Addr) -> Result<JoinTokens, EngineError> {
        let local = self.local_swarm().await?;
        if local.is_active() {
            if !local.is_manager {
                return Err(self.unexpected("swarm init: this node is a worker of another swarm"));
            }
            return self.join_tokens().await;
        }
        let request = SwarmInitRequest {
            listen_addr: Some(format!("0.0.0.0:{SWARM_PORT}")),
            advertise_addr: Some(format!("{advertise}:{SWARM_PORT}")),
            ..Default::default()
        };
        self.docker().clone().with_timeout(SWARM_TIMEOUT).init_swarm(request).await.map_err(self.err("swarm init"))?;
        self.join_tokens().await
    }

    /// The swarm's join tokens (managers only).
    pub async fn join_tokens(&self) -> Result<JoinTokens, EngineError> {
        let swarm = self.docker().inspect_swarm().await.map_err(self.err("swarm inspect"))?;
        let tokens = swarm.join_tokens.ok_or_else(|| self.unexpected("swarm inspect returned no join tokens"))?;
        match (tokens.worker, tokens.manager) {
            (Some(worker), Some(manager)) => Ok(JoinTokens { worker, manager }),
            _ => Err(self.unexpected("swarm inspect returned incomplete join tokens")),
        }
    }

    /// Joins the swarm managed at `manager` (an address; port 2377 is implied) with
    /// `token`, advertising `advertise`. Idempotent: a node already in a swarm is left as
    /// it is. Returns when the node has joined (a manager join waits for Raft).
    pub async fn swarm_join(&self, advertise: Ipv4Addr, manager: Ipv4Addr, token: &str) -> Result<(), EngineError> {
        if self.local_swarm().await?.is_active() {
            return Ok(());
        }
        let request = SwarmJoinRequest {
            listen_addr: Some(format!("0.0.0.0:{SWARM_PORT}")),
            advertise_addr: Some(format!("{advertise}:{SWARM_PORT}")),
            remote_addrs: Some(vec![format!("{manager}:{SWARM_PORT}")]),
            join_token: Some(token.to_owned()),
            ..Default::default()
        };
        self.docker().clone().with_timeout(SWARM_TIMEOUT).join_swarm(request).await.map_err(self.err("swarm join"))
    }

    /// Leaves the swarm; `force` is needed for a manager. Idempotent.
    pub async fn swarm_leave(&self, force: bool) -> Result<(), EngineError> {
        if self.local_swarm().await?.state == LocalNodeState::INACTIVE {
            return Ok(());
        }
        let options = LeaveSwarmOptions { force };
        self.docker()
            .clone()
            .with_timeout(SWARM_TIMEOUT)
            .leave_swarm(Some(options))
            .await
            .map_err(self.err("swarm leave"))
    }

    /// Every node of the swarm (managers only).
    pub async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        let nodes = self.docker().list_nodes(None::<ListNodesOptions>).await.map_err(self.err("node ls"))?;
        Ok(nodes.into_iter().map(SwarmNode::from).collect())
    }

    /// Removes a node from the swarm (managers only); `force` for a node that is not
    /// down. Idempotent: an unknown node is not an error.
    pub async fn remove_node(&self, id: &str, force: bool) -> Result<(), EngineError> {
        match self.docker().delete_node(id, Some(DeleteNodeOptions { force })).await {
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(()),
            other => other.map_err(self.err("node rm")),
        }
    }

    /// Promotes a node to manager.
    pub async fn promote(&self, id: &str) -> Result<(), EngineError> {
        self.set_role(id, NodeRole::Manager).await
    }

    /// Demotes a manager to worker.
    pub async fn demote(&self, id: &str) -> Result<(), EngineError> {
        self.set_role(id, NodeRole::Worker).await
    }

    /// Sets a node's role (managers only). Idempotent. Node updates carry the version
    /// they were read at, and a role change right after another one fails until Raft has
    /// caught up, so failures are retried for a few seconds.
    pub async fn set_role(&self, id: &str, role: NodeRole) -> Result<(), EngineError> {
        let wanted = match role {
            NodeRole::Manager => NodeSpecRoleEnum::MANAGER,
            NodeRole::Worker => NodeSpecRoleEnum::WORKER,
        };
        let deadline = std::time::Instant::now() + ROLE_CHANGE_PATIENCE;
        loop {
            let node = self.docker().inspect_node(id).await.map_err(self.err("node inspect"))?;
            let mut spec = node.spec.unwrap_or_default();
            if spec.role == Some(wanted) {
                return Ok(());
            }
            let version = node.version.and_then(|v| v.index).unwrap_or(0) as i64;
            spec.role = Some(wanted);
            match self.docker().update_node(id, spec, UpdateNodeOptions { version }).await {
                Ok(()) => return Ok(()),
                Err(e) if std::time::Instant::now() < deadline => {
                    tracing::debug!(node = id, error = %e, "node update failed, retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(e) => return Err(self.err("node update")(e)),
            }
        }
    }
}
