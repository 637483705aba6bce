//! Volumes stay on one segment, as on classic Swarm: created on the segment a container
//! would be placed on (or the one named, `<segment>/<name>`, or where the name already
//! exists), listed per segment as `<segment>/<name>`; a bare name reaches every segment
//! that has it. Containers that mount a named volume are placed with it (`locality`).

use std::sync::Arc;

use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::cluster::fanout;
use crate::error::ApiError;
use crate::placement;
use crate::request::{ApiRequest, Collection, RequestContext, VolumeRoute};
use crate::transport::body::{self, Body};
use crate::transport::upstream::{self, Seg};

/// Serves the `/volumes` routes.
pub(crate) async fn route(
    ctx: &RequestContext,
    req: ApiRequest,
    route: VolumeRoute,
) -> Result<Response<Body>, ApiError> {
    match route {
        VolumeRoute::Collection(Collection::List) => list(ctx, req).await,
        VolumeRoute::Collection(Collection::Create) => create(ctx, req).await,
        VolumeRoute::Collection(Collection::Prune) => prune(ctx, req).await,
        VolumeRoute::Inspect(name) => inspect(ctx, req, &name).await,
        VolumeRoute::Remove(name) => delete(ctx, req, &name).await,
    }
}

pub(crate) fn prefix_name(segment: &str, volume: &mut Value) {
    if let Some(name) = volume.get("Name").and_then(Value::as_str) {
        volume["Name"] = json!(format!("{segment}/{name}"));
    }
}

async fn list(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let path = ctx.upstream_uri("/volumes", &req.query);
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

async fn split_ref(ctx: &RequestContext, reference: &str) -> Result<(Vec<std::sync::Arc<Seg>>, String), ApiError> {
    let cluster = ctx.cluster();
    if let Some((segment, name)) = reference.split_once('/') {
        return match cluster.segment_named(segment).await? {
            Some(seg) => Ok((vec![seg], name.to_owned())),
            None => Err(ApiError::not_found(format!("get {reference}: no such volume"))),
        };
    }
    Ok((cluster.nonempty_segments().await?.to_vec(), reference.to_owned()))
}

/// `POST /volumes/create` (policy already checked) on one segment.
async fn create(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let mut body = if req.json().is_null() { json!({}) } else { req.json().clone() };
    let name = body.get("Name").and_then(Value::as_str).unwrap_or("").to_owned();
    let (seg, name) = home_of(ctx, &name).await?;
    body["Name"] = json!(name);
    let target = ctx.upstream_uri("/volumes/create", &req.query);
    // Answered as the segment named it (the CLI prints the name): `volume ls` says where.
    let volume = upstream::read_json(seg.request_json(Method::POST, &target, &body).await?).await?;
    Ok(body::json_response(StatusCode::CREATED, &volume))
}

/// The segment a new volume goes to, and its name there: the segment named in
/// `<segment>/<name>`, else the one that already has the name (creating it again is a
/// no-op there, as on one engine), else where spread would place a container.
async fn home_of(ctx: &RequestContext, name: &str) -> Result<(Arc<Seg>, String), ApiError> {
    let cluster = ctx.cluster();
    if let Some((segment, bare)) = name.split_once('/') {
        if let Some(seg) = cluster.segment_named(segment).await? {
            return Ok((seg, bare.to_owned()));
        }
    }
    let segs = cluster.nonempty_segments().await?;
    if !name.is_empty() {
        let path = ctx.upstream_path(&format!("/volumes/{name}"));
        if let Some((seg, _)) = fanout::get_json_all(&segs, &path).await.into_iter().find(|(_, r)| r.is_ok()) {
            return Ok((seg, name.to_owned()));
        }
    }
    let nodes = crate::cluster::snapshot::gather(cluster, &segs, false).await;
    let candidates: Vec<&placement::Node> = nodes.iter().filter(|n| n.healthy).collect();
    let chosen = placement::spread::rank(&candidates, 0, 0).first().map(|n| n.name.clone());
    let seg = segs.iter().find(|s| Some(&s.name) == chosen.as_ref()).unwrap_or(&segs[0]).clone();
    Ok((seg, name.to_owned()))
}

async fn inspect(ctx: &RequestContext, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    let target = ctx.upstream_uri(&format!("/volumes/{name}"), &req.query);
    fanout::first_json(&segs, &target, || ApiError::not_found(format!("get {reference}: no such volume"))).await
}

async fn delete(ctx: &RequestContext, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    fanout::delete_everywhere(&segs, &ctx.upstream_uri(&format!("/volumes/{name}"), &req.query), reference).await
}

async fn prune(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    fanout::prune_everywhere(&segs, &ctx.upstream_uri("/volumes/prune", &req.query), "VolumesDeleted").await
}
