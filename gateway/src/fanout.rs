//! Asking every segment at once, and folding the answers.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use crate::error::ApiError;
use crate::upstream::Seg;

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
