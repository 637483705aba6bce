//! Where a container can run because of what it uses: a named volume lives on one
//! segment (as on classic Swarm), and so does each copy of a local network; a Swarm
//! network reaches every segment. A create that names either is placed where they are.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;

use crate::cluster::fanout;
use crate::error::ApiError;
use crate::request::RequestContext;
use crate::transport::upstream::Seg;

/// Network modes that name no user network.
const BUILTIN_NETWORKS: [&str; 5] = ["", "default", "bridge", "host", "none"];

/// The named volumes and user networks a create body uses.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Uses {
    pub volumes: BTreeSet<String>,
    pub networks: BTreeSet<String>,
}

impl Uses {
    pub(super) fn of_create(body: &Value) -> Self {
        let mut uses = Uses::default();
        let host_config = body.get("HostConfig");
        let list = |value: Option<&Value>| value.and_then(Value::as_array).cloned().unwrap_or_default();
        for bind in list(host_config.and_then(|h| h.get("Binds"))) {
            let source = bind.as_str().and_then(|b| b.split(':').next()).unwrap_or("");
            if !source.is_empty() && !source.starts_with('/') {
                uses.volumes.insert(source.to_owned());
            }
        }
        for mount in list(host_config.and_then(|h| h.get("Mounts"))) {
            let kind = mount.get("Type").and_then(Value::as_str).unwrap_or("volume");
            let source = mount.get("Source").and_then(Value::as_str).unwrap_or("");
            if kind == "volume" && !source.is_empty() {
                uses.volumes.insert(source.to_owned());
            }
        }
        if let Some(mode) = host_config.and_then(|h| h.get("NetworkMode")).and_then(Value::as_str) {
            if !BUILTIN_NETWORKS.contains(&mode) && !mode.starts_with("container:") {
                uses.networks.insert(mode.to_owned());
            }
        }
        let endpoints = body.get("NetworkingConfig").and_then(|n| n.get("EndpointsConfig")).and_then(Value::as_object);
        for name in endpoints.into_iter().flat_map(|e| e.keys()) {
            if !BUILTIN_NETWORKS.contains(&name.as_str()) {
                uses.networks.insert(name.clone());
            }
        }
        uses
    }

    fn is_empty(&self) -> bool {
        self.volumes.is_empty() && self.networks.is_empty()
    }
}

/// The segments a container using `uses` may go to; `None` when nothing restricts it.
/// A volume or network that exists nowhere restricts nothing (dockerd makes the volume,
/// or says the network does not exist).
pub(crate) async fn allowed_segments(
    ctx: &RequestContext,
    segs: &[Arc<Seg>],
    uses: &Uses,
) -> Result<Option<BTreeSet<String>>, ApiError> {
    if uses.is_empty() {
        return Ok(None);
    }
    let mut allowed: Option<BTreeSet<String>> = None;
    let mut reasons = Vec::new();
    let lookups = uses
        .volumes
        .iter()
        .map(|v| (format!("volume {v}"), format!("/volumes/{v}")))
        .chain(uses.networks.iter().map(|n| (format!("network {n}"), format!("/networks/{n}"))));
    for (what, path) in lookups {
        let answers = fanout::get_json_all(segs, &ctx.upstream_path(&path)).await;
        let found: Vec<(String, Value)> =
            answers.into_iter().filter_map(|(seg, r)| r.ok().map(|v| (seg.name.clone(), v))).collect();
        // A Swarm network is everywhere, whichever segments have seen it yet.
        let everywhere = found.iter().any(|(_, v)| v.get("Scope").and_then(Value::as_str) == Some("swarm"));
        if found.is_empty() || everywhere {
            continue;
        }
        let here: BTreeSet<String> = found.into_iter().map(|(name, _)| name).collect();
        reasons.push(format!("{what} is on {}", here.iter().cloned().collect::<Vec<_>>().join(", ")));
        allowed = Some(match allowed {
            None => here,
            Some(before) => before.intersection(&here).cloned().collect(),
        });
    }
    match allowed {
        Some(set) if set.is_empty() => Err(ApiError::bad_request(format!(
            "no segment has everything this container uses ({}): volumes and local networks stay on their segment",
            reasons.join("; ")
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_a_create_uses() {
        let body = json!({
            "HostConfig": {
                "Binds": ["data:/data", "/var/lib/docker/volumes/x/_data:/x", "cache:/c:ro"],
                "Mounts": [{"Type": "volume", "Source": "logs", "Target": "/l"}, {"Type": "tmpfs", "Target": "/t"},
                           {"Type": "volume", "Target": "/anonymous"}],
                "NetworkMode": "proj_back"
            },
            "NetworkingConfig": {"EndpointsConfig": {"proj_back": {"Aliases": ["web"]}, "front": {}, "bridge": {}}}
        });
        let uses = Uses::of_create(&body);
        assert_eq!(uses.volumes.into_iter().collect::<Vec<_>>(), ["cache", "data", "logs"]);
        assert_eq!(uses.networks.into_iter().collect::<Vec<_>>(), ["front", "proj_back"]);
        let plain = json!({"HostConfig": {"NetworkMode": "default", "Binds": null}});
        assert_eq!(Uses::of_create(&plain), Uses::default());
        let shared = json!({"HostConfig": {"NetworkMode": "container:web"}});
        assert_eq!(Uses::of_create(&shared), Uses::default());
    }
}
