//! `/plugins*`: reads from the first segment; anything the policy lets through that
//! changes plugins (disable, push, remove: none with a body) goes to every segment.

use http::{Method, Response};

use crate::body::Body;
use crate::error::ApiError;
use crate::fanout;
use crate::networks::created;
use crate::router::{ApiRequest, Ctx};
use crate::system;
use crate::upstream;

pub(crate) async fn route(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    if req.method() == Method::GET {
        return system::first_segment(ctx, req).await;
    }
    let segs = ctx.cluster().nonempty_segments().await?;
    let pq = ctx.upq(&req.path, &req.query);
    let method = req.method().clone();
    let answers = fanout::all(&segs, |seg| {
        let (pq, method) = (pq.clone(), method.clone());
        async move { upstream::read_json(seg.request(method, &pq).await?).await }
    })
    .await;
    created(answers)
}
