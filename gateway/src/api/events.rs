//! `GET /events`: the event streams of all segments, merged line by line, until the
//! client goes away (or `until` ends every stream).

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};

use crate::cluster::fanout;
use crate::error::ApiError;
use crate::request::{ApiRequest, RequestContext};
use crate::transport::body::{Body, BoxError};
use crate::transport::upstream::{self, Seg};

pub(crate) async fn events(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let target = ctx.upstream_uri("/events", &req.query);
    let answers = fanout::all(&segs, |seg| {
        let target = target.clone();
        async move {
            let resp = seg.request(Method::GET, &target).await?;
            if resp.status().is_success() {
                Ok(resp.into_body())
            } else {
                let (parts, bytes) = upstream::read_body(resp).await?;
                Err(upstream::error_from(parts.status, &bytes))
            }
        }
    })
    .await;
    let bodies = fanout::successes(answers)?;
    let merged = futures::stream::select_all(bodies.into_iter().map(|(seg, b)| {
        let node = node_of(&seg);
        lines(b).map(move |line| line.map(|l| with_node(l, &node))).boxed()
    }));
    let body = StreamBody::new(merged.map(|r| r.map(Frame::data))).boxed_unsync();
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

/// Classic Swarm's `node` object, added to each event so that users see where it happened.
fn node_of(seg: &Seg) -> serde_json::Value {
    serde_json::json!({
        "Name": seg.name,
        "Id": seg.name,
        "Addr": seg.engine_address.clone(),
        "Ip": seg.address.to_string(),
    })
}

fn with_node(line: Bytes, node: &serde_json::Value) -> Bytes {
    match serde_json::from_slice::<serde_json::Value>(&line) {
        Ok(serde_json::Value::Object(mut event)) => {
            event.insert("node".into(), node.clone());
            let mut out = serde_json::to_vec(&event).unwrap_or_else(|_| line.to_vec());
            out.push(b'\n');
            Bytes::from(out)
        }
        _ => line,
    }
}

/// Whole lines (one JSON event each) out of a body cut anywhere.
fn lines(body: Incoming) -> impl futures::Stream<Item = Result<Bytes, BoxError>> + Send {
    futures::stream::unfold((body, BytesMut::new(), false), |(mut body, mut buf, done)| async move {
        if done {
            return None;
        }
        loop {
            if let Some(i) = buf.iter().position(|b| *b == b'\n') {
                let line = buf.split_to(i + 1).freeze();
                return Some((Ok(line), (body, buf, false)));
            }
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        buf.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => {
                    // One segment going away must not end the others' events.
                    tracing::debug!(error = %e, "segment event stream ended");
                    return None;
                }
                None => {
                    if buf.is_empty() {
                        return None;
                    }
                    let rest = buf.split().freeze();
                    return Some((Ok(rest), (body, buf, true)));
                }
            }
        }
    })
}
