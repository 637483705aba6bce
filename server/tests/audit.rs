//! The audit trail against a real server: actions through the panel, an API key and the
//! operator's command line, each with its actor and address; account events; history
//! kept after the cluster is gone; tenants apart; JSON Lines exports; retention.

mod common;

use std::time::Duration;

use common::{curl, download_bundle, Server, PASSWORD};
use serde_json::{json, Value};

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

/// The account's trail through the API (JSON Lines).
fn trail(server: &Server, key: &str) -> Vec<Value> {
    let (code, text) = curl(&["-H", &format!("Authorization: Bearer {key}"), &server.url("/api/v1/account/audit")]);
    assert_eq!(code, 200, "{text}");
    lines(&text)
}

/// The entry whose message starts with `start`, newest first.
fn entry<'a>(trail: &'a [Value], start: &str) -> &'a Value {
    trail
        .iter()
        .find(|e| e["message"].as_str().unwrap().starts_with(start))
        .unwrap_or_else(|| panic!("no {start:?} in {trail:#?}"))
}

#[test]
fn actions_are_recorded_with_their_actor_kept_after_the_cluster_and_pruned_after_retention() {
    let mut server = Server::start_with_args("audit", &["--trusted-proxy", "127.0.0.1"]);
    let key = server.api_key_for("ada@example.com");
    let prefix: String = key.chars().take(13).collect();
    let by_key = format!("api key tests ({prefix}…)");
    // A wrong password, from a client behind the trusted proxy.
    let origin = format!("Origin: http://127.0.0.1:{}", server.port);
    let (code, _) = curl(&[
        "-H",
        &origin,
        "-H",
        "Accept: application/json",
        "-H",
        "X-Forwarded-For: 198.51.100.23",
        "--data-urlencode",
        "email=ada@example.com",
        "--data-urlencode",
        "password=not the password",
        &server.url("/api/sign_in"),
    ]);
    assert_eq!(code, 401);

    // A cluster's life through the API key.
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    server.wait_cluster(&key, "web", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let dir = tempfile::tempdir().unwrap();
    download_bundle(&server, &key, "web", dir.path());
    let (_, bundles) = server.api(&key, "GET", "/clusters/web/bundles", None);
    let bundle = bundles[0]["id"].as_str().unwrap();
    assert_eq!(server.api(&key, "DELETE", &format!("/clusters/web/bundles/{bundle}"), None).0, 204);
    assert_eq!(server.api(&key, "DELETE", "/clusters/web", None).0, 202);
    server.wait_cluster(&key, "web", Duration::from_secs(60), |code, _| code == 404);
    // The operator, from the host's command line.
    let quotas = server
        .command(None, &["admin", "set-quotas", "--email", "ada@example.com", "--clusters", "4", "--segments", "3"]);
    assert!(quotas.status.success());

    let ada = trail(&server, &key);
    let is = |start: &str, actor: &str, address: Option<&str>, cluster: Option<&str>| {
        let e = entry(&ada, start);
        assert_eq!(
            (e["actor"].as_str(), e["address"].as_str(), e["cluster"].as_str()),
            (Some(actor), address, cluster),
            "{e}"
        );
        assert_eq!(e["email"], "ada@example.com");
    };
    let local = Some("127.0.0.1");
    is("Account created", "panel", local, None);
    is(&format!("API key tests ({prefix}…) created"), "panel", local, None);
    is("Sign-in failed: wrong password", "panel", Some("198.51.100.23"), None);
    // The cluster is gone; its history stays.
    is("Cluster created with 1 segment(s)", &by_key, local, Some("web"));
    is("Credentials downloaded", &by_key, local, Some("web"));
    is("Credentials revoked", &by_key, local, Some("web"));
    is("Delete requested", &by_key, local, Some("web"));
    is("Quotas set: 4 clusters of up to 3 segments", "operator", None, None);
    // Carina's own steps are the cluster's history, not the audit trail.
    assert!(ada.iter().all(|e| e["kind"] == "action" || e["kind"] == "account"), "{ada:#?}");

    // Another tenant sees only their own entries.
    let bob_key = server.api_key_for("bob@example.com");
    let bob = trail(&server, &bob_key);
    assert_eq!(bob.len(), 2, "{bob:#?}");
    assert!(bob.iter().all(|e| e["email"] == "bob@example.com"));

    // The panel: the activity page, and the same trail as a download (session only).
    let jar = server.data.path().join("ada@example.com.cookies");
    let (code, page) = curl(&["-b", jar.to_str().unwrap(), &server.url("/account/activity")]);
    assert_eq!(code, 200);
    assert!(page.contains("Sign-in failed: wrong password") && page.contains("198.51.100.23"), "{page}");
    let (code, text) = curl(&["-b", jar.to_str().unwrap(), &server.url("/account/activity.jsonl")]);
    assert_eq!(code, 200);
    assert_eq!(lines(&text), ada);
    assert_eq!(curl(&[&server.url("/account/activity.jsonl")]).0, 303, "signed out: to the sign-in page");

    // The operator's view across accounts, and of one.
    let all = String::from_utf8(server.command(None, &["admin", "audit"]).stdout).unwrap();
    let all = lines(&all);
    assert_eq!(all.len(), ada.len() + bob.len());
    let only_bob =
        String::from_utf8(server.command(None, &["admin", "audit", "--email", "bob@example.com"]).stdout).unwrap();
    assert_eq!(lines(&only_bob), bob);
    // No secret anywhere: not the key, not the password, not the session.
    let cookie = std::fs::read_to_string(&jar).unwrap();
    let session =
        cookie.lines().find(|l| l.contains("carina_session")).unwrap().rsplit('\t').next().unwrap().to_owned();
    let everything = server.sql("SELECT * FROM events");
    for secret in [key.as_str(), PASSWORD, "not the password", session.as_str()] {
        assert!(!everything.contains(secret), "{secret} is in the events");
    }

    // Retention: an entry older than it goes at the next housekeeping (at start).
    server.sql("UPDATE events SET created_at = created_at - 2 * 86400000 WHERE message LIKE 'Sign-in failed%'");
    server.extra_args.extend(["--audit-retention-days".into(), "1".into()]);
    server.restart();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let after = loop {
        let after = trail(&server, &key);
        if after.len() == ada.len() - 1 || std::time::Instant::now() > deadline {
            break after;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(after.len(), ada.len() - 1, "{after:#?}");
    assert!(after.iter().all(|e| !e["message"].as_str().unwrap().starts_with("Sign-in failed")));
}
