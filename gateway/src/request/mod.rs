//! One request on an authenticated connection: its context, its typed [`Endpoint`], its
//! body (streamed, or read and judged as JSON), its version prefix, and the gate where
//! the policy judges it.

mod endpoint;
mod family;
pub(crate) mod policy_gate;
pub(crate) mod query;
mod version;

use std::sync::Arc;

use bytes::Bytes;
use http::{request::Parts, Method};
use hyper::body::Incoming;

pub(crate) use endpoint::{classify, upstream_path};
pub(crate) use endpoint::{
    Collection, ContainerAction, Endpoint, ImageRoute, NetworkRoute, PluginRoute, SwarmRoute, VolumeRoute,
};
pub(crate) use version::{check_version, parse_version, split_version, MAX_API_VERSION, MIN_API_VERSION};

use crate::cluster::Cluster;
use crate::error::ApiError;
use crate::transport::body::{self, Body};
use crate::transport::listener::ConnCtx;

/// What every handler of one request needs: its connection (cluster, client, budgets)
/// and the version prefix to forward.
pub(crate) struct RequestContext {
    pub conn: Arc<ConnCtx>,
    /// The version prefix to forward (`/v1.41`), or empty when the client sent none.
    pub version_prefix: String,
}

impl RequestContext {
    pub(crate) fn cluster(&self) -> &Arc<Cluster> {
        &self.conn.shared.cluster
    }
    /// A path on a segment: the client's version prefix plus `path`.
    pub(crate) fn upstream_path(&self, path: &str) -> String {
        format!("{}{}", self.version_prefix, path)
    }
    /// A path and query on a segment.
    pub(crate) fn upstream_uri(&self, path: &str, query: &str) -> String {
        if query.is_empty() {
            self.upstream_path(path)
        } else {
            format!("{}{}?{}", self.version_prefix, path, query)
        }
    }
    /// A stream's place in its cluster's and its certificate's budgets (and a reader
    /// thread's, for bulk streams); refused with 429 when one is spent.
    pub(crate) fn stream_permit(&self, needs_thread: bool) -> Result<crate::limits::Held, ApiError> {
        self.conn.shared.limits.stream(&self.conn.client.fingerprint, needs_thread)
    }
}

/// A request, classified: `path` is the path forwarded (version prefix stripped, cleaned
/// and re-escaped, see [`Endpoint`]), and the body either untouched or read and parsed.
pub(crate) struct ApiRequest {
    pub parts: Parts,
    pub endpoint: Endpoint,
    pub path: String,
    pub query: String,
    pub body: RequestBody,
}

/// A request body as the gateway holds it.
pub(crate) enum RequestBody {
    /// Streamed as is.
    Stream(Incoming),
    /// Read whole (small JSON) and policy-checked; `json` is `Null` for an empty body,
    /// and `bytes` its canonical serialisation: what dockerd gets is what was judged.
    Json { bytes: Bytes, json: serde_json::Value },
}

impl RequestBody {
    /// The body for forwarding.
    pub(crate) fn into_body(self) -> Body {
        match self {
            RequestBody::Stream(b) => body::incoming(b),
            RequestBody::Json { bytes, .. } => body::full(bytes),
        }
    }
}

impl ApiRequest {
    pub(crate) fn method(&self) -> &Method {
        &self.parts.method
    }
    /// The body for forwarding.
    pub(crate) fn into_body(self) -> Body {
        self.body.into_body()
    }
    pub(crate) fn json(&self) -> &serde_json::Value {
        match &self.body {
            RequestBody::Json { json, .. } => json,
            RequestBody::Stream(_) => &serde_json::Value::Null,
        }
    }
    /// The request line as audited: `POST /containers/create`.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.parts.method, self.path)
    }
}

/// The answer to a path the cluster endpoint does not serve.
pub(crate) fn unsupported(path: &str) -> ApiError {
    ApiError::not_found(format!("{path} is not supported by the Carina cluster endpoint"))
}
