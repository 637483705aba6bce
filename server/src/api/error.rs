//! API errors: `{"error": "..."}` with the matching HTTP status, as Carina's API did.
//! Internal details are logged, never sent.

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

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
}

impl From<provisioner::Error> for ApiError {
    fn from(err: provisioner::Error) -> Self {
        use provisioner::Error as E;
        let status = match &err {
            E::Invalid(_) => StatusCode::BAD_REQUEST,
            E::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            E::Forbidden(_) | E::QuotaExceeded(_) => StatusCode::FORBIDDEN,
            E::NotFound(_) => StatusCode::NOT_FOUND,
            E::Conflict(_) => StatusCode::CONFLICT,
            E::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::Storage(_) | E::Migrate(_) | E::SecretKey(_) | E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
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
