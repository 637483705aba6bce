//! Swarm-mode routes (`/services`, `/tasks`, `/nodes`, `/secrets`, `/configs`, `/swarm`):
//! forwarded to a manager segment. Changing the swarm itself is for the policy to refuse.

use std::sync::Arc;

use http::{Response, StatusCode};
use serde_json::Value;

use crate::body::Body;
use crate::error::ApiError;
use crate::router::{ApiRequest, Ctx};
use crate::upstream::Seg;

/// A manager segment: the first reachable one. Any manager forwards writes to the Raft
/// leader itself, so finding the leader would only save a hop.
pub(crate) async fn manager(ctx: &Ctx) -> Result<Arc<Seg>, ApiError> {
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
pub(crate) async fn status(ctx: &Ctx) -> &'static str {
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
pub(crate) async fn forward(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let manager = manager(ctx).await?;
    let pq = ctx.upq(&req.path, &req.query);
    let headers = req.parts.headers.clone();
    let method = req.method().clone();
    if method == http::Method::GET && req.path.trim_end_matches('/') == "/swarm" {
        // The join tokens would let anyone who reaches a manager join the swarm around
        // the gateway.
        let mut v = crate::upstream::read_json(manager.request(method, &pq).await?).await?;
        policy::redact_swarm_inspect(&mut v);
        return Ok(crate::body::json_response(StatusCode::OK, &v));
    }
    if method == http::Method::POST && is_service_spec(&req.path) {
        let mut spec = req.json().clone();
        policy::defaults::apply_to_service_spec(&mut spec);
        let mut headers = headers;
        headers.remove(http::header::CONTENT_LENGTH);
        return manager.forward(method, &pq, &headers, crate::body::full(policy::body::canonical(&spec))).await;
    }
    manager.forward(method, &pq, &headers, req.into_body()).await
}

/// `/services/create` and `/services/{id}/update`: bodies that carry a service spec.
fn is_service_spec(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["services", "create"] | ["services", _, "update"])
}
