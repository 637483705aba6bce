//! `GET /healthz` (the process answers) and `GET /readyz` (it can do its work: the
//! database answers, libvirt answers, and the reconciler went over the clusters
//! recently), for load balancers, orchestrators and monitoring. Public, uncached, and
//! saying only which check failed: details go to the log.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::header::CACHE_CONTROL;
use http::{HeaderValue, StatusCode};
use provisioner::reconciler::Heartbeat;
use provisioner::Provisioner;
use segments::SegmentDriver;
use serde_json::{json, Map, Value};

/// How long each check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// The reconciler's loop goes round every 2 s at least: a pass older than this means it
/// is stuck or dead.
pub const MAX_PASS_AGE: Duration = Duration::from_secs(30);

/// What readiness looks at.
#[derive(Clone)]
pub struct Health {
    pub provisioner: Provisioner,
    pub driver: Arc<dyn SegmentDriver>,
    pub heartbeat: Heartbeat,
}

/// The health routes.
pub fn router(health: Health) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).with_state(health)
}

async fn healthz() -> Response {
    uncached(StatusCode::OK, json!({"status": "alive"}))
}

async fn readyz(State(health): State<Health>) -> Response {
    let (database, libvirt) =
        tokio::join!(probe("database", health.provisioner.storage().ping()), probe("libvirt", health.driver.list()),);
    let (status, body) = verdict(database, libvirt, health.heartbeat.age());
    uncached(status, body)
}

/// Runs one check with [`CHECK_TIMEOUT`]; a failure is logged with its details.
async fn probe<T, E: std::fmt::Display>(name: &str, check: impl Future<Output = Result<T, E>>) -> bool {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(_)) => true,
        Ok(Err(err)) => {
            tracing::warn!(check = name, error = %err, "readiness check failed");
            false
        }
        Err(_) => {
            tracing::warn!(check = name, timeout = ?CHECK_TIMEOUT, "readiness check timed out");
            false
        }
    }
}

/// The answer from the checks' results: 200 when all passed, else 503 naming the failed.
fn verdict(database: bool, libvirt: bool, last_pass: Option<Duration>) -> (StatusCode, Value) {
    let reconciler = match last_pass {
        None => Err("no pass yet".to_owned()),
        Some(age) if age > MAX_PASS_AGE => Err(format!("last pass {} s ago", age.as_secs())),
        Some(_) => Ok(()),
    };
    let answers = |ok: bool| if ok { Ok(()) } else { Err("does not answer".to_owned()) };
    let results = [("database", answers(database)), ("libvirt", answers(libvirt)), ("reconciler", reconciler)];
    let mut checks = Map::new();
    let mut failed = Vec::new();
    for (name, result) in results {
        let text = match result {
            Ok(()) => "ok".to_owned(),
            Err(why) => {
                failed.push(name);
                why
            }
        };
        checks.insert(name.to_owned(), Value::String(text));
    }
    let ready = failed.is_empty();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut body = json!({"status": if ready { "ready" } else { "not ready" }, "checks": checks, "failed": failed});
    if let Some(age) = last_pass {
        body["reconciler_last_pass_seconds_ago"] = json!((age.as_secs_f64() * 10.0).round() / 10.0);
    }
    (status, body)
}

fn uncached(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECENT: Option<Duration> = Some(Duration::from_secs(1));

    #[test]
    fn ready_when_every_check_passes() {
        let (status, body) = verdict(true, true, RECENT);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ready");
        assert_eq!(body["failed"], json!([]));
        assert_eq!(body["checks"], json!({"database": "ok", "libvirt": "ok", "reconciler": "ok"}));
    }

    #[test]
    fn each_failed_check_is_named() {
        let (status, body) = verdict(false, true, RECENT);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["failed"], json!(["database"]));
        assert_eq!(body["checks"]["database"], "does not answer");
        let (status, body) = verdict(true, false, RECENT);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["failed"], json!(["libvirt"]));
    }

    #[test]
    fn a_stuck_or_unstarted_reconciler_is_not_ready() {
        let (status, body) = verdict(true, true, Some(MAX_PASS_AGE + Duration::from_secs(5)));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["failed"], json!(["reconciler"]));
        assert_eq!(body["checks"]["reconciler"], "last pass 35 s ago");
        let (_, body) = verdict(true, true, None);
        assert_eq!(body["checks"]["reconciler"], "no pass yet");
        let (_, body) = verdict(false, false, None);
        assert_eq!(body["failed"], json!(["database", "libvirt", "reconciler"]));
    }
}
