//! The JSON API under `/api/v1`, authenticated with personal API keys
//! (`Authorization: Bearer carina_...`). Everything the panel does, for scripts and CI.

mod clusters;
mod error;
mod wire;

use axum::extract::{FromRequestParts, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use http::request::Parts;
use provisioner::{Account, Provisioner};

pub use clusters::zip_response;
pub use error::ApiError;

/// The `/api/v1` routes.
pub fn router(provisioner: Provisioner) -> Router {
    Router::new()
        .route("/account", get(account))
        .route("/clusters", get(clusters::list).post(clusters::create))
        .route("/clusters/{name}", get(clusters::show).delete(clusters::delete))
        .route("/clusters/{name}/grow", post(clusters::grow))
        .route("/clusters/{name}/rebuild", post(clusters::rebuild))
        // POST mints a bundle. GET stays for older scripts: only a Bearer key authenticates
        // here (never a cookie), and no other site can make a browser send one.
        .route("/clusters/{name}/credentials", post(clusters::credentials).get(clusters::credentials))
        .route("/clusters/{name}/bundles", get(clusters::bundles))
        .route("/clusters/{name}/bundles/{id}", delete(clusters::revoke_bundle))
        .with_state(provisioner)
}

/// The account an API key belongs to: the extractor every handler starts with.
pub struct ApiAccount(pub Account);

impl FromRequestParts<Provisioner> for ApiAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, provisioner: &Provisioner) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Send a personal API key: Authorization: Bearer <key>. Make one on the account page.",
                )
            })?;
        match provisioner.account_for_api_key(key).await? {
            Some(account) => Ok(ApiAccount(account)),
            None => Err(ApiError::unauthorized("This API key is not valid (revoked, or never issued).")),
        }
    }
}

/// `GET /api/v1/account`: the account, its quotas and usage.
async fn account(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
) -> Result<Json<wire::AccountJson>, ApiError> {
    let clusters = p.storage().cluster_count(&account.id).await?;
    Ok(Json(wire::AccountJson {
        email: account.email,
        max_clusters: account.quotas.max_clusters,
        max_nodes_per_cluster: account.quotas.max_segments_per_cluster,
        clusters,
    }))
}
