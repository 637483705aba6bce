//! `GET /status.json`: the service's state in numbers, public (no sign-in) and cacheable
//! for a few seconds. Counts only: nothing names a tenant, a cluster or an address.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::header::CACHE_CONTROL;
use http::{HeaderValue, StatusCode};
use provisioner::Provisioner;

/// The status routes.
pub fn router(provisioner: Provisioner) -> Router {
    Router::new().route("/status.json", get(status)).with_state(provisioner)
}

async fn status(State(provisioner): State<Provisioner>) -> Response {
    match provisioner.service_status().await {
        Ok(status) => {
            let mut response = Json(status).into_response();
            response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=5"));
            response
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not read the service status");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"error": "the database does not answer"})))
                .into_response()
        }
    }
}
