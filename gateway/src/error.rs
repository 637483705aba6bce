//! Errors: the public one for the lead's wiring, and the Docker-style one users see.

use http::StatusCode;
use serde_json::json;

use crate::transport::body::{self, Body};

/// Why opening an endpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The TLS material could not be used.
    #[error("invalid TLS material: {0}")]
    Tls(String),
    /// The listener could not bind.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// An error answered to the docker CLI as `{"message": ...}`.
///
/// Messages must be safe to show to a tenant: no host paths, no socket names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub(crate) fn no_such_container(reference: &str) -> Self {
        Self::not_found(format!("No such container: {reference}"))
    }

    pub(crate) fn into_response(self) -> http::Response<Body> {
        body::json_response(self.status, &json!({ "message": self.message }))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}
