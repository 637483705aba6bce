//! `/exec/{id}/start|resize|json`: on the segment that created the exec.

use std::sync::Arc;

use http::{Method, Response, StatusCode};

use crate::body::Body;
use crate::error::ApiError;
use crate::fanout;
use crate::hijack;
use crate::router::{unsupported, ApiRequest, Ctx};
use crate::upstream::Seg;

pub(crate) async fn route(ctx: &Ctx, req: ApiRequest, id: &str, action: &str) -> Result<Response<Body>, ApiError> {
    let method = req.method().clone();
    match (action, &method) {
        ("start" | "resize", &Method::POST) | ("json", &Method::GET) => {}
        _ => return Err(unsupported(&req.path)),
    }
    let seg = owner(ctx, id).await?;
    let pq = ctx.upq(&format!("/exec/{id}/{action}"), &req.query);
    if action == "start" {
        let cancel = ctx.conn.cancel.clone();
        let ApiRequest { parts, body, .. } = req;
        let body = match body {
            crate::router::ReqBody::Stream(b) => crate::body::incoming(b),
            crate::router::ReqBody::Json { bytes, .. } => crate::body::full(bytes),
        };
        let permit = ctx.stream_permit(false)?;
        return hijack::forward(&seg, method, &pq, parts, body, cancel, permit).await;
    }
    let headers = req.parts.headers.clone();
    seg.forward(method, &pq, &headers, req.into_body()).await
}

/// The exec's segment: remembered at create, else asked of every segment.
async fn owner(ctx: &Ctx, id: &str) -> Result<Arc<Seg>, ApiError> {
    let cluster = ctx.cluster();
    if let Some(name) = cluster.exec_owner(id) {
        if let Some(seg) = cluster.segment_named(&name).await? {
            return Ok(seg);
        }
    }
    let segs = cluster.nonempty_segments().await?;
    let path = format!("/v1.41/exec/{id}/json");
    for (seg, r) in fanout::get_json_all(&segs, &path).await {
        if r.is_ok() {
            cluster.remember_exec(id, &seg.name);
            return Ok(seg);
        }
    }
    Err(ApiError::new(StatusCode::NOT_FOUND, format!("No such exec instance: {id}")))
}
