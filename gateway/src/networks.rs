//! Networks, classic-Swarm-like: local networks exist per segment and are listed as
//! `<segment>/<name>`; swarm-scope (overlay) networks live on the managers, listed once.

use std::sync::Arc;

use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::body::{self, Body};
use crate::error::ApiError;
use crate::fanout;
use crate::locate;
use crate::router::{unsupported, ApiRequest, Ctx};
use crate::swarm_mode;
use crate::upstream::{self, Seg};

pub(crate) async fn route(ctx: &Ctx, req: ApiRequest, rest: &[&str]) -> Result<Response<Body>, ApiError> {
    let m = req.method().clone();
    match (m, rest) {
        (Method::GET, [] | [""]) => list(ctx, req).await,
        (Method::POST, ["create"]) => create(ctx, req).await,
        (Method::POST, ["prune"]) => prune(ctx, req).await,
        (Method::POST, [.., "connect" | "disconnect"]) if rest.len() >= 2 => {
            let action = rest[rest.len() - 1];
            let reference = rest[..rest.len() - 1].join("/");
            connect(ctx, req, &reference, action).await
        }
        (Method::GET, r) if !r.is_empty() => inspect(ctx, req, &r.join("/")).await,
        (Method::DELETE, r) if !r.is_empty() => delete(ctx, req, &r.join("/")).await,
        _ => Err(unsupported(&req.path)),
    }
}

fn is_local(net: &Value) -> bool {
    net.get("Scope").and_then(Value::as_str).unwrap_or("local") == "local"
}

/// `GET /networks`: merged; local ones named `<segment>/<name>`.
async fn list(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let path = ctx.upq("/networks", &req.query);
    let answers = fanout::successes(fanout::get_json_all(&segs, &path).await)?;
    let mut merged: Vec<Value> = Vec::new();
    for (seg, list) in answers {
        for net in list.as_array().into_iter().flatten() {
            let mut net = net.clone();
            if is_local(&net) {
                let name = net.get("Name").and_then(Value::as_str).unwrap_or("").to_owned();
                net["Name"] = json!(format!("{}/{}", seg.name, name));
            } else if merged.iter().any(|n| n.get("Id") == net.get("Id")) {
                continue;
            }
            merged.push(net);
        }
    }
    Ok(body::json_response(StatusCode::OK, &Value::Array(merged)))
}

/// `<segment>/<name>` → that segment only.
async fn split_ref(ctx: &Ctx, reference: &str) -> Result<(Vec<Arc<Seg>>, String), ApiError> {
    let cluster = ctx.cluster();
    if let Some((segment, name)) = reference.split_once('/') {
        if let Some(seg) = cluster.segment_named(segment).await? {
            return Ok((vec![seg], name.to_owned()));
        }
    }
    Ok((cluster.nonempty_segments().await?.to_vec(), reference.to_owned()))
}

/// `POST /networks/create`: overlay (or swarm-scope) on a manager, others on every segment.
async fn create(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let body = req.json().clone();
    let driver = body.get("Driver").and_then(Value::as_str).unwrap_or("bridge");
    let swarm_scope = driver == "overlay" || body.get("Scope").and_then(Value::as_str) == Some("swarm");
    let pq = ctx.upq("/networks/create", &req.query);
    if swarm_scope {
        let manager = swarm_mode::manager(ctx).await?;
        let headers = req.parts.headers.clone();
        return manager.forward(Method::POST, &pq, &headers, req.into_body()).await;
    }
    let segs = ctx.cluster().nonempty_segments().await?;
    let answers = fanout::all(&segs, |seg| {
        let (pq, body) = (pq.clone(), body.clone());
        async move { upstream::read_json(seg.request_json(Method::POST, &pq, &body).await?).await }
    })
    .await;
    created(answers)
}

/// The first creation's answer; segments that failed are named in `Warning`.
pub(crate) fn created(answers: Vec<(Arc<Seg>, Result<Value, ApiError>)>) -> Result<Response<Body>, ApiError> {
    let failed: Vec<String> = answers
        .iter()
        .filter_map(|(seg, r)| r.as_ref().err().map(|e| format!("{}: {}", seg.name, e.message)))
        .collect();
    let ok = fanout::successes(answers)?;
    let mut first = ok[0].1.clone();
    if !failed.is_empty() {
        first["Warning"] = json!(format!("not created on every segment: {}", failed.join("; ")));
    }
    Ok(body::json_response(StatusCode::CREATED, &first))
}

/// `GET /networks/{ref}`: the first segment that has it.
async fn inspect(ctx: &Ctx, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    let pq = ctx.upq(&format!("/networks/{name}"), &req.query);
    fanout::first_json(&segs, &pq, || ApiError::not_found(format!("network {reference} not found"))).await
}

/// `DELETE /networks/{ref}`: everywhere it exists.
async fn delete(ctx: &Ctx, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    fanout::delete_everywhere(&segs, &ctx.upq(&format!("/networks/{name}"), &req.query), reference).await
}

/// `POST /networks/{ref}/connect|disconnect`: on the container's segment.
async fn connect(ctx: &Ctx, req: ApiRequest, reference: &str, action: &str) -> Result<Response<Body>, ApiError> {
    let mut body = req.json().clone();
    let container = body
        .get("Container")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("missing Container"))?
        .to_owned();
    let located = locate::locate(ctx, &container).await?;
    body["Container"] = json!(located.reference);
    let name = match reference.split_once('/') {
        Some((segment, name)) if segment == located.seg.name => name,
        Some(_) => return Err(ApiError::bad_request("the network and the container are on different segments")),
        None => reference,
    };
    let pq = ctx.upq(&format!("/networks/{name}/{action}"), &req.query);
    let resp = located.seg.request_json(Method::POST, &pq, &body).await?;
    Ok(upstream::passthrough(resp))
}

/// `POST /networks/prune` on every segment.
async fn prune(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let pq = ctx.upq("/networks/prune", &req.query);
    let answers = fanout::all(&segs, |seg| {
        let pq = pq.clone();
        async move { upstream::read_json(seg.request(Method::POST, &pq).await?).await }
    })
    .await;
    let ok = fanout::successes(answers)?;
    let mut names: Vec<Value> = Vec::new();
    for (_, v) in ok {
        names.extend(v.get("NetworksDeleted").and_then(Value::as_array).into_iter().flatten().cloned());
    }
    Ok(body::json_response(StatusCode::OK, &json!({ "NetworksDeleted": names })))
}
