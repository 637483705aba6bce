//! Two replicas (server processes) on one PostgreSQL database and two segment hosts (this
//! machine's libvirt, and the same libvirtd through TLS on loopback, added by an operator):
//! a cluster whose builder is killed mid-build is finished by the other replica, over both
//! hosts, which then serves its endpoint to the docker CLI and refuses a bundle revoked
//! through the first.
//! Needs PostgreSQL (`CARINA_TEST_DATABASE_URL`, as `scripts/test.sh` sets for its second
//! pass); an SQLite database belongs to one server, so on SQLite the test says it was
//! skipped.

mod common;

use std::time::{Duration, Instant};

use common::{docker_with, download_bundle, run, Server, CLI};
use serde_json::json;

#[test]
fn a_replica_killed_mid_build_leaves_the_cluster_to_the_other() {
    let mut a = Server::start_with_args("replicas", &["--replica", "a"]);
    if a.database_url.is_none() {
        eprintln!("skipped: replicas share a PostgreSQL database (set CARINA_TEST_DATABASE_URL)");
        return;
    }
    let mut b = a.replica("b");
    let added = a.command(None, &["admin", "add-host", "second", "--uri", &common::libvirt_tls_uri()]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let key = a.api_key_for("ada@example.com");
    // Asked through b; whichever replica takes the cluster's lease builds it.
    let (code, created) = b.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 3})));
    assert_eq!(code, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let lease = format!("SELECT holder FROM leases WHERE name = 'cluster:{id}'");
    let deadline = Instant::now() + Duration::from_secs(30);
    let builder = loop {
        let holder = a.sql(&lease);
        let status = a.sql(&format!("SELECT status FROM clusters WHERE id = '{id}'"));
        let segments = a.sql(&format!("SELECT COUNT(*) FROM segments WHERE cluster_id = '{id}'"));
        if !holder.is_empty() && status == "building" && segments != "0" {
            break holder;
        }
        assert!(Instant::now() < deadline, "no build under way: {holder:?} {status} {segments}");
        std::thread::sleep(Duration::from_millis(20));
    };

    // The builder dies mid-build; the other takes over once its lease expires (30 s).
    let (dying, survivor, name) = if builder == "a" { (&mut a, &b, "b") } else { (&mut b, &a, "a") };
    dying.kill();
    let detail = survivor
        .wait_cluster(&key, "web", Duration::from_secs(240), |code, json| code == 200 && json["status"] == "active");
    assert_eq!(survivor.sql(&lease), name);
    let segments = detail["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 3);
    assert!(segments.iter().all(|s| s["state"] == "ready"), "{segments:?}");
    assert_eq!(survivor.cluster_domains(&id).len(), 3);
    let hosts = survivor.sql(&format!("SELECT host FROM segments WHERE cluster_id = '{id}' ORDER BY host"));
    assert_eq!(hosts.lines().collect::<Vec<_>>(), ["local", "local", "second"], "spread over both hosts");

    // Its endpoint, now the survivor's, runs a container.
    let dir = tempfile::tempdir().unwrap();
    let bundle = download_bundle(survivor, &key, "web", dir.path());
    let out = docker_with(CLI, &bundle, &["run", "--rm", "busybox", "echo", "hi"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hi");
    // No segment was made twice: the host has the cluster's three domains and no more.
    let domains = run("virsh", &["-c", "lxc:///system", "list", "--all", "--name"]);
    assert_eq!(domains.lines().filter(|d| d.contains(&id)).count(), 3, "{domains}");

    // The dead replica comes back under its name: its start-up cleanup leaves the other's
    // segments alone and it takes nothing back. A bundle revoked through it is refused by
    // the survivor's endpoint within moments (it is announced), and a new one works.
    dying.restart();
    let bundles = dying.api(&key, "GET", "/clusters/web/bundles", None).1;
    let revoked = bundles[0]["id"].as_str().unwrap().to_owned();
    let asked = Instant::now();
    let (code, _) = dying.api(&key, "DELETE", &format!("/clusters/web/bundles/{revoked}"), None);
    assert_eq!(code, 204);
    while docker_with(CLI, &bundle, &["ps", "-q"]).status.success() {
        assert!(asked.elapsed() < Duration::from_secs(3), "the survivor's endpoint still takes a revoked bundle");
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("timing: revoked through the other replica, refused after {:.2}s", asked.elapsed().as_secs_f64());
    let fresh = download_bundle(dying, &key, "web", &dir.path().join("fresh"));
    let out = docker_with(CLI, &fresh, &["ps", "-q"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(survivor.sql(&lease), name);
    let domains = run("virsh", &["-c", "lxc:///system", "list", "--all", "--name"]);
    assert_eq!(domains.lines().filter(|d| d.contains(&id)).count(), 3, "{domains}");
}
