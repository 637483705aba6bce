//! Runs a cluster endpoint in front of throwaway local dockerds, for poking at it with the
//! docker CLIs and for `bench/endpoint-bench.sh`.
//!
//! `cargo run -p gateway --example endpoint_dev -- <bundle-dir> [segments] [port]` prints
//! `export` lines (endpoint and the first segment's direct socket), then `READY`, and runs
//! until SIGINT/SIGTERM, when it stops the dockerds and removes their files.

use std::net::Ipv4Addr;
use std::sync::Arc;

use gateway::{EndpointConfig, Gateway, SegmentEndpoint, StaticDirectory};
use testkit::dockerd::{busybox_tar, Dockerds};
use testkit::tls::TestCa;

const CLUSTER_ID: &str = "6d1c1a2e-5e0d-4b8a-9c1f-00000000de70";

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let bundle_dir = std::path::PathBuf::from(args.get(1).expect("usage: endpoint_dev <bundle-dir> [segments] [port]"));
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let port: u16 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(0);

    let dockerds = tokio::task::spawn_blocking(move || Dockerds::start(n)).await.unwrap();
    let tar = busybox_tar(&dockerds.dir);
    // One import, then save/load: every segment gets the same image id.
    let saved = dockerds.dir.join("busybox-image.tar");
    let o = dockerds.direct(0, &["import", tar.to_str().unwrap(), "busybox:latest"]);
    assert!(o.status.success(), "import failed: {}", String::from_utf8_lossy(&o.stderr));
    let o = dockerds.direct(0, &["save", "-o", saved.to_str().unwrap(), "busybox:latest"]);
    assert!(o.status.success(), "save failed: {}", String::from_utf8_lossy(&o.stderr));
    for i in 1..n {
        let o = dockerds.direct(i, &["load", "-i", saved.to_str().unwrap()]);
        assert!(o.status.success(), "load failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    let ca = TestCa::new("dev cluster");
    let server = ca.server();
    let client = ca.client("dev-bundle");
    let cert_path = ca.bundle(&bundle_dir, &client);

    let segments = dockerds
        .daemons
        .iter()
        .enumerate()
        .map(|(i, daemon)| SegmentEndpoint {
            name: format!("{CLUSTER_ID}-n{}", i + 1),
            address: Ipv4Addr::new(127, 0, 0, 11 + i as u8),
            dockerd: dockerlink::DockerAddress::Unix(daemon.socket.clone()),
            docker_root: Some(daemon.data_root.clone()),
            tls_port: 42376,
        })
        .collect();
    let directory = Arc::new(StaticDirectory::new(CLUSTER_ID, segments));
    let gw = Gateway::new(directory);
    gw.open(EndpointConfig {
        cluster_id: CLUSTER_ID.into(),
        cluster_name: "dev".into(),
        token: format!("token://{CLUSTER_ID}"),
        bind: format!("127.0.0.1:{port}").parse().unwrap(),
        ca_pem: ca.cert_pem().to_owned(),
        server_cert_pem: server.cert_pem,
        server_key_pem: server.key_pem,
        revoked_fingerprints: Vec::new(),
    })
    .await
    .expect("open");
    let addr = gw.local_addr(CLUSTER_ID).unwrap();
    println!("export DOCKER_HOST=tcp://{addr}");
    println!("export DOCKER_TLS_VERIFY=1");
    println!("export DOCKER_CERT_PATH={}", cert_path.display());
    println!("export DIRECT_SOCKET={}", dockerds.daemons[0].socket.display());
    println!("READY");

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    gw.close(CLUSTER_ID).await;
    tokio::task::spawn_blocking(move || drop(dockerds)).await.unwrap();
}
