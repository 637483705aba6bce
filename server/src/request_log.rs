//! The request log: one line per request (method, path, status, latency) in a span that
//! carries the request's id. The id is the client's `X-Request-Id` when it sends a sane
//! one (a proxy in front often does), a new UUID otherwise, and is echoed in the answer,
//! so that a user's report, the proxy's log and this log meet on one id.

use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use http::{HeaderName, HeaderValue};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The header that carries the request id, both ways.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a client.
const MAX_ID_LEN: usize = 128;

/// `routes` with the request log.
pub fn logged(routes: Router) -> Router {
    routes.layer(
        TraceLayer::new_for_http()
            .make_span_with(|request: &Request<_>| {
                let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                // The path only: a query may hold what the log should not keep.
                tracing::info_span!("request", request_id = id, method = %request.method(), path = request.uri().path())
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}

/// `routes` counting their requests in `carina_http_requests_total{route, status}` and
/// timing them in `carina_http_request_seconds{route}` (to the answer's head). The route is
/// the pattern that matched (`/api/v1/clusters/{name}`), never the path itself, so that
/// the series stay few; a request no route matched is not counted.
pub fn counted(routes: Router) -> Router {
    routes.route_layer(middleware::from_fn(count))
}

async fn count(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(String::new, |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_str().to_owned();
    metrics::histogram!("carina_http_request_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("carina_http_requests_total", "route" => route, "status" => status).increment(1);
    response
}

/// `routes` with request ids: set on every request before anything else sees it, and
/// echoed in every answer.
pub fn with_request_ids(routes: Router) -> Router {
    routes.layer(middleware::from_fn(request_id))
}

async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request.headers().get(&REQUEST_ID).filter(|v| is_sane(v.as_bytes())).cloned().unwrap_or_else(new_id);
    request.headers_mut().insert(REQUEST_ID.clone(), id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID.clone(), id);
    response
}

/// Whether a client's id can go into logs as it is: short, and only characters that
/// cannot forge a log line or a field.
fn is_sane(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:@+/=".contains(b))
}

fn new_id() -> HeaderValue {
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::is_sane;

    #[test]
    fn only_short_plain_ids_are_taken() {
        assert!(is_sane(b"3f2c9a0e-1b2d-4c5e-8f90-a1b2c3d4e5f6"));
        assert!(is_sane(b"req_42:edge-1"));
        assert!(!is_sane(b""));
        assert!(!is_sane(b"a b"));
        assert!(!is_sane(b"id\"} forged=1"));
        assert!(!is_sane(&[b'a'; 129]));
    }
}
