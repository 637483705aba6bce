//! API errors: `{"error": "..."}` with the matching HTTP status, as Carina's API did. The
//! status of a domain error is the provisioner's own ([`provisioner::Error::status`]), the
//! same the panel answers with. Internal details are logged, never sent.

use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;

/// An error answer of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// 401 with a message.
    pub fn unauthorized(message: &str) -> Self {
        ApiError { status: StatusCode::UNAUTHORIZED, message: message.into() }
    }

    /// 404 with a message.
    pub fn not_found(message: &str) -> Self {
        ApiError { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// 400 with a message: a body that is not JSON of the expected shape (values that are
    /// well formed but not acceptable are the domain's 422).
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
}

impl From<provisioner::Error> for ApiError {
    fn from(err: provisioner::Error) -> Self {
        let status = err.status();
        let message = if err.is_user_facing() {
            err.to_string()
        } else {
            tracing::error!(error = %err, "internal error in the JSON API");
            "Something went wrong on our side. Please try again in a moment.".into()
        };
        ApiError { status, message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": self.message }))).into_response()
    }
}
