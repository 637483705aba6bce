//! `/_ping`, `/version`, `/system/df`, and routes answered by the first segment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{header, HeaderValue, Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::api::containers::rewrite_summary;
use crate::cluster::fanout;
use crate::cluster::Versions;
use crate::error::ApiError;
use crate::lock::lock;
use crate::request::{parse_version, ApiRequest, RequestContext, MAX_API_VERSION, MIN_API_VERSION};
use crate::transport::body::{self, Body};

const VERSION_TTL: Duration = Duration::from_secs(30);

async fn versions(ctx: &RequestContext) -> Arc<Versions> {
    let cluster = ctx.cluster();
    let cached = lock(&cluster.versions.0).clone();
    if let Some((at, v)) = cached {
        if at.elapsed() >= VERSION_TTL {
            // Served stale while one background request refreshes it: `/version` makes
            // dockerd run `runc --version`, too slow for every `docker` command's ping.
            let refreshing = std::mem::replace(&mut *lock(&cluster.versions.1), true);
            if !refreshing {
                let cluster = cluster.clone();
                tokio::spawn(async move {
                    fetch_versions(&cluster).await;
                    *lock(&cluster.versions.1) = false;
                });
            }
        }
        return v;
    }
    fetch_versions(cluster).await
}

async fn fetch_versions(cluster: &Arc<crate::cluster::Cluster>) -> Arc<Versions> {
    let max = format!("{}.{}", MAX_API_VERSION.0, MAX_API_VERSION.1);
    let segs = match cluster.segments().await {
        Ok(s) => s,
        Err(_) => return Arc::new(Versions { api: max, base: Value::Null }),
    };
    let answers = fanout::get_json_all(&segs, "/version").await;
    let mut api = MAX_API_VERSION;
    let mut base = Value::Null;
    let mut any = false;
    for (_, r) in answers {
        if let Ok(v) = r {
            if let Some(parsed) = v.get("ApiVersion").and_then(Value::as_str).and_then(parse_version) {
                api = api.min(parsed);
            }
            if base.is_null() {
                base = v;
            }
            any = true;
        }
    }
    let versions = Arc::new(Versions { api: format!("{}.{}", api.0, api.1), base });
    if any {
        *lock(&cluster.versions.0) = Some((Instant::now(), versions.clone()));
    }
    versions
}

/// `GET|HEAD /_ping`, answered by the gateway: the CLI negotiates its API version here.
pub(crate) async fn ping(ctx: &RequestContext, method: &Method) -> Result<Response<Body>, ApiError> {
    let v = versions(ctx).await;
    let swarm = crate::api::swarm::status(ctx).await;
    let mut resp = Response::new(if method == Method::HEAD { body::empty() } else { body::full("OK") });
    let h = resp.headers_mut();
    let set = |h: &mut http::HeaderMap, k: &'static str, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(h, "API-Version", &v.api);
    set(h, "Docker-Experimental", "false");
    set(h, "OSType", v.base.get("Os").and_then(Value::as_str).unwrap_or("linux"));
    // The classic builder: BuildKit sessions are not routed through the endpoint.
    set(h, "Builder-Version", "1");
    set(h, "Swarm", swarm);
    set(h, "Cache-Control", "no-cache, no-store, must-revalidate");
    set(h, "Pragma", "no-cache");
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    Ok(resp)
}

/// `GET /version`: the segments' engine version with the cluster's API range.
pub(crate) async fn version(ctx: &RequestContext) -> Result<Response<Body>, ApiError> {
    let v = versions(ctx).await;
    let min = format!("{}.{}", MIN_API_VERSION.0, MIN_API_VERSION.1);
    let mut out = if v.base.is_object() {
        v.base.clone()
    } else {
        json!({
            "Version": "20.10.24", "Os": "linux", "Arch": "amd64", "KernelVersion": "",
            "GitCommit": "", "GoVersion": "", "BuildTime": "",
            "Components": [{"Name": "Engine", "Version": "20.10.24", "Details": {}}]
        })
    };
    out["ApiVersion"] = json!(v.api);
    out["MinAPIVersion"] = json!(min);
    out["Platform"] = json!({ "Name": "Carina cluster endpoint" });
    if let Some(components) = out.get_mut("Components").and_then(Value::as_array_mut) {
        for c in components.iter_mut() {
            if c.get("Name").and_then(Value::as_str) == Some("Engine") {
                c["Details"]["ApiVersion"] = json!(v.api);
                c["Details"]["MinAPIVersion"] = json!(min);
            }
        }
    }
    Ok(body::json_response(StatusCode::OK, &out))
}

/// `GET /system/df`: every segment, merged (images deduplicated, containers and volumes
/// named with their segment like `docker ps`/`docker volume ls` show them).
pub(crate) async fn df(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let path = ctx.upstream_uri("/system/df", &req.query);
    let answers = fanout::successes(fanout::get_json_all(&segs, &path).await)?;
    let mut layers: u64 = 0;
    let mut images: Vec<Value> = Vec::new();
    let mut containers = Vec::new();
    let mut volumes = Vec::new();
    let mut cache = Vec::new();
    for (seg, v) in answers {
        layers += v.get("LayersSize").and_then(Value::as_u64).unwrap_or(0);
        for i in v.get("Images").and_then(Value::as_array).into_iter().flatten() {
            if !images.iter().any(|x| x.get("Id") == i.get("Id")) {
                images.push(i.clone());
            }
        }
        for c in v.get("Containers").and_then(Value::as_array).into_iter().flatten() {
            let mut c = c.clone();
            rewrite_summary(&seg, &mut c);
            containers.push(c);
        }
        for vol in v.get("Volumes").and_then(Value::as_array).into_iter().flatten() {
            let mut vol = vol.clone();
            crate::api::volumes::prefix_name(&seg.name, &mut vol);
            volumes.push(vol);
        }
        cache.extend(v.get("BuildCache").and_then(Value::as_array).into_iter().flatten().cloned());
    }
    Ok(body::json_response(
        StatusCode::OK,
        &json!({
            "LayersSize": layers, "Images": images, "Containers": containers,
            "Volumes": volumes, "BuildCache": cache,
        }),
    ))
}

/// Routes any segment can answer (`/auth`, `/distribution/...`): the first healthy one.
pub(crate) async fn first_segment(ctx: &RequestContext, req: ApiRequest) -> Result<Response<Body>, ApiError> {
    let segs = ctx.cluster().nonempty_segments().await?;
    let target = ctx.upstream_uri(&req.path, &req.query);
    let headers = req.parts.headers.clone();
    let method = req.method().clone();
    segs[0].forward(method, &target, &headers, req.into_body()).await
}
