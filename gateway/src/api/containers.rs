//! Container collection routes: create (policy, spread placement), list (merged, names
//! prefixed with their segment), prune.

use std::sync::Arc;

use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::api::binds;
use crate::api::locality;
use crate::api::name_filter::NameFilter;
use crate::cluster::fanout;
use crate::error::ApiError;
use crate::placement::{self, ContainerFacts, Spec, SwarmFilters};
use crate::request::policy_gate;
use crate::request::query;
use crate::request::{ApiRequest, RequestContext};
use crate::transport::body::{self, Body};
use crate::transport::upstream::{self, Seg};

/// `GET /containers/json`: every segment in parallel, merged newest first; a name filter
/// applies to the names as the CLI shows them.
pub(crate) async fn list(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let (upstream_query, names) = NameFilter::take(&req.query)?;
    let path = ctx.upstream_uri("/containers/json", &upstream_query);
    let answers = fanout::successes(fanout::get_json_all(&segs, &path).await)?;
    let mut merged: Vec<Value> = Vec::new();
    for (seg, list) in answers {
        if let Value::Array(items) = list {
            for mut c in items {
                if let Some(names) = &names {
                    let local =
                        c.get("Names").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
                    if !local.into_iter().any(|n| names.matches(&seg.name, n)) {
                        continue;
                    }
                }
                rewrite_summary(&seg, &mut c);
                if let Some(id) = c.get("Id").and_then(Value::as_str) {
                    ctx.cluster().remember_owner(id, &seg.name);
                }
                merged.push(c);
            }
        }
    }
    merged.sort_by_key(|c| std::cmp::Reverse(c.get("Created").and_then(Value::as_i64).unwrap_or(0)));
    if let Some(limit) = query::get(&req.query, "limit").and_then(|l| l.parse::<i64>().ok()) {
        if limit > 0 {
            merged.truncate(limit as usize);
        }
    }
    Ok(body::json_response(StatusCode::OK, &Value::Array(merged)))
}

/// Classic Swarm's rewrite: names become `/<segment>/<name>`, ports published on every
/// address show the segment's address.
pub(crate) fn rewrite_summary(seg: &Seg, c: &mut Value) {
    if let Some(names) = c.get_mut("Names").and_then(Value::as_array_mut) {
        for n in names.iter_mut() {
            if let Some(s) = n.as_str() {
                *n = Value::String(format!("/{}{}", seg.name, s));
            }
        }
    }
    if let Some(ports) = c.get_mut("Ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut() {
            if p.get("IP").and_then(Value::as_str) == Some("0.0.0.0") {
                p["IP"] = Value::String(seg.address.to_string());
            }
        }
    }
}

/// `POST /containers/prune`, done by the gateway: every stopped container matching the
/// filters is removed, except infrastructure containers (`swarm-data` is a stopped
/// container, a plain prune on the segment would delete it).
pub(crate) async fn prune(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let (list_query, until) = prune_selection(&req.query)?;
    let list_path = format!("/v1.41/containers/json?{list_query}");
    let answers = fanout::all(&segs, |seg| {
        let list_path = list_path.clone();
        async move {
            let list = seg.get_json(&list_path).await?;
            let mut deleted = Vec::new();
            let mut reclaimed: u64 = 0;
            for c in list.as_array().into_iter().flatten() {
                let id = c.get("Id").and_then(Value::as_str).unwrap_or_default();
                let name = c.get("Names").and_then(|n| n.get(0)).and_then(Value::as_str).unwrap_or_default();
                let created = c.get("Created").and_then(Value::as_i64).unwrap_or(0);
                if policy_gate::is_infrastructure(name, c.get("Labels")) || until.is_some_and(|u| created >= u) {
                    continue;
                }
                let resp = seg.request(Method::DELETE, &format!("/v1.41/containers/{id}")).await?;
                if resp.status().is_success() {
                    deleted.push(json!(id));
                    reclaimed += c.get("SizeRw").and_then(Value::as_u64).unwrap_or(0);
                }
            }
            Ok(json!({ "ContainersDeleted": deleted, "SpaceReclaimed": reclaimed }))
        }
    })
    .await;
    let ok = fanout::successes(answers)?;
    for (_, v) in &ok {
        for id in v["ContainersDeleted"].as_array().into_iter().flatten() {
            if let Some(id) = id.as_str() {
                ctx.cluster().forget_container(id);
            }
        }
    }
    let merged = fanout::merge_prune(ok, "ContainersDeleted");
    Ok(body::json_response(StatusCode::OK, &merged))
}

/// The list query selecting what a prune removes (stopped, the prune's label filters),
/// and its `until` as Unix seconds.
fn prune_selection(q: &str) -> Result<(String, Option<i64>), ApiError> {
    let invalid = || ApiError::bad_request("invalid filters");
    let mut filters: serde_json::Map<String, Value> = match query::get(q, "filters").filter(|f| !f.is_empty()) {
        Some(f) => serde_json::from_str(&f).map_err(|_| invalid())?,
        None => serde_json::Map::new(),
    };
    let until = match filters.remove("until") {
        None => None,
        Some(v) => {
            let text = match &v {
                Value::Object(m) => m.keys().next().cloned(),
                Value::Array(a) => a.first().and_then(Value::as_str).map(str::to_owned),
                _ => None,
            }
            .ok_or_else(invalid)?;
            Some(until_timestamp(&text).ok_or_else(|| {
                ApiError::bad_request(format!("invalid until filter {text}: use a duration (24h) or Unix seconds"))
            })?)
        }
    };
    for key in filters.keys() {
        if key != "label" && key != "label!" {
            return Err(ApiError::bad_request(format!("invalid filter '{key}'")));
        }
    }
    filters.insert("status".into(), json!({"created": true, "exited": true, "dead": true}));
    let encoded = query::encode(&Value::Object(filters).to_string());
    Ok((format!("all=1&size=1&filters={encoded}"), until))
}

