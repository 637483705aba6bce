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
