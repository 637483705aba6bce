//! What the endpoint counts, through the `metrics` facade only: whoever runs the gateway
//! installs an exporter (the server: Prometheus), and without one nothing is recorded.

use std::time::Duration;

use http::StatusCode;

/// Counts one answered request by route family and status, and the time to its answer's
/// head (for streams and hijacked connections: until the stream starts).
pub(crate) fn request(family: &'static str, status: StatusCode, took: Duration) {
    let status = status.as_str().to_owned();
    metrics::counter!("carina_endpoint_requests_total", "family" => family, "status" => status).increment(1);
    metrics::histogram!("carina_endpoint_request_seconds", "family" => family).record(took.as_secs_f64());
}

/// Counts one request refused by the policy, by rule (`CARINA-1001`), or `malformed` for
/// one refused before the policy could judge it.
pub(crate) fn refusal(rule: &str) {
    metrics::counter!("carina_policy_refusals_total", "rule" => rule.to_owned()).increment(1);
}
