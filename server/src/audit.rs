//! The audit trail at the edge: every request runs as its actor (the door it came through
//! and the client's address), and the trail is exported as JSON Lines: one entry per
//! line, for the account (the panel's audit page, the API) or for the operator (`server
//! admin audit`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use provisioner::{Actor, AuditEntry, Via};
use serde_json::json;

/// The media type of JSON Lines.
pub const JSONL: &str = "application/jsonl";

/// `routes` with every request running as its actor: the API under `/api/v1` (narrowed
/// to the key once one authenticates), the panel otherwise. Put it inside the trusted
/// proxy layer, so that the address is the client's.
pub fn with_actors(routes: Router) -> Router {
    routes.layer(middleware::from_fn(as_actor))
}

async fn as_actor(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let via = if path == "/api/v1" || path.starts_with("/api/v1/") { Via::Api } else { Via::Panel };
    let address = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    provisioner::acting(Actor { via, address }, next.run(request)).await
}

/// One entry as a JSON object (no secrets are ever in an entry: keys are named by their
/// public prefix, passwords never recorded).
pub fn entry_json(entry: &AuditEntry) -> serde_json::Value {
    json!({
        "id": entry.id,
        "at": entry.at,
        "account_id": entry.account_id,
        "email": entry.account_email,
        "kind": entry.kind,
        "cluster_id": entry.cluster_id,
        "cluster": entry.cluster_name,
        "message": entry.message,
        "actor": entry.actor,
        "address": entry.address,
    })
}

/// Entries as JSON Lines.
pub fn jsonl(entries: &[AuditEntry]) -> String {
    entries.iter().map(|e| format!("{}\n", entry_json(e))).collect()
}

/// An answer carrying entries as a JSON Lines download.
pub fn jsonl_response(entries: &[AuditEntry]) -> Response {
    (
        [
            (CONTENT_TYPE, JSONL),
            (CONTENT_DISPOSITION, "attachment; filename=\"carina-audit.jsonl\""),
            (CACHE_CONTROL, "no-store"),
        ],
        jsonl(entries),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_is_one_json_line() {
        let entry = AuditEntry {
            id: 7,
            at: 1_700_000_000_000,
            account_id: "a1".into(),
            account_email: "ada@example.com".into(),
            kind: "action".into(),
            cluster_id: Some("c1".into()),
            cluster_name: Some("web".into()),
            message: "Delete requested\nwith a newline".into(),
            actor: Some("api key ci (carina_ab12cd…)".into()),
            address: Some("203.0.113.7".into()),
        };
        let text = jsonl(&[entry.clone(), entry]);
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["cluster"], "web");
        assert_eq!(lines[0]["actor"], "api key ci (carina_ab12cd…)");
        assert_eq!(lines[0]["message"], "Delete requested\nwith a newline");
    }
}
