//! The entry of every request: revocation re-check, version prefix, one classification,
//! content type, body, policy, then [`crate::api::dispatch`].

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::endpoint::{classify, upstream_path, Endpoint};
use super::policy_gate;
use super::version::{check_version, split_version};
use super::{unsupported, ApiRequest, RequestBody, RequestContext};
use crate::error::ApiError;
use crate::transport::body::{self, Body, JSON_BODY_CAP};
use crate::transport::listener::ConnCtx;

/// Entry point of every request on an authenticated connection.
pub(crate) async fn handle(conn: Arc<ConnCtx>, req: Request<Incoming>) -> Response<Body> {
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
        let bytes = body::read_capped(incoming, JSON_BODY_CAP).await?;
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
