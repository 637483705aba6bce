//! `/exec/{id}/start|resize|json`: on the segment that created the exec.

use std::sync::Arc;

use http::{Response, StatusCode};

use crate::cluster::fanout;
use crate::error::ApiError;
use crate::request::{ApiRequest, RequestContext};
use crate::transport::body::Body;
use crate::transport::hijack;
use crate::transport::upstream::Seg;

pub(crate) async fn route(
    ctx: &RequestContext,
    req: ApiRequest,
    id: &str,
    action: &str,
) -> Result<Response<Body>, ApiError> {
    let method = req.method().clone();
    let seg = owner(ctx, id).await?;
    let target = ctx.upstream_uri(&format!("/exec/{id}/{action}"), &req.query);
    if action == "start" {
        let cancel = ctx.conn.cancel.clone();
        let ApiRequest { parts, body, .. } = req;
        let permit = ctx.stream_permit(false)?;
        return hijack::forward(&seg, method, &target, parts, body.into_body(), cancel, permit).await;
    }
    let headers = req.parts.headers.clone();
    seg.forward(method, &target, &headers, req.into_body()).await
}

/// The exec's segment: remembered at create, else asked of every segment.
async fn owner(ctx: &RequestContext, id: &str) -> Result<Arc<Seg>, ApiError> {
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
