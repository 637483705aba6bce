//! Reading the segments' state for placement and `docker info`: engine info, every
//! container, the reservations of each (inspected once, then remembered).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::Cluster;
use crate::lock::lock;
use crate::placement::{ContainerFacts, ImageRef, Node, NodeContainer};
use crate::transport::upstream::Seg;

/// Reads every segment's state in parallel. Segments that do not answer are unhealthy.
pub(crate) async fn gather(cluster: &Arc<Cluster>, segs: &[Arc<Seg>], with_images: bool) -> Vec<Node> {
    futures::future::join_all(segs.iter().map(|seg| gather_one(cluster, seg, with_images))).await
}

async fn gather_one(cluster: &Arc<Cluster>, seg: &Arc<Seg>, with_images: bool) -> Node {
    let images = async {
        if with_images {
            seg.get_json("/v1.41/images/json").await.ok()
        } else {
            None
        }
    };
    let (info, list, images) = tokio::join!(cluster.info(seg), seg.get_json("/v1.41/containers/json?all=1"), images);
    let mut node = Node { name: seg.name.clone(), address: seg.engine_address.clone(), ..Default::default() };
    let (info, list) = match (info, list) {
        (Ok(info), Ok(list)) => (info, list),
        (info, list) => {
            if let Err(e) = info.as_ref().and(list.as_ref()) {
                tracing::info!(segment = %seg.name, error = %e, "segment unhealthy");
            }
            cluster.drop_info(&seg.name);
            return node;
        }
    };
    node.healthy = true;
    node.id = info.get("ID").and_then(Value::as_str).unwrap_or_default().to_owned();
    node.ncpu = info.get("NCPU").and_then(Value::as_i64).unwrap_or(0);
    node.mem_total = info.get("MemTotal").and_then(Value::as_i64).unwrap_or(0);
    node.labels = engine_labels(&info);
    node.info = Some(info);
    let mut facts_needed = Vec::new();
    for c in list.as_array().into_iter().flatten() {
        let id = c.get("Id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let names = c
            .get("Names")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str())
            .map(|n| n.trim_start_matches('/').to_owned())
            .collect();
        let labels = c
            .get("Labels")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
            .unwrap_or_default();
        let state = c.get("State").and_then(Value::as_str).unwrap_or_default().to_owned();
        cluster.remember_owner(&id, &seg.name);
        node.containers.push(NodeContainer { id: id.clone(), names, labels, host_ports: Vec::new(), state });
        if !lock(&cluster.facts).contains_key(&id) {
            facts_needed.push(id);
        }
    }
    // Reservations are not in the list: inspect each container once, then remember.
    let fetched = futures::future::join_all(facts_needed.iter().map(|id| async move {
        let v = seg.get_json(&format!("/v1.41/containers/{id}/json")).await.ok()?;
        let config = v.get("Config").cloned().unwrap_or(Value::Null);
        Some((id.clone(), ContainerFacts::from_config(&config, v.get("HostConfig"))))
    }))
    .await;
    {
        let mut facts = lock(&cluster.facts);
        for (id, f) in fetched.into_iter().flatten() {
            facts.insert(id, Arc::new(f));
        }
        let mut used_mem = 0;
        let mut used_cpu = 0;
        for c in node.containers.iter_mut() {
            if let Some(f) = facts.get(&c.id) {
                used_mem += f.memory;
                used_cpu += f.millicpu;
                c.host_ports.clone_from(&f.host_ports);
            }
        }
        node.used_memory = used_mem;
        node.used_millicpu = used_cpu;
    }
    node.images = images.map(|v| {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|i| ImageRef {
                id: i.get("Id").and_then(Value::as_str).unwrap_or_default().to_owned(),
                tags: i
                    .get("RepoTags")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect(),
            })
            .collect()
    });
    node
}

/// Engine labels as classic Swarm exposed them to constraints.
fn engine_labels(info: &Value) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for (key, field) in [
        ("storagedriver", "Driver"),
        ("kernelversion", "KernelVersion"),
        ("operatingsystem", "OperatingSystem"),
        ("ostype", "OSType"),
    ] {
        if let Some(v) = info.get(field).and_then(Value::as_str) {
            labels.insert(key.to_owned(), v.to_owned());
        }
    }
    for l in info.get("Labels").and_then(Value::as_array).into_iter().flatten() {
        if let Some((k, v)) = l.as_str().and_then(|l| l.split_once('=')) {
            labels.insert(k.to_owned(), v.to_owned());
        }
    }
    labels
}
