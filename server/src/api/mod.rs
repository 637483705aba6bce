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

/// The API's routes, each with what it does: the answer of `GET /api/v1` (kept next to
/// the router so that the two are read, and changed, together).
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1", "this index"),
    ("GET", "/api/v1/account", "your account, its quotas and how many clusters it has"),
    ("GET", "/api/v1/clusters", "your clusters"),
    ("POST", "/api/v1/clusters", "create a cluster: {\"cluster_name\": \"web\", \"nodes\": 3}"),
    ("GET", "/api/v1/clusters/{name}", "one cluster with its discovery token, DOCKER_HOST, segments and history"),
    ("POST", "/api/v1/clusters/{name}/grow", "add segments: {\"nodes\": 3}"),
    ("POST", "/api/v1/clusters/{name}/rebuild", "replace every segment (containers on them are lost)"),
    ("DELETE", "/api/v1/clusters/{name}", "delete a cluster"),
    ("POST", "/api/v1/clusters/{name}/credentials", "a new credentials zip (a new client certificate)"),
    ("GET", "/api/v1/clusters/{name}/bundles", "the credentials bundles issued for a cluster"),
    ("DELETE", "/api/v1/clusters/{name}/bundles/{id}", "revoke a bundle: it stops working at once"),
];

/// The `/api/v1` routes.
pub fn router(provisioner: Provisioner) -> Router {
    Router::new()
        .route("/", get(index))
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

/// `GET /api/v1` (and `/api/v1/`): what the API offers, for people and scripts finding
/// their way. Needs no key: it holds nothing of any account.
pub async fn index() -> Json<wire::IndexJson> {
    Json(wire::IndexJson {
        name: "Carina JSON API",
        version: "v1",
        authentication: "Authorization: Bearer <key>; make a key on the account page (/account)",
        errors: "{\"error\": \"...\"} with an HTTP status: 400, 401, 403, 404, 409, 422, 429 or 500",
        docs: "the JSON API section of the project's README",
        routes: ROUTES
            .iter()
            .map(|&(method, path, description)| wire::RouteJson { method, path, description })
            .collect(),
    })
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
