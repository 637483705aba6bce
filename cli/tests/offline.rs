//! The `carina` binary without a service: usage, a service that cannot be reached, no
//! key. Each error is one line on stderr with a non-zero exit code, never a panic. (The
//! end-to-end test against a real server and real segments is `server/tests/cli.rs`.)

use std::process::{Command, Output};

fn carina(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carina"))
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("CARINA_HOME", home)
        .output()
        .unwrap()
}

/// The one line of stderr of a failed run, and its exit code.
fn failure(out: &Output) -> (i32, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "it succeeded: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.starts_with("carina: ") && !stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap(), stderr)
}

#[test]
fn wrong_usage_is_one_line_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let (code, line) = failure(&carina(home.path(), &["grow", "web"]));
    assert_eq!(code, 2);
    assert!(line.contains("--by"), "{line}");
    let (code, line) = failure(&carina(home.path(), &["create", "web", "--nodes", "0"]));
    assert_eq!(code, 2, "{line}");
    let (code, _) = failure(&carina(home.path(), &["frobnicate"]));
    assert_eq!(code, 2);
}

#[test]
fn without_a_key_it_says_how_to_get_one() {
    let home = tempfile::tempdir().unwrap();
    let (code, line) = failure(&carina(home.path(), &["ls"]));
    assert_eq!(code, 2);
    assert!(line.contains("carina login"), "{line}");
}

#[test]
fn a_service_that_cannot_be_reached_is_exit_3() {
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, line) = failure(&carina(home.path(), &["--url", &url, "--apikey", "carina_x", "ls"]));
    assert_eq!(code, 3);
    assert!(line.contains(&format!("Cannot reach Carina at {url}")), "{line}");
}

#[test]
fn version_help_and_completions() {
    let home = tempfile::tempdir().unwrap();
    let out = carina(home.path(), &["--version"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), concat!("carina ", env!("CARGO_PKG_VERSION")));
    let out = carina(home.path(), &["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["create", "grow", "rebuild", "rm", "credentials", "env", "quotas", "bundles", "revoke", "history"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    let out = carina(home.path(), &["completions", "bash"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("_carina"));
}

/// A stand-in for the service on loopback: answers each request with what `answer` gives
/// for its method and path (status and JSON body), for as long as the test runs.
fn fake_service(answer: fn(&str, &str) -> (u16, String)) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line.trim().is_empty() {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut parts = request_line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let (status, json) = answer(method, path);
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                json.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(json.as_bytes()));
        }
    });
    url
}

#[test]
fn waiting_for_a_cluster_that_ends_in_error_fails_with_the_reason() {
    let url = fake_service(|method, path| {
        let cluster = |status: &str| {
            format!(
                r#"{{"id":"i","cluster_name":"web","status":"{status}","status_reason":{},"actions":[],"nodes":1,"ready_nodes":0,"flavor":"f","created_at":0,"segments":[],"events":[{{"kind":"progress","message":"Starting segment n1","at":0}}]}}"#,
                if status == "error" { "\"No room for segment n1 on the host.\"" } else { "null" }
            )
        };
        match (method, path) {
            ("POST", "/api/v1/clusters") => (201, cluster("new")),
            ("GET", "/api/v1/clusters/web") => (200, cluster("error")),
            _ => (404, r#"{"error":"no"}"#.into()),
        }
    });
    let home = tempfile::tempdir().unwrap();
    let out = carina(home.path(), &["--url", &url, "--apikey", "carina_k", "create", "web", "--wait"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], "web: error, 0/1 segments ready (Starting segment n1)", "{stderr}");
    assert_eq!(lines[1], "carina: Cluster web is in error: No room for segment n1 on the host.", "{stderr}");
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(out.stdout.is_empty());
}
