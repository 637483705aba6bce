//! Volumes: created on every segment (a container may land anywhere), listed per segment
//! as `<segment>/<name>` like classic Swarm; `<segment>/<name>` targets one segment,
//! a bare name every segment that has it.

use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::body::{self, Body};
use crate::error::ApiError;
use crate::fanout;
use crate::networks::created;
use crate::router::{unsupported, ApiRequest, Ctx};
use crate::upstream::{self, Seg};

pub(crate) async fn route(ctx: &Ctx, req: ApiRequest, rest: &[&str]) -> Result<Response<Body>, ApiError> {
    let m = req.method().clone();
    match (m, rest) {
        (Method::GET, [] | [""]) => list(ctx, req).await,
        (Method::POST, ["create"]) => create(ctx, req).await,
        (Method::POST, ["prune"]) => prune(ctx, req).await,
        (Method::GET, r) if !r.is_empty() => inspect(ctx, req, &r.join("/")).await,
        (Method::DELETE, r) if !r.is_empty() => delete(ctx, req, &r.join("/")).await,
        _ => Err(unsupported(&req.path)),
    }
}

pub(crate) fn prefix_name(segment: &str, volume: &mut Value) {
    if let Some(name) = volume.get("Name").and_then(Value::as_str) {
        volume["Name"] = json!(format!("{segment}/{name}"));
    }
}

async fn list(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let path = ctx.upq("/volumes", &req.query);
    let answers = fanout::successes(fanout::get_json_all(&segs, &path).await)?;
    let mut volumes = Vec::new();
    let mut warnings = Vec::new();
    for (seg, v) in answers {
        for vol in v.get("Volumes").and_then(Value::as_array).into_iter().flatten() {
            let mut vol = vol.clone();
            prefix_name(&seg.name, &mut vol);
            volumes.push(vol);
        }
        warnings.extend(v.get("Warnings").and_then(Value::as_array).into_iter().flatten().cloned());
    }
    Ok(body::json_response(
        StatusCode::OK,
        &json!({ "Volumes": volumes, "Warnings": if warnings.is_empty() { Value::Null } else { json!(warnings) } }),
    ))
}

async fn split_ref(ctx: &Ctx, reference: &str) -> Result<(Vec<std::sync::Arc<Seg>>, String), ApiError> {
    let cluster = ctx.cluster();
    if let Some((segment, name)) = reference.split_once('/') {
        return match cluster.segment_named(segment).await? {
            Some(seg) => Ok((vec![seg], name.to_owned())),
            None => Err(ApiError::not_found(format!("get {reference}: no such volume"))),
        };
    }
    Ok((cluster.nonempty_segments().await?.to_vec(), reference.to_owned()))
}

/// `POST /volumes/create` (policy already checked) on every segment.
async fn create(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let mut body = if req.json().is_null() { json!({}) } else { req.json().clone() };
    // An anonymous volume must have one name on every segment: name it here, the way
    // dockerd would (64 hex digits).
    if body.get("Name").and_then(Value::as_str).unwrap_or("").is_empty() {
        body["Name"] = json!(anonymous_name(&ctx.cluster().id));
    }
    let pq = ctx.upq("/volumes/create", &req.query);
    let answers = fanout::all(&segs, |seg| {
        let (pq, body) = (pq.clone(), body.clone());
        async move { upstream::read_json(seg.request_json(Method::POST, &pq, &body).await?).await }
    })
    .await;
    created(answers)
}

fn anonymous_name(salt: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    hex::encode(Sha256::digest(format!("{salt}/{nanos}/{n}/{}", std::process::id())))
}

async fn inspect(ctx: &Ctx, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    let pq = ctx.upq(&format!("/volumes/{name}"), &req.query);
    fanout::first_json(&segs, &pq, || ApiError::not_found(format!("get {reference}: no such volume"))).await
}

async fn delete(ctx: &Ctx, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    fanout::delete_everywhere(&segs, &ctx.upq(&format!("/volumes/{name}"), &req.query), reference).await
}

async fn prune(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    fanout::prune_everywhere(&segs, &ctx.upq("/volumes/prune", &req.query), "VolumesDeleted").await
}
