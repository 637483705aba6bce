//! `GET /info`: the cluster as one engine, like a classic Swarm manager.

use http::{Response, StatusCode};
use serde_json::{json, Value};

use crate::api::units::bytes_size;
use crate::error::ApiError;
use crate::placement::{spread, Node};
use crate::request::RequestContext;
use crate::transport::body::{self, Body};

/// The filters `docker info` lists, as Carina printed them.
const FILTERS: &str = "affinity, health, constraint, port, dependency";

pub(crate) async fn info(ctx: &RequestContext) -> Result<Response<Body>, ApiError> {
    let cluster = ctx.cluster();
    let segs = cluster.nonempty_segments().await?;
    // Totals must be fresh: `docker info` right after a `docker load` shows the image.
    for seg in segs.iter() {
        cluster.drop_info(&seg.name);
    }
    let nodes = crate::cluster::snapshot::gather(cluster, &segs, false).await;
    let Some(base) = nodes.iter().find_map(|n| n.info.clone()) else {
        return Err(ApiError::unavailable("no segment of the cluster is reachable"));
    };
    let mut out = (*base).clone();
    let sum = |f: &str| -> i64 {
        nodes.iter().filter_map(|n| n.info.as_ref()).map(|i| i.get(f).and_then(Value::as_i64).unwrap_or(0)).sum()
    };
    let (mut running, mut paused, mut total) = (0, 0, 0);
    for n in &nodes {
        total += n.containers.len();
        running += n.containers.iter().filter(|c| c.state == "running").count();
        paused += n.containers.iter().filter(|c| c.state == "paused").count();
    }
    out["Containers"] = json!(total);
    out["ContainersRunning"] = json!(running);
    out["ContainersPaused"] = json!(paused);
    out["ContainersStopped"] = json!(total - running - paused);
    out["Images"] = json!(sum("Images"));
    out["NCPU"] = json!(sum("NCPU"));
    out["MemTotal"] = json!(sum("MemTotal"));
    out["Name"] = json!(cluster.name());
    out["ID"] = json!(cluster.id);
    out["Labels"] = json!([]);
    // The segment's own view (never a host path of the control host).
    out["DockerRootDir"] = json!("/var/lib/docker");
    let status = status_pairs(&nodes);
    // Both CLIs print DriverStatus (under "Storage Driver"); the 20.10 CLI also prints
    // SystemStatus, the newer one does not, so the listing goes in DriverStatus only.
    out["DriverStatus"] = json!(status);
    out["SystemStatus"] = Value::Null;
    if let Some(swarm) = nodes
        .iter()
        .filter_map(|n| n.info.as_ref())
        .map(|i| &i["Swarm"])
        .find(|s| s.get("ControlAvailable").and_then(Value::as_bool) == Some(true))
    {
        out["Swarm"] = swarm.clone();
    }
    let mut warnings: Vec<Value> = Vec::new();
    for n in nodes.iter().filter_map(|n| n.info.as_ref()) {
        for w in n.get("Warnings").and_then(Value::as_array).into_iter().flatten() {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
    }
    if !ctx.cluster().options.ipvs {
        warnings.push(json!(crate::api::swarm::NO_IPVS_WARNING));
    }
    out["Warnings"] = json!(warnings);
    Ok(body::json_response(StatusCode::OK, &out))
}

/// Classic Swarm's status pairs: strategy, filters, then one block per segment.
pub(crate) fn status_pairs(nodes: &[Node]) -> Vec<[String; 2]> {
    let mut pairs: Vec<[String; 2]> = vec![
        ["Role".into(), "primary".into()],
        ["Strategy".into(), "spread".into()],
        ["Filters".into(), FILTERS.into()],
        ["Nodes".into(), nodes.len().to_string()],
    ];
    for n in nodes {
        let p = |k: &str, v: String| [format!("  └ {k}"), v];
        pairs.push([format!(" {}", n.name), n.address.clone()]);
        pairs.push(p("ID", n.id.clone()));
        pairs.push(p("Status", if n.healthy { "Healthy" } else { "Unhealthy" }.into()));
        let running = n.containers.iter().filter(|c| c.state == "running").count();
        let paused = n.containers.iter().filter(|c| c.state == "paused").count();
        let total = n.containers.len();
        pairs.push(p(
            "Containers",
            format!("{total} ({running} Running, {paused} Paused, {} Stopped)", total - running - paused),
        ));
        pairs.push(p("Reserved CPUs", format!("{} / {}", cpus(n.used_millicpu), spread::total_cpus(n))));
        pairs.push(p(
            "Reserved Memory",
            format!("{} / {}", bytes_size(n.used_memory as f64), bytes_size(spread::total_memory(n) as f64)),
        ));
        let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.push(p("Labels", labels.join(", ")));
        pairs.push(p("Error", if n.healthy { "(none)".into() } else { "segment unreachable".into() }));
        let version = n.info.as_ref().and_then(|i| i.get("ServerVersion")).and_then(Value::as_str).unwrap_or("");
        pairs.push(p("ServerVersion", version.into()));
    }
    pairs
}

fn cpus(millicpu: i64) -> String {
    if millicpu % 1000 == 0 {
        (millicpu / 1000).to_string()
    } else {
        format!("{:.1}", millicpu as f64 / 1000.0)
    }
}
