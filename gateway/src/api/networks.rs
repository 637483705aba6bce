//! Networks, as on classic Swarm with a cluster store: a network created without a
//! driver (Compose's default) or as `overlay` is one attachable overlay network of the
//! Swarm, made and removed through a manager, listed once, and reachable from
//! containers on every segment. `bridge` (the docker CLI's default) and other local
//! drivers keep their per-segment meaning: made on every segment, listed as
//! `<segment>/<name>`.

use std::sync::Arc;

use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::api::locate;
use crate::api::swarm;
use crate::cluster::fanout;
use crate::error::ApiError;
use crate::request::{ApiRequest, Collection, NetworkRoute, RequestContext};
use crate::transport::body::{self, Body};
use crate::transport::upstream::{self, Seg};

/// Serves the `/networks` routes.
pub(crate) async fn route(
    ctx: &RequestContext,
    req: ApiRequest,
    route: NetworkRoute,
) -> Result<Response<Body>, ApiError> {
    match route {
        NetworkRoute::Collection(Collection::List) => list(ctx, req).await,
        NetworkRoute::Collection(Collection::Create) => create(ctx, req).await,
        NetworkRoute::Collection(Collection::Prune) => prune(ctx, req).await,
        NetworkRoute::Attach { reference, action } => connect(ctx, req, &reference, action).await,
        NetworkRoute::Inspect(reference) => inspect(ctx, req, &reference).await,
        NetworkRoute::Remove(reference) => delete(ctx, req, &reference).await,
    }
}

fn is_local(net: &Value) -> bool {
    net.get("Scope").and_then(Value::as_str).unwrap_or("local") == "local"
}

/// `GET /networks`: merged; local ones named `<segment>/<name>`.
async fn list(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let path = ctx.upstream_uri("/networks", &req.query);
    let answers = fanout::successes(fanout::get_json_all(&segs, &path).await)?;
    // Swarm networks as a manager knows them: a worker keeps its copy of a removed one
    // for a moment after its last container left, and one engine would not list it.
    let manager = swarm::manager(ctx).await.ok().map(|m| m.name.clone());
    let mut merged: Vec<Value> = Vec::new();
    for (seg, list) in answers {
        for net in list.as_array().into_iter().flatten() {
            let mut net = net.clone();
            if is_local(&net) {
                let name = net.get("Name").and_then(Value::as_str).unwrap_or("").to_owned();
                net["Name"] = json!(format!("{}/{}", seg.name, name));
            } else if manager.as_ref().is_some_and(|m| *m != seg.name)
                || merged.iter().any(|n| n.get("Id") == net.get("Id"))
            {
                continue;
            }
            merged.push(net);
        }
    }
    Ok(body::json_response(StatusCode::OK, &Value::Array(merged)))
}

/// `<segment>/<name>` → that segment only.
async fn split_ref(ctx: &RequestContext, reference: &str) -> Result<(Vec<Arc<Seg>>, String), ApiError> {
    let cluster = ctx.cluster();
    if let Some((segment, name)) = reference.split_once('/') {
        if let Some(seg) = cluster.segment_named(segment).await? {
            return Ok((vec![seg], name.to_owned()));
        }
    }
    Ok((cluster.nonempty_segments().await?.to_vec(), reference.to_owned()))
}

/// Whether a create body asks for a cluster-wide network: no driver, or `overlay`, or
/// swarm scope. Keys are read as dockerd reads them.
fn spans_the_cluster(body: &Value) -> bool {
    let text = |name: &str| field(body, name).and_then(Value::as_str).map(str::trim).unwrap_or("");
    matches!(text("Driver"), "" | "overlay") || text("Scope") == "swarm"
}

/// The value of `name` in an object, matched as Go matches keys (bodies were checked
/// for repeats).
fn field<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    let fold = policy::body::fold_key;
    object.as_object()?.iter().find(|(key, _)| fold(key) == fold(name)).map(|(_, value)| value)
}

/// Sets `name` to `value`, replacing the key however it was spelled.
fn set_field(object: &mut Value, name: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        let fold = policy::body::fold_key;
        map.retain(|key, _| fold(key) != fold(name));
        map.insert(name.to_owned(), value);
    }
}

/// A cluster-wide network's create body as the manager gets it: no driver means
/// `overlay`, and an overlay is attachable so that standalone containers (Compose's,
/// `docker run --network`) join it from any segment. The docker CLI sends
/// `Attachable: false` unless asked, so it is set regardless; only the ingress network
/// cannot be attachable. A swarm-scoped network of another driver (`--scope swarm -d
/// macvlan`) is left as asked.
fn as_cluster_network(body: &mut Value) {
    let driver = field(body, "Driver").and_then(Value::as_str).map(str::trim).unwrap_or("");
    let overlay = matches!(driver, "" | "overlay");
    if driver.is_empty() {
        set_field(body, "Driver", json!("overlay"));
    }
    if overlay && !field(body, "Ingress").and_then(Value::as_bool).unwrap_or(false) {
        set_field(body, "Attachable", json!(true));
    }
}

