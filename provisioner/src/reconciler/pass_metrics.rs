//! What the reconciler reports through the `metrics` facade (the server exports it).

use std::time::Duration;

/// Counts one pass over one cluster and records how long it took.
pub(super) fn record_pass(took: Duration, succeeded: bool) {
    let outcome = if succeeded { "ok" } else { "failed" };
    metrics::counter!("carina_reconcile_passes_total", "outcome" => outcome).increment(1);
    metrics::histogram!("carina_reconcile_pass_seconds").record(took.as_secs_f64());
}
