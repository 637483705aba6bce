//! `/api/v1/clusters...` handlers: thin shims over the provisioner. Each one's doc
//! comment and `#[utoipa::path]` are its entry in the OpenAPI document and the index.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use http::StatusCode;
use provisioner::Provisioner;

use super::wire::{BundleJson, ClusterDetailJson, ClusterJson, CreateCluster, EventJson, GrowCluster};
use super::wire_account::{ErrorJson, EventsQuery};
use super::{ApiAccount, ApiError};

/// A JSON body, with a readable message when it does not parse.
pub(super) fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload.map(|Json(v)| v).map_err(|e| ApiError::bad_request(format!("Bad request body: {}", e.body_text())))
}

/// How many events an answer holds unless `?limit=` says otherwise.
pub(super) const EVENTS_DEFAULT: u32 = 50;

/// Your clusters.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "clusters", security(("api_key" = [])),
    responses((status = 200, body = Vec<ClusterJson>), (status = 401, body = ErrorJson)))]
pub async fn list(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
) -> Result<Json<Vec<ClusterJson>>, ApiError> {
    Ok(Json(p.clusters(&account).await?.into_iter().map(ClusterJson::from).collect()))
}

/// Create a cluster: `{"cluster_name": "web", "nodes": 3}`.
#[utoipa::path(post, path = "/api/v1/clusters", tag = "clusters", security(("api_key" = [])),
    request_body = CreateCluster,
    responses((status = 201, body = ClusterJson), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson),
        (status = 403, description = "over a quota", body = ErrorJson), (status = 409, body = ErrorJson),
        (status = 422, body = ErrorJson)))]
pub async fn create(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    payload: Result<Json<CreateCluster>, JsonRejection>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    let req = body(payload)?;
    let cluster = p.create_cluster(&account, &req.cluster_name, req.nodes).await?;
    Ok((StatusCode::CREATED, Json(cluster.into())))
}

/// One cluster with its discovery token, DOCKER_HOST, segments and latest history.
#[utoipa::path(get, path = "/api/v1/clusters/{name}", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name")),
    responses((status = 200, body = ClusterDetailJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn show(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<Json<ClusterDetailJson>, ApiError> {
    Ok(Json(p.cluster_detail(&account, &name).await?.into()))
}

/// Add segments: `{"nodes": 1}` adds one (grows *by*, as Carina's API did).
#[utoipa::path(post, path = "/api/v1/clusters/{name}/grow", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name")), request_body = GrowCluster,
    responses((status = 202, body = ClusterJson), (status = 400, body = ErrorJson), (status = 401, body = ErrorJson),
        (status = 403, description = "over the segment quota", body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, description = "the status does not permit it", body = ErrorJson), (status = 422, body = ErrorJson)))]
pub async fn grow(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
    payload: Result<Json<GrowCluster>, JsonRejection>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    let req = body(payload)?;
    Ok((StatusCode::ACCEPTED, Json(p.grow_cluster_by(&account, &name, req.nodes).await?.into())))
}

/// Replace every segment (containers on them are lost).
#[utoipa::path(post, path = "/api/v1/clusters/{name}/rebuild", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name")),
    responses((status = 202, body = ClusterJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, body = ErrorJson)))]
pub async fn rebuild(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(p.rebuild_cluster(&account, &name).await?.into())))
}

/// Delete a cluster.
#[utoipa::path(delete, path = "/api/v1/clusters/{name}", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name")),
    responses((status = 202, body = ClusterJson), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson),
        (status = 409, body = ErrorJson)))]
pub async fn delete(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    p.delete_cluster(&account, &name).await?;
    Ok((StatusCode::ACCEPTED, Json(p.cluster_summary(&account, &name).await?.into())))
}

/// A new credentials zip (a new client certificate).
///
/// GET does the same, for older scripts: only a Bearer key authenticates here (never a
/// cookie), so no other site can make a browser mint one.
#[utoipa::path(post, path = "/api/v1/clusters/{name}/credentials", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name")),
    responses((status = 200, description = "`<name>.zip`, unpacking into `<name>/`", content_type = "application/zip",
            headers(("x-carina-bundle-id" = String, description = "the new bundle's id"))),
        (status = 401, body = ErrorJson), (status = 404, body = ErrorJson), (status = 409, description = "not active yet", body = ErrorJson)))]
pub async fn credentials(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let zip = p.download_credentials(&account, &name).await?;
    Ok(zip_response(zip))
}

/// The same as POST, for older scripts.
#[utoipa::path(get, path = "/api/v1/clusters/{name}/credentials", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name")),
    responses((status = 200, description = "`<name>.zip`", content_type = "application/zip"), (status = 401, body = ErrorJson),
        (status = 404, body = ErrorJson), (status = 409, body = ErrorJson)))]
pub async fn credentials_get(
    state: State<Provisioner>,
    account: ApiAccount,
    name: Path<String>,
) -> Result<Response, ApiError> {
    credentials(state, account, name).await
}

/// The credentials bundles issued for a cluster.
#[utoipa::path(get, path = "/api/v1/clusters/{name}/bundles", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name")),
    responses((status = 200, body = Vec<BundleJson>), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn bundles(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<Json<Vec<BundleJson>>, ApiError> {
    Ok(Json(p.bundles(&account, &name).await?.into_iter().map(BundleJson::from).collect()))
}

/// Revoke a bundle: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/clusters/{name}/bundles/{id}", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name"),
        ("id" = String, Path, description = "the bundle's id")),
    responses((status = 204, description = "revoked"), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn revoke_bundle(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    p.revoke_credentials(&account, &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A cluster's history, newest first.
#[utoipa::path(get, path = "/api/v1/clusters/{name}/events", tag = "clusters", security(("api_key" = [])),
    params(("name" = String, Path, description = "the cluster's name"), EventsQuery),
    responses((status = 200, body = Vec<EventJson>), (status = 401, body = ErrorJson), (status = 404, body = ErrorJson)))]
pub async fn cluster_events(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
    Query(query): Query<EventsQuery>,
) -> Result<Json<Vec<EventJson>>, ApiError> {
    let events = p.cluster_events(&account, &name, query.limit.unwrap_or(EVENTS_DEFAULT)).await?;
    Ok(Json(events.into_iter().map(EventJson::from).collect()))
}

/// The header naming the bundle a credentials zip holds (its id, as `bundles` lists it).
pub const BUNDLE_ID_HEADER: &str = "x-carina-bundle-id";

/// A credentials zip as a download.
pub fn zip_response(zip: provisioner::CredentialsZip) -> Response {
    (
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", zip.file_name)),
            (http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        [(BUNDLE_ID_HEADER, zip.bundle_id)],
        zip.bytes,
    )
        .into_response()
}