/// `POST /networks/create`: a cluster-wide network on a manager (see the module), a
/// local one on every segment.
async fn create(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let mut body = req.json().clone();
    let target = ctx.upstream_uri("/networks/create", &req.query);
    if spans_the_cluster(&body) {
        as_cluster_network(&mut body);
        let manager = swarm::manager(ctx).await?;
        return Ok(upstream::passthrough(manager.request_json(Method::POST, &target, &body).await?));
    }
    let segs = ctx.cluster().nonempty_segments().await?;
    let answers = fanout::all(&segs, |seg| {
        let (target, body) = (target.clone(), body.clone());
        async move { upstream::read_json(seg.request_json(Method::POST, &target, &body).await?).await }
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
async fn inspect(ctx: &RequestContext, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    let target = ctx.upstream_uri(&format!("/networks/{name}"), &req.query);
    fanout::first_json(&segs, &target, || ApiError::not_found(format!("network {reference} not found"))).await
}

/// `DELETE /networks/{ref}`: a Swarm network through a manager, a local one everywhere
/// it exists.
async fn delete(ctx: &RequestContext, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let (segs, name) = split_ref(ctx, reference).await?;
    let target = ctx.upstream_uri(&format!("/networks/{name}"), &req.query);
    if segs.len() > 1 {
        if let Some(manager) = swarm_network_manager(ctx, &name).await {
            return Ok(upstream::passthrough(manager.request(Method::DELETE, &target).await?));
        }
    }
    fanout::delete_everywhere(&segs, &target, reference).await
}

/// A manager segment, if `name` (a name or id) is a Swarm-scoped network.
async fn swarm_network_manager(ctx: &RequestContext, name: &str) -> Option<Arc<Seg>> {
    let manager = swarm::manager(ctx).await.ok()?;
    let network = manager.get_json(&ctx.upstream_path(&format!("/networks/{name}"))).await.ok()?;
    (!is_local(&network)).then_some(manager)
}

/// `POST /networks/{ref}/connect|disconnect`: on the container's segment.
async fn connect(
    ctx: &RequestContext,
    req: ApiRequest,
    reference: &str,
    action: &str,
) -> Result<Response<Body>, ApiError> {
    let mut body = req.json().clone();
    let container = body
        .get("Container")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("missing Container"))?
        .to_owned();
    let located = locate::locate(ctx, &container).await?;
    body["Container"] = json!(located.reference);
    let name = match reference.split_once('/') {
        Some((segment, name)) if segment == located.seg.name => name.to_owned(),
        Some(_) => return Err(ApiError::bad_request("the network and the container are on different segments")),
        None => same_network_on(ctx, &located.seg, reference).await?,
    };
    let target = ctx.upstream_uri(&format!("/networks/{name}/{action}"), &req.query);
    let resp = located.seg.request_json(Method::POST, &target, &body).await?;
    Ok(upstream::passthrough(resp))
}

/// How `seg` names the network `reference`: as given if it knows it, else by the name
/// of the network another segment knows by that reference. A local network made
/// through the endpoint exists on every segment under one name but with an id of each
/// segment's own, and `docker network create` answered with one of those ids.
async fn same_network_on(ctx: &RequestContext, seg: &Arc<Seg>, reference: &str) -> Result<String, ApiError> {
    let path = ctx.upstream_path(&format!("/networks/{reference}"));
    if seg.get_json(&path).await.is_ok() {
        return Ok(reference.to_owned());
    }
    let segs = ctx.cluster().nonempty_segments().await?;
    for (_, found) in fanout::get_json_all(&segs, &path).await {
        if let Some(name) = found.ok().as_ref().and_then(|n| n.get("Name")).and_then(Value::as_str) {
            return Ok(name.to_owned());
        }
    }
    Err(ApiError::not_found(format!("network {reference} not found")))
}

/// `POST /networks/prune` on every segment.
async fn prune(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let target = ctx.upstream_uri("/networks/prune", &req.query);
    let answers = fanout::all(&segs, |seg| {
        let target = target.clone();
        async move { upstream::read_json(seg.request(Method::POST, &target).await?).await }
    })
    .await;
    let ok = fanout::successes(answers)?;
    let mut names: Vec<Value> = Vec::new();
    for (_, v) in ok {
        names.extend(v.get("NetworksDeleted").and_then(Value::as_array).into_iter().flatten().cloned());
    }
    Ok(body::json_response(StatusCode::OK, &json!({ "NetworksDeleted": names })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_networks_are_attachable_overlays_unless_asked_otherwise() {
        let cases = [
            (json!({"Name": "app", "Driver": null}), json!({"Name": "app", "Driver": "overlay", "Attachable": true})),
            (
                json!({"Name": "app", "driver": "overlay", "Attachable": false}),
                json!({"Name": "app", "driver": "overlay", "Attachable": true}),
            ),
            (
                json!({"Name": "ingress", "Driver": "overlay", "Ingress": true}),
                json!({"Name": "ingress", "Driver": "overlay", "Ingress": true}),
            ),
            (
                json!({"Name": "lan", "Driver": "macvlan", "Scope": "swarm"}),
                json!({"Name": "lan", "Driver": "macvlan", "Scope": "swarm"}),
            ),
        ];
        for (mut body, want) in cases {
            assert!(spans_the_cluster(&body), "{body}");
            as_cluster_network(&mut body);
            assert_eq!(body, want);
        }
        assert!(!spans_the_cluster(&json!({"Name": "local", "Driver": "bridge"})));
    }
}
