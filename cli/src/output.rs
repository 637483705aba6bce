//! What `carina` prints: tables for people (Carina's columns), JSON for scripts.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{CliError, Result};

/// A cluster as the API answers it (the fields the tables use).
#[derive(Clone, Debug, Deserialize)]
pub struct Cluster {
    pub cluster_name: String,
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub status_reason: Option<String>,
    pub nodes: u32,
    #[serde(default)]
    pub ready_nodes: u32,
    pub flavor: String,
}

/// An event, of a cluster (`cluster_name` absent) or of the account.
#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub cluster_name: Option<String>,
    pub kind: String,
    pub message: String,
    pub at: i64,
}

/// A credentials bundle.
#[derive(Clone, Debug, Deserialize)]
pub struct Bundle {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub revoked: bool,
}

/// Reads one of the shapes above out of an answer.
pub fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T> {
    serde_json::from_value(value.clone())
        .map_err(|e| CliError::service(format!("The service answered something unexpected: {e}")))
}

/// Rows under a header, each column as wide as its widest cell, separated by two spaces
/// (what Go's tabwriter printed for Carina).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len() - 1;
        let mut out = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// Carina's cluster table: `ClusterName Flavor Nodes Status` (its AutoScale column is
/// gone: there is no autoscaling), with the reason of an error.
pub fn clusters_table(clusters: &[Cluster]) -> String {
    let rows: Vec<Vec<String>> = clusters
        .iter()
        .map(|c| {
            let status = match (&c.status_reason, c.status.as_str()) {
                (Some(reason), "error") => format!("error: {reason}"),
                _ => c.status.clone(),
            };
            vec![c.cluster_name.clone(), c.flavor.clone(), c.nodes.to_string(), status]
        })
        .collect();
    table(&["ClusterName", "Flavor", "Nodes", "Status"], &rows)
}

/// A history, newest first, in UTC.
pub fn events_table(events: &[Event]) -> String {
    let with_cluster = events.iter().any(|e| e.cluster_name.is_some());
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let mut row = vec![utc(e.at)];
            if with_cluster {
                row.push(e.cluster_name.clone().unwrap_or_default());
            }
            row.extend([e.kind.clone(), one_line(&e.message)]);
            row
        })
        .collect();
    if with_cluster {
        table(&["Time (UTC)", "ClusterName", "Kind", "Message"], &rows)
    } else {
        table(&["Time (UTC)", "Kind", "Message"], &rows)
    }
}

/// A cluster's bundles.
pub fn bundles_table(bundles: &[Bundle]) -> String {
    let rows: Vec<Vec<String>> = bundles
        .iter()
        .map(|b| {
            let state = if b.revoked { "revoked" } else { "active" };
            vec![b.name.clone(), b.id.clone(), utc(b.created_at), state.to_owned()]
        })
        .collect();
    table(&["Name", "Id", "Created (UTC)", "State"], &rows)
}

/// JSON for scripts, pretty.
pub fn json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON serializes");
    text.push('\n');
    text
}

/// Text on one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01), after Howard
/// Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(name: &str, status: &str, reason: Option<&str>) -> Cluster {
        Cluster {
            cluster_name: name.into(),
            id: "id".into(),
            status: status.into(),
            status_reason: reason.map(Into::into),
            nodes: 2,
            ready_nodes: 1,
            flavor: "container1-4G".into(),
        }
    }

    #[test]
    fn clusters_print_in_carinas_columns() {
        let text =
            clusters_table(&[cluster("demo", "active", None), cluster("a-longer-name", "error", Some("no room"))]);
        assert_eq!(
            text,
            "ClusterName    Flavor         Nodes  Status\n\
             demo           container1-4G  2      active\n\
             a-longer-name  container1-4G  2      error: no room\n"
        );
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc(1_767_357_667_123), "2026-01-02 12:41:07");
        assert_eq!(utc(-1000), "1969-12-31 23:59:59");
    }

    #[test]
    fn a_history_names_clusters_only_when_it_has_several() {
        let e = |c: Option<&str>| Event {
            cluster_name: c.map(Into::into),
            kind: "action".into(),
            message: "Grow\nto 2".into(),
            at: 0,
        };
        assert_eq!(
            events_table(&[e(None)]),
            "Time (UTC)           Kind    Message\n1970-01-01 00:00:00  action  Grow to 2\n"
        );
        assert!(events_table(&[e(Some("web"))]).starts_with("Time (UTC)           ClusterName  Kind"));
    }
}
