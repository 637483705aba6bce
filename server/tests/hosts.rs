//! Two hosts on this machine: the server's own libvirt (`lxc:///system`, dockerds through
//! their sockets) and the same libvirtd reached through its network protocol (TLS on
//! loopback, dockerds over TLS with the control plane's certificate), added by an operator
//! while the server runs. A 3-segment cluster spans both, forms one Swarm and runs a
//! service on every segment; the segment on the second host works with its socket gone.

mod common;

use std::time::Duration;

use common::{docker_ok, download_bundle, Server, CLI};
use serde_json::json;

#[test]
fn a_cluster_spans_two_hosts_and_works_as_one_swarm() {
    let server = Server::start("hosts");
    let admin = |args: &[&str]| {
        let out = server.command(None, &[&["admin"], args].concat());
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), said)
    };
    let uri = common::libvirt_tls_uri();
    let (ok, said) = admin(&["add-host", "unreachable", "--uri", "lxc+tcp://127.0.0.1:1/system"]);
    assert!(!ok && said.contains("cannot reach libvirt"), "{said}");
    let (ok, said) = admin(&["add-host", "second", "--uri", &uri]);
    assert!(ok && said.contains("second") && said.contains("segments=0"), "{said}");

    let key = server.api_key_for("ada@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 3})));
    assert_eq!(code, 201, "{created}");
    server.wait_cluster(&key, "web", Duration::from_secs(240), |code, json| code == 200 && json["status"] == "active");

    // Placement: two segments here, one on the second host.
    let placed = server.sql("SELECT host || ' ' || COALESCE(domain, name) FROM segments ORDER BY ordinal");
    let on_second: Vec<&str> = placed.lines().filter_map(|l| l.strip_prefix("second ")).collect();
    assert_eq!((placed.lines().count(), on_second.len()), (3, 1), "{placed}");
    let (_, hosts) = admin(&["hosts"]);
    assert!(hosts.contains("segments=2") && hosts.contains("segments=1"), "{hosts}");

    // The second host's segment is reached over TLS only: its socket on this machine goes.
    let socket = server.driver().layout(on_second[0]).docker_socket();
    std::fs::remove_file(&socket).unwrap_or_else(|e| panic!("{}: {e}", socket.display()));

    // One Swarm over both hosts, and a service with a task on every segment.
    let bundle = download_bundle(&server, &key, "web", &server.data.path().join("bundle"));
    let info = docker_ok(CLI, &bundle, &["info", "--format", "{{json .}}"]);
    assert!(info.contains("\"Nodes\":3"), "{info}");
    docker_ok(
        CLI,
        &bundle,
        &["service", "create", "--detach", "--mode", "global", "--name", "everywhere", "busybox", "sleep", "600"],
    );
    let mut running = Vec::new();
    for _ in 0..120 {
        let tasks =
            docker_ok(CLI, &bundle, &["service", "ps", "everywhere", "--format", "{{.Node}} {{.CurrentState}}"]);
        running =
            tasks.lines().filter(|t| t.contains("Running")).map(|t| t.split(' ').next().unwrap().to_owned()).collect();
        if running.len() == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    running.sort();
    running.dedup();
    assert_eq!(running.len(), 3, "tasks running on {running:?}");
    let listed = docker_ok(CLI, &bundle, &["ps", "--format", "{{.Names}}"]);
    assert_eq!(listed.lines().filter(|n| n.contains("everywhere")).count(), 3, "{listed}");

    // A host that holds a segment stays; once the cluster is gone it can go.
    let (ok, said) = admin(&["remove-host", "second"]);
    assert!(!ok && said.contains("still holds 1 segment(s)"), "{said}");
    let (code, _) = server.api(&key, "DELETE", "/clusters/web", None);
    assert!(code < 300, "delete: {code}");
    server.wait_cluster(&key, "web", Duration::from_secs(120), |code, _| code == 404);
    let (ok, said) = admin(&["remove-host", "second"]);
    assert!(ok, "{said}");
    let log = server.log();
    assert!(!log.contains("not known to this server"), "a segment's host was not loaded:\n{log}");
}
