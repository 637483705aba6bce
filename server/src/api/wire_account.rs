//! JSON shapes of the API's account, keys, index and errors.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An error: every answer with a status of 400 or more has this body.
#[derive(Serialize, ToSchema)]
pub struct ErrorJson {
    /// One sentence for people, saying what to do.
    pub error: String,
}

/// The account, its quotas and usage.
#[derive(Serialize, ToSchema)]
pub struct AccountJson {
    pub email: String,
    pub max_clusters: u32,
    pub max_nodes_per_cluster: u32,
    /// How many clusters the account has now.
    pub clusters: u32,
}

/// An event of one of the account's clusters.
#[derive(Serialize, ToSchema)]
pub struct AccountEventJson {
    pub cluster_name: String,
    /// `action`, `progress` or `policy`.
    pub kind: String,
    pub message: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
}

impl From<provisioner::AccountEvent> for AccountEventJson {
    fn from(e: provisioner::AccountEvent) -> Self {
        AccountEventJson { cluster_name: e.cluster_name, kind: e.kind, message: e.message, at: e.at }
    }
}

/// How many events to return.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// At most this many events, newest first (default 50, at most 500).
    pub limit: Option<u32>,
}

/// The body of `POST /api/v1/keys`: the account's email and password.
#[derive(Deserialize, ToSchema)]
pub struct NewKeyRequest {
    pub email: String,
    pub password: String,
    /// The key's name, as the account page lists it (default `carina-cli`).
    pub name: Option<String>,
}

/// A new API key: the secret is shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewKeyJson {
    pub id: String,
    pub name: String,
    /// Send it as `Authorization: Bearer <secret>`.
    pub secret: String,
    pub email: String,
}

/// `GET /api/v1`: the API's index.
#[derive(Serialize, ToSchema)]
pub struct IndexJson {
    pub name: &'static str,
    pub version: &'static str,
    pub authentication: &'static str,
    pub errors: &'static str,
    /// The OpenAPI 3.1 document of the API.
    pub openapi: &'static str,
    pub docs: &'static str,
    pub routes: Vec<RouteJson>,
}

/// One route in the index.
#[derive(Serialize, ToSchema)]
pub struct RouteJson {
    pub method: String,
    pub path: String,
    pub description: String,
}
