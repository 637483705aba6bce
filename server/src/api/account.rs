//! `/api/v1/account...` and `/api/v1/keys`: the account, its history and audit trail, and
//! making an API key from a password (what `carina login` does).

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::response::Response;
use axum::Json;
use http::StatusCode;
use provisioner::Provisioner;

use super::clusters::{body, EVENTS_DEFAULT};
use super::wire_account::{AccountEventJson, AccountJson, ErrorJson, EventsQuery, NewKeyJson, NewKeyRequest};
use super::{ApiAccount, ApiError};

/// Your account, its quotas and how many clusters it has.
#[utoipa::path(get, path = "/api/v1/account", tag = "account", security(("api_key" = [])),
    responses((status = 200, body = AccountJson), (status = 401, body = ErrorJson)))]
pub async fn account(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
) -> Result<Json<AccountJson>, ApiError> {
    let clusters = p.storage().cluster_count(&account.id).await?;
    Ok(Json(AccountJson {
        email: account.email,
        max_clusters: account.quotas.max_clusters,
        max_nodes_per_cluster: account.quotas.max_segments_per_cluster,
        clusters,
    }))
}

/// The history of all your clusters, newest first (deleted clusters' too, for as long as
/// the server keeps events).
#[utoipa::path(get, path = "/api/v1/account/events", tag = "account", security(("api_key" = [])),
    params(EventsQuery),
    responses((status = 200, body = Vec<AccountEventJson>), (status = 401, body = ErrorJson)))]
pub async fn account_events(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Query(query): Query<EventsQuery>,
) -> Result<Json<Vec<AccountEventJson>>, ApiError> {
    let events = p.account_events(&account, query.limit.unwrap_or(EVENTS_DEFAULT)).await?;
    Ok(Json(events.into_iter().map(AccountEventJson::from).collect()))
}

/// Your audit trail as JSON Lines, newest first (the latest 10 000): one object per line
/// with `at` (ms since the Unix epoch), `kind` (`action` or `account`), `cluster`,
/// `message`, `actor` (`panel`, `api key NAME (PREFIX…)`, `api (password)`, `operator`)
/// and `address`.
///
/// Every action on your clusters and account (sign-ins and failed ones, API keys,
/// credentials), deleted clusters' included, for as long as the server keeps them.
#[utoipa::path(get, path = "/api/v1/account/audit", tag = "account", security(("api_key" = [])),
    responses((status = 200, description = "JSON Lines, one entry per line", content_type = "application/jsonl",
        body = String), (status = 401, body = ErrorJson)))]
pub async fn audit(State(p): State<Provisioner>, ApiAccount(account): ApiAccount) -> Result<Response, ApiError> {
    let entries = p.audit_trail(&account, provisioner::AUDIT_LIMIT).await?;
    Ok(crate::audit::jsonl_response(&entries))
}

/// Make an API key with your email and password (what `carina login` does).
///
/// `{"email": "...", "password": "...", "name": "laptop"}`. Throttled exactly like signing
/// in to the panel (it is one): after a few wrong passwords, 429 says how long to wait.
#[utoipa::path(post, path = "/api/v1/keys", tag = "account", request_body = NewKeyRequest,
    responses((status = 201, body = NewKeyJson), (status = 400, body = ErrorJson),
        (status = 401, description = "wrong email or password", body = ErrorJson),
        (status = 429, description = "too many attempts", body = ErrorJson)))]
pub async fn create_key(
    State(p): State<Provisioner>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    payload: Result<Json<NewKeyRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<NewKeyJson>), ApiError> {
    let req = body(payload)?;
    let name = req.name.as_deref().unwrap_or("carina-cli");
    let (account, key, secret) = p.create_api_key_with_password(&req.email, &req.password, peer.ip(), name).await?;
    Ok((StatusCode::CREATED, Json(NewKeyJson { id: key.id, name: key.name, secret, email: account.email })))
}
