//! The warm pool with real segments: clusters made of pooled segments are the cluster's own
//! (names, certificates, Swarm, isolation), a crash during the hand-over converges, and a
//! segment a cluster let go is destroyed, never pooled again.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{connects_from, docker_with, download_bundle, run, Server};
use serde_json::{json, Value};

const POOL: u32 = 3;

fn running_domains() -> String {
    run("virsh", &["-c", "lxc:///system", "list", "--name"])
}

/// libvirt's word for the domain's state: `running`, `paused` (frozen), `shut off`.
fn domain_state(domain: &str) -> String {
    run("virsh", &["-c", "lxc:///system", "domstate", domain]).trim().to_owned()
}

/// Waits until every one of `domains` is frozen, as warm segments are once the pool is full.
fn wait_frozen(domains: &BTreeSet<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while domains.iter().any(|d| domain_state(d) != "paused") {
        let states: Vec<String> = domains.iter().map(|d| domain_state(d)).collect();
        assert!(Instant::now() < deadline, "the full pool was not frozen: {states:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn create(server: &Server, key: &str, name: &str, nodes: u32) -> String {
    let (code, created) = server.api(key, "POST", "/clusters", Some(json!({"cluster_name": name, "nodes": nodes})));
    assert_eq!(code, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

fn wait_active(server: &Server, key: &str, name: &str) -> Value {
    server.wait_cluster(key, name, Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active")
}

#[test]
fn clusters_from_the_warm_pool() {
    let mut server = Server::start_with_pool("pool", POOL);
    let key = server.api_key_for("ada@example.com");
    server.wait_pool_full(POOL);
    let pooled = server.pooled_domains(false);
    assert_eq!(pooled.len(), POOL as usize);
    // A pooled segment is nobody's: its certificate is a placeholder of its own CA.
    for domain in &pooled {
        let ca = server.driver_root(domain).join("etc/docker/ca.pem");
        let subject = run("openssl", &["x509", "-noout", "-subject", "-in", ca.to_str().unwrap()]);
        assert!(subject.contains("warm pool"), "{domain}: {subject}");
    }
    // Waiting, they are frozen: no CPU at all until a cluster takes them.
    wait_frozen(&pooled);

    // A cluster takes all three: active, named as its own, in one Swarm.
    let started = Instant::now();
    let web = create(&server, &key, "web", 3);
    let detail = wait_active(&server, &key, "web");
    eprintln!("timing: create -> active from the pool {:.2}s", started.elapsed().as_secs_f64());
    assert_eq!(server.cluster_domains(&web), pooled, "the cluster did not take the pooled segments");
    for domain in &pooled {
        assert_eq!(domain_state(domain), "running", "{domain} of a cluster");
    }
    // A cluster's segment left frozen (as a crash between the take and the thaw would
    // leave it): the reconciler's next look finds it and thaws it.
    let frozen = pooled.iter().next().unwrap();
    run("virsh", &["-c", "lxc:///system", "suspend", frozen]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while domain_state(frozen) != "running" {
        assert!(Instant::now() < deadline, "a cluster's frozen segment was not thawed");
        std::thread::sleep(Duration::from_millis(200));
    }
    wait_active(&server, &key, "web");
    let history = server.sql(&format!("SELECT message FROM events WHERE cluster_id = '{web}'"));
    assert_eq!(history.matches("taken from the warm pool").count(), 3, "{history}");
    let work = server.data.path().join("bundles");
    let bundle = download_bundle(&server, &key, "web", &work.join("web"));
    let nodes = docker_with(common::CLI, &bundle, &["node", "ls", "--format", "{{.Hostname}}"]);
    let hostnames: BTreeSet<&str> = std::str::from_utf8(&nodes.stdout).unwrap().lines().collect();
    let names: BTreeSet<String> =
        detail["segments"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(hostnames, names.iter().map(String::as_str).collect(), "swarm nodes are not named as the segments");
    // Its segments hold the cluster's CA now, and reach each other.
    let ca = std::fs::read_to_string(bundle.join("ca.pem")).unwrap();
    for name in &names {
        let domain = server.domain_of(name);
        let theirs = std::fs::read_to_string(server.driver_root(&domain).join("etc/docker/ca.pem")).unwrap();
        assert_eq!(theirs, ca, "{name} does not carry the cluster's CA");
    }
    let first = server.domain_of(detail["segments"][0]["name"].as_str().unwrap());
    let second = detail["segments"][1]["address"].as_str().unwrap().parse().unwrap();
    assert!(connects_from(&first, second, segments::DOCKERD_TLS_PORT), "pooled segments of one cluster are cut off");

    // The public status pages count, and name nobody: no account, cluster or address.
    for path in ["/status", "/status.json"] {
        let (code, body) = common::curl(&[&server.url(path)]);
        assert_eq!(code, 200, "{path}");
        assert!(body.contains("\"active\":1") || body.contains("<td>active</td><td>1</td>"), "{path}: {body}");
        for private in [web.as_str(), "ada@example.com", detail["segments"][0]["address"].as_str().unwrap()] {
            assert!(!body.contains(private), "{path} shows {private}");
        }
        assert!(!body.contains("<script"), "{path} needs a script");
    }

    // The pool refills, with new segments that cannot reach the cluster's.
    server.wait_pool_full(POOL);
    let refilled = server.pooled_domains(false);
    assert!(refilled.is_disjoint(&pooled));
    wait_frozen(&refilled);
    let outsider = refilled.iter().next().unwrap();
    assert!(!connects_from(outsider, second, segments::DOCKERD_TLS_PORT), "a pooled segment reaches a cluster");

    // Killed while a second cluster takes its segments: the restarted server converges,
    // and the cleanup at start keeps the pool and the clusters' segments.
    let api = create(&server, &key, "api", 2);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.cluster_domains(&api).is_empty() {
        assert!(Instant::now() < deadline, "the second cluster took nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.restart();
    wait_active(&server, &key, "api");
    wait_active(&server, &key, "web");
    assert!(server.cluster_domains(&api).is_subset(&refilled), "the second cluster was not served from the pool");
    // Two of a group of three: they left the group's swarm, and the cluster's holds them
    // only; the group's third and the refilled pool cannot reach them.
    let api_bundle = download_bundle(&server, &key, "api", &work.join("api"));
    let nodes = docker_with(common::CLI, &api_bundle, &["node", "ls", "--format", "{{.Hostname}}"]);
    assert_eq!(std::str::from_utf8(&nodes.stdout).unwrap().lines().count(), 2, "{nodes:?}");
    server.wait_pool_full(POOL);
    let api_detail = wait_active(&server, &key, "api");
    let api_address = api_detail["segments"][0]["address"].as_str().unwrap().parse().unwrap();
    for warm in server.pooled_domains(false) {
        assert!(!connects_from(&warm, api_address, segments::DOCKERD_TLS_PORT), "{warm} reaches a cluster");
    }
    // One of a group of three: cut off from the other two, it leaves its group's swarm and
    // becomes a swarm of its own. The server is down a while first, so the swarm step
    // meets what Raft made of the cut (a follower cut off from its leader soon knows no
    // swarm at all; the fake engines of the provisioner's tests cover that case always).
    let solo = create(&server, &key, "solo", 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.cluster_domains(&solo).is_empty() {
        assert!(Instant::now() < deadline, "the third cluster took nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    std::thread::sleep(Duration::from_secs(15));
    server.restart();
    wait_active(&server, &key, "solo");
    let solo_bundle = download_bundle(&server, &key, "solo", &work.join("solo"));
    let nodes = docker_with(common::CLI, &solo_bundle, &["node", "ls", "--format", "{{.Hostname}}"]);
    assert_eq!(std::str::from_utf8(&nodes.stdout).unwrap().lines().count(), 1, "{nodes:?}");

    // Deleted clusters' segments are destroyed, never pooled again.
    let web_domains = server.cluster_domains(&web);
    let (code, _) = server.api(&key, "DELETE", "/clusters/web", None);
    assert_eq!(code, 202);
    server.wait_cluster(&key, "web", Duration::from_secs(120), |code, _| code == 404);
    let running = running_domains();
    for domain in &web_domains {
        assert!(!running.contains(domain.as_str()), "{domain} outlived its cluster");
    }
    server.wait_pool_full(POOL);
    assert!(
        server.pooled_domains(false).is_disjoint(&web_domains),
        "a deleted cluster's segment went back to the pool"
    );
}
