//! Request entry: authentication re-check, version prefix, policy, dispatch by path.

use std::sync::Arc;

use bytes::Bytes;
use http::{request::Parts, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::{self, Body, JSON_BODY_CAP};
use crate::cluster::Cluster;
use crate::error::ApiError;
use crate::listener::ConnCtx;
use crate::{
    container_ops, containers, events, exec, images, info, networks, plugins, policy_gate, swarm_mode, system, volumes,
};

/// The API version every segment speaks (dockerd 20.10); higher client versions are refused.
pub(crate) const MAX_API_VERSION: (u32, u32) = (1, 41);
/// Older versions carry legacy semantics (HostConfig on start, top-level host fields) that
/// the policy does not model, so they are refused outright.
pub(crate) const MIN_API_VERSION: (u32, u32) = (1, 24);

/// Per-request context.
pub(crate) struct Ctx {
    pub conn: Arc<ConnCtx>,
    /// The version prefix to forward (`/v1.41`), or empty when the client sent none.
    pub vp: String,
}

impl Ctx {
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.conn.shared.cluster
    }
    /// An upstream path: the client's version prefix plus `path`.
    pub fn up(&self, path: &str) -> String {
        format!("{}{}", self.vp, path)
    }
    /// A stream's place in its cluster's and its certificate's budgets (and a reader
    /// thread's, for bulk streams); refused with 429 when one is spent.
    pub fn stream_permit(&self, needs_thread: bool) -> Result<crate::limits::Held, ApiError> {
        self.conn.shared.limits.stream(&self.conn.client.fingerprint, needs_thread)
    }
    /// An upstream path and query.
    pub fn upq(&self, path: &str, query: &str) -> String {
        if query.is_empty() {
            self.up(path)
        } else {
            format!("{}{}?{}", self.vp, path, query)
        }
    }
}

/// A request, version prefix stripped, body either untouched or read and parsed.
pub(crate) struct ApiRequest {
    pub parts: Parts,
    pub path: String,
    pub query: String,
    pub body: ReqBody,
}

pub(crate) enum ReqBody {
    /// Streamed as is.
    Stream(Incoming),
    /// Read whole (small JSON) and policy-checked; `json` is `Null` for an empty body,
    /// and `bytes` its canonical serialisation: what dockerd gets is what was judged.
    Json { bytes: Bytes, json: serde_json::Value },
}

impl ApiRequest {
    pub fn method(&self) -> &Method {
        &self.parts.method
    }
    /// The body for forwarding as received.
    pub fn into_body(self) -> Body {
        match self.body {
            ReqBody::Stream(b) => body::incoming(b),
            ReqBody::Json { bytes, .. } => body::full(bytes),
        }
    }
    pub fn json(&self) -> &serde_json::Value {
        match &self.body {
            ReqBody::Json { json, .. } => json,
            ReqBody::Stream(_) => &serde_json::Value::Null,
        }
    }
    /// The request line as audited: `POST /containers/create`.
    pub fn describe(&self) -> String {
        format!("{} {}", self.parts.method, self.path)
    }
}

/// Splits `/v1.41/x` into `(Some("1.41"), "/x")`.
pub(crate) fn split_version(path: &str) -> (Option<&str>, &str) {
    if let Some(rest) = path.strip_prefix("/v") {
        let end = rest.find('/').unwrap_or(rest.len());
        let candidate = &rest[..end];
        if parse_version(candidate).is_some() {
            let tail = &rest[end..];
            return (Some(candidate), if tail.is_empty() { "/" } else { tail });
        }
    }
    (None, path)
}

pub(crate) fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Routes whose JSON body must be read for the policy or for placement.
fn wants_json(method: &Method, path: &str) -> bool {
    if method != Method::POST && method != Method::PUT {
        return false;
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["containers", "create"]
            | ["containers", .., "update" | "exec" | "start"]
            | ["exec", _, "start"]
            | ["services", "create"]
            | ["services", _, "update"]
            | ["volumes", "create"]
            | ["networks", "create"]
            | ["networks", _, "connect" | "disconnect"]
            | ["swarm", ..]
            | ["auth"]
            | ["secrets" | "configs", "create"]
            | ["secrets" | "configs" | "nodes", _, "update"]
    )
}

