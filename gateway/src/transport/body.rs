//! Body types and small helpers shared by every route.

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;

use crate::error::ApiError;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Every body the gateway sends, up- or downstream: streamed, never collected by default.
pub(crate) type Body = UnsyncBoxBody<Bytes, BoxError>;

/// JSON bodies that must be inspected (policy, placement) are read whole up to this size.
pub(crate) const JSON_BODY_CAP: usize = 10 * 1024 * 1024;

pub(crate) fn empty() -> Body {
    Empty::<Bytes>::new().map_err(|never| match never {}).boxed_unsync()
}

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

pub(crate) fn incoming(body: Incoming) -> Body {
    body.map_err(|e| Box::new(e) as BoxError).boxed_unsync()
}

/// Reads a request body whole, refusing more than `cap` bytes with a clear error.
pub(crate) async fn read_capped(body: Incoming, cap: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, cap).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body too large for the Carina cluster endpoint (limit {} MiB)", cap / (1024 * 1024)),
        )),
        Err(e) => Err(ApiError::bad_request(format!("cannot read request body: {e}"))),
    }
}

pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    bytes.push(b'\n');
    let mut resp = Response::new(full(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
