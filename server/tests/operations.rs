//! Running it in production, against real server processes: health and readiness,
//! request ids and JSON logs, Prometheus metrics after real work, a graceful stop on
//! SIGTERM, and an online backup restored into a fresh data directory.

mod common;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{curl, docker_with, download_bundle, Server, CLI};
use serde_json::{json, Value};

/// Tests that build segments run one at a time (they share the endpoint port range).
static SERIAL: Mutex<()> = Mutex::new(());

fn get_json(server: &Server, path: &str) -> (u16, Value) {
    let (code, body) = curl(&[&server.url(path)]);
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Polls `/readyz` until its status is `want`; returns the last body.
fn wait_ready(server: &Server, want: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, body) = get_json(server, "/readyz");
        if code == want {
            return body;
        }
        assert!(Instant::now() < deadline, "/readyz stayed {code}: {body}\n{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The response headers of a GET, lower-cased names.
fn headers_of(server: &Server, path: &str, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["-s", "-o", "/dev/null", "-D", "-"];
    args.extend(extra);
    let url = server.url(path);
    args.push(&url);
    let out = Command::new("curl").args(&args).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect()
}

fn request_id(headers: &[(String, String)]) -> Option<String> {
    headers.iter().find(|(k, _)| k == "x-request-id").map(|(_, v)| v.clone())
}

#[test]
fn health_readiness_request_ids_and_json_logs() {
    let server = Server::start_with_args("health", &["--log-format", "json"]);
    let (code, body) = get_json(&server, "/healthz");
    assert_eq!((code, body), (200, json!({"status": "alive"})));
    let ready = wait_ready(&server, 200);
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"], json!({"database": "ok", "libvirt": "ok", "reconciler": "ok"}));

    // A sane id from the client is kept and echoed; none, or a strange one, gets a UUID.
    let mine = "carina-test-7f3a";
    let headers = headers_of(&server, "/api/v1", &["-H", &format!("X-Request-Id: {mine}")]);
    assert_eq!(request_id(&headers).as_deref(), Some(mine), "{headers:?}");
    for extra in [vec![], vec!["-H", "X-Request-Id: two words\"}"]] {
        let made = request_id(&headers_of(&server, "/api/v1", &extra)).expect("an id is always sent back");
        assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
    }
    // Probes carry an id too, and the panel's pages.
    assert!(request_id(&headers_of(&server, "/readyz", &[])).is_some());
    assert!(request_id(&headers_of(&server, "/signin", &[])).is_some());

    // Every log line is one JSON object; the request's line names its id and status.
    std::thread::sleep(Duration::from_millis(300));
    let log = server.log();
    let lines: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("{l}"))).collect();
    let logged = lines
        .iter()
        .find(|l| l["span"]["request_id"] == mine && l["fields"]["status"] == 200)
        .unwrap_or_else(|| panic!("no request line with id {mine}:\n{log}"));
    assert_eq!(logged["span"]["path"], "/api/v1");
    assert!(logged["fields"]["latency"].is_string(), "{logged}");
    // Probes are not in the request log.
    assert!(!lines.iter().any(|l| l["span"]["path"] == "/readyz"), "{log}");
}

#[test]
fn readiness_names_libvirt_when_it_does_not_answer() {
    let server = Server::start_with_args("nolibvirt", &["--libvirt-uri", "lxc:///system?socket=/nonexistent/sock"]);
    // The process is alive; it is not ready, and says why (details only in its log).
    assert_eq!(get_json(&server, "/healthz").0, 200);
    let body = wait_ready(&server, 503);
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["failed"], json!(["libvirt"]), "{body}");
    assert_eq!(body["checks"]["libvirt"], "does not answer");
    assert!(!body.to_string().contains("nonexistent"), "no internals in the answer: {body}");
    assert!(server.log().contains("readiness check failed"));
}