/// Entry point of every request on an authenticated connection.
pub(crate) async fn handle(conn: Arc<ConnCtx>, req: Request<Incoming>) -> Response<Body> {
    if conn.shared.revoked.contains(&conn.client.fingerprint) {
        conn.cancel.cancel();
        let mut resp = ApiError::new(StatusCode::UNAUTHORIZED, "certificate revoked").into_response();
        resp.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
        return resp;
    }
    let (mut parts, incoming) = req.into_parts();
    let raw_path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let (version, path) = split_version(&raw_path);
    let path = path.to_owned();
    let vp = match version {
        Some(v) => match check_version(v) {
            Ok(()) => format!("/v{v}"),
            Err(e) => return e.into_response(),
        },
        None => String::new(),
    };
    let ctx = Ctx { conn, vp };
    let method = parts.method.clone();
    let result = async {
        let describe = || format!("{method} {path}");
        let content_types: Vec<&[u8]> =
            parts.headers.get_all(http::header::CONTENT_TYPE).iter().map(|v| v.as_bytes()).collect();
        if let Err(e) = policy::content_type::check(method.as_str(), &path, &content_types) {
            return Err(policy_gate::refuse_malformed(&ctx, describe(), e.to_string()).await);
        }
        let body = if wants_json(&method, &path) || policy_gate::inspects_body(&method, &path) {
            let bytes = body::read_capped(incoming, JSON_BODY_CAP).await?;
            let json = match policy::body::decode(&bytes) {
                Ok(json) => json,
                Err(e @ policy::body::BodyError::RepeatedKey { .. }) => {
                    return Err(policy_gate::refuse_malformed(&ctx, describe(), e.to_string()).await)
                }
                Err(e) => return Err(ApiError::bad_request(e.to_string())),
            };
            // What goes on is the value judged here, re-serialised: its length is new.
            parts.headers.remove(http::header::CONTENT_LENGTH);
            if !json.is_null() {
                parts.headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
            }
            ReqBody::Json { bytes: Bytes::from(policy::body::canonical(&json)), json }
        } else {
            ReqBody::Stream(incoming)
        };
        let req = ApiRequest { parts, path, query, body };
        let json = match &req.body {
            ReqBody::Json { json, .. } if !json.is_null() => Some(json),
            _ => None,
        };
        policy_gate::check(&ctx, &req, json).await?;
        route(&ctx, req).await
    }
    .await;
    match result {
        Ok(resp) => resp,
        Err(e) => {
            if e.status.is_server_error() {
                tracing::warn!(cluster = %ctx.cluster().id, %method, path = %raw_path, error = %e, "request failed");
            }
            e.into_response()
        }
    }
}

fn check_version(v: &str) -> Result<(), ApiError> {
    let parsed = parse_version(v).ok_or_else(|| ApiError::bad_request("invalid API version"))?;
    if parsed > MAX_API_VERSION {
        return Err(ApiError::bad_request(format!(
            "client version {v} is too new. Maximum supported API version is {}.{}",
            MAX_API_VERSION.0, MAX_API_VERSION.1
        )));
    }
    if parsed < MIN_API_VERSION {
        return Err(ApiError::bad_request(format!(
            "client version {v} is too old. Minimum supported API version is {}.{}, please upgrade your client to a newer version",
            MIN_API_VERSION.0, MIN_API_VERSION.1
        )));
    }
    Ok(())
}

