//! The endpoint driven by the real docker CLIs (28.x and Debian's 20.10) in front of three
//! real dockerds. One test function: the dockerds are started once and shared by the
//! steps, and dropped (stopped, files removed) even when a step fails.

mod escapes;
mod fidelity;
mod guards;
mod limits;
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gateway::{EndpointConfig, Gateway};
use guards::*;
use support::dockerd::Dockerds;
use support::{directory_for, Ca, CliEnv, Leaf, CLI_NEW, CLI_OLD, CLUSTER_ID};
use testkit::free_port;

const BOTH: [&str; 2] = [CLI_NEW, CLI_OLD];

fn seg(i: usize) -> String {
    format!("{CLUSTER_ID}-n{i}")
}

struct Fixture<'a> {
    dockerds: &'a Dockerds,
    directory: Arc<gateway::StaticDirectory>,
    gateway: Gateway,
    ca: Ca,
    cli: CliEnv,
    port: u16,
}

impl Fixture<'_> {
    fn env_for(&self, name: &str, ca: &Ca, leaf: &Leaf) -> CliEnv {
        let dir = self.dockerds.dir.join(name);
        CliEnv {
            host: self.cli.host.clone(),
            cert_path: ca.bundle(&dir, leaf),
            config_dir: self.cli.config_dir.clone(),
        }
    }

    /// Container ids on one segment, straight from its dockerd.
    fn direct_ids(&self, i: usize) -> Vec<String> {
        let o = self.dockerds.direct(i, &["ps", "-aq", "--no-trunc"]);
        String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_owned).collect()
    }
}

/// The test cluster's endpoint on a free loopback port, with a server certificate of `ca`.
fn endpoint_config(ca: &Ca, cluster_name: &str) -> EndpointConfig {
    let server = ca.server();
    EndpointConfig {
        cluster_id: CLUSTER_ID.into(),
        cluster_name: cluster_name.into(),
        token: format!("token://{CLUSTER_ID}"),
        bind: "127.0.0.1:0".parse().unwrap(),
        ca_pem: ca.cert_pem().to_owned(),
        server_cert_pem: server.cert_pem.clone(),
        server_key_pem: server.key_pem.clone(),
        revoked_fingerprints: Vec::new(),
    }
}

async fn start(dockerds: &Dockerds) -> Fixture<'_> {
    let directory = directory_for(dockerds);
    let gateway = Gateway::new(directory.clone());
    let ca = Ca::new("test cluster CA");
    gateway.open(endpoint_config(&ca, "testcluster")).await.unwrap();
    let port = gateway.local_addr(CLUSTER_ID).unwrap().port();
    let config_dir = dockerds.dir.join("cli-config");
    std::fs::create_dir_all(&config_dir).unwrap();
    let cert_path = ca.bundle(&dockerds.dir.join("bundle"), &ca.client("alice"));
    let cli = CliEnv { host: format!("tcp://127.0.0.1:{port}"), cert_path, config_dir };
    Fixture { dockerds, directory, gateway, ca, cli, port }
}

#[test]
fn docker_clis_through_the_endpoint() {
    // Owned by this (sync) frame: dropped, so stopped and removed, however the test ends.
    let dockerds = Dockerds::start(3);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(scenario(&dockerds));
}

async fn scenario(dockerds: &Dockerds) {
    let fx = start(dockerds).await;
    // Segment 1 is a swarm manager, as the provisioner makes it (before the gateway caches
    // anything about it).
    let port = free_port();
    let o = fx.dockerds.direct(
        0,
        &[
            "swarm",
            "init",
            "--advertise-addr",
            &format!("127.0.0.1:{port}"),
            "--listen-addr",
            &format!("127.0.0.1:{port}"),
            "--data-path-port",
            &free_port().to_string(),
        ],
    );
    assert!(o.status.success(), "swarm init: {}", String::from_utf8_lossy(&o.stderr));
    step("version negotiation", version_negotiation(&fx)).await;
    step("images", images_reach_every_segment(&fx)).await;
    step("info", info_lists_segments(&fx)).await;
    step("spread", spread_places_two_per_segment(&fx)).await;
    step("ps", ps_shows_segment_names(&fx)).await;
    step("concurrent spread", concurrent_creates_spread(&fx)).await;
    step("logs -f", logs_follow_streams(&fx)).await;
    step("exec -it", exec_interactive_under_a_pty(&fx)).await;
    step("attach", attach_wait_and_stdin(&fx)).await;
    step("filters", filters_place_and_refuse(&fx)).await;
    step("policy", policy_refusals_reach_the_cli(&fx)).await;
    step("escapes through bodies and headers", escapes::bodies_and_headers(&fx)).await;
    step("endpoint bounds", limits::bounds_hold_per_client_and_cluster(&fx)).await;
    step("engine fidelity", fidelity::answers_as_one_engine(&fx)).await;
    step("infrastructure", infrastructure_is_protected(&fx)).await;
    step("api edges", api_edges(&fx)).await;
    step("docker cp", copy_in_and_out(&fx)).await;
    step("swarm mode", swarm_mode_goes_to_a_manager(&fx)).await;
    step("certificates", certificates_are_enforced(&fx)).await;
    step("cleanup", cleanup(&fx)).await;
    fx.gateway.close(CLUSTER_ID).await;
}

