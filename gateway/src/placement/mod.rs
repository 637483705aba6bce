//! Placement: gather each segment's state, filter like classic Swarm, rank by spread.

pub(crate) mod expr;
pub(crate) mod filters;
pub(crate) mod spread;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lock::lock;
pub(crate) use expr::SwarmFilters;

/// A placement not yet visible in its segment's container list counts for this long at most.
const PENDING_TTL: Duration = Duration::from_secs(60);

/// What placement needs to know about one existing container, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContainerFacts {
    pub memory: i64,
    pub millicpu: i64,
    /// Host ports it binds, as `8080/tcp`.
    pub host_ports: Vec<String>,
}

impl ContainerFacts {
    /// From a create body or an inspect answer (both carry `HostConfig` and ports).
    pub(crate) fn from_config(config: &Value, host_config: Option<&Value>) -> Self {
        let hc = |k: &str| host_config.and_then(|h| h.get(k));
        let memory = hc("Memory").and_then(Value::as_i64).unwrap_or(0);
        let nano = hc("NanoCpus").and_then(Value::as_i64).unwrap_or(0);
        // `--cpus` (NanoCpus) reserves CPUs. CpuShares is a relative weight (1024 is one
        // share; Compose's `cpu_shares: 512` is common): classic Swarm read it as whole
        // CPUs, which made ordinary creates unplaceable, so it reserves nothing here.
        let millicpu = nano / 1_000_000;
        let mut host_ports = Vec::new();
        if let Some(bindings) = hc("PortBindings").and_then(Value::as_object) {
            for (port, list) in bindings {
                let proto = port.split_once('/').map(|(_, p)| p).unwrap_or("tcp");
                for b in list.as_array().into_iter().flatten() {
                    let hp = b.get("HostPort").and_then(Value::as_str).unwrap_or("");
                    if !hp.is_empty() && hp != "0" {
                        host_ports.push(format!("{hp}/{proto}"));
                    }
                }
            }
        }
        if hc("NetworkMode").and_then(Value::as_str) == Some("host") {
            if let Some(exposed) = config.get("ExposedPorts").and_then(Value::as_object) {
                for port in exposed.keys() {
                    let p = if port.contains('/') { port.clone() } else { format!("{port}/tcp") };
                    host_ports.push(p);
                }
            }
        }
        host_ports.sort();
        host_ports.dedup();
        Self { memory, millicpu, host_ports }
    }
}

/// A container as the filters see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeContainer {
    pub id: String,
    /// Names without the leading slash.
    pub names: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub host_ports: Vec<String>,
    pub state: String,
}

/// An image as the image affinity sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageRef {
    pub id: String,
    pub tags: Vec<String>,
}

/// One segment as placement sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub name: String,
    pub id: String,
    /// `ip:port` of its dockerd's TLS listener.
    pub address: String,
    pub healthy: bool,
    pub ncpu: i64,
    pub mem_total: i64,
    pub used_millicpu: i64,
    pub used_memory: i64,
    pub containers: Vec<NodeContainer>,
    /// Placements decided but not yet in `containers`.
    pub pending: usize,
    /// Engine labels plus `storagedriver`, `kernelversion`, `operatingsystem`, `ostype`.
    pub labels: BTreeMap<String, String>,
    pub images: Option<Vec<ImageRef>>,
    pub info: Option<Arc<Value>>,
}

impl Node {
    /// Whether the image (`name[:tag]`, id or id prefix) is here; unknown images lists
    /// count as "yes" so that they never exclude a segment.
    pub(crate) fn has_image(&self, image: &str) -> bool {
        let Some(images) = &self.images else { return true };
        let tagged = if image.rsplit('/').next().is_some_and(|last| last.contains(':') || last.contains('@')) {
            image.to_owned()
        } else {
            format!("{image}:latest")
        };
        images.iter().any(|i| {
            i.tags.iter().any(|t| t == &tagged)
                || i.id == image
                || i.id
                    .strip_prefix("sha256:")
                    .is_some_and(|id| image.len() >= 4 && id.starts_with(image.trim_start_matches("sha256:")))
        })
    }

    /// Whether a container reference (id, id prefix, name, `<segment>/<name>`) is here.
    pub(crate) fn has_container(&self, reference: &str) -> bool {
        let reference = reference.trim_start_matches('/');
        let name = match reference.split_once('/') {
            Some((segment, name)) if segment == self.name => name,
            Some(_) => return false,
            None => reference,
        };
        self.containers
            .iter()
            .any(|c| c.names.iter().any(|n| n == name) || (!name.is_empty() && c.id.starts_with(name)))
    }
}

/// A co-scheduling requirement: `--volumes-from`, `--link`, `--net container:`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Dependency {
    pub target: String,
    /// How the user wrote it, for the error message.
    pub flag: String,
}

/// What is being placed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spec {
    /// The image as the create names it.
    pub image: Option<String>,
    pub memory: i64,
    pub millicpu: i64,
    pub host_ports: Vec<String>,
    pub dependencies: Vec<Dependency>,
}

