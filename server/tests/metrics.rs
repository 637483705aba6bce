//! The metrics that follow what is open and what failed, against a real server: open
//! streams and hijacked connections at a cluster endpoint, live page subscribers,
//! per-segment CPU and memory, panel and API requests by route, and reconciler failures
//! by step. Made to happen, then read back from `/metrics`.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{curl, docker_with, download_bundle, Server, CLI};
use serde_json::json;

/// The value of one sample line of a scrape, e.g. `carina_live_subscribers{page="cluster"}`.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

fn scrape(server: &Server) -> String {
    let (code, text) = curl(&[&server.url("/metrics")]);
    assert_eq!(code, 200, "{text}");
    text
}

/// Scrapes until every `(series, want)` holds, or panics with the last scrape.
fn wait_for(server: &Server, wanted: &[(&str, f64)]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = scrape(server);
        let missing: Vec<_> = wanted.iter().filter(|(s, want)| sample(&text, s) != Some(*want)).collect();
        if missing.is_empty() {
            return text;
        }
        assert!(Instant::now() < deadline, "{missing:?} never held in\n{text}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn spawn_docker(bundle: &std::path::Path, args: &[&str]) -> Child {
    Command::new(CLI)
        .args(args)
        .env(
            "DOCKER_HOST",
            std::fs::read_to_string(bundle.join("docker.env"))
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("export DOCKER_HOST="))
                .unwrap()
                .trim_matches('"'),
        )
        .env("DOCKER_TLS_VERIFY", "1")
        .env("DOCKER_CERT_PATH", bundle)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn open_streams_hijacks_live_pages_segment_usage_and_routes_are_counted() {
    let server = Server::start_with_args("metricsopen", &[]);
    let key = server.api_key_for("ada@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    server.wait_cluster(&key, "web", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let dir = tempfile::tempdir().unwrap();
    let bundle = download_bundle(&server, &key, "web", dir.path());
    let run = docker_with(CLI, &bundle, &["run", "-d", "--name", "sleeper", "busybox", "sleep", "300"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));

    // Nothing open yet, and said so.
    let text = scrape(&server);
    for series in ["carina_endpoint_open_streams", "carina_endpoint_hijacked_connections"] {
        assert_eq!(sample(&text, series), Some(0.0), "{series} in\n{text}");
    }
    // A log stream, an exec (a hijacked connection) and a live cluster page, all open.
    let mut logs = spawn_docker(&bundle, &["logs", "-f", "sleeper"]);
    let mut exec = spawn_docker(&bundle, &["exec", "-i", "sleeper", "sleep", "60"]);
    let jar = server.data.path().join("ada@example.com.cookies");
    let mut live = Command::new("curl")
        .args(["-s", "-N", "-b", jar.to_str().unwrap(), &server.url("/live/clusters/web")])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let text = wait_for(
        &server,
        &[
            ("carina_endpoint_open_streams", 1.0),
            ("carina_endpoint_hijacked_connections", 1.0),
            (r#"carina_live_subscribers{page="cluster"}"#, 1.0),
        ],
    );
    // The segment's own cgroups: some CPU time, and memory in the megabytes (dockerd).
    let segment = format!("{id}-n1");
    let cpu = sample(&text, &format!(r#"carina_segment_cpu_seconds{{segment="{segment}"}}"#)).expect(&text);
    let memory = sample(&text, &format!(r#"carina_segment_memory_bytes{{segment="{segment}"}}"#)).expect(&text);
    eprintln!("measured: segment {segment}: {cpu:.2} s of CPU, {:.0} MiB of memory", memory / 1048576.0);
    assert!(cpu > 0.1, "cpu {cpu}");
    assert!(memory > 10e6 && memory < 1024.0 * 1024.0 * 1024.0, "memory {memory}");
    // Requests by the route that matched, and status.
    let routes = [
        (r#"carina_http_requests_total{route="/api/v1/clusters",status="201"}"#, Some(1.0)),
        (r#"carina_http_requests_total{route="/api/sign_up",status="200"}"#, Some(1.0)),
    ];
    for (series, want) in routes {
        assert_eq!(sample(&text, series), want, "{series} in\n{text}");
    }
    let polled = sample(&text, r#"carina_http_requests_total{route="/api/v1/clusters/{name}",status="200"}"#);
    assert!(polled.unwrap_or(0.0) >= 1.0, "{text}");
    assert!(text.contains(r#"carina_http_request_seconds_count{route="/api/v1/clusters"}"#), "{text}");

    // Closed, they go back to 0.
    for child in [&mut logs, &mut exec, &mut live] {
        let _ = child.kill();
        let _ = child.wait();
    }
    wait_for(
        &server,
        &[
            ("carina_endpoint_open_streams", 0.0),
            ("carina_endpoint_hijacked_connections", 0.0),
            (r#"carina_live_subscribers{page="cluster"}"#, 0.0),
        ],
    );
    assert_eq!(server.api(&key, "DELETE", "/clusters/web", None).0, 202);
    server.wait_cluster(&key, "web", Duration::from_secs(60), |code, _| code == 404);
    let text = scrape(&server);
    assert_eq!(sample(&text, &format!(r#"carina_segment_memory_bytes{{segment="{segment}"}}"#)), Some(0.0), "gone: 0");
}

#[test]
fn reconciler_failures_are_counted_by_step() {
    // libvirt unreachable: every pass of a new cluster fails at the step that needs it.
    let server = Server::start_with_args("metricsfail", &["--libvirt-uri", "lxc:///system?socket=/nonexistent/sock"]);
    let key = server.api_key_for("ada@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = scrape(&server);
        let failed = sample(&text, r#"carina_reconcile_passes_total{outcome="failed"}"#).unwrap_or(0.0);
        let by_step: Vec<(&str, f64)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("carina_reconcile_failures_total{step=\""))
            .filter_map(|l| l.split_once("\"} "))
            .map(|(step, n)| (step, n.parse().unwrap()))
            .collect();
        if failed >= 2.0 {
            // Each failed pass is counted once, at the step where it stopped.
            // The first step that needs libvirt: the segments' network filter.
            assert_eq!(by_step, [("isolate", failed)], "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "no failed passes:\n{text}\n{}", server.log());
        std::thread::sleep(Duration::from_millis(500));
    }
}
