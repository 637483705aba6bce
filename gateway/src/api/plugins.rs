//! `/plugins*`: reads from the first segment; anything the policy lets through that
//! changes plugins (disable, push, remove: none with a body) goes to every segment.

use http::Response;

use crate::api::networks::created;
use crate::api::system;
use crate::cluster::fanout;
use crate::error::ApiError;
use crate::request::{ApiRequest, PluginRoute, RequestContext};
use crate::transport::body::Body;
use crate::transport::upstream;

pub(crate) async fn route(
    ctx: &RequestContext,
    req: ApiRequest,
    route: PluginRoute,
) -> Result<Response<Body>, ApiError> {
    if route == PluginRoute::Read {
        return system::first_segment(ctx, req).await;
    }
    let segs = ctx.cluster().nonempty_segments().await?;
    let target = ctx.upstream_uri(&req.path, &req.query);
    let method = req.method().clone();
    let answers = fanout::all(&segs, |seg| {
        let (target, method) = (target.clone(), method.clone());
        async move { upstream::read_json(seg.request(method, &target).await?).await }
    })
    .await;
    created(answers)
}
