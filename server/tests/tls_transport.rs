//! A server that reaches libvirt through its network protocol (this machine's libvirtd,
//! over TLS on loopback, as another host's would be) and so, by default, segments'
//! dockerds over TLS with the control plane's client certificate. Once the cluster is
//! built its segments' unix sockets are deleted from the host: the reconciler's checks,
//! the cluster endpoint (requests, streams, attach, exec) and the live model must all go
//! on over TLS alone. One of the two segments comes from the warm pool: started with the
//! control plane's listener certificate for its address, it keeps it when the cluster
//! takes it. (Segment roots, filters and cgroups are still made on this machine: see the
//! README's "Segments on other hosts".)

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{docker_ok, docker_with, download_bundle, Server, CLI};
use serde_json::json;

#[test]
fn a_cluster_built_through_libvirts_network_api_works_with_its_dockerds_reached_over_tls_alone() {
    let server = Server::start_with("tls", 1, &["--libvirt-uri", &common::libvirt_tls_uri()]);
    server.wait_pool_full(1);
    let key = server.api_key_for("ada@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 2})));
    assert_eq!(code, 201, "{created}");
    let detail = server
        .wait_cluster(&key, "web", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");

    let domains: Vec<String> = detail["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|segment| server.domain_of(segment["name"].as_str().unwrap()))
        .collect();
    assert!(domains.iter().any(|d| d.starts_with("pool-")), "no segment came from the warm pool: {domains:?}");

    // From here on nothing can reach a dockerd through its socket.
    for domain in &domains {
        let socket = server.driver().layout(domain).docker_socket();
        std::fs::remove_file(&socket).unwrap_or_else(|e| panic!("{}: {e}", socket.display()));
    }
    let since = Instant::now();

    // The endpoint: a detached container, its log stream, exec and attach (upgraded
    // connections), and the listing across segments.
    let bundle = download_bundle(&server, &key, "web", &server.data.path().join("bundle"));
    docker_ok(CLI, &bundle, &["run", "-d", "--name", "probe", "busybox", "sh", "-c", "echo ready; sleep 600"]);
    assert!(docker_ok(CLI, &bundle, &["logs", "probe"]).contains("ready"));
    assert_eq!(docker_ok(CLI, &bundle, &["exec", "probe", "echo", "inside"]).trim(), "inside");
    // A long log, read over TLS by the endpoint's own reader: every line, in order.
    docker_ok(CLI, &bundle, &["run", "-d", "--name", "counter", "busybox", "seq", "1", "200000"]);
    assert_eq!(docker_ok(CLI, &bundle, &["wait", "counter"]).trim(), "0");
    let counted = docker_ok(CLI, &bundle, &["logs", "counter"]);
    assert!(counted.lines().map(|l| l.parse::<u32>().unwrap()).eq(1..=200000), "the log came back altered");
    assert_eq!(docker_ok(CLI, &bundle, &["run", "--rm", "busybox", "echo", "attached"]).trim(), "attached");
    assert!(docker_ok(CLI, &bundle, &["ps", "--format", "{{.Names}}"]).lines().any(|name| name.ends_with("probe")));
    // A segment's directories are not on the endpoint's machine when it is reached over
    // TLS: a bind below /var/lib/docker cannot be checked for planted links, so it is
    // refused.
    let bind = docker_with(CLI, &bundle, &["run", "--rm", "-v", "/var/lib/docker/volumes:/v", "busybox", "true"]);
    assert!(!bind.status.success(), "an unchecked bind below /var/lib/docker was accepted");

    // The live model: the cluster page, rendered on the server, shows the new container.
    let jar = server.data.path().join("ada@example.com.cookies");
    let page = |path: &str| {
        let out = Command::new("curl").args(["-s", "-b", jar.to_str().unwrap(), &server.url(path)]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !page("/clusters/web").contains("probe") {
        assert!(Instant::now() < deadline, "the cluster page never showed the container");
        std::thread::sleep(Duration::from_millis(500));
    }

    // The reconciler's health checks (every pass looks at each segment) found every
    // dockerd answering all along: the cluster stayed active, and no segment went down.
    std::thread::sleep(Duration::from_secs(10).saturating_sub(since.elapsed()));
    let (code, now) = server.api(&key, "GET", "/clusters/web", None);
    assert_eq!((code, now["status"].as_str()), (200, Some("active")), "{now}");
    let (_, events) = server.api(&key, "GET", "/clusters/web/events", None);
    assert!(!events.to_string().contains("is down"), "a segment was marked down: {events}");
    let log = server.log();
    assert!(!log.contains("docker.sock"), "something still looked for a socket:\n{log}");
}
