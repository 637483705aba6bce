//! Asking every segment at once, and folding the answers.

use std::future::Future;
use std::sync::Arc;

use http::{Method, Response, StatusCode};
use serde_json::Value;

use crate::error::ApiError;
use crate::transport::body::{self, Body};
use crate::transport::upstream::{self, Seg};

/// Runs `f` on every segment in parallel; answers keep the segments' order.
pub(crate) async fn all<T, F, Fut>(segs: &[Arc<Seg>], f: F) -> Vec<(Arc<Seg>, Result<T, ApiError>)>
where
    F: Fn(Arc<Seg>) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let results = futures::future::join_all(segs.iter().map(|s| f(s.clone()))).await;
    segs.iter().cloned().zip(results).collect()
}

/// The successes; if every segment failed, the first failure (client errors first, since
/// they say more than "unreachable").
pub(crate) fn successes<T>(results: Vec<(Arc<Seg>, Result<T, ApiError>)>) -> Result<Vec<(Arc<Seg>, T)>, ApiError> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for (seg, r) in results {
        match r {
            Ok(v) => ok.push((seg, v)),
            Err(e) => {
                tracing::debug!(segment = %seg.name, error = %e, "segment answer left out");
                errors.push(e);
            }
        }
    }
    if ok.is_empty() {
        errors.sort_by_key(|e| !e.status.is_client_error());
        return Err(errors
            .into_iter()
            .next()
            .unwrap_or_else(|| ApiError::unavailable("the cluster has no segments yet")));
    }
    Ok(ok)
}

/// GET the same JSON on every segment.
pub(crate) async fn get_json_all(segs: &[Arc<Seg>], path: &str) -> Vec<(Arc<Seg>, Result<Value, ApiError>)> {
    all(segs, |seg| async move { seg.get_json(path).await }).await
}

/// GET `path` on the segments: the first answer that succeeds, else the last error (or
/// `missing()` when there was no segment to ask).
pub(crate) async fn first_json(
    segs: &[Arc<Seg>],
    path: &str,
    missing: impl FnOnce() -> ApiError,
) -> Result<Response<Body>, ApiError> {
    let mut last = None;
    for (_, r) in get_json_all(segs, path).await {
        match r {
            Ok(v) => return Ok(body::json_response(StatusCode::OK, &v)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(missing))
}

/// DELETE `path` on every segment; see [`everywhere_it_exists`].
pub(crate) async fn delete_everywhere(
    segs: &[Arc<Seg>],
    path: &str,
    reference: &str,
) -> Result<Response<Body>, ApiError> {
    let answers =
        all(segs, |seg| async move { upstream::read_json(seg.request(Method::DELETE, path).await?).await }).await;
    everywhere_it_exists(answers, reference)
}

/// Succeeds if it succeeded somewhere and failed nowhere except "not found".
pub(crate) fn everywhere_it_exists(
    answers: Vec<(Arc<Seg>, Result<Value, ApiError>)>,
    reference: &str,
) -> Result<Response<Body>, ApiError> {
    let mut any_ok = false;
    let mut not_found = None;
    for (seg, r) in answers {
        match r {
            Ok(_) => any_ok = true,
            Err(e) if e.status == StatusCode::NOT_FOUND => {
                not_found.get_or_insert(e);
            }
            Err(e) => return Err(ApiError::new(e.status, format!("{}: {}", seg.name, e.message))),
        }
    }
    if any_ok {
        let mut resp = Response::new(body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        Ok(resp)
    } else {
        Err(not_found.unwrap_or_else(|| ApiError::not_found(format!("{reference} not found"))))
    }
}

/// POSTs a prune (`path_and_query`) to every segment and merges the answers, whose list of
/// removed things is under `list_key`.
pub(crate) async fn prune_everywhere(
    segs: &[Arc<Seg>],
    path_and_query: &str,
    list_key: &str,
) -> Result<Response<Body>, ApiError> {
    let answers =
        all(segs, |seg| async move { upstream::read_json(seg.request(Method::POST, path_and_query).await?).await })
            .await;
    let merged = merge_prune(successes(answers)?, list_key);
    Ok(body::json_response(StatusCode::OK, &merged))
}

/// Merges prune answers: lists concatenated, `SpaceReclaimed` summed.
pub(crate) fn merge_prune(answers: Vec<(Arc<Seg>, Value)>, list_key: &str) -> Value {
    let mut list = Vec::new();
    let mut space: u64 = 0;
    for (_, v) in answers {
        if let Some(items) = v.get(list_key).and_then(Value::as_array) {
            list.extend(items.iter().cloned());
        }
        space += v.get("SpaceReclaimed").and_then(Value::as_u64).unwrap_or(0);
    }
    let mut out = serde_json::Map::new();
    out.insert(list_key.to_owned(), if list.is_empty() { Value::Null } else { Value::Array(list) });
    out.insert("SpaceReclaimed".to_owned(), space.into());
    Value::Object(out)
}
