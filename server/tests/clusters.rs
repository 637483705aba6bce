//! Clusters end to end, with real libvirt LXC segments and real dockerd: the server binary
//! driven through its JSON API like a user's script would.

mod common;

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{connects_from, curl, run, segment_pids, Server};
use serde_json::json;

/// Tests here share one bridge and subnet: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const BUILD_TIMEOUT: Duration = Duration::from_secs(180);

fn status_is(want: &'static str) -> impl Fn(u16, &serde_json::Value) -> bool {
    move |code, json| code == 200 && json["status"] == want
}

fn segment_sockets(server: &Server, detail: &serde_json::Value) -> Vec<String> {
    let driver = server.driver();
    detail["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| driver.layout(&server.domain_of(s["name"].as_str().unwrap())).docker_socket().display().to_string())
        .collect()
}

fn docker(socket: &str, args: &[&str]) -> String {
    let host = format!("unix://{socket}");
    let mut all = vec!["-H", host.as_str()];
    all.extend_from_slice(args);
    run("docker", &all)
}

/// Nothing of the cluster is left on the host: no domain, directory, mount or address.
fn assert_nothing_left(server: &Server, cluster_id: &str) {
    let domains = run("virsh", &["-c", "lxc:///system", "list", "--all", "--name"]);
    assert!(!domains.contains(cluster_id), "a domain is left: {domains}");
    let dirs: Vec<_> = std::fs::read_dir(server.state_dir())
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert!(!dirs.iter().any(|d| d.contains(cluster_id)), "a directory is left: {dirs:?}");
    let libvirtd = std::fs::read_to_string("/run/libvirtd.pid").unwrap().trim().to_owned();
    for mounts in ["/proc/self/mountinfo".to_owned(), format!("/proc/{libvirtd}/mountinfo")] {
        let text = std::fs::read_to_string(&mounts).unwrap();
        assert!(!text.contains(cluster_id), "a mount is left in {mounts}");
    }
    assert_eq!(server.sql(&format!("SELECT COUNT(*) FROM segments WHERE cluster_id = '{cluster_id}'")), "0");
    // The filter rules of its segments (tagged with their names) are gone too.
    let rules = run("iptables", &["-w", "-S"]);
    assert!(!rules.contains(cluster_id), "a filter rule is left: {rules}");
}

fn event_count(server: &Server, cluster_id: &str) -> u32 {
    server.sql(&format!("SELECT COUNT(*) FROM events WHERE cluster_id = '{cluster_id}'")).parse().unwrap()
}

#[test]
fn a_three_segment_cluster_becomes_active_survives_a_dead_segment_and_leaves_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start("life");
    let key = server.api_key_for("ada@example.com");

    let started = Instant::now();
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 3})));
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["status"], "new");
    let id = created["id"].as_str().unwrap().to_owned();
    let detail = server.wait_cluster(&key, "web", BUILD_TIMEOUT, status_is("active"));
    eprintln!("timing: create -> active {:.2}s", started.elapsed().as_secs_f64());

    // Three ready segments, each answering Docker on its own socket, in one 3-manager swarm.
    let segments = detail["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 3);
    for (i, s) in segments.iter().enumerate() {
        assert_eq!(s["name"], format!("{id}-n{}", i + 1));
        assert_eq!(s["state"], "ready", "{s}");
    }
    let sockets = segment_sockets(&server, &detail);
    for socket in &sockets {
        assert_eq!(docker(socket, &["info", "--format", "{{.Swarm.LocalNodeState}}"]).trim(), "active");
    }
    let nodes = docker(&sockets[0], &["node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"]);
    assert_eq!(nodes.lines().filter(|l| l.contains(" Ready ")).count(), 3, "{nodes}");
    assert_eq!(nodes.lines().filter(|l| l.ends_with("Leader") || l.ends_with("Reachable")).count(), 3, "{nodes}");
    // The infrastructure containers are there; busybox runs.
    let ps = docker(&sockets[0], &["ps", "-a", "--format", "{{.Names}}"]);
    assert!(ps.contains("swarm-data") && ps.contains("swarm-manager"), "{ps}");
    assert_eq!(docker(&sockets[2], &["run", "--rm", "busybox", "echo", "hi"]).trim(), "hi");

    // Discovery lists the three addresses, over HTTP and on the command line.
    let (code, body) = curl(&[&server.url(&format!("/v1/clusters/{id}"))]);
    assert_eq!(code, 200);
    let listed: Vec<String> = serde_json::from_str(&body).unwrap();
    let expected: Vec<String> = segments.iter().map(|s| format!("{}:42376", s["address"].as_str().unwrap())).collect();
    assert_eq!(listed, expected);
    let out = server.command(None, &["list", &format!("token://{id}")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed.lines().collect::<Vec<_>>(), expected);

    // A fourth segment is refused with a clear message (grow adds `nodes`, as Carina's).
    let (code, err) = server.api(&key, "POST", "/clusters/web/grow", Some(json!({"nodes": 1})));
    assert_eq!(code, 403, "{err}");
    assert!(err["error"].as_str().unwrap().contains("at most 3 segments"), "{err}");

    // Kill segment n2's processes: the fault shows within seconds, then it is repaired.
    let n2 = segments[1]["name"].as_str().unwrap().to_owned();
    let pids = segment_pids(&server.domain_of(&n2), "dockerd");
    assert_eq!(pids.len(), 1, "dockerd of {n2}: {pids:?}");
    let killed = Instant::now();
    run("kill", &["-9", &pids[0].to_string()]);
    // Two managers of three keep the swarm's majority: it keeps answering meanwhile.
    let nodes = docker(&sockets[0], &["node", "ls", "--format", "{{.Hostname}}"]);
    assert_eq!(nodes.lines().count(), 3, "{nodes}");
    server.wait_cluster(&key, "web", Duration::from_secs(10), |_, json| {
        json["segments"][1]["state"] != "ready"
            || json["events"].as_array().unwrap().iter().any(|e| e["message"].as_str().unwrap().contains("n2 is down"))
    });
    eprintln!("timing: fault shown after {:.2}s", killed.elapsed().as_secs_f64());
    let repaired = server.wait_cluster(&key, "web", Duration::from_secs(60), |_, json| {
        json["segments"].as_array().unwrap().iter().all(|s| s["state"] == "ready")
            && json["events"].as_array().unwrap().iter().any(|e| e["message"] == "Segment n2 repaired")
    });
    eprintln!("timing: repaired after {:.2}s", killed.elapsed().as_secs_f64());
    // What the tenant reads of the fault names no file of the host.
    let story = repaired["events"].to_string();
    assert!(
        story.contains("n2 is down (Docker does not answer)") || story.contains("n2 is down (its processes stopped)")
    );
    assert!(!story.contains("docker.sock") && !story.contains("/var/"), "{story}");
    let nodes = docker(&sockets[0], &["node", "ls", "--format", "{{.Status}}"]);
    assert_eq!(nodes.lines().filter(|l| *l == "Ready").count(), 3, "{nodes}");

    // A hung dockerd (stopped, not dead: its domain keeps running) is restarted too.
    let n3 = segments[2]["name"].as_str().unwrap().to_owned();
    let hung = segment_pids(&server.domain_of(&n3), "dockerd");
    assert_eq!(hung.len(), 1, "dockerd of {n3}: {hung:?}");
    let stopped = Instant::now();
    run("kill", &["-STOP", &hung[0].to_string()]);
    server.wait_cluster(&key, "web", Duration::from_secs(90), |_, json| {
        json["segments"].as_array().unwrap().iter().all(|s| s["state"] == "ready")
            && json["events"].as_array().unwrap().iter().any(|e| e["message"] == "Segment n3 repaired")
    });
    eprintln!("timing: hung segment repaired after {:.2}s", stopped.elapsed().as_secs_f64());
    let fresh = segment_pids(&server.domain_of(&n3), "dockerd");
    assert!(fresh.len() == 1 && fresh != hung, "dockerd of {n3} was not restarted: {hung:?} -> {fresh:?}");

    // Concurrent creates: only as many as the quota allows.
    let attempts: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let (url, key) = (server.url("/api/v1/clusters"), key.clone());
            std::thread::spawn(move || {
                curl(&[
                    "-X",
                    "POST",
                    "-H",
                    &format!("Authorization: Bearer {key}"),
                    "-H",
                    "Content-Type: application/json",
                    "--data",
                    &json!({"cluster_name": name, "nodes": 1}).to_string(),
                    &url,
                ])
            })
        })
        .collect();
    let results: Vec<(u16, String)> = attempts.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|(c, _)| *c == 201).count(), 2, "{results:?}");
    let refused: Vec<_> = results.iter().filter(|(c, _)| *c == 403).collect();
    assert_eq!(refused.len(), 1, "{results:?}");
    assert!(refused[0].1.contains("3 of 3 clusters"), "{results:?}");

    // Clusters do not see each other on the bridge; segments of one cluster do.
    let created: serde_json::Value = serde_json::from_str(&results.iter().find(|(c, _)| *c == 201).unwrap().1).unwrap();
    let other_name = created["cluster_name"].as_str().unwrap();
    let other = server.wait_cluster(&key, other_name, Duration::from_secs(60), |code, json| {
        code == 200 && json["status"] == "active"
    });
    let stranger = other["segments"][0]["address"].as_str().unwrap().parse().unwrap();
    let web_n1 = &server.domain_of(segments[0]["name"].as_str().unwrap());
    let web_n2 = segments[1]["address"].as_str().unwrap().parse().unwrap();
    assert!(connects_from(web_n1, web_n2, 42376), "web's n1 cannot reach its n2");
    assert!(!connects_from(web_n1, stranger, 42376), "web's n1 reaches another cluster's segment");
    assert!(!connects_from(web_n1, stranger, 2377), "web's n1 reaches another cluster's swarm port");

    // Delete everything, including clusters still building; nothing is left behind.
    let names: Vec<String> = server
        .api(&key, "GET", "/clusters", None)
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster_name"].as_str().unwrap().to_owned())
        .collect();
    let ids: Vec<String> = server
        .api(&key, "GET", "/clusters", None)
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for name in &names {
        let (code, json) = server.api(&key, "DELETE", &format!("/clusters/{name}"), None);
        assert_eq!(code, 202, "{json}");
    }
    for name in &names {
        server.wait_cluster(&key, name, Duration::from_secs(60), |code, _| code == 404);
    }
    for id in &ids {
        assert_nothing_left(&server, id);
    }
    assert_eq!(server.sql("SELECT COUNT(*) FROM segments"), "0");
}

