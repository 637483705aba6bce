//! Operators and passwords against a real server: the owner's password change (current
//! password first, other sessions signed out), the operator's reset from the command
//! line, and the operator page, for operators only.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{curl, Server, PASSWORD};

/// A panel call (a server function) with a cookie jar, as the browser's fetch sends it.
fn panel(server: &Server, jar: &Path, endpoint: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let origin = format!("Origin: http://127.0.0.1:{}", server.port);
    let jar = jar.to_str().unwrap();
    let mut args = vec!["-b", jar, "-c", jar, "-H", &origin, "-H", "Accept: application/json"];
    let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for field in &fields {
        args.extend(["--data-urlencode", field]);
    }
    if fields.is_empty() {
        args.extend(["--data", ""]);
    }
    let url = server.url(&format!("/api/{endpoint}"));
    args.push(&url);
    curl(&args)
}

/// Signs in into a new cookie jar; returns the status and the jar.
fn sign_in(server: &Server, email: &str, password: &str, jar: &str) -> (u16, PathBuf) {
    let jar = server.data.path().join(jar);
    let (code, _) = panel(server, &jar, "sign_in", &[("email", email), ("password", password)]);
    (code, jar)
}

/// Whether the jar's session is signed in (the account page renders, no redirect).
fn signed_in(server: &Server, jar: &Path) -> bool {
    curl(&["-b", jar.to_str().unwrap(), &server.url("/account")]).0 == 200
}

#[test]
fn the_owner_changes_their_password_and_other_sessions_end() {
    let server = Server::start_with_args("password", &[]);
    server.api_key_for("ada@example.com");
    let here = server.data.path().join("ada@example.com.cookies");
    let (code, elsewhere) = sign_in(&server, "ada@example.com", PASSWORD, "elsewhere");
    assert_eq!(code, 200);
    assert!(signed_in(&server, &here) && signed_in(&server, &elsewhere));

    // A wrong current password changes nothing, and says so.
    let new = "another long passphrase";
    let (code, said) =
        panel(&server, &here, "change_password", &[("current_password", "not it at all"), ("new_password", new)]);
    assert_eq!(code, 422, "{said}");
    assert!(said.contains("current password is not right"), "{said}");
    assert!(signed_in(&server, &elsewhere));
    // A weak new password neither.
    let (code, said) =
        panel(&server, &here, "change_password", &[("current_password", PASSWORD), ("new_password", "short")]);
    assert_eq!(code, 422, "{said}");

    let (code, said) =
        panel(&server, &here, "change_password", &[("current_password", PASSWORD), ("new_password", new)]);
    assert_eq!((code, said.trim()), (200, "1"), "one other session signed out");
    assert!(signed_in(&server, &here), "this session stays");
    assert!(!signed_in(&server, &elsewhere), "the other one ends");
    assert_eq!(sign_in(&server, "ada@example.com", PASSWORD, "old").0, 401);
    assert_eq!(sign_in(&server, "ada@example.com", new, "new").0, 200);

    let trail = String::from_utf8(server.command(None, &["admin", "audit"]).stdout).unwrap();
    assert!(trail.contains("Password change refused: wrong current password"), "{trail}");
    assert!(trail.contains("Password changed; 1 other session(s) signed out"), "{trail}");
    assert!(!trail.contains(new) && !trail.contains(PASSWORD), "no password in the trail");
}

