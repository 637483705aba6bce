//! Finding which segment owns a container.

use std::sync::Arc;

use http::StatusCode;
use serde_json::Value;

use crate::cluster::fanout;
use crate::error::ApiError;
use crate::request::RequestContext;
use crate::transport::upstream::Seg;

/// A container found on a segment.
pub(crate) struct Located {
    pub seg: Arc<Seg>,
    /// The reference to use on that segment (the name without `<segment>/`).
    pub reference: String,
    /// The inspect answer, when locating needed one.
    pub inspect: Option<Value>,
}

impl Located {
    /// The inspect answer, fetched now if locating did not need it.
    pub(super) async fn inspect(&mut self) -> Result<&Value, ApiError> {
        if self.inspect.is_none() {
            let v = self.seg.get_json(&format!("/v1.41/containers/{}/json", self.reference)).await?;
            self.inspect = Some(v);
        }
        Ok(self.inspect.get_or_insert(Value::Null))
    }
}

/// Resolves `id`, an id prefix, a name, or `<segment>/<name>`. Full ids are cached (they
/// never move); anything else asks every segment in parallel.
pub(crate) async fn locate(ctx: &RequestContext, reference: &str) -> Result<Located, ApiError> {
    let cluster = ctx.cluster();
    let reference = reference.trim_start_matches('/');
    if let Some((segment, name)) = reference.split_once('/') {
        if let Some(seg) = cluster.segment_named(segment).await? {
            return Ok(Located { seg, reference: name.to_owned(), inspect: None });
        }
        return Err(ApiError::no_such_container(reference));
    }
    if let Some(owner) = cluster.owner_of(reference) {
        if let Some(seg) = cluster.segment_named(&owner).await? {
            return Ok(Located { seg, reference: reference.to_owned(), inspect: None });
        }
    }
    let segs = cluster.nonempty_segments().await?;
    let path = format!("/v1.41/containers/{reference}/json");
    let answers = fanout::get_json_all(&segs, &path).await;
    let mut found: Vec<(Arc<Seg>, Value)> = Vec::new();
    let mut client_error: Option<ApiError> = None;
    for (seg, r) in answers {
        match r {
            Ok(v) => found.push((seg, v)),
            Err(e) if e.status == StatusCode::NOT_FOUND => {}
            Err(e) if e.status.is_client_error() => client_error = Some(e),
            Err(e) => {
                tracing::debug!(segment = %seg.name, error = %e, "segment left out of lookup")
            }
        }
    }
    match found.len() {
        0 => Err(client_error.unwrap_or_else(|| ApiError::no_such_container(reference))),
        1 => {
            let (seg, v) = found.remove(0);
            let id = v.get("Id").and_then(Value::as_str).unwrap_or(reference).to_owned();
            cluster.remember_owner(&id, &seg.name);
            Ok(Located { seg, reference: id, inspect: Some(v) })
        }
        _ => {
            let candidates: Vec<String> = found
                .iter()
                .map(|(seg, v)| {
                    let name = v.get("Name").and_then(Value::as_str).unwrap_or("").trim_start_matches('/');
                    let id = v.get("Id").and_then(Value::as_str).unwrap_or("");
                    format!("{}/{} ({})", seg.name, name, &id[..id.len().min(12)])
                })
                .collect();
            Err(ApiError::not_found(format!(
                "No such container: {reference} is ambiguous, it matches {}; use <segment>/<name> or a longer id",
                candidates.join(", ")
            )))
        }
    }
}