/// Runs one step with a deadline: a hang fails the test (and still cleans up).
async fn step(name: &str, f: impl std::future::Future<Output = ()>) {
    let started = std::time::Instant::now();
    if tokio::time::timeout(Duration::from_secs(90), f).await.is_err() {
        panic!("step '{name}' timed out");
    }
    eprintln!("step '{name}' passed in {:.1}s", started.elapsed().as_secs_f64());
}

async fn version_negotiation(fx: &Fixture<'_>) {
    for cli in BOTH {
        let out = fx
            .cli
            .ok(
                cli,
                &["version", "--format", "{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}"],
            )
            .await;
        assert_eq!(out.trim(), "1.41 1.41 1.24", "{cli}");
    }
}

async fn images_reach_every_segment(fx: &Fixture<'_>) {
    // Import streams the tar to all three segments at once.
    let tar = support::busybox_tar(&fx.dockerds.dir);
    fx.cli.ok(CLI_NEW, &["import", tar.to_str().unwrap(), "busybox:latest"]).await;
    // Save (from one segment) and load (teed to all): one image id everywhere.
    let saved = fx.dockerds.dir.join("saved.tar");
    fx.cli.ok(CLI_NEW, &["save", "-o", saved.to_str().unwrap(), "busybox:latest"]).await;
    let out = fx.cli.ok(CLI_OLD, &["load", "-i", saved.to_str().unwrap()]).await;
    assert!(out.contains("busybox:latest"), "{out}");
    let mut ids = Vec::new();
    for i in 0..3 {
        let o = fx.dockerds.direct(i, &["image", "inspect", "-f", "{{.Id}}", "busybox:latest"]);
        assert!(o.status.success(), "segment {i} lacks the image");
        ids.push(String::from_utf8_lossy(&o.stdout).trim().to_owned());
    }
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    let listed = fx.cli.ok(CLI_NEW, &["images", "-q", "busybox"]).await;
    assert_eq!(listed.lines().count(), 1, "{listed}");
}

async fn info_lists_segments(fx: &Fixture<'_>) {
    for cli in BOTH {
        let out = fx.cli.ok(cli, &["info"]).await;
        for i in 1..=3 {
            let line = format!("{}: 127.0.0.{}:42376", seg(i), 10 + i);
            assert!(out.contains(&line), "{cli} info lacks {line}:\n{out}");
        }
        for expected in ["Strategy: spread", "Nodes: 3", "└ Reserved Memory", "Name: testcluster", "Filters: affinity"]
        {
            assert!(out.contains(expected), "{cli} info lacks {expected}:\n{out}");
        }
        assert!(!out.contains(&fx.dockerds.dir.to_string_lossy().into_owned()), "host path leaked:\n{out}");
    }
}

async fn spread_places_two_per_segment(fx: &Fixture<'_>) {
    for k in 0..6 {
        let cli = BOTH[k % 2];
        let name = format!("spread{k}");
        fx.cli.ok(cli, &["run", "-d", "--name", &name, "--network", "none", "busybox", "sleep", "600"]).await;
    }
    for i in 0..3 {
        assert_eq!(fx.direct_ids(i).len(), 2, "segment {} should hold two", i + 1);
    }
}

async fn concurrent_creates_spread(fx: &Fixture<'_>) {
    let runs =
        (0..6).map(|k| {
            let cli = fx.cli.clone();
            async move {
                cli.ok(BOTH[k % 2], &["create", "--label", "burst=1", "--network", "none", "busybox", "true"]).await
            }
        });
    futures::future::join_all(runs).await;
    for i in 0..3 {
        assert_eq!(fx.direct_ids(i).len(), 4, "segment {} after a burst of six", i + 1);
    }
    let ids = fx.cli.ok(CLI_NEW, &["ps", "-aq", "--filter", "label=burst=1"]).await;
    let mut args = vec!["rm"];
    args.extend(ids.split_whitespace());
    fx.cli.ok(CLI_NEW, &args).await;
}