/// Dispatch by path.
async fn route(ctx: &Ctx, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let path = req.path.clone();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let m = req.method().clone();
    match (parts[0], parts.len()) {
        ("_ping", 1) if m == Method::GET || m == Method::HEAD => system::ping(ctx, &m).await,
        ("version", 1) if m == Method::GET => system::version(ctx).await,
        ("info", 1) if m == Method::GET => info::info(ctx).await,
        ("events", 1) if m == Method::GET => events::events(ctx, req).await,
        ("system", 2) if parts[1] == "df" && m == Method::GET => system::df(ctx, req).await,
        ("auth", 1) if m == Method::POST => system::first_segment(ctx, req).await,
        ("containers", _) => containers_route(ctx, req, &parts[1..]).await,
        ("exec", 3) => exec::route(ctx, req, parts[1], parts[2]).await,
        ("commit", 1) if m == Method::POST => container_ops::commit(ctx, req).await,
        ("images", _) | ("build", 1) => images::route(ctx, req).await,
        ("build", 2) if parts[1] == "prune" && m == Method::POST => images::build_prune(ctx, req).await,
        ("networks", _) => networks::route(ctx, req, &parts[1..]).await,
        ("volumes", _) => volumes::route(ctx, req, &parts[1..]).await,
        ("services" | "tasks" | "nodes" | "secrets" | "configs" | "swarm", _) => swarm_mode::forward(ctx, req).await,
        ("plugins", _) => plugins::route(ctx, req).await,
        ("distribution", _) if m == Method::GET => system::first_segment(ctx, req).await,
        _ => Err(unsupported(&path)),
    }
}

pub(crate) fn unsupported(path: &str) -> ApiError {
    ApiError::not_found(format!("{path} is not supported by the Carina cluster endpoint"))
}

async fn containers_route(ctx: &Ctx, req: ApiRequest, rest: &[&str]) -> Result<Response<Body>, ApiError> {
    let m = req.method().clone();
    match rest {
        ["json"] if m == Method::GET => containers::list(ctx, req).await,
        ["create"] if m == Method::POST => containers::create(ctx, req).await,
        ["prune"] if m == Method::POST => containers::prune(ctx, req).await,
        [] => Err(unsupported(&req.path)),
        _ => {
            let (reference, action) = split_container_path(&m, rest);
            if reference.is_empty() {
                return Err(unsupported(&req.path));
            }
            container_ops::route(ctx, req, &reference, action).await
        }
    }
}

/// Per-container actions the API knows; the reference may itself contain a slash
/// (`<segment>/<name>`), so the action is recognised from the end.
const ACTIONS: [&str; 20] = [
    "json", "top", "logs", "changes", "export", "stats", "resize", "start", "stop", "restart", "kill", "update",
    "rename", "pause", "unpause", "attach", "wait", "exec", "archive", "ws",
];

pub(crate) fn split_container_path<'a>(method: &Method, rest: &[&'a str]) -> (String, &'a str) {
    if method == Method::DELETE {
        return (rest.join("/"), "");
    }
    let n = rest.len();
    if n >= 3 && rest[n - 2] == "attach" && rest[n - 1] == "ws" {
        return (rest[..n - 2].join("/"), "attach/ws");
    }
    if n >= 2 && ACTIONS.contains(&rest[n - 1]) {
        return (rest[..n - 1].join("/"), rest[n - 1]);
    }
    (rest.join("/"), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefix() {
        assert_eq!(split_version("/v1.41/containers/json"), (Some("1.41"), "/containers/json"));
        assert_eq!(split_version("/_ping"), (None, "/_ping"));
        assert_eq!(split_version("/v1.24"), (Some("1.24"), "/"));
        assert_eq!(split_version("/volumes"), (None, "/volumes"));
        assert!(check_version("1.50").unwrap_err().message.contains("too new"));
        assert!(check_version("1.20").is_err());
        assert!(check_version("1.41").is_ok());
    }

    #[test]
    fn container_paths() {
        let get = Method::GET;
        assert_eq!(split_container_path(&get, &["abc", "json"]), ("abc".into(), "json"));
        assert_eq!(split_container_path(&get, &["seg-n1", "web", "logs"]), ("seg-n1/web".into(), "logs"));
        assert_eq!(split_container_path(&get, &["abc", "attach", "ws"]), ("abc".into(), "attach/ws"));
        assert_eq!(split_container_path(&Method::DELETE, &["seg-n1", "web"]), ("seg-n1/web".into(), ""));
    }
}
