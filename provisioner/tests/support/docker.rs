//! A recording fake of each segment's dockerd ([`SegmentDocker`]) and of the connector
//! that reaches them, over the fake [`World`]: images, infrastructure containers and Swarm
//! membership, with tokens that say which swarm and role they join.

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use segments::bollard::models::{LocalNodeState, NodeState, Reachability};
use segments::{
    DockerAddress, DockerConnector, EngineError, JoinTokens, LocalSwarm, NodeRole, SegmentDocker, SwarmNode,
    BASE_IMAGE_REF, SWARM_DATA, SWARM_MANAGER,
};

use super::driver::{segment_of, socket_of};
use super::world::{Node, State, World};

/// Connects to fake dockerds.
pub struct FakeDocker {
    pub world: World,
}

/// One fake dockerd.
pub struct FakeEngine {
    world: World,
    name: String,
}

fn error(name: &str, detail: impl Into<String>) -> EngineError {
    EngineError::Unexpected { at: socket_of(name).display().to_string(), detail: detail.into() }
}

#[async_trait]
impl DockerConnector for FakeDocker {
    async fn wait_ready(
        &self,
        dockerd: &DockerAddress,
        timeout: Duration,
    ) -> Result<Box<dyn SegmentDocker>, EngineError> {
        let name = segment_of(dockerd);
        self.world.enter("wait_ready", &name).await.map_err(|m| error(&name, m))?;
        let deadline = Instant::now() + timeout;
        loop {
            if self.world.state().answers(&name) {
                return Ok(Box::new(FakeEngine { world: self.world.clone(), name }));
            }
            if Instant::now() >= deadline {
                return Err(EngineError::NotReady { at: dockerd.to_string(), timeout, last: "no answer".into() });
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

fn tokens(swarm: &str) -> JoinTokens {
    JoinTokens { worker: format!("{swarm}/worker"), manager: format!("{swarm}/manager") }
}

fn local(state: &State, name: &str) -> LocalSwarm {
    let node = state.segments.get(name).and_then(|s| s.node.clone());
    let role = node
        .as_ref()
        .and_then(|(sw, id)| state.swarms.get(sw).and_then(|nodes| nodes.iter().find(|n| &n.id == id)).map(|n| n.role));
    let is_manager = role == Some(NodeRole::Manager);
    // As dockerd: a manager cut off from a majority of its swarm's managers still says it
    // is one, but knows no swarm (no leader to ask) until it gets them back.
    let quorum = node.as_ref().is_some_and(|(sw, _)| has_quorum(state, name, sw));
    LocalSwarm {
        state: if node.is_some() { LocalNodeState::ACTIVE } else { LocalNodeState::INACTIVE },
        node_id: node.as_ref().map(|(_, id)| id.clone()),
        swarm_id: node.as_ref().filter(|_| is_manager && quorum).map(|(sw, _)| sw.clone()),
        is_manager,
        node_addr: None,
        error: None,
    }
}

impl FakeEngine {
    /// Records the call and runs `effect` on the world if this dockerd answers.
    async fn call<T>(
        &self,
        op: &'static str,
        effect: impl FnOnce(&mut State, &str) -> Result<T, String>,
    ) -> Result<T, EngineError> {
        let name = &self.name;
        self.world.enter(op, name).await.map_err(|m| error(name, m))?;
        let result = {
            let mut state = self.world.state();
            if !state.answers(name) {
                // A real request would time out; the fake says so at once.
                return Err(error(name, format!("{op}: no answer")));
            }
            effect(&mut state, name).map_err(|m| error(name, format!("{op}: {m}")))
        };
        self.world.leave(op, name).await;
        result
    }
}

/// Whether segment `name` reaches a majority of `swarm`'s managers (itself included; a
/// node that left stays in the list, down, as in Swarm).
fn has_quorum(state: &State, name: &str, swarm: &str) -> bool {
    let own = state.segments[name].spec.address;
    let allows = |n: &str, peer: Ipv4Addr| state.peers.get(n).is_some_and(|p| p.contains(&peer));
    let managers: Vec<&Node> = state.swarms[swarm].iter().filter(|n| n.role == NodeRole::Manager).collect();
    let reached = managers
        .iter()
        .filter(|m| {
            state.segments.iter().any(|(n, s)| {
                s.node.as_ref().is_some_and(|(sw, id)| sw == swarm && *id == m.id)
                    && (n == name || (state.answers(n) && allows(name, s.spec.address) && allows(n, own)))
            })
        })
        .count();
    reached * 2 > managers.len()
}

/// The swarm this segment manages, if it is a manager.
fn managed(state: &State, name: &str) -> Result<String, String> {
    let local = local(state, name);
    match local.swarm_id {
        Some(swarm) => Ok(swarm),
        None if local.is_manager => Err("The swarm does not have a leader".to_owned()),
        None => Err("this node is not a swarm manager".to_owned()),
    }
}

#[async_trait]
impl SegmentDocker for FakeEngine {
    async fn ensure_base_image(&self, _tar: &Path) -> Result<(), EngineError> {
        self.call("ensure_base_image", |state, name| {
            state.segments.get_mut(name).unwrap().images.insert(BASE_IMAGE_REF.to_owned());
            Ok(())
        })
        .await
    }

    async fn ensure_infra_containers(&self, _cluster_id: &str, with_manager: bool) -> Result<(), EngineError> {
        self.call("ensure_infra_containers", |state, name| {
            let seg = state.segments.get_mut(name).unwrap();
            if !seg.images.contains(BASE_IMAGE_REF) {
                return Err("no base image".into());
            }
            seg.containers.insert(SWARM_DATA.to_owned());
            if with_manager {
                seg.containers.insert(SWARM_MANAGER.to_owned());
            } else {
                seg.containers.remove(SWARM_MANAGER);
            }
            Ok(())
        })
        .await
    }

    async fn local_swarm(&self) -> Result<LocalSwarm, EngineError> {
        self.call("local_swarm", |state, name| Ok(local(state, name))).await
    }

    async fn swarm_init(&self, _advertise: Ipv4Addr) -> Result<JoinTokens, EngineError> {
        self.call("swarm_init", |state, name| {
            let current = local(state, name);
            if current.is_active() {
                return managed(state, name).map(|sw| tokens(&sw));
            }
            let (swarm, id) = (state.new_id("swarm"), state.new_id("node"));
            state
                .swarms
                .insert(swarm.clone(), vec![Node { id: id.clone(), hostname: name.into(), role: NodeRole::Manager }]);
            state.segments.get_mut(name).unwrap().node = Some((swarm.clone(), id));
            Ok(tokens(&swarm))
        })
        .await
    }

    async fn join_tokens(&self) -> Result<JoinTokens, EngineError> {
        self.call("join_tokens", |state, name| managed(state, name).map(|sw| tokens(&sw))).await
    }

    async fn swarm_join(&self, _advertise: Ipv4Addr, manager: Ipv4Addr, token: &str) -> Result<(), EngineError> {
        let token = token.to_owned();
        self.call("swarm_join", move |state, name| {
            if local(state, name).is_active() {
                return Ok(());
            }
            let (swarm, role) = token.split_once('/').ok_or("malformed token")?;
            let role = if role == "manager" { NodeRole::Manager } else { NodeRole::Worker };
            let reachable = state.segments.iter().any(|(n, s)| {
                s.spec.address == manager && state.answers(n) && managed(state, n).as_deref() == Ok(swarm)
            });
            if !reachable {
                return Err(format!("no manager of {swarm} at {manager}"));
            }
            // The isolation rules must let both ends reach each other.
            let own = state.segments[name].spec.address;
            let allows = |n: &str, peer: Ipv4Addr| state.peers.get(n).is_some_and(|p| p.contains(&peer));
            let manager_name = state.segments.iter().find(|(_, s)| s.spec.address == manager).map(|(n, _)| n.clone());
            if !allows(name, manager) || !manager_name.is_some_and(|m| allows(&m, own)) {
                return Err(format!("{name} and the manager at {manager} may not reach each other"));
            }
            let id = state.new_id("node");
            state.swarms.get_mut(swarm).unwrap().push(Node { id: id.clone(), hostname: name.into(), role });
            state.segments.get_mut(name).unwrap().node = Some((swarm.to_owned(), id));
            Ok(())
        })
        .await
    }

    async fn swarm_leave(&self, _force: bool) -> Result<(), EngineError> {
        // Its entry stays in the other managers' list, down, as in Swarm.
        self.call("swarm_leave", |state, name| {
            state.segments.get_mut(name).unwrap().node = None;
            Ok(())
        })
        .await
    }

    async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        self.call("nodes", |state, name| {
            let swarm = managed(state, name)?;
            Ok(state.swarms[&swarm]
                .iter()
                .map(|n| {
                    let ready = state.node_ready(&swarm, &n.id);
                    SwarmNode {
                        id: n.id.clone(),
                        hostname: n.hostname.clone(),
                        address: None,
                        state: if ready { NodeState::READY } else { NodeState::DOWN },
                        ready,
                        role: n.role,
                        availability: None,
                        // A ready manager is reachable by its peers (a real one becomes so a
                        // moment after its agent reports ready).
                        reachability: (n.role == NodeRole::Manager).then_some(if ready {
                            Reachability::REACHABLE
                        } else {
                            Reachability::UNREACHABLE
                        }),
                        leader: false,
                    }
                })
                .collect())
        })
        .await
    }

    async fn set_role(&self, id: &str, role: NodeRole) -> Result<(), EngineError> {
        let id = id.to_owned();
        self.call("set_role", move |state, name| {
            let swarm = managed(state, name)?;
            let node = state.swarms.get_mut(&swarm).unwrap().iter_mut().find(|n| n.id == id).ok_or("no such node")?;
            node.role = role;
            Ok(())
        })
        .await
    }

    async fn remove_node(&self, id: &str, _force: bool) -> Result<(), EngineError> {
        let id = id.to_owned();
        self.call("remove_node", move |state, name| {
            let swarm = managed(state, name)?;
            state.swarms.get_mut(&swarm).unwrap().retain(|n| n.id != id);
            Ok(())
        })
        .await
    }
}