async fn ps_shows_segment_names(fx: &Fixture<'_>) {
    for cli in BOTH {
        let out = fx.cli.ok(cli, &["ps", "-a", "--format", "{{.Names}}"]).await;
        for i in 1..=3 {
            assert!(out.contains(&format!("{}/spread", seg(i))), "{cli}:\n{out}");
        }
        assert_eq!(out.lines().count(), 6, "{out}");
        let two = fx.cli.ok(cli, &["ps", "-n", "2", "-q"]).await;
        assert_eq!(two.lines().count(), 2, "{two}");
    }
    // Name filters match the names as shown (`<segment>/<name>`) and as the segment knows them.
    let shown = fx.cli.ok(CLI_NEW, &["ps", "-a", "--format", "{{.Names}}"]).await;
    let first = shown.lines().next().unwrap().to_owned();
    let (segment, name) = first.split_once('/').unwrap();
    for cli in BOTH {
        let ps = |pattern: &str| format!("name={pattern}");
        let names = ["ps", "-a", "--format", "{{.Names}}", "-f"];
        let on_segment = fx.cli.ok(cli, &[&names[..], &[&ps(&format!("{segment}/spread"))]].concat()).await;
        assert_eq!(on_segment.lines().filter(|l| l.starts_with(&format!("{segment}/"))).count(), 2, "{on_segment}");
        assert_eq!(on_segment.lines().count(), 2, "{on_segment}");
        let exact = fx.cli.ok(cli, &[&names[..], &[&ps(&format!("^/{name}$"))]].concat()).await;
        assert_eq!(exact.trim(), first);
        assert_eq!(fx.cli.ok(cli, &[&names[..], &[&ps("nothing-is-called-this")]].concat()).await.trim(), "");
        // `-n` counts matching containers: the oldest is found although others are newer.
        let oldest = shown.lines().last().unwrap();
        let (_, oldest_name) = oldest.split_once('/').unwrap();
        let pattern = ps(&format!("^/{oldest_name}$"));
        let found = fx.cli.ok(cli, &["ps", "-n", "1", "--format", "{{.Names}}", "-f", &pattern]).await;
        assert_eq!(found.trim(), oldest);
    }
    let bad = fx.cli.run(CLI_NEW, &["ps", "-f", "name=("]).await;
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && said.contains("invalid name filter"), "{said}");

    // The prefixed name works as a reference too.
    let out = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{.Name}}", &format!("{}/spread0", seg(1))]).await;
    assert_eq!(out.trim(), "/spread0");
}

async fn logs_follow_streams(fx: &Fixture<'_>) {
    fx.cli
        .ok(
            CLI_NEW,
            &[
                "run",
                "-d",
                "--name",
                "talker",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                "for i in 1 2 3; do echo line$i; sleep 0.3; done",
            ],
        )
        .await;
    for cli in BOTH {
        let out = fx.cli.ok(cli, &["logs", "-f", "talker"]).await;
        assert_eq!(out, "line1\nline2\nline3\n", "{cli}");
    }
    fx.cli.ok(CLI_NEW, &["rm", "talker"]).await;
}

async fn exec_interactive_under_a_pty(fx: &Fixture<'_>) {
    for cli in BOTH {
        let script = format!(
            "printf 'echo pty-$((40+2)) $(tty)\\nexit\\n' | DOCKER_HOST={} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={} DOCKER_CONFIG={} script -qc '{cli} exec -it spread0 sh' /dev/null",
            fx.cli.host,
            fx.cli.cert_path.display(),
            fx.cli.config_dir.display()
        );
        let o = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::process::Command::new("sh").arg("-c").arg(&script).output(),
        )
        .await
        .expect("exec -it timed out")
        .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("pty-42 /dev/pts/"), "{cli}: {out}");
        let plain = fx.cli.ok(cli, &["exec", "spread1", "echo", "plain-exec"]).await;
        assert_eq!(plain, "plain-exec\n");
    }
}

async fn attach_wait_and_stdin(fx: &Fixture<'_>) {
    for cli in BOTH {
        fx.cli
            .ok(
                cli,
                &[
                    "run",
                    "-d",
                    "--name",
                    "later",
                    "--network",
                    "none",
                    "busybox",
                    "sh",
                    "-c",
                    "sleep 1; echo attached-out; exit 3",
                ],
            )
            .await;
        let o = fx.cli.run(cli, &["attach", "later"]).await;
        assert_eq!(String::from_utf8_lossy(&o.stdout), "attached-out\n", "{cli}");
        assert_eq!(o.status.code(), Some(3));
        assert_eq!(fx.cli.ok(cli, &["wait", "later"]).await.trim(), "3");
        fx.cli.ok(cli, &["rm", "later"]).await;
        let mut child = fx
            .cli
            .command(cli)
            .args(["run", "-i", "--rm", "--network", "none", "busybox", "sh", "-c", "cat; echo done"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"through-stdin\n").await.unwrap();
        drop(stdin);
        let o = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await.unwrap().unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout), "through-stdin\ndone\n", "{cli}");
    }
}

async fn cleanup(fx: &Fixture<'_>) {
    let ids = fx.cli.ok(CLI_NEW, &["ps", "-aq", "--filter", "name=spread"]).await;
    let ids: Vec<&str> = ids.split_whitespace().collect();
    assert_eq!(ids.len(), 6);
    let mut args = vec!["rm", "-f"];
    args.extend(ids);
    fx.cli.ok(CLI_OLD, &args).await;
    let _ = fx.dockerds.direct(0, &["swarm", "leave", "--force"]);
}
