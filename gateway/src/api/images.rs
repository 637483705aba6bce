//! Images: every segment gets every image (load, import and pull go to all, the body
//! streamed to each), listings are merged, lookups answered by the first that has it.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::cluster::fanout;
use crate::error::ApiError;
use crate::placement::{self, spread};
use crate::request::query;
use crate::request::{ApiRequest, ImageRoute, RequestBody, RequestContext};
use crate::transport::body::{self, Body};
use crate::transport::tee;
use crate::transport::upstream::{self, Seg};

/// Serves the `/images` routes.
pub(crate) async fn route(
    ctx: &RequestContext,
    req: ApiRequest,
    route: ImageRoute,
) -> Result<Response<Body>, ApiError> {
    match route {
        ImageRoute::List => list(ctx, req).await,
        ImageRoute::Load => to_all(ctx, req, true).await,
        ImageRoute::Create => {
            let streamed = query::get(&req.query, "fromSrc").as_deref() == Some("-");
            to_all(ctx, req, streamed).await
        }
        ImageRoute::Prune => prune(ctx, req).await,
        ImageRoute::Search | ImageRoute::SaveMany => first_that_has(ctx, req, None).await,
        ImageRoute::Read { name } => first_that_has(ctx, req, Some(&name)).await,
        ImageRoute::Tag => tag(ctx, req).await,
        ImageRoute::Remove => delete(ctx, req).await,
    }
}

/// `GET /images/json`, deduplicated by id.
async fn list(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let path = ctx.upstream_uri("/images/json", &req.query);
    let answers = fanout::successes(fanout::get_json_all(&segs, &path).await)?;
    let mut merged: Vec<Value> = Vec::new();
    for (_, list) in answers {
        for image in list.as_array().into_iter().flatten() {
            if !merged.iter().any(|m| m.get("Id") == image.get("Id")) {
                merged.push(image.clone());
            }
        }
    }
    merged.sort_by_key(|i| std::cmp::Reverse(i.get("Created").and_then(Value::as_i64).unwrap_or(0)));
    Ok(body::json_response(StatusCode::OK, &Value::Array(merged)))
}

/// Sends the request to every segment (the body, if any, teed) and merges the progress
/// streams: the first segment's as is, then the other segments' errors, named.
async fn to_all(ctx: &RequestContext, req: ApiRequest, stream_body: bool) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let target = ctx.upstream_uri(&req.path, &req.query);
    let method = req.method().clone();
    let headers = req.parts.headers.clone();
    let bodies: Vec<Body> = match req.body {
        RequestBody::Stream(b) if stream_body => tee::tee(b, segs.len()),
        RequestBody::Stream(_) => (0..segs.len()).map(|_| body::empty()).collect(),
        RequestBody::Json { bytes, .. } => (0..segs.len()).map(|_| body::full(bytes.clone())).collect(),
    };
    let answers = futures::future::join_all(segs.iter().zip(bodies).map(|(seg, b)| {
        let (target, method, headers) = (target.clone(), method.clone(), headers.clone());
        async move {
            let resp = seg.forward(method, &target, &headers, b).await?;
            let status = resp.status();
            let ctype = resp.headers().get(header::CONTENT_TYPE).cloned();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .map_err(|_| ApiError::new(StatusCode::BAD_GATEWAY, format!("segment {} stopped answering", seg.name)))?
                .to_bytes();
            if !status.is_success() {
                return Err(upstream::error_from(status, &bytes));
            }
            Ok((ctype, bytes))
        }
    }))
    .await;
    merge_progress(&segs, answers)
}

fn merge_progress(
    segs: &[Arc<Seg>],
    answers: Vec<Result<(Option<http::HeaderValue>, Bytes), ApiError>>,
) -> Result<Response<Body>, ApiError> {
    let mut first: Option<(Option<http::HeaderValue>, Vec<u8>)> = None;
    let mut errors: Vec<String> = Vec::new();
    let mut first_error: Option<ApiError> = None;
    for (seg, answer) in segs.iter().zip(answers) {
        match answer {
            Ok((ctype, bytes)) => {
                if first.is_none() {
                    first = Some((ctype, bytes.to_vec()));
                } else {
                    for line in bytes.split(|b| *b == b'\n') {
                        let Ok(v) = serde_json::from_slice::<Value>(line) else {
                            continue;
                        };
                        if let Some(e) = v.get("error").and_then(Value::as_str) {
                            errors.push(format!("{}: {e}", seg.name));
                        }
                    }
                }
            }
            Err(e) => {
                errors.push(format!("{}: {}", seg.name, e.message));
                first_error.get_or_insert(e);
            }
        }
    }
    let Some((ctype, mut out)) = first else {
        return Err(first_error.unwrap_or_else(|| ApiError::unavailable("no segment answered")));
    };
    // One engine reports one failure: when the first segment failed too (a bad archive
    // fails everywhere alike), its answer is the whole answer. Otherwise the segments that
    // failed alone are named after the first one's progress.
    if reports_error(&out) {
        errors.clear();
    }
    for e in errors {
        let line = json!({ "errorDetail": { "message": e }, "error": e });
        if !out.ends_with(b"\n") && !out.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    }
    let mut resp = Response::new(body::full(out));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, ctype.unwrap_or_else(|| http::HeaderValue::from_static("application/json")));
    Ok(resp)
}

