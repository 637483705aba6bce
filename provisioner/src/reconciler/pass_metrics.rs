//! What the reconciler reports through the `metrics` facade (the server exports it).

use std::future::Future;
use std::time::Duration;

use crate::error::Result;

/// Counts one pass over one cluster and records how long it took.
pub(super) fn record_pass(took: Duration, succeeded: bool) {
    let outcome = if succeeded { "ok" } else { "failed" };
    metrics::counter!("carina_reconcile_passes_total", "outcome" => outcome).increment(1);
    metrics::histogram!("carina_reconcile_pass_seconds").record(took.as_secs_f64());
}

/// Runs one step of a pass; a failure is counted in
/// `carina_reconcile_failures_total{step}` (the pass then fails too, and is retried).
pub(super) async fn step<T>(name: &'static str, work: impl Future<Output = Result<T>>) -> Result<T> {
    let done = work.await;
    if done.is_err() {
        metrics::counter!("carina_reconcile_failures_total", "step" => name).increment(1);
    }
    done
}