impl Spec {
    pub(crate) fn from_create(body: &Value) -> Self {
        let hc = body.get("HostConfig");
        let facts = ContainerFacts::from_config(body, hc);
        let mut dependencies = Vec::new();
        let strs = |k: &str| -> Vec<String> {
            hc.and_then(|h| h.get(k))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        for v in strs("VolumesFrom") {
            let target = v.split(':').next().unwrap_or_default().to_owned();
            dependencies.push(Dependency { target, flag: format!("--volumes-from={v}") });
        }
        for l in strs("Links") {
            let target = l.split(':').next().unwrap_or_default().trim_start_matches('/').to_owned();
            dependencies.push(Dependency { target, flag: format!("--link={l}") });
        }
        for (key, flag) in [("NetworkMode", "--net"), ("IpcMode", "--ipc"), ("PidMode", "--pid")] {
            if let Some(target) =
                hc.and_then(|h| h.get(key)).and_then(Value::as_str).and_then(|m| m.strip_prefix("container:"))
            {
                dependencies.push(Dependency { target: target.to_owned(), flag: format!("{flag}=container:{target}") });
            }
        }
        Self {
            image: body.get("Image").and_then(Value::as_str).map(str::to_owned),
            memory: facts.memory,
            millicpu: facts.millicpu,
            host_ports: facts.host_ports,
            dependencies,
        }
    }
}

/// A placement decided and not yet confirmed by a container list.
#[derive(Debug)]
pub(crate) struct Pending {
    key: u64,
    segment: String,
    id: Option<String>,
    memory: i64,
    millicpu: i64,
    at: Instant,
}

/// One cluster's placements in flight.
#[derive(Debug, Default)]
pub(crate) struct PendingPlacements(Mutex<Vec<Pending>>);

/// Keeps a pending placement counted until the create is answered; dropped without
/// [`PendingGuard::created`], the placement is forgotten (the create failed).
pub(crate) struct PendingGuard {
    pending: Arc<PendingPlacements>,
    key: u64,
    done: bool,
}

impl PendingGuard {
    pub(crate) fn created(mut self, id: &str) {
        self.done = true;
        let mut pending = lock(&self.pending.0);
        if let Some(p) = pending.iter_mut().find(|p| p.key == self.key) {
            p.id = Some(id.to_owned());
        }
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        if !self.done {
            lock(&self.pending.0).retain(|p| p.key != self.key);
        }
    }
}

static PENDING_KEYS: AtomicU64 = AtomicU64::new(1);

/// Filters and ranks, counting placements still in flight, and records this one as in
/// flight, atomically: concurrent creates spread instead of all picking the same segment.
pub(crate) fn decide(
    in_flight: &Arc<PendingPlacements>,
    mut nodes: Vec<Node>,
    spec: &Spec,
    filters: &SwarmFilters,
) -> Result<(String, PendingGuard), String> {
    let mut pending = lock(&in_flight.0);
    pending.retain(|p| p.at.elapsed() < PENDING_TTL);
    for p in pending.iter() {
        if let Some(node) = nodes.iter_mut().find(|n| n.name == p.segment) {
            let visible = p.id.as_ref().is_some_and(|id| node.containers.iter().any(|c| &c.id == id));
            if !visible {
                node.pending += 1;
                node.used_memory += p.memory;
                node.used_millicpu += p.millicpu;
            }
        }
    }
    let choose = |filters: &SwarmFilters| -> Result<String, String> {
        let mut candidates = filters::apply(&nodes, spec, filters)?;
        // Prefer segments that have the image (one built by `docker build` exists on one
        // segment only, and no registry may be reachable); no effect when all have it.
        if let Some(image) = spec.image.as_deref() {
            let with_image: Vec<&Node> = candidates.iter().copied().filter(|n| n.has_image(image)).collect();
            if !with_image.is_empty() {
                candidates = with_image;
            }
        }
        spread::rank(&candidates, spec.memory, spec.millicpu)
            .first()
            .map(|n| n.name.clone())
            .ok_or_else(|| "no resources available to schedule container".to_owned())
    };
    let chosen = match choose(filters) {
        Err(_) if filters.has_soft() => choose(&filters.without_soft()),
        other => other,
    }?;
    let key = PENDING_KEYS.fetch_add(1, Ordering::Relaxed);
    pending.push(Pending {
        key,
        segment: chosen.clone(),
        id: None,
        memory: spec.memory,
        millicpu: spec.millicpu,
        at: Instant::now(),
    });
    drop(pending);
    Ok((chosen, PendingGuard { pending: in_flight.clone(), key, done: false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_presence() {
        let node = Node {
            images: Some(vec![ImageRef {
                id: "sha256:3baa2bde1cb0aaaa".into(),
                tags: vec!["built:1".into(), "busybox:latest".into()],
            }]),
            ..Default::default()
        };
        assert!(node.has_image("busybox"));
        assert!(node.has_image("built:1"));
        assert!(node.has_image("3baa2bde"));
        assert!(node.has_image("sha256:3baa2bde1cb0aaaa"));
        assert!(!node.has_image("built"));
        assert!(!node.has_image("other:1"));
        assert!(Node::default().has_image("anything"), "unknown lists exclude nothing");
    }
}
