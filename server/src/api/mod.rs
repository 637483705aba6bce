//! The JSON API under `/api/v1`, authenticated with personal API keys
//! (`Authorization: Bearer carina_...`). Everything the panel does, for scripts, CI and
//! the `carina` command. The routes are listed once, in [`routes`]: the router, the
//! OpenAPI document (`/api/v1/openapi.json`) and the index (`/api/v1`) all come from it.

mod account;
mod clusters;
mod error;
mod openapi;
mod wire;
mod wire_account;

use axum::extract::FromRequestParts;
use axum::{Json, Router};
use http::request::Parts;
use provisioner::{Account, Provisioner};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use clusters::zip_response;
pub use error::ApiError;

/// Every route of the API, each with its OpenAPI description.
fn routes() -> OpenApiRouter<Provisioner> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(index))
        .routes(routes!(openapi::serve))
        .routes(routes!(account::account))
        .routes(routes!(account::account_events))
        .routes(routes!(account::audit))
        .routes(routes!(account::create_key))
        .routes(routes!(clusters::list, clusters::create))
        .routes(routes!(clusters::show, clusters::delete))
        .routes(routes!(clusters::grow))
        .routes(routes!(clusters::rebuild))
        .routes(routes!(clusters::credentials, clusters::credentials_get))
        .routes(routes!(clusters::bundles))
        .routes(routes!(clusters::revoke_bundle))
        .routes(routes!(clusters::cluster_events))
}

/// The `/api/v1` routes (with full paths: merge, do not nest). `/api/v1/` is the index
/// too, and any other path under `/api/v1/` is a JSON 404.
pub fn router(provisioner: Provisioner) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .route("/api/v1/", axum::routing::get(index))
        .route("/api/v1/{*rest}", axum::routing::any(no_such_route))
        .with_state(provisioner)
}

async fn no_such_route() -> ApiError {
    ApiError::not_found("No such API route; GET /api/v1 lists them.")
}

/// This index: every route, and where the OpenAPI document is.
///
/// For people and scripts finding their way. Needs no key: it holds nothing of any account.
#[utoipa::path(get, path = "/api/v1", tag = "meta", responses((status = 200, body = wire_account::IndexJson)))]
pub async fn index() -> Json<wire_account::IndexJson> {
    Json(wire_account::IndexJson {
        name: "Carina JSON API",
        version: "v1",
        authentication:
            "Authorization: Bearer <key>; make a key on the account page (/account) or with POST /api/v1/keys",
        errors: "{\"error\": \"...\"} with an HTTP status: 400, 401, 403, 404, 409, 422, 429 or 500",
        openapi: openapi::PATH,
        docs: "the JSON API section of the project's README",
        routes: openapi::operations(openapi::document())
            .into_iter()
            .map(|(method, path, summary)| wire_account::RouteJson {
                method: method.into(),
                path,
                description: summary.replace('\n', " "),
            })
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
