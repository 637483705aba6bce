//! `--wait`: follows a cluster until it settles, showing progress on stderr (segments
//! ready, the latest step of its history), and ends with its final state.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::Client;
use crate::error::{CliError, Result};
use crate::output::{one_line, parse, Cluster, Event};

/// Statuses that are still on their way somewhere.
pub const SETTLING: &[&str] = &["new", "building", "growing", "rebuilding", "deleting"];

/// How often the cluster is looked at (clusters of segments build in seconds).
const POLL: Duration = Duration::from_millis(1000);

/// The most `--wait` waits.
pub const TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What `--wait` waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Until {
    /// Not settling any more: active, or error.
    Settled,
    /// Gone (deleted).
    Gone,
}

/// Waits for `name`; returns its last detail (`Null` once it is gone). A cluster that
/// ends in `error` is an error carrying the reason.
pub fn wait(client: &Client, name: &str, until: Until) -> Result<Value> {
    let started = Instant::now();
    let mut last_line = String::new();
    loop {
        let detail = match client.get::<Value>(&format!("/clusters/{}", segment(name))) {
            Ok(detail) => detail,
            Err(e) if until == Until::Gone && e.status == Some(404) => {
                eprintln!("{name}: deleted");
                return Ok(Value::Null);
            }
            Err(e) => return Err(e),
        };
        let cluster: Cluster = parse(&detail)?;
        let line = progress_line(&cluster, &latest_progress(&detail));
        if line != last_line {
            eprintln!("{line}");
            last_line = line;
        }
        if until == Until::Settled && !SETTLING.contains(&cluster.status.as_str()) {
            if cluster.status == "error" {
                let reason = cluster.status_reason.as_deref().unwrap_or("no reason was given");
                return Err(CliError::service(format!("Cluster {name} is in error: {}", one_line(reason))));
            }
            return Ok(detail);
        }
        if started.elapsed() > TIMEOUT {
            return Err(CliError::service(format!(
                "Cluster {name} is still {} after {} minutes; carina get {name} shows where it is.",
                cluster.status,
                TIMEOUT.as_secs() / 60
            )));
        }
        std::thread::sleep(POLL);
    }
}

/// The newest event of the detail's history (newest first), if any.
fn latest_progress(detail: &Value) -> Option<Event> {
    let events = detail.get("events")?.as_array()?;
    events.first().and_then(|e| serde_json::from_value(e.clone()).ok())
}

/// `web: building, 1/2 segments ready (Segment n2 started)`.
pub fn progress_line(cluster: &Cluster, latest: &Option<Event>) -> String {
    let mut line = format!(
        "{}: {}, {}/{} segments ready",
        cluster.cluster_name, cluster.status, cluster.ready_nodes, cluster.nodes
    );
    if let Some(event) = latest {
        line.push_str(&format!(" ({})", one_line(&event.message)));
    }
    line
}

/// A cluster name as one path segment of a URL (names are letters, digits, `-`, `_` and
/// `.`; anything else is escaped so that it cannot change the path).
pub fn segment(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out == "." || out == ".." {
        out = out.replace('.', "%2E");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_like_a_sentence() {
        let cluster = Cluster {
            cluster_name: "web".into(),
            id: "i".into(),
            status: "building".into(),
            status_reason: None,
            nodes: 2,
            ready_nodes: 1,
            flavor: "f".into(),
        };
        let event = Event { cluster_name: None, kind: "progress".into(), message: "Segment n2\nstarted".into(), at: 0 };
        assert_eq!(progress_line(&cluster, &Some(event)), "web: building, 1/2 segments ready (Segment n2 started)");
        assert_eq!(progress_line(&cluster, &None), "web: building, 1/2 segments ready");
    }

    #[test]
    fn names_cannot_escape_their_path_segment() {
        assert_eq!(segment("web-1_a.b"), "web-1_a.b");
        assert_eq!(segment("../x"), "..%2Fx");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("a b?"), "a%20b%3F");
    }
}
