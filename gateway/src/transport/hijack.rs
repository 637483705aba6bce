//! Hijacked connections (attach, exec start): HTTP `Upgrade: tcp` → 101, then a raw
//! bidirectional copy between the client's TLS stream and the segment's unix socket.

use http::request::Parts;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::limits::Held;
use crate::transport::body::{self, Body};
use crate::transport::upstream::{copy_headers, passthrough, Seg};

/// Large buffers: logs and exec output can be bulk data.
const COPY_BUFFER: usize = 64 * 1024;

/// Forwards a request that may upgrade. Without an `Upgrade` header it is a plain forward.
pub(crate) async fn forward(
    seg: &Seg,
    method: Method,
    path_and_query: &str,
    mut parts: Parts,
    body: Body,
    cancel: CancellationToken,
    permit: Held,
) -> Result<Response<Body>, ApiError> {
    let upgrade = parts.headers.get(header::UPGRADE).cloned();
    let client_upgrade = parts.extensions.remove::<OnUpgrade>();
    let mut req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .body(body)
        .map_err(|_| ApiError::bad_request("invalid request path"))?;
    copy_headers(&parts.headers, req.headers_mut());
    if let Some(proto) = &upgrade {
        req.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        req.headers_mut().insert(header::UPGRADE, proto.clone());
    }
    let mut resp = seg.send(req).await?;
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Ok(passthrough(resp));
    }
    let Some(client_upgrade) = client_upgrade.filter(|_| upgrade.is_some()) else {
        return Err(ApiError::bad_request("this endpoint needs an upgraded connection"));
    };
    let upstream_upgrade = hyper::upgrade::on(&mut resp);
    let mut out = Response::new(body::empty());
    *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    // Connection/Upgrade (and websocket accept headers) must reach the client as sent.
    for (name, value) in resp.headers() {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    tokio::spawn(splice(client_upgrade, upstream_upgrade, cancel, permit));
    Ok(out)
}

/// Copies both ways until both ends are done; `_permit` counts the stream meanwhile.
async fn splice(client: OnUpgrade, upstream: OnUpgrade, cancel: CancellationToken, _permit: Held) {
    let (client, upstream) = tokio::join!(client, upstream);
    let (client, upstream) = match (client, upstream) {
        (Ok(c), Ok(u)) => (c, u),
        (c, u) => {
            tracing::debug!(client = c.is_ok(), upstream = u.is_ok(), "upgrade failed");
            return;
        }
    };
    let _open = crate::metrics::Open::hijacked();
    let mut client = TokioIo::new(client);
    let mut upstream = TokioIo::new(upstream);
    // When one side finishes writing (stdin closed), copy_bidirectional half-closes the
    // other and keeps copying the reverse direction until it ends too.
    tokio::select! {
        r = tokio::io::copy_bidirectional_with_sizes(&mut client, &mut upstream, COPY_BUFFER, COPY_BUFFER) => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "hijacked stream ended with an error");
            }
        }
        _ = cancel.cancelled() => {}
    }
}
