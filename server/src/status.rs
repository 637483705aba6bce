//! The service's public status: `GET /status` (a page rendered on the server, no script)
//! and `GET /status.json` (the same figures). No sign-in, cacheable for a few seconds, and
//! counts only: nothing names a tenant, a cluster or an address.

mod host;
mod page;

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::header::CACHE_CONTROL;
use http::{HeaderValue, StatusCode};
use provisioner::{Provisioner, ServiceStatus};
use serde::Serialize;

pub use host::HostCapacity;

/// The status routes.
pub fn router(provisioner: Provisioner) -> Router {
    Router::new().route("/status", get(page)).route("/status.json", get(json)).with_state(provisioner)
}

/// Everything the status page shows.
#[derive(Debug, Serialize)]
pub struct Status {
    /// `ok` when the database answers (the figures below come from it).
    pub database: &'static str,
    #[serde(flatten)]
    pub service: ServiceStatus,
    /// What segments reserve of this host.
    pub capacity: HostCapacity,
    /// The Docker version segments run.
    pub docker_version: String,
}

async fn status(provisioner: &Provisioner) -> Result<Status, StatusCode> {
    let service = provisioner.service_status().await.map_err(|err| {
        tracing::warn!(error = %err, "could not read the service status");
        StatusCode::SERVICE_UNAVAILABLE
    })?;
    let config = provisioner.config();
    let segments = service.segments.values().sum::<u64>() + service.warm_pool.ready + service.warm_pool.starting;
    Ok(Status {
        database: "ok",
        capacity: HostCapacity::read(segments, &config.flavor),
        docker_version: config.docker_version.clone(),
        service,
    })
}

fn cacheable(mut response: Response) -> Response {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=5"));
    response
}

async fn json(State(provisioner): State<Provisioner>) -> Response {
    match status(&provisioner).await {
        Ok(status) => cacheable(Json(status).into_response()),
        Err(code) => (code, Json(serde_json::json!({"database": "unavailable"}))).into_response(),
    }
}

async fn page(State(provisioner): State<Provisioner>) -> Response {
    match status(&provisioner).await {
        Ok(status) => cacheable(Html(page::render(&status)).into_response()),
        Err(code) => (code, Html(page::unavailable())).into_response(),
    }
}
