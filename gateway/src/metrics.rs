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

/// Something open at the endpoint, counted in a gauge for as long as it lives: a bulk
/// stream (logs, stats, exports) or a hijacked connection (attach, exec).
pub(crate) struct Open(&'static str);

impl Open {
    /// A bulk stream: `carina_endpoint_open_streams`.
    pub(crate) fn stream() -> Open {
        Open::new("carina_endpoint_open_streams")
    }

    /// A hijacked connection: `carina_endpoint_hijacked_connections`.
    pub(crate) fn hijacked() -> Open {
        Open::new("carina_endpoint_hijacked_connections")
    }

    fn new(name: &'static str) -> Open {
        metrics::gauge!(name).increment(1.0);
        Open(name)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        metrics::gauge!(self.0).decrement(1.0);
    }
}
