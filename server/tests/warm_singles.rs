//! The warm pool's singles with real segments: with the default pool of four (a group of
//! three and a single), a one-segment cluster takes the single and a grow takes the next
//! one; the cluster's Swarm is one init and one join, and holds both. Its own binary (and so
//! its own run) because two servers in one process would share endpoint ports and
//! addresses on the test bridge.

mod common;

use std::time::Duration;

use common::{docker_with, download_bundle, Server};
use serde_json::json;

const POOL: u32 = 4;

#[test]
fn singles_serve_a_small_cluster_and_its_grow_with_one_init_and_one_join() {
    let server = Server::start_with_pool("singles", POOL);
    let key = server.api_key_for("grace@example.com");
    server.wait_pool_full(POOL);
    let first = server.pooled_domains(true);
    assert_eq!(first.len(), 1, "a pool of four keeps one single: {first:?}");

    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "one", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    let one = created["id"].as_str().unwrap().to_owned();
    let active = |code: u16, json: &serde_json::Value| code == 200 && json["status"] == "active";
    server.wait_cluster(&key, "one", Duration::from_secs(180), active);
    assert_eq!(server.cluster_domains(&one), first, "the one-segment cluster did not take the single");

    server.wait_pool_full(POOL);
    let second = server.pooled_domains(true);
    assert_eq!(second.len(), 1, "the refilled pool keeps one single: {second:?}");
    let (code, grown) = server.api(&key, "POST", "/clusters/one/grow", Some(json!({"nodes": 1})));
    assert_eq!(code, 202, "{grown}");
    server.wait_cluster(&key, "one", Duration::from_secs(180), active);
    let domains = server.cluster_domains(&one);
    assert!(second.is_subset(&domains) && first.is_subset(&domains), "the grow did not take the single: {domains:?}");

    let history = server.sql(&format!("SELECT message FROM events WHERE cluster_id = '{one}' ORDER BY id"));
    assert_eq!(history.matches("taken from the warm pool").count(), 2, "{history}");
    assert_eq!(history.matches("joined the swarm").count(), 1, "{history}");
    assert_eq!(history.matches("Swarm initialised").count(), 1, "{history}");
    let bundle = download_bundle(&server, &key, "one", &server.data.path().join("bundle"));
    let nodes = docker_with(common::CLI, &bundle, &["node", "ls", "--format", "{{.Hostname}} {{.Status}}"]);
    let nodes = String::from_utf8_lossy(&nodes.stdout).into_owned();
    assert_eq!(nodes.lines().filter(|l| l.ends_with(" Ready")).count(), 2, "{nodes}");
}
