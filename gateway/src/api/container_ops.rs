//! Per-container routes: find the owning segment, guard infrastructure containers,
//! forward (streaming, or hijacked for attach).

use http::{Method, Response, StatusCode};
use serde_json::Value;

use crate::api::locate::{self, Located};
use crate::error::ApiError;
use crate::request::policy_gate;
use crate::request::query;
use crate::request::{ApiRequest, ContainerAction, RequestContext};
use crate::transport::body::{self, Body};
use crate::transport::hijack;
use crate::transport::upstream;

/// Serves `/containers/{reference}/{action}` (and `DELETE /containers/{reference}`).
pub(crate) async fn route(
    ctx: &RequestContext,
    req: ApiRequest,
    reference: &str,
    action: ContainerAction,
) -> Result<Response<Body>, ApiError> {
    let method = req.method().clone();
    if action == ContainerAction::Remove && query_flag(&req.query, "link") {
        return remove_link(ctx, req, reference).await;
    }
    let mut located = locate::locate(ctx, reference).await?;
    if matches!(action, ContainerAction::Remove | ContainerAction::Rename) {
        guard_infrastructure(ctx, &req, &mut located).await?;
    }
    let path = match action.suffix() {
        "" => format!("/containers/{}", located.reference),
        suffix => format!("/containers/{}/{suffix}", located.reference),
    };
    let target = ctx.upstream_uri(&path, &req.query);
    match action {
        ContainerAction::Attach(_) => {
            let cancel = ctx.conn.cancel.clone();
            let ApiRequest { parts, body, .. } = req;
            let permit = ctx.stream_permit(false)?;
            hijack::forward(&located.seg, method, &target, parts, body.into_body(), cancel, permit).await
        }
        ContainerAction::Exec => exec_create(ctx, req, &located, &target).await,
        ContainerAction::Inspect => inspect(&located, &target).await,
        ContainerAction::Stream(_) => {
            let permit = ctx.stream_permit(true)?;
            crate::transport::rawstream::forward(&located.seg, &method, &target, &req.parts.headers, permit).await
        }
        _ => {
            let id = located
                .inspect
                .as_ref()
                .and_then(|v| v.get("Id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| is_full_id(&located.reference).then(|| located.reference.clone()));
            let headers = req.parts.headers.clone();
            let body = if action == ContainerAction::Update {
                // The default process limit holds after updates too.
                let mut update = req.json().clone();
                policy::defaults::apply_to_container_update(&mut update);
                body::full(policy::body::canonical(&update))
            } else {
                req.into_body()
            };
            let resp = located.seg.forward(method.clone(), &target, &headers, body).await?;
            if resp.status().is_success() {
                if let Some(id) = id {
                    if action == ContainerAction::Remove {
                        ctx.cluster().forget_container(&id);
                    } else if action == ContainerAction::Update {
                        // Reservations may have changed: placement re-reads them.
                        ctx.cluster().forget_facts(&id);
                    }
                }
            }
            Ok(resp)
        }
    }
}

fn is_full_id(reference: &str) -> bool {
    reference.len() == 64 && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Inspect, with classic Swarm's `Node` object added so users see where it runs.
async fn inspect(located: &Located, target: &str) -> Result<Response<Body>, ApiError> {
    let resp = located.seg.request(Method::GET, target).await?;
    let (parts, bytes) = upstream::read_body(resp).await?;
    if !parts.status.is_success() {
        return Err(upstream::error_from(parts.status, &bytes));
    }
    let mut v: Value = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_GATEWAY, "invalid answer from segment"))?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "Node".into(),
            serde_json::json!({
                "Name": located.seg.name,
                "IP": located.seg.address.to_string(),
                "Addr": located.seg.engine_address.clone(),
            }),
        );
    }
    Ok(body::json_response(StatusCode::OK, &v))
}

/// DELETE and rename of `swarm-manager`, `swarm-data`... are refused with CARINA-1005.
async fn guard_infrastructure(ctx: &RequestContext, req: &ApiRequest, located: &mut Located) -> Result<(), ApiError> {
    let inspect = located.inspect().await?;
    let name = inspect.get("Name").and_then(Value::as_str).unwrap_or("").trim_start_matches('/').to_owned();
    let labels = inspect.get("Config").and_then(|c| c.get("Labels"));
    if policy_gate::is_infrastructure(&name, labels) {
        let shown = if name.is_empty() { located.reference.clone() } else { name };
        return Err(policy_gate::refuse_infrastructure(ctx, req, &shown).await);
    }
    Ok(())
}

/// `POST /containers/{ref}/exec` (policy already checked): remember where the exec lives.
/// A boolean query option as dockerd reads it (`httputils.BoolValue`).
fn query_flag(query_string: &str, key: &str) -> bool {
    let value = query::get(query_string, key).unwrap_or_default().trim().to_ascii_lowercase();
    !matches!(value.as_str(), "" | "0" | "no" | "false" | "none")
}

/// `DELETE /containers/<parent>/<alias>?link=1` (`docker rm --link`): the link's name is
/// the parent container's name and the alias, so the parent decides the segment.
async fn remove_link(ctx: &RequestContext, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let Some((parent, alias)) = reference.trim_matches('/').rsplit_once('/') else {
        return Err(ApiError::bad_request(format!("{reference} is not a link: use <container>/<alias>")));
    };
    let mut located = locate::locate(ctx, parent).await?;
    let name = located.inspect().await?.get("Name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let target = ctx.upstream_uri(&format!("/containers/{}/{alias}", name.trim_start_matches('/')), &req.query);
    let resp = located.seg.request(Method::DELETE, &target).await?;
    Ok(upstream::passthrough(resp))
}

async fn exec_create(
    ctx: &RequestContext,
    req: ApiRequest,
    located: &Located,
    target: &str,
) -> Result<Response<Body>, ApiError> {
    // The start is a hijacked stream whose refusal the CLI cannot show ("unable to
    // upgrade"): say it here, when the budget is already spent. The start still counts.
    drop(ctx.stream_permit(false)?);
    let resp = located.seg.forward(Method::POST, target, &req.parts.headers.clone(), req.into_body()).await?;
    if !resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .map_err(|_| ApiError::new(StatusCode::BAD_GATEWAY, "segment answer interrupted"))?
        .to_bytes();
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if let Some(id) = answer.get("Id").and_then(Value::as_str) {
        ctx.cluster().remember_exec(id, &located.seg.name);
    }
    let mut out = body::json_response(status, &answer);
    *out.status_mut() = status;
    Ok(out)
}

/// `POST /commit?container=...`: on the container's segment.
pub(crate) async fn commit(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let reference = query::get(&req.query, "container").ok_or_else(|| ApiError::bad_request("missing container"))?;
    let located = locate::locate(ctx, &reference).await?;
    let q = format!("{}&container={}", query::without(&req.query, "container"), query::encode(&located.reference));
    let target = ctx.upstream_uri("/commit", q.trim_start_matches('&'));
    let headers = req.parts.headers.clone();
    located.seg.forward(Method::POST, &target, &headers, req.into_body()).await
}
