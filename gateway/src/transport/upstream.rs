//! Pooled HTTP/1.1 clients to the segments' dockerds (unix sockets or TLS, see
//! [`dockerlink`]).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use dockerlink::{Connector, DockerAddress};
use http::{header, HeaderMap, HeaderName, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::directory::SegmentEndpoint;
use crate::error::ApiError;
use crate::transport::body::{self, Body};

type SocketClient = Client<Connector, Body>;

/// One pooled client per dockerd, kept across segment-list refreshes so that idle
/// keep-alive connections are reused by the next request.
#[derive(Default)]
pub(crate) struct Pool {
    clients: Mutex<HashMap<String, SocketClient>>,
}

impl Pool {
    /// Keyed by the segment's name as well: an address (unlike a socket's path) is given
    /// to another segment once this one is gone, and an idle connection to the old one must
    /// not serve the new one.
    fn client(&self, segment: &str, dockerd: &DockerAddress) -> SocketClient {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(format!("{segment} {dockerd}"))
            .or_insert_with(|| {
                Client::builder(TokioExecutor::new())
                    .pool_timer(TokioTimer::new())
                    .pool_idle_timeout(Duration::from_secs(60))
                    .pool_max_idle_per_host(32)
                    .build(Connector::new(dockerd.clone()).with_tcp_timeout(TCP_CONNECT_TIMEOUT))
            })
            .clone()
    }

    pub(crate) fn segment(&self, endpoint: SegmentEndpoint) -> Seg {
        Seg {
            client: self.client(&endpoint.name, &endpoint.dockerd),
            name: endpoint.name,
            address: endpoint.address,
            engine_address: format!("{}:{}", endpoint.address, endpoint.tls_port),
            docker_root: endpoint.docker_root,
            dockerd: endpoint.dockerd,
        }
    }
}

/// A segment and the client to reach its dockerd.
pub(crate) struct Seg {
    pub name: String,
    pub address: Ipv4Addr,
    /// `ip:port` of its dockerd's TLS listener.
    pub engine_address: String,
    pub docker_root: Option<PathBuf>,
    dockerd: DockerAddress,
    client: SocketClient,
}

/// How long a TCP connection to a dockerd behind TLS may take to open. A socket that is
/// gone fails at once; an address whose segment is down would make a fan-out (`docker
/// ps`) wait for the kernel to give up on ARP, seconds, before listing the others.
pub(crate) const TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a JSON answer (lists, inspect, info) may take.
const JSON_TIMEOUT: Duration = Duration::from_secs(20);

/// Headers that belong to one hop only and are never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

pub(crate) fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str()) || name == header::UPGRADE || name == header::HOST
}

/// Copies end-to-end headers.
pub(crate) fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !is_hop_by_hop(name) {
            to.append(name.clone(), value.clone());
        }
    }
}

impl Seg {
    /// Where the dockerd is reached (for logs only: never in a message to a user).
    pub(crate) fn dockerd(&self) -> &DockerAddress {
        &self.dockerd
    }

    /// Sends a request whose URI is a path and query (`/v1.41/containers/json?all=1`).
    pub(crate) async fn send(&self, mut req: Request<Body>) -> Result<Response<Incoming>, ApiError> {
        let target = req.uri().path_and_query().map(|target| target.as_str().to_owned()).unwrap_or_else(|| "/".into());
        *req.uri_mut() =
            format!("http://docker{target}").parse().map_err(|_| ApiError::bad_request("invalid request path"))?;
        self.client.request(req).await.map_err(|e| {
            tracing::warn!(segment = %self.name, dockerd = %self.dockerd, error = %e, "segment request failed");
            ApiError::new(StatusCode::BAD_GATEWAY, format!("segment {} is unreachable", self.name))
        })
    }

    /// Forwards a request: end-to-end headers from `headers`, the body as given.
    pub(crate) async fn forward(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Response<Body>, ApiError> {
        let mut req = Request::builder()
            .method(method)
            .uri(path_and_query)
            .body(body)
            .map_err(|_| ApiError::bad_request("invalid request path"))?;
        copy_headers(headers, req.headers_mut());
        Ok(passthrough(self.send(req).await?))
    }

    /// A request with no body.
    pub(crate) async fn request(&self, method: Method, path_and_query: &str) -> Result<Response<Incoming>, ApiError> {
        let req = Request::builder()
            .method(method)
            .uri(path_and_query)
            .body(body::empty())
            .map_err(|_| ApiError::bad_request("invalid request path"))?;
        self.send(req).await
    }

    /// A request with a JSON body.
    pub(crate) async fn request_json(
        &self,
        method: Method,
        path_and_query: &str,
        value: &serde_json::Value,
    ) -> Result<Response<Incoming>, ApiError> {
        let bytes = serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))?;
        let req = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(body::full(bytes))
            .map_err(|_| ApiError::bad_request("invalid request path"))?;
        self.send(req).await
    }

    /// GET and decode JSON; a non-2xx answer becomes the segment's error message. Bounded
    /// in time: a hung segment must not hang `docker ps` (it is left out as unhealthy).
    pub(crate) async fn get_json(&self, path_and_query: &str) -> Result<serde_json::Value, ApiError> {
        let answer = async { read_json(self.request(Method::GET, path_and_query).await?).await };
        match tokio::time::timeout(JSON_TIMEOUT, answer).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(segment = %self.name, path = path_and_query, "segment did not answer in time");
                Err(ApiError::new(StatusCode::GATEWAY_TIMEOUT, format!("segment {} did not answer in time", self.name)))
            }
        }
    }
}

/// Reads a (small) upstream body whole.
pub(crate) async fn read_body(resp: Response<Incoming>) -> Result<(http::response::Parts, Bytes), ApiError> {
    let (parts, body) = resp.into_parts();
    let bytes = http_body_util::Limited::new(body, 256 * 1024 * 1024)
        .collect()
        .await
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, format!("segment answer interrupted: {e}")))?
        .to_bytes();
    Ok((parts, bytes))
}

/// Decodes a JSON answer; non-2xx answers become an [`ApiError`] with the daemon's message.
pub(crate) async fn read_json(resp: Response<Incoming>) -> Result<serde_json::Value, ApiError> {
    let (parts, bytes) = read_body(resp).await?;
    if !parts.status.is_success() {
        return Err(error_from(parts.status, &bytes));
    }
    if bytes.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, format!("invalid answer from segment: {e}")))
}

/// The daemon's `{"message"}` error, or its body text.
pub(crate) fn error_from(status: StatusCode, bytes: &[u8]) -> ApiError {
    let message = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).trim().to_owned());
    ApiError::new(status, message)
}

/// An upstream response as a downstream one: body streamed, hop-by-hop headers dropped.
pub(crate) fn passthrough(resp: Response<Incoming>) -> Response<Body> {
    let (parts, incoming) = resp.into_parts();
    let mut out = Response::new(crate::transport::coalesce::Coalesce::new(incoming).boxed_unsync());
    *out.status_mut() = parts.status;
    copy_headers(&parts.headers, out.headers_mut());
    out
}