#[test]
fn a_server_killed_while_building_converges_after_restart_then_grows_and_rebuilds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut server = Server::start("crash");
    let key = server.api_key_for("bob@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "db", "nodes": 2})));
    assert_eq!(code, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // Kill it in the middle of the build: segments exist, the swarm does not yet.
    server.wait_cluster(&key, "db", Duration::from_secs(60), |_, json| {
        json["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["message"].as_str().unwrap().starts_with("Starting segment")))
    });
    server.kill();
    // A leftover no database row knows (as a crash between creating a segment's directory
    // and recording it would leave) is removed when the server starts again.
    let orphan = server.state_dir().join("00000000-0000-4000-8000-000000000000-n1");
    std::fs::create_dir_all(orphan.join("docker")).unwrap();
    let events_before = event_count(&server, &id);
    server.restart();
    let detail = server.wait_cluster(&key, "db", BUILD_TIMEOUT, status_is("active"));
    assert!(detail["segments"].as_array().unwrap().iter().all(|s| s["state"] == "ready"), "{detail:#}");
    assert!(event_count(&server, &id) > events_before, "the build went on after the restart");

    // Grow by 1 to 3: a third segment joins, and all three become managers.
    let (code, grown) = server.api(&key, "POST", "/clusters/db/grow", Some(json!({"nodes": 1})));
    assert_eq!(code, 202, "{grown}");
    assert_eq!(grown["status"], "growing");
    let detail = server.wait_cluster(&key, "db", BUILD_TIMEOUT, status_is("active"));
    assert_eq!(detail["segments"].as_array().unwrap().len(), 3);
    let sockets = segment_sockets(&server, &detail);
    let managers = docker(&sockets[0], &["node", "ls", "--filter", "role=manager", "--format", "{{.Hostname}}"]);
    assert_eq!(managers.lines().count(), 3, "{managers}");

    // Rebuild: fresh segments under the same names, one swarm again.
    docker(&sockets[0], &["create", "--name", "before-rebuild", "busybox", "true"]);
    let addresses = |d: &serde_json::Value| -> Vec<String> {
        d["segments"].as_array().unwrap().iter().map(|s| s["address"].as_str().unwrap().to_owned()).collect()
    };
    let before = addresses(&detail);
    let (code, rebuilt) = server.api(&key, "POST", "/clusters/db/rebuild", None);
    assert_eq!(code, 202, "{rebuilt}");
    let detail = server.wait_cluster(&key, "db", BUILD_TIMEOUT, status_is("active"));
    if server.warm_segments == 0 {
        // Without a warm pool the freed addresses come back; with one, pooled segments
        // (and their addresses) replace the old ones.
        assert_eq!(addresses(&detail), before);
    }
    assert_eq!(detail["id"], id.as_str());
    let sockets = segment_sockets(&server, &detail);
    let ps = docker(&sockets[0], &["ps", "-a", "--format", "{{.Names}}"]);
    assert!(!ps.contains("before-rebuild") && ps.contains("swarm-data"), "{ps}");
    let nodes = docker(&sockets[0], &["node", "ls", "--format", "{{.Status}}"]);
    assert_eq!(nodes.lines().filter(|l| *l == "Ready").count(), 3, "{nodes}");

    assert!(!orphan.exists(), "the leftover segment directory is still there");

    let (code, _) = server.api(&key, "DELETE", "/clusters/db", None);
    assert_eq!(code, 202);
    server.wait_cluster(&key, "db", Duration::from_secs(60), |code, _| code == 404);
    assert_nothing_left(&server, &id);
}

#[test]
fn a_libvirtd_restart_leaves_clusters_running_and_repairable() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start("libvirtd");
    let key = server.api_key_for("cy@example.com");
    let (code, _) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "solo", "nodes": 1})));
    assert_eq!(code, 201);
    let detail = server.wait_cluster(&key, "solo", BUILD_TIMEOUT, status_is("active"));
    let socket = segment_sockets(&server, &detail).remove(0);
    let name = detail["segments"][0]["name"].as_str().unwrap().to_owned();

    // Stop libvirtd: the segment keeps running (its libvirt_lxc controller stays).
    let pid = std::fs::read_to_string("/run/libvirtd.pid").unwrap().trim().to_owned();
    run("kill", &["-TERM", &pid]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "libvirtd did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(docker(&socket, &["run", "--rm", "busybox", "echo", "still here"]).trim(), "still here");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(server.api(&key, "GET", "/clusters/solo", None).1["status"], "active");

    // Start it again (as the host setup does); the reconciler picks up where it was.
    common::host_setup_again();
    let pids = segment_pids(&server.domain_of(&name), "dockerd");
    assert_eq!(pids.len(), 1);
    run("kill", &["-9", &pids[0].to_string()]);
    server.wait_cluster(&key, "solo", Duration::from_secs(60), |_, json| {
        json["events"].as_array().unwrap().iter().any(|e| e["message"] == "Segment n1 repaired")
    });
    assert_eq!(docker(&socket, &["info", "--format", "{{.Swarm.LocalNodeState}}"]).trim(), "active");
    let (code, _) = server.api(&key, "DELETE", "/clusters/solo", None);
    assert_eq!(code, 202);
    server.wait_cluster(&key, "solo", Duration::from_secs(60), |code, _| code == 404);
}
