//! Token discovery, modelled on classic Swarm's hosted discovery:
//! `GET /v1/clusters/<token>` answers the JSON list of the cluster's `ip:port`.
//! Knowing the token (the cluster id, a random UUID) is what grants access, as it was.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use provisioner::Provisioner;

use crate::api::ApiError;

/// The `/v1` discovery routes.
pub fn router(provisioner: Provisioner) -> Router {
    Router::new().route("/clusters/{token}", get(list)).with_state(provisioner)
}

async fn list(State(p): State<Provisioner>, Path(token): Path<String>) -> Result<Json<Vec<String>>, ApiError> {
    Ok(Json(p.discover(&token).await?))
}
