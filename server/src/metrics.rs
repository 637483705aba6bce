//! `GET /metrics`: the service in the Prometheus text format. Counters and histograms are
//! recorded where things happen, through the `metrics` facade (reconciler passes,
//! bundles, cluster endpoint requests and policy refusals); gauges of what the database
//! holds (clusters by status, segments by state, the warm pool) are read at each scrape.
//! With `--metrics-token`, a scrape must bring it as a bearer token.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use provisioner::Provisioner;

/// Latency buckets, in seconds, of every `_seconds` histogram.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];
/// How often histograms are trimmed of old samples (the exporter's upkeep).
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs the process-wide Prometheus recorder and its upkeep task.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .install_recorder()?;
    // Gauges of what is open read 0 from the start, not only once something opened.
    metrics::gauge!("carina_endpoint_open_streams").set(0.0);
    metrics::gauge!("carina_endpoint_hijacked_connections").set(0.0);
    for page in ["clusters", "cluster"] {
        metrics::gauge!("carina_live_subscribers", "page" => page).set(0.0);
    }
    let upkeep = handle.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(UPKEEP).await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// What `/metrics` needs.
#[derive(Clone)]
pub struct Metrics {
    pub handle: PrometheusHandle,
    pub provisioner: Provisioner,
    /// Where segments' CPU and memory are read at each scrape (each on its host).
    pub fleet: provisioner::Fleet,
    pub token: Option<String>,
    /// Gauge labels set by earlier scrapes: set to 0 when their count is gone, rather than
    /// left at their last value.
    pub seen: Arc<Mutex<BTreeSet<(&'static str, String)>>>,
    /// Segments whose usage earlier scrapes set (likewise set to 0 once gone).
    pub segments_seen: Arc<Mutex<BTreeSet<String>>>,
}

/// The metrics route.
pub fn router(metrics: Metrics) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state(metrics)
}

async fn scrape(State(m): State<Metrics>, headers: HeaderMap) -> Response {
    if let Some(token) = &m.token {
        let sent = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if !sent.is_some_and(|sent| same_secret(sent.trim(), token)) {
            return (StatusCode::UNAUTHORIZED, "Send the metrics token: Authorization: Bearer <token>.\n")
                .into_response();
        }
    }
    match m.provisioner.service_status().await {
        Ok(status) => {
            let mut now = BTreeSet::new();
            for (name, counts) in [("carina_clusters", &status.clusters), ("carina_segments", &status.segments)] {
                let label = if name == "carina_clusters" { "status" } else { "state" };
                for (value, count) in counts {
                    metrics::gauge!(name, label => value.clone()).set(*count as f64);
                    now.insert((name, value.clone()));
                }
            }
            let mut seen = m.seen.lock().unwrap_or_else(|e| e.into_inner());
            for (name, value) in seen.difference(&now) {
                let label = if *name == "carina_clusters" { "status" } else { "state" };
                metrics::gauge!(*name, label => value.clone()).set(0.0);
            }
            seen.extend(now);
            metrics::gauge!("carina_warm_pool_size").set(status.warm_pool.size as f64);
            metrics::gauge!("carina_warm_pool_ready").set(status.warm_pool.ready as f64);
            metrics::gauge!("carina_warm_pool_starting").set(status.warm_pool.starting as f64);
            metrics::gauge!("carina_database_up").set(1.0);
        }
        Err(err) => {
            tracing::warn!(error = %err, "metrics: could not read the service status");
            metrics::gauge!("carina_database_up").set(0.0);
        }
    }
    segment_usage(&m).await;
    let mut response = m.handle.render().into_response();
    let text = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    response.headers_mut().insert(CONTENT_TYPE, text);
    response
}

/// Each cluster segment's CPU time and memory, from its cgroups, as
/// `carina_segment_cpu_seconds{segment}` and `carina_segment_memory_bytes{segment}`. A
/// segment that is gone (or stopped) reads 0 once, then no longer changes.
async fn segment_usage(m: &Metrics) {
    let storage = m.provisioner.storage();
    let mut now = BTreeSet::new();
    for cluster in storage.all_clusters().await.unwrap_or_default() {
        for segment in storage.segments_of(&cluster.id).await.unwrap_or_default() {
            let usage = match m.fleet.on(&segment.host) {
                Ok(driver) => driver.usage(segment.domain()).await.map_err(provisioner::Error::from),
                Err(err) => Err(err),
            };
            match usage {
                Ok(Some(usage)) => {
                    let name = segment.name.clone();
                    metrics::gauge!("carina_segment_cpu_seconds", "segment" => name.clone()).set(usage.cpu_seconds);
                    metrics::gauge!("carina_segment_memory_bytes", "segment" => name.clone())
                        .set(usage.memory_bytes as f64);
                    now.insert(name);
                }
                Ok(None) => {}
                Err(err) => tracing::debug!(segment = %segment.name, error = %err, "metrics: no usage"),
            }
        }
    }
    // (The lock is taken after the last await: a guard must not be held across one.)
    let mut seen = m.segments_seen.lock().unwrap_or_else(|e| e.into_inner());
    for name in seen.difference(&now) {
        metrics::gauge!("carina_segment_cpu_seconds", "segment" => name.clone()).set(0.0);
        metrics::gauge!("carina_segment_memory_bytes", "segment" => name.clone()).set(0.0);
    }
    *seen = now;
}

/// Compares two secrets in time that depends on their length only.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3creT"));
        assert!(!same_secret("s3cret", "s3cre"));
        assert!(!same_secret("", "x"));
    }
}
