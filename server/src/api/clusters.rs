//! `/api/v1/clusters...` handlers: thin shims over the provisioner.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use http::StatusCode;
use provisioner::Provisioner;

use super::wire::{BundleJson, ClusterDetailJson, ClusterJson, CreateCluster, GrowCluster};
use super::{ApiAccount, ApiError};

/// A JSON body, with a readable message when it does not parse.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload.map(|Json(v)| v).map_err(|e| ApiError::bad_request(format!("Bad request body: {}", e.body_text())))
}

pub async fn list(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
) -> Result<Json<Vec<ClusterJson>>, ApiError> {
    Ok(Json(p.clusters(&account).await?.into_iter().map(ClusterJson::from).collect()))
}

pub async fn create(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    payload: Result<Json<CreateCluster>, JsonRejection>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    let req = body(payload)?;
    let cluster = p.create_cluster(&account, &req.cluster_name, req.nodes).await?;
    Ok((StatusCode::CREATED, Json(cluster.into())))
}

pub async fn show(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<Json<ClusterDetailJson>, ApiError> {
    Ok(Json(p.cluster_detail(&account, &name).await?.into()))
}

pub async fn grow(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
    payload: Result<Json<GrowCluster>, JsonRejection>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    let req = body(payload)?;
    Ok((StatusCode::ACCEPTED, Json(p.grow_cluster(&account, &name, req.nodes).await?.into())))
}

pub async fn rebuild(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    Ok((StatusCode::ACCEPTED, Json(p.rebuild_cluster(&account, &name).await?.into())))
}

pub async fn delete(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<ClusterJson>), ApiError> {
    p.delete_cluster(&account, &name).await?;
    Ok((StatusCode::ACCEPTED, Json(p.cluster_summary(&account, &name).await?.into())))
}

pub async fn credentials(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let zip = p.download_credentials(&account, &name).await?;
    Ok(zip_response(zip))
}

pub async fn bundles(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path(name): Path<String>,
) -> Result<Json<Vec<BundleJson>>, ApiError> {
    Ok(Json(p.bundles(&account, &name).await?.into_iter().map(BundleJson::from).collect()))
}

pub async fn revoke_bundle(
    State(p): State<Provisioner>,
    ApiAccount(account): ApiAccount,
    Path((name, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    p.revoke_credentials(&account, &name, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A credentials zip as a download.
pub fn zip_response(zip: provisioner::CredentialsZip) -> Response {
    (
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", zip.file_name)),
            (http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        zip.bytes,
    )
        .into_response()
}
