//! Swarm-mode routes (`/services`, `/tasks`, `/nodes`, `/secrets`, `/configs`, `/swarm`):
//! the routes listed in [`SwarmRoute`], forwarded to a manager segment. Changing the swarm
//! itself is for the policy to refuse.

use std::sync::Arc;

use http::{Response, StatusCode};
use serde_json::Value;

use crate::error::ApiError;
use crate::request::{ApiRequest, RequestContext, SwarmRoute};
use crate::transport::body::Body;
use crate::transport::upstream::Seg;

/// A manager segment: the first reachable one. Any manager forwards writes to the Raft
/// leader itself, so finding the leader would only save a hop.
pub(crate) async fn manager(ctx: &RequestContext) -> Result<Arc<Seg>, ApiError> {
    let cluster = ctx.cluster();
    let segs = cluster.nonempty_segments().await?;
    let infos = futures::future::join_all(segs.iter().map(|s| cluster.info(s))).await;
    segs.iter()
        .zip(infos)
        .find(|(_, info)| {
            info.as_ref().is_ok_and(|i| i["Swarm"].get("ControlAvailable").and_then(Value::as_bool) == Some(true))
        })
        .map(|(s, _)| s.clone())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "This node is not a swarm manager. The Carina cluster has no reachable Swarm manager segment.",
            )
        })
}

/// The `Swarm` header of `/_ping`: `active/manager` when a manager segment exists.
pub(crate) async fn status(ctx: &RequestContext) -> &'static str {
    let cluster = ctx.cluster();
    let Ok(segs) = cluster.segments().await else {
        return "inactive";
    };
    let infos = futures::future::join_all(segs.iter().map(|s| cluster.info(s))).await;
    let mut state = "inactive";
    for info in infos.into_iter().flatten() {
        let swarm = &info["Swarm"];
        if swarm.get("ControlAvailable").and_then(Value::as_bool) == Some(true) {
            return "active/manager";
        }
        if swarm.get("LocalNodeState").and_then(Value::as_str) == Some("active") {
            state = "active/worker";
        }
    }
    state
}

/// Forwards a swarm-mode request to a manager (bodies were policy-checked by the router).
pub(crate) async fn forward(
    ctx: &RequestContext,
    req: ApiRequest,
    route: SwarmRoute,
) -> Result<Response<Body>, ApiError> {
    let manager = manager(ctx).await?;
    let target = ctx.upstream_uri(&req.path, &req.query);
    let headers = req.parts.headers.clone();
    let method = req.method().clone();
    if route == SwarmRoute::Inspect {
        // The join tokens would let anyone who reaches a manager join the swarm around
        // the gateway.
        let mut v = crate::transport::upstream::read_json(manager.request(method, &target).await?).await?;
        policy::redact_swarm_inspect(&mut v);
        return Ok(crate::transport::body::json_response(StatusCode::OK, &v));
    }
    if route == SwarmRoute::NodeRead {
        let mut answer = crate::transport::upstream::read_json(manager.request(method, &target).await?).await?;
        let segments = ctx.cluster().nonempty_segments().await?;
        name_nodes_as_segments(&mut answer, &segments);
        return Ok(crate::transport::body::json_response(StatusCode::OK, &answer));
    }
    if route == SwarmRoute::ServiceSpec {
        let mut spec = req.json().clone();
        policy::defaults::apply_to_service_spec(&mut spec);
        if !ctx.cluster().options.ipvs {
            without_ipvs(&mut spec);
        }
        let mut headers = headers;
        headers.remove(http::header::CONTENT_LENGTH);
        return manager
            .forward(method, &target, &headers, crate::transport::body::full(policy::body::canonical(&spec)))
            .await;
    }
    manager.forward(method, &target, &headers, req.into_body()).await
}

/// Names each node (one, or a list) as the segment at its address. Swarm takes a node's
/// name when the node starts its swarm, and a segment from the warm pool did that under the
/// pool's name before a cluster took it (Swarm would catch up only after a while).
fn name_nodes_as_segments(answer: &mut Value, segments: &[Arc<Seg>]) {
    let nodes: Vec<&mut Value> = match answer {
        Value::Array(list) => list.iter_mut().collect(),
        node => vec![node],
    };
    for node in nodes {
        let address = node.pointer("/Status/Addr").and_then(Value::as_str).unwrap_or_default().to_owned();
        let Some(segment) = segments.iter().find(|s| s.address.to_string() == address) else { continue };
        if let Some(description) = node.get_mut("Description").and_then(Value::as_object_mut) {
            description.insert("Hostname".into(), Value::from(segment.name.clone()));
        }
    }
}

/// What `docker info` says on a kernel without IPVS.
pub(crate) const NO_IPVS_WARNING: &str = "WARNING: this host's kernel has no IPVS: Swarm services get DNS round-robin \
     endpoints (endpoint mode dnsrr) and host-mode published ports, because service virtual IPs and the ingress \
     routing mesh need IPVS";

/// Makes a service spec work without IPVS: DNS round-robin instead of a virtual IP, and
/// published ports on the nodes that run a task instead of the routing mesh. Both CLIs
/// send `vip` and `ingress` when the user said nothing, and neither could work here, so
/// they are replaced whoever chose them.
fn without_ipvs(spec: &mut Value) {
    let Some(spec) = spec.as_object_mut() else { return };
    let endpoint = spec.entry("EndpointSpec").or_insert_with(|| Value::Object(Default::default()));
    if endpoint.is_null() {
        *endpoint = Value::Object(Default::default());
    }
    let Some(endpoint) = endpoint.as_object_mut() else { return };
    endpoint.insert("Mode".into(), Value::from("dnsrr"));
    for port in endpoint.get_mut("Ports").and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(port) = port.as_object_mut() {
            let mode = port.get("PublishMode").and_then(Value::as_str).unwrap_or("");
            if mode.is_empty() || mode == "ingress" {
                port.insert("PublishMode".into(), Value::from("host"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn services_without_ipvs_use_dns_and_host_ports() {
        let mut spec = json!({"Name": "web", "EndpointSpec": {"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"},
            {"Protocol": "tcp", "TargetPort": 81, "PublishedPort": 8081},
            {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 53, "PublishMode": "host"}
        ]}});
        without_ipvs(&mut spec);
        assert_eq!(spec["EndpointSpec"]["Mode"], "dnsrr");
        let modes: Vec<&str> = spec["EndpointSpec"]["Ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PublishMode"].as_str().unwrap())
            .collect();
        assert_eq!(modes, ["host", "host", "host"]);

        let mut bare = json!({"Name": "worker", "EndpointSpec": null});
        without_ipvs(&mut bare);
        assert_eq!(bare["EndpointSpec"], json!({"Mode": "dnsrr"}));
        let mut no_spec = json!({"Name": "worker"});
        without_ipvs(&mut no_spec);
        assert_eq!(no_spec["EndpointSpec"], json!({"Mode": "dnsrr"}));
    }
}
