//! The entry of every request: revocation re-check, version prefix, one classification,
//! content type, body, policy, then [`crate::api::dispatch`]. It sits above `request` and
//! `api`, which know nothing of it, and the listener reaches it only as the handler
//! `endpoints` gives it.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::error::ApiError;
use crate::request::{
    check_version, classify, policy_gate, split_version, unsupported, upstream_path, ApiRequest, Endpoint, RequestBody,
    RequestContext,
};
use crate::transport::body::Body;
use crate::transport::listener::ConnCtx;

/// JSON bodies that must be inspected (policy, placement) are read whole up to this size.
const JSON_BODY_CAP: usize = 10 * 1024 * 1024;

/// Entry point of every request on an authenticated connection: answers it, and counts
/// it by route family and status.
pub(crate) async fn handle(conn: Arc<ConnCtx>, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let mut family = "none";
    let response = answer(conn, req, &mut family).await;
    crate::metrics::request(family, response.status(), started.elapsed());
    response
}

/// The answer to one request; `family` is set once the request is classified (it stays
/// `none` for a revoked certificate or an unknown API version).
async fn answer(conn: Arc<ConnCtx>, req: Request<Incoming>, family: &mut &'static str) -> Response<Body> {
    if conn.shared.revoked.contains(&conn.client.fingerprint) {
        conn.cancel.cancel();
        let mut resp = ApiError::new(StatusCode::UNAUTHORIZED, "certificate revoked").into_response();
        resp.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
        return resp;
    }
    let (parts, incoming) = req.into_parts();
    let raw_path = parts.uri.path().to_owned();
    let (version, unversioned) = split_version(&raw_path);
    let version_prefix = match version {
        Some(v) => match check_version(v) {
            Ok(()) => format!("/v{v}"),
            Err(e) => return e.into_response(),
        },
        None => String::new(),
    };
    let segments = policy::request_segments(unversioned);
    let endpoint = classify(&parts.method, &segments);
    *family = endpoint.family();
    if endpoint == Endpoint::Unsupported {
        return unsupported(unversioned).into_response();
    }
    let ctx = RequestContext { conn, version_prefix };
    let method = parts.method.clone();
    match judge(&ctx, parts, incoming, endpoint, upstream_path(&segments)).await {
        Ok(req) => match crate::api::dispatch(&ctx, req).await {
            Ok(resp) => resp,
            Err(e) => {
                if e.status.is_server_error() {
                    tracing::warn!(cluster = %ctx.cluster().id, %method, path = %raw_path, error = %e, "request failed");
                }
                e.into_response()
            }
        },
        Err(e) => e.into_response(),
    }
}

/// Reads what the policy judges (content type, JSON body) and asks it; a refusal is
/// audited and answered here, so what reaches a handler has passed.
async fn judge(
    ctx: &RequestContext,
    mut parts: http::request::Parts,
    incoming: Incoming,
    endpoint: Endpoint,
    path: String,
) -> Result<ApiRequest, ApiError> {
    let method = parts.method.clone();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let describe = || format!("{method} {path}");
    let content_types: Vec<&[u8]> =
        parts.headers.get_all(http::header::CONTENT_TYPE).iter().map(|v| v.as_bytes()).collect();
    if let Err(e) = policy::content_type::check_endpoint(endpoint.policy(), &content_types) {
        return Err(policy_gate::refuse_malformed(ctx, describe(), e.to_string()).await);
    }
    let body = if endpoint.reads_json(&method) {
        let bytes = read_capped(incoming, JSON_BODY_CAP).await?;
        let json = match policy::body::decode(&bytes) {
            Ok(json) => json,
            Err(e @ policy::body::BodyError::RepeatedKey { .. }) => {
                return Err(policy_gate::refuse_malformed(ctx, describe(), e.to_string()).await)
            }
            Err(e) => return Err(ApiError::bad_request(e.to_string())),
        };
        // What goes on is the value judged here, re-serialised: its length is new.
        parts.headers.remove(http::header::CONTENT_LENGTH);
        if !json.is_null() {
            parts.headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        }
        RequestBody::Json { bytes: Bytes::from(policy::body::canonical(&json)), json }
    } else {
        RequestBody::Stream(incoming)
    };
    let req = ApiRequest { parts, endpoint, path, query, body };
    policy_gate::check(ctx, &req).await?;
    Ok(req)
}

/// Reads a request body whole, refusing more than `cap` bytes with a clear error.
async fn read_capped(body: Incoming, cap: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, cap).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body too large for the Carina cluster endpoint (limit {} MiB)", cap / (1024 * 1024)),
        )),
        Err(e) => Err(ApiError::bad_request(format!("cannot read request body: {e}"))),
    }
}