/// Whether a progress stream carries an error message.
fn reports_error(progress: &[u8]) -> bool {
    progress
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
        .any(|v| v.get("error").is_some())
}

/// Answered by the first segment (in order) that has the image.
async fn first_that_has(ctx: &RequestContext, req: ApiRequest, name: Option<&str>) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let probe =
        name.map(str::to_owned).or_else(|| query::get(&req.query, "names")).filter(|_| req.path != "/images/search");
    let seg = match probe {
        Some(name) => {
            let path = format!("/v1.41/images/{name}/json");
            let answers = fanout::get_json_all(&segs, &path).await;
            match answers.into_iter().find(|(_, r)| r.is_ok()) {
                Some((seg, _)) => seg,
                None => return Err(ApiError::not_found(format!("No such image: {name}"))),
            }
        }
        None => segs[0].clone(),
    };
    let target = ctx.upstream_uri(&req.path, &req.query);
    let headers = req.parts.headers.clone();
    let method = req.method().clone();
    if method == Method::GET {
        // Image tars can be large: the bulk path.
        let permit = ctx.stream_permit(true)?;
        return crate::transport::rawstream::forward(&seg, &method, &target, &headers, permit).await;
    }
    seg.forward(method, &target, &headers, req.into_body()).await
}

/// `POST /images/{name}/tag` on every segment that has the image.
async fn tag(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let target = ctx.upstream_uri(&req.path, &req.query);
    let answers = fanout::all(&segs, |seg| {
        let target = target.clone();
        async move {
            let resp = seg.request(Method::POST, &target).await?;
            let (parts, bytes) = upstream::read_body(resp).await?;
            if parts.status.is_success() {
                Ok(parts.status)
            } else {
                Err(upstream::error_from(parts.status, &bytes))
            }
        }
    })
    .await;
    let ok = fanout::successes(answers)?;
    let mut resp = Response::new(body::empty());
    *resp.status_mut() = ok[0].1;
    Ok(resp)
}

/// `DELETE /images/{name}` on every segment; answers merged.
async fn delete(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let target = ctx.upstream_uri(&req.path, &req.query);
    let answers = fanout::all(&segs, |seg| {
        let target = target.clone();
        async move { upstream::read_json(seg.request(Method::DELETE, &target).await?).await }
    })
    .await;
    let mut merged: Vec<Value> = Vec::new();
    let mut any_ok = false;
    let mut not_found: Option<ApiError> = None;
    for (seg, r) in answers {
        match r {
            Ok(v) => {
                any_ok = true;
                for item in v.as_array().into_iter().flatten() {
                    if !merged.contains(item) {
                        merged.push(item.clone());
                    }
                }
            }
            Err(e) if e.status == StatusCode::NOT_FOUND => {
                not_found.get_or_insert(e);
            }
            // A conflict on one segment (image in use there) is the user's to see.
            Err(e) => return Err(ApiError::new(e.status, format!("{}: {}", seg.name, e.message))),
        }
    }
    if !any_ok {
        return Err(not_found.unwrap_or_else(|| ApiError::unavailable("no segment answered")));
    }
    Ok(body::json_response(StatusCode::OK, &Value::Array(merged)))
}

/// `POST /images/prune` on every segment.
async fn prune(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    fanout::prune_everywhere(&segs, &ctx.upstream_uri(&req.path, &req.query), "ImagesDeleted").await
}

/// `POST /build/prune` on every segment.
pub(crate) async fn build_prune(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    fanout::prune_everywhere(&segs, &ctx.upstream_uri(&req.path, &req.query), "CachesDeleted").await
}

/// `POST /build`: on one segment, chosen by spread (the least loaded). The image exists
/// on that segment only; `docker save | docker load` through the endpoint spreads it.
pub(crate) async fn build(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let cluster = ctx.cluster();
    let segs = cluster.nonempty_segments().await?;
    let nodes = crate::cluster::snapshot::gather(cluster, &segs, false).await;
    let healthy: Vec<&placement::Node> = nodes.iter().filter(|n| n.healthy).collect();
    let chosen = spread::rank(&healthy, 0, 0)
        .first()
        .map(|n| n.name.clone())
        .ok_or_else(|| ApiError::unavailable("No healthy node available in the cluster"))?;
    let seg =
        segs.iter().find(|s| s.name == chosen).cloned().ok_or_else(|| ApiError::internal("build segment vanished"))?;
    let target = ctx.upstream_uri(&req.path, &req.query);
    let headers = req.parts.headers.clone();
    seg.forward(Method::POST, &target, &headers, req.into_body()).await
}
