//! Per-container routes: find the owning segment, guard infrastructure containers,
//! forward (streaming, or hijacked for attach).

use http::{Method, Response, StatusCode};
use serde_json::Value;

use crate::body::{self, Body};
use crate::error::ApiError;
use crate::hijack;
use crate::locate::{self, Located};
use crate::policy_gate;
use crate::query;
use crate::router::{unsupported, ApiRequest, Ctx, ReqBody};
use crate::upstream;

/// Dispatches `/containers/{ref}/{action}` (and `DELETE /containers/{ref}`).
pub(crate) async fn route(
    ctx: &Ctx,
    req: ApiRequest,
    reference: &str,
    action: &str,
) -> Result<Response<Body>, ApiError> {
    let method = req.method().clone();
    let allowed = match action {
        "" => method == Method::DELETE,
        "json" | "top" | "logs" | "changes" | "export" | "stats" => method == Method::GET,
        "archive" => matches!(method, Method::GET | Method::HEAD | Method::PUT),
        "attach/ws" => method == Method::GET,
        _ => method == Method::POST,
    };
    if !allowed {
        return Err(unsupported(&req.path));
    }
    if method == Method::DELETE && query_flag(&req.query, "link") {
        return remove_link(ctx, req, reference).await;
    }
    let mut located = locate::locate(ctx, reference).await?;
    if action.is_empty() || action == "rename" {
        guard_infrastructure(ctx, &req, &mut located).await?;
    }
    let path = if action.is_empty() {
        format!("/containers/{}", located.reference)
    } else {
        format!("/containers/{}/{}", located.reference, action)
    };
    let pq = ctx.upq(&path, &req.query);
    match action {
        "attach" | "attach/ws" => {
            let cancel = ctx.conn.cancel.clone();
            let ApiRequest { parts, body, .. } = req;
            let body = match body {
                ReqBody::Stream(b) => body::incoming(b),
                ReqBody::Json { bytes, .. } => body::full(bytes),
            };
            let permit = ctx.stream_permit(false)?;
            hijack::forward(&located.seg, method, &pq, parts, body, cancel, permit).await
        }
        "exec" => exec_create(ctx, req, &located, &pq).await,
        "json" => inspect(ctx, &located, &pq).await,
        "logs" | "stats" | "export" | "archive" if matches!(method, Method::GET | Method::HEAD) => {
            let permit = ctx.stream_permit(true)?;
            crate::rawstream::forward(&located.seg, &method, &pq, &req.parts.headers, permit).await
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
            let body = if action == "update" {
                // The default process limit holds after updates too.
                let mut update = req.json().clone();
                policy::defaults::apply_to_container_update(&mut update);
                body::full(policy::body::canonical(&update))
            } else {
                req.into_body()
            };
            let resp = located.seg.forward(method.clone(), &pq, &headers, body).await?;
            if resp.status().is_success() {
                if let Some(id) = id {
                    if method == Method::DELETE {
                        ctx.cluster().forget_container(&id);
                    } else if action == "update" {
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
async fn inspect(ctx: &Ctx, located: &Located, pq: &str) -> Result<Response<Body>, ApiError> {
    let resp = located.seg.request(Method::GET, pq).await?;
    let (parts, bytes) = upstream::read_body(resp).await?;
    if !parts.status.is_success() {
        return Err(upstream::error_from(parts.status, &bytes));
    }
    let mut v: Value = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_GATEWAY, "invalid answer from segment"))?;
    let _ = ctx;
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "Node".into(),
            serde_json::json!({
                "Name": located.seg.name,
                "IP": located.seg.address.to_string(),
                "Addr": format!("{}:42376", located.seg.address),
            }),
        );
    }
    Ok(body::json_response(StatusCode::OK, &v))
}

/// DELETE and rename of `swarm-manager`, `swarm-data`... are refused with CARINA-1005.
async fn guard_infrastructure(ctx: &Ctx, req: &ApiRequest, located: &mut Located) -> Result<(), ApiError> {
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
async fn remove_link(ctx: &Ctx, req: ApiRequest, reference: &str) -> Result<Response<Body>, ApiError> {
    let Some((parent, alias)) = reference.trim_matches('/').rsplit_once('/') else {
        return Err(ApiError::bad_request(format!("{reference} is not a link: use <container>/<alias>")));
    };
    let mut located = locate::locate(ctx, parent).await?;
    let name = located.inspect().await?.get("Name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let pq = ctx.upq(&format!("/containers/{}/{alias}", name.trim_start_matches('/')), &req.query);
    let resp = located.seg.request(Method::DELETE, &pq).await?;
    Ok(upstream::passthrough(resp))
}

async fn exec_create(ctx: &Ctx, req: ApiRequest, located: &Located, pq: &str) -> Result<Response<Body>, ApiError> {
    // The start is a hijacked stream whose refusal the CLI cannot show ("unable to
    // upgrade"): say it here, when the budget is already spent. The start still counts.
    drop(ctx.stream_permit(false)?);
    let resp = located.seg.forward(Method::POST, pq, &req.parts.headers.clone(), req.into_body()).await?;
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
pub(crate) async fn commit(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let reference = query::get(&req.query, "container").ok_or_else(|| ApiError::bad_request("missing container"))?;
    let located = locate::locate(ctx, &reference).await?;
    let q = format!("{}&container={}", query::without(&req.query, "container"), query::encode(&located.reference));
    let pq = ctx.upq("/commit", q.trim_start_matches('&'));
    let headers = req.parts.headers.clone();
    located.seg.forward(Method::POST, &pq, &headers, req.into_body()).await
}