/// The value of one sample line of a scrape, e.g. `carina_clusters{status="active"}`.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn metrics_count_what_happens_and_need_the_token() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start_with_args("metrics", &["--metrics-token", "scrape-s3cret"]);
    let scrape = || {
        let (code, text) = curl(&["-H", "Authorization: Bearer scrape-s3cret", &server.url("/metrics")]);
        assert_eq!(code, 200, "{text}");
        text
    };
    assert_eq!(curl(&[&server.url("/metrics")]).0, 401);
    assert_eq!(curl(&["-H", "Authorization: Bearer wrong", &server.url("/metrics")]).0, 401);

    let key = server.api_key_for("ada@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    server.wait_cluster(&key, "web", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let dir = tempfile::tempdir().unwrap();
    let bundle = download_bundle(&server, &key, "web", dir.path());
    let ps = docker_with(CLI, &bundle, &["ps"]);
    assert!(ps.status.success(), "{}", String::from_utf8_lossy(&ps.stderr));
    let refused = docker_with(CLI, &bundle, &["run", "--rm", "--privileged", "busybox", "true"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("CARINA-1001"), "{refused:?}");
    let (_, bundles) = server.api(&key, "GET", "/clusters/web/bundles", None);
    let id = bundles[0]["id"].as_str().unwrap();
    assert_eq!(server.api(&key, "DELETE", &format!("/clusters/web/bundles/{id}"), None).0, 204);

    let text = scrape();
    let has = |series: &str, want: f64| assert_eq!(sample(&text, series), Some(want), "{series} in\n{text}");
    has(r#"carina_clusters{status="active"}"#, 1.0);
    has(r#"carina_segments{state="ready"}"#, 1.0);
    has("carina_warm_pool_size", 0.0);
    has("carina_warm_pool_ready", 0.0);
    has("carina_bundles_issued_total", 1.0);
    has("carina_bundles_revoked_total", 1.0);
    has(r#"carina_policy_refusals_total{rule="CARINA-1001"}"#, 1.0);
    let at_least = |series: &str| {
        let value = sample(&text, series).unwrap_or_else(|| panic!("{series} missing in\n{text}"));
        assert!(value >= 1.0, "{series} = {value}");
    };
    at_least(r#"carina_endpoint_requests_total{family="containers",status="200"}"#);
    at_least(r#"carina_endpoint_requests_total{family="containers",status="403"}"#);
    at_least(r#"carina_endpoint_request_seconds_count{family="containers"}"#);
    at_least(r#"carina_reconcile_passes_total{outcome="ok"}"#);
    at_least("carina_reconcile_pass_seconds_count");
    assert!(text.contains(r#"carina_endpoint_request_seconds_bucket{family="containers",le="0.1"}"#), "{text}");

    // A status that is gone reads 0, not its last count.
    assert_eq!(server.api(&key, "DELETE", "/clusters/web", None).0, 202);
    server.wait_cluster(&key, "web", Duration::from_secs(60), |code, _| code == 404);
    let text = scrape();
    assert_eq!(sample(&text, r#"carina_clusters{status="active"}"#), Some(0.0), "{text}");
}

#[test]
fn sigterm_lets_requests_under_way_finish_then_stops() {
    let mut server = Server::start_with_args("sigterm", &["--shutdown-grace-secs", "4"]);
    let _key = server.api_key_for("ada@example.com");
    // A live page's event stream: it never ends by itself.
    let jar = server.data.path().join("ada@example.com.cookies");
    let mut stream = Command::new("curl")
        .args(["-s", "-N", "-b", jar.to_str().unwrap(), &server.url("/live/clusters")])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // A request whose body takes about two seconds to arrive.
    let body = json!({"email": "ada@example.com", "password": "x".repeat(2000), "name": "slow"}).to_string();
    let url = server.url("/api/v1/keys");
    let slow = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--limit-rate", "1K", "-H"])
        .args(["Content-Type: application/json", "--data-binary", &body, &url])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let stopping = Instant::now();
    let status = server.terminate(Duration::from_secs(15)).expect("the server did not stop");
    let took = stopping.elapsed();
    assert!(status.success(), "{status:?}\n{}", server.log());
    let answered = slow.wait_with_output().unwrap();
    let code = String::from_utf8_lossy(&answered.stdout).into_owned();
    assert_eq!(code, "401", "the request under way got its answer\n{}", server.log());
    // The stream held the server for the grace period, not longer.
    assert!(took >= Duration::from_secs(3) && took < Duration::from_secs(10), "{took:?}");
    assert!(server.log().contains("grace period"), "{}", server.log());
    let _ = stream.kill();
    let _ = stream.wait();
}

#[test]
fn an_online_backup_restores_into_a_fresh_data_directory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start("backup");
    let key = server.api_key_for("ada@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    let token = format!("token://{}", created["id"].as_str().unwrap());
    server.wait_cluster(&key, "web", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let addresses = String::from_utf8(server.command(None, &["list", &token]).stdout).unwrap();
    assert_eq!(addresses.lines().count(), 1, "{addresses}");

    // While the server runs.
    let out_dir = tempfile::tempdir().unwrap();
    let copy = out_dir.path().join("carina-backup.db");
    let backup = server.command(None, &["admin", "backup", "--to", copy.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&backup.stdout).into_owned();
    assert!(backup.status.success(), "{said}{}", String::from_utf8_lossy(&backup.stderr));
    assert!(said.contains("secret key") && said.contains("secret.key"), "{said}");
    let again = server.command(None, &["admin", "backup", "--to", copy.to_str().unwrap()]);
    assert!(!again.status.success(), "an existing file is not overwritten");

    // Restore as the README says: the copy as carina.db, and the secret key file.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, fresh.path().join("carina.db")).unwrap();
    // Without the key file the restored database is refused, never given a new key.
    let keyless = server.command(Some(fresh.path()), &["admin", "show-account", "--email", "ada@example.com"]);
    assert!(!keyless.status.success());
    std::fs::remove_file(fresh.path().join("secret.key")).ok();
    std::fs::copy(server.data.path().join("secret.key"), fresh.path().join("secret.key")).unwrap();
    let shown = server.command(Some(fresh.path()), &["admin", "show-account", "--email", "ada@example.com"]);
    let shown_text = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    assert!(shown_text.starts_with("ada@example.com\t"), "{shown_text}");
    let restored = server.command(Some(fresh.path()), &["list", &token]);
    assert_eq!(String::from_utf8(restored.stdout).unwrap(), addresses, "the cluster and its segments are back");
}