/// `until` as Docker takes it: Unix seconds, or a Go duration before now (`24h`, `1h30m`).
fn until_timestamp(text: &str) -> Option<i64> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Some(seconds as i64);
    }
    let mut total = 0f64;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let value: f64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += value * unit;
    }
    if !number.is_empty() {
        return None;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(now - total as i64)
}

/// `POST /containers/create`: (policy already checked) filters, spread, symlink rule,
/// then the create on the chosen segment.
pub(crate) async fn create(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let cluster = ctx.cluster();
    let mut body = req.json().clone();
    if !body.is_object() {
        return Err(ApiError::bad_request("config cannot be empty in order to create a container"));
    }
    let filters = SwarmFilters::extract(&mut body).map_err(ApiError::bad_request)?;
    let spec = Spec::from_create(&body);
    let name = query::get(&req.query, "name").filter(|n| !n.is_empty());
    let segs = cluster.nonempty_segments().await?;
    // Images are always read: placement prefers segments that have the image.
    let nodes = crate::cluster::snapshot::gather(cluster, &segs, true).await;
    if let Some(name) = &name {
        let wanted = name.trim_start_matches('/');
        for node in &nodes {
            if let Some(c) = node.containers.iter().find(|c| c.names.iter().any(|n| n == wanted)) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!(
                        "Conflict. The container name \"/{wanted}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.",
                        c.id
                    ),
                ));
            }
        }
    }
    // Named volumes and local networks stay on their segment: so does the container.
    let uses = locality::Uses::of_create(&body);
    let nodes = match locality::allowed_segments(ctx, &segs, &uses).await? {
        Some(allowed) => nodes.into_iter().filter(|n| allowed.contains(&n.name)).collect(),
        None => nodes,
    };
    let (chosen, guard) = placement::decide(&cluster.pending, nodes, &spec, &filters).map_err(ApiError::internal)?;
    let seg = segs
        .iter()
        .find(|s| s.name == chosen)
        .cloned()
        .ok_or_else(|| ApiError::internal("placement chose an unknown segment"))?;
    binds::check(ctx, &req, &seg, &body).await?;
    strip_segment_prefixes(&segs, &mut body);
    policy::defaults::apply_to_container_create(&mut body);
    let resp = seg.request_json(Method::POST, &ctx.upstream_uri("/containers/create", &req.query), &body).await?;
    let (parts, bytes) = upstream::read_body(resp).await?;
    if parts.status.is_success() {
        let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if let Some(id) = answer.get("Id").and_then(Value::as_str) {
            cluster.remember_owner(id, &seg.name);
            let facts = ContainerFacts::from_config(&body, body.get("HostConfig"));
            crate::lock::lock(&cluster.facts).insert(id.to_owned(), Arc::new(facts));
            guard.created(id);
            tracing::debug!(cluster = %cluster.id, segment = %seg.name, id, "container placed");
        }
    }
    let mut out = Response::new(body::full(bytes));
    *out.status_mut() = parts.status;
    upstream::copy_headers(&parts.headers, out.headers_mut());
    Ok(out)
}

/// Dependencies may name `<segment>/<name>` (as `docker ps` shows them); the segment's
/// daemon only knows `<name>`.
fn strip_segment_prefixes(segs: &[Arc<Seg>], body: &mut Value) {
    let strip = |s: &str| -> Option<String> {
        let (prefix, rest) = s.trim_start_matches('/').split_once('/')?;
        segs.iter().any(|seg| seg.name == prefix).then(|| rest.to_owned())
    };
    let Some(hc) = body.get_mut("HostConfig").and_then(Value::as_object_mut) else {
        return;
    };
    for key in ["VolumesFrom", "Links"] {
        if let Some(list) = hc.get_mut(key).and_then(Value::as_array_mut) {
            for v in list.iter_mut() {
                if let Some(new) = v.as_str().and_then(strip) {
                    *v = Value::String(new);
                }
            }
        }
    }
    for key in ["NetworkMode", "IpcMode", "PidMode"] {
        if let Some(mode) = hc.get_mut(key) {
            if let Some(new) = mode.as_str().and_then(|m| m.strip_prefix("container:")).and_then(strip) {
                *mode = Value::String(format!("container:{new}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_until() {
        let now = until_timestamp("0s").unwrap();
        assert_eq!(until_timestamp("1h30m"), Some(now - 5400));
        assert_eq!(until_timestamp("1700000000"), Some(1_700_000_000));
        assert_eq!(until_timestamp("yesterday"), None);
        let (q, until) = prune_selection("filters=%7B%22until%22%3A%7B%2224h%22%3Atrue%7D%7D").unwrap();
        assert!(until.is_some());
        assert!(q.starts_with("all=1&size=1&filters="));
        assert!(prune_selection("filters=%7B%22name%22%3A%7B%22x%22%3Atrue%7D%7D").is_err());
    }
}