#[test]
fn an_operator_resets_a_password_from_the_command_line() {
    let server = Server::start_with_args("reset", &[]);
    server.api_key_for("ada@example.com");
    let jar = server.data.path().join("ada@example.com.cookies");
    assert!(signed_in(&server, &jar));

    // Made and printed, every session signed out.
    let out = server.command(None, &["admin", "reset-password", "--email", "ada@example.com"]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    let printed = said.lines().last().unwrap().trim().to_owned();
    assert_eq!(printed.len(), 32, "{said}");
    // Ended at once: nothing is served to the session that it did not have a moment ago
    // (the page it read may be reused within its second, `panel/page_cache.rs`: another
    // process's change on SQLite moves no version), and after that second, nothing.
    let clusters = curl(&["-b", jar.to_str().unwrap(), &server.url("/clusters")]).0;
    assert_eq!(clusters, 303, "a page it never read is not rendered for it");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(!signed_in(&server, &jar));
    assert_eq!(sign_in(&server, "ada@example.com", PASSWORD, "old").0, 401);
    assert_eq!(sign_in(&server, "ada@example.com", &printed, "printed").0, 200);

    // Or the operator's own, from CARINA_PASSWORD (never a flag: flags end up in `ps`).
    let given = "a passphrase the operator picked";
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--data-dir", server.data.path().to_str().unwrap()])
        .args(server.database_args())
        .args(["admin", "reset-password"])
        .args(["--email", "ADA@example.com"])
        .env("CARINA_PASSWORD", given)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(given), "a given password is not echoed");
    assert_eq!(sign_in(&server, "ada@example.com", given, "given").0, 200);

    let unknown = server.command(None, &["admin", "reset-password", "--email", "nobody@example.com"]);
    assert!(!unknown.status.success());
    let trail =
        String::from_utf8(server.command(None, &["admin", "audit", "--email", "ada@example.com"]).stdout).unwrap();
    let reset = trail.lines().find(|l| l.contains("Password reset by an operator; 1 session(s) signed out")).unwrap();
    assert!(reset.contains(r#""actor":"operator""#), "{reset}");
}

#[test]
fn the_operator_page_is_for_operators_only() {
    let server = Server::start_with_args("operator", &[]);
    let key = server.api_key_for("ada@example.com");
    let (code, created) =
        server.api(&key, "POST", "/clusters", Some(serde_json::json!({"cluster_name": "web", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    let ada = server.data.path().join("ada@example.com.cookies");
    let (code, said) = panel(&server, &ada, "operator_overview", &[]);
    assert_eq!(code, 403, "{said}");
    let (_, page) = curl(&["-b", ada.to_str().unwrap(), &server.url("/operator")]);
    assert!(page.contains("This page is for operators.") && !page.contains("Host"), "{page}");
    assert_eq!(curl(&[&server.url("/operator")]).0, 303, "signed out: to the sign-in page");

    let root = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--data-dir", server.data.path().to_str().unwrap()])
        .args(server.database_args())
        .args(["admin", "create-operator"])
        .args(["--email", "root@example.com"])
        .env("CARINA_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(root.status.success());
    let (code, jar) = sign_in(&server, "root@example.com", PASSWORD, "root");
    assert_eq!(code, 200);
    let (code, json) = panel(&server, &jar, "operator_overview", &[]);
    assert_eq!(code, 200, "{json}");
    let view: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ada = view["accounts"].as_array().unwrap().iter().find(|a| a["email"] == "ada@example.com").unwrap();
    assert_eq!((ada["clusters"].as_u64(), ada["max_clusters"].as_u64()), (Some(1), Some(3)), "{ada}");
    assert_eq!(view["clusters"][0]["owner"], "ada@example.com");
    assert_eq!(view["clusters"][0]["name"], "web");
    assert!(view["capacity"].to_string().contains("free on the segments' subnet"), "{}", view["capacity"]);
    let hosts = view["capacity"].to_string();
    assert!(
        hosts.contains("Host local")
            && hosts.contains("taking new segments")
            && hosts.contains("no limit")
            && hosts.contains("segment(s) on it"),
        "{hosts}"
    );
    assert!(view["recent"].to_string().contains("Cluster created"), "{}", view["recent"]);
    let (code, page) = curl(&["-b", jar.to_str().unwrap(), &server.url("/operator")]);
    assert_eq!(code, 200);
    assert!(page.contains("ada@example.com") && page.contains("Host") && page.contains("operator-link"), "{page}");
    // The latest activity, rendered: a row of Ada's account.
    // Without the hydration markers (`<!>`) that follow text nodes of erased components.
    let page = page.replace("<!>", "");
    let activity = &page[page.find("id=\"operator-activity\"").expect("no activity section")..];
    assert!(activity.contains("<td>ada@example.com</td>"), "{activity}");
    assert!(activity.contains("class=\"message\">Cluster created"), "{activity}");
    assert_eq!(server.api(&key, "DELETE", "/clusters/web", None).0, 202);
    server.wait_cluster(&key, "web", std::time::Duration::from_secs(60), |code, _| code == 404);
}

/// Hosts from the command line: the server's own is registered at start; a capacity and a
/// drain take effect on the next request, with a message the user can act on.
#[test]
fn an_operator_sets_a_hosts_capacity_and_drains_it() {
    let server = Server::start_with_args("hosts", &[]);
    let admin = |args: &[&str]| {
        let out = server.command(None, &[&["admin"], args].concat());
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    };
    let (ok, listed) = admin(&["hosts"]);
    assert!(ok && listed.contains("local\tlxc:///system\tcapacity=unlimited\topen"), "{listed}");

    let key = server.api_key_for("ada@example.com");
    let create =
        |name: &str| server.api(&key, "POST", "/clusters", Some(serde_json::json!({"cluster_name": name, "nodes": 1})));
    let (ok, set) = admin(&["set-host-capacity", "local", "--segments", "0"]);
    assert!(ok && set.contains("capacity=0"), "{set}");
    let (code, said) = create("web");
    assert_eq!(code, 409, "{said}");
    assert!(said.to_string().contains("The service is full"), "{said}");

    admin(&["set-host-capacity", "local", "--unlimited"]);
    let (ok, drained) = admin(&["drain-host", "local"]);
    assert!(ok && drained.contains("draining"), "{drained}");
    let (code, said) = create("web");
    assert_eq!(code, 409, "{said}");
    assert!(said.to_string().contains("drained for maintenance"), "{said}");
    let (ok, resumed) = admin(&["resume-host", "local"]);
    assert!(ok && resumed.contains("open"), "{resumed}");

    let (ok, unknown) = admin(&["drain-host", "elsewhere"]);
    assert!(!ok && unknown.contains("No host is named \"elsewhere\""), "{unknown}");
}
