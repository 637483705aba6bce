//! Two hosts on this machine: the server's own libvirt (`lxc:///system`, dockerds through
//! their sockets) and the same libvirtd reached through its network protocol (TLS on
//! loopback, through a forwarder the test can cut; dockerds over TLS with the control
//! plane's certificate), added by an operator while the server runs. A 3-segment cluster
//! spans both, forms one Swarm and runs a service on every segment; the segment on the
//! second host works with its socket gone; another tenant's cluster on the second host and
//! this one do not reach each other. Then the second host goes away (its libvirt
//! cut off, its segment's processes killed): the segment shows down, the cluster serves
//! from the others, a rebuild moves it, and what it left behind goes when the host is back.

mod common;

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{docker_ok, download_bundle, Server, CLI};
use serde_json::json;

#[test]
fn a_cluster_spans_two_hosts_works_as_one_swarm_and_outlives_one_of_them() {
    let server = Server::start("hosts");
    let admin = |args: &[&str]| {
        let out = server.command(None, &[&["admin"], args].concat());
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), said)
    };
    // The second host's libvirt through a forwarder on a port of its own.
    let mut second = Forwarder::start(common::free_port(), 16514);
    let uri = common::libvirt_tls_uri().replacen("127.0.0.1/", &format!("127.0.0.1:{}/", second.port), 1);
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

    // Another tenant's cluster, on the second host (the emptier one): web's segments reach
    // each other across the hosts, and neither cluster reaches the other.
    let eve = server.api_key_for("eve@example.com");
    let (code, _) = server.api(&eve, "POST", "/clusters", Some(json!({"cluster_name": "other", "nodes": 1})));
    assert_eq!(code, 201);
    server
        .wait_cluster(&eve, "other", Duration::from_secs(120), |code, json| code == 200 && json["status"] == "active");
    let other = server.sql("SELECT s.host || ' ' || COALESCE(s.domain, s.name) || ' ' || s.address FROM segments s JOIN clusters c ON c.id = s.cluster_id WHERE c.name = 'other'");
    let [other_host, other_domain, other_address]: [&str; 3] = other.split(' ').collect::<Vec<_>>().try_into().unwrap();
    assert_eq!(other_host, "second", "{other}");
    let web_local = placed.lines().find_map(|l| l.strip_prefix("local ")).unwrap();
    let address_of =
        |domain: &str| server.sql(&format!("SELECT address FROM segments WHERE COALESCE(domain, name) = '{domain}'"));
    let web_second: std::net::Ipv4Addr = address_of(on_second[0]).parse().unwrap();
    let other_address: std::net::Ipv4Addr = other_address.parse().unwrap();
    let web_local_address: std::net::Ipv4Addr = address_of(web_local).parse().unwrap();
    assert!(common::connects_from(web_local, web_second, 2377), "web's segments do not reach each other across hosts");
    for port in [2377, 42376] {
        assert!(!common::connects_from(web_local, other_address, port), "web reaches the other cluster on {port}");
        assert!(
            !common::connects_from(other_domain, web_local_address, port),
            "the other cluster reaches web on {port}"
        );
    }
    let (code, _) = server.api(&eve, "DELETE", "/clusters/other", None);
    assert!(code < 300, "delete: {code}");
    server.wait_cluster(&eve, "other", Duration::from_secs(120), |code, _| code == 404);

    // A host that holds a segment stays.
    let (ok, said) = admin(&["remove-host", "second"]);
    assert!(!ok && said.contains("still holds 1 segment(s)"), "{said}");

    // The second host goes away: its libvirt cut off, its segment's processes gone.
    second.cut();
    let gone = on_second[0].to_owned();
    common::run("virsh", &["-c", "lxc:///system", "destroy", &gone]);
    let detail = server.wait_cluster(&key, "web", Duration::from_secs(60), |_, json| {
        json["segments"].as_array().is_some_and(|s| s.iter().any(|s| s["state"] == "down"))
    });
    assert_eq!(detail["status"], "active", "{detail}");
    let down = detail["segments"].as_array().unwrap().iter().find(|s| s["state"] == "down").unwrap().clone();
    assert!(down["state_reason"].as_str().unwrap().contains("does not answer"), "{down}");
    let (_, hosts) = admin(&["hosts"]);
    assert!(hosts.lines().any(|l| l.starts_with("second") && l.contains("not answering")), "{hosts}");
    // The cluster serves from the others.
    assert_eq!(docker_ok(CLI, &bundle, &["run", "--rm", "busybox", "echo", "still"]).trim(), "still");
    docker_ok(CLI, &bundle, &["ps"]);

    // A rebuild moves every segment to the host that answers; the one left behind is
    // stranded until its host is back.
    let (code, _) = server.api(&key, "POST", "/clusters/web/rebuild", None);
    assert_eq!(code, 202);
    server.wait_cluster(&key, "web", Duration::from_secs(240), |_, json| {
        json["status"] == "active"
            && json["segments"].as_array().is_some_and(|s| s.iter().all(|s| s["state"] == "ready"))
    });
    assert_eq!(server.sql("SELECT DISTINCT host FROM segments"), "local");
    assert_eq!(server.sql("SELECT domain FROM stranded_segments"), gone);
    let bundle = download_bundle(&server, &key, "web", &server.data.path().join("bundle-rebuilt"));
    assert_eq!(docker_ok(CLI, &bundle, &["run", "--rm", "busybox", "echo", "moved"]).trim(), "moved");

    second = Forwarder::start(second.port, 16514);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server.sql("SELECT domain FROM stranded_segments").is_empty() {
        assert!(Instant::now() < deadline, "the stranded segment was never removed:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(500));
    }
    let domains = common::run("virsh", &["-c", "lxc:///system", "list", "--all", "--name"]);
    assert!(!domains.lines().any(|d| d.trim() == gone), "{domains}");

    // Once the cluster is gone, the host can go.
    let (code, _) = server.api(&key, "DELETE", "/clusters/web", None);
    assert!(code < 300, "delete: {code}");
    server.wait_cluster(&key, "web", Duration::from_secs(120), |code, _| code == 404);
    let (ok, said) = admin(&["remove-host", "second"]);
    assert!(ok, "{said}");
    let log = server.log();
    assert!(!log.contains("not known to this server"), "a segment's host was not loaded:\n{log}");
    second.cut();
}

/// A TCP forwarder from `127.0.0.1:port` to `127.0.0.1:to`, which [`Forwarder::cut`] stops
/// as a network failure would: no new connections, the open ones closed.
struct Forwarder {
    port: u16,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    accepting: Option<std::thread::JoinHandle<()>>,
}

impl Forwarder {
    fn start(port: u16, to: u16) -> Forwarder {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let (stop, open) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
        let (stopping, opened) = (stop.clone(), open.clone());
        let accepting = std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                let client = match listener.accept() {
                    Ok((client, _)) => client,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                    Err(e) => panic!("forwarder: {e}"),
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else { continue };
                let mut open = opened.lock().unwrap();
                open.extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut into) in
                    [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)]
                {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut into);
                        let _ = into.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Forwarder { port, stop, open, accepting: Some(accepting) }
    }

    fn cut(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accepting) = self.accepting.take() {
            accepting.join().unwrap();
        }
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}
