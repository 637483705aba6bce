//! The endpoint driven by the real docker CLIs (28.x and Debian's 20.10) in front of three
//! real dockerds. One test function: the dockerds are started once and shared by the
//! steps, and dropped (stopped, files removed) even when a step fails.

mod escapes;
mod fidelity;
mod limits;
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gateway::{EndpointConfig, Gateway};
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

async fn filters_place_and_refuse(fx: &Fixture<'_>) {
    let id = fx
        .cli
        .ok(CLI_NEW, &["create", "--network", "none", "-e", "constraint:node==*-n2", "-e", "KEEP=1", "busybox", "true"])
        .await;
    let id = id.trim();
    assert!(fx.direct_ids(1).iter().any(|x| x == id), "constraint ignored");
    let env = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{json .Config.Env}}", id]).await;
    assert!(!env.contains("constraint"), "filter env leaked: {env}");
    assert!(env.contains("KEEP=1"));
    let o = fx.cli.run(CLI_OLD, &["run", "--rm", "-e", "constraint:node==nowhere", "busybox", "true"]).await;
    assert!(String::from_utf8_lossy(&o.stderr).contains("unable to find a node that satisfies node==nowhere"));
    // Affinity: next to spread3 (wherever that is).
    let where_ = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{.Node.Name}}", "spread3"]).await;
    let id2 = fx
        .cli
        .ok(CLI_NEW, &["create", "--network", "none", "-e", "affinity:container==spread3", "busybox", "true"])
        .await;
    let there = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{.Node.Name}}", id2.trim()]).await;
    assert_eq!(where_, there);
    // Dependency: --volumes-from lands on the source's segment.
    let id3 =
        fx.cli.ok(CLI_NEW, &["create", "--network", "none", "--volumes-from", "spread4", "busybox", "true"]).await;
    let dep = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{.Node.Name}}", id3.trim()]).await;
    let src = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{.Node.Name}}", "spread4"]).await;
    assert_eq!(dep, src);
    fx.cli.ok(CLI_NEW, &["rm", id, id2.trim(), id3.trim()]).await;
    // Names are unique across the cluster.
    let o = fx.cli.run(CLI_NEW, &["create", "--name", "spread0", "busybox"]).await;
    assert!(String::from_utf8_lossy(&o.stderr).contains("is already in use"));
}

async fn policy_refusals_reach_the_cli(fx: &Fixture<'_>) {
    for cli in BOTH {
        let o = fx.cli.run(cli, &["run", "--rm", "--privileged", "busybox", "true"]).await;
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("CARINA-1001: Privileged containers not allowed by policy"),
            "{cli}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    {
        let events = fx.directory.events.lock().unwrap();
        let e = events.last().expect("refusal audited");
        assert_eq!(e.rule.as_deref(), Some("CARINA-1001"));
        assert_eq!(e.request, "POST /containers/create");
        assert_eq!(e.client, "alice");
    }
    // A symlink planted inside a volume (on every segment: placement decides which).
    for d in &fx.dockerds.daemons {
        let data = d.data_root.join("volumes/evil/_data");
        std::fs::create_dir_all(&data).unwrap();
        std::os::unix::fs::symlink("/", data.join("x")).unwrap();
    }
    let o = fx
        .cli
        .run(
            CLI_NEW,
            &[
                "run",
                "--rm",
                "--network",
                "none",
                "-v",
                "/var/lib/docker/volumes/evil/_data/x:/host",
                "busybox",
                "true",
            ],
        )
        .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("CARINA-1002"), "{err}");
    let o = fx.cli.run(CLI_OLD, &["exec", "--privileged", "spread0", "true"]).await;
    assert!(String::from_utf8_lossy(&o.stderr).contains("CARINA-"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = fx.cli.run(CLI_NEW, &["swarm", "leave", "--force"]).await;
    assert!(String::from_utf8_lossy(&o.stderr).contains("CARINA-1017"), "{}", String::from_utf8_lossy(&o.stderr));
}

async fn infrastructure_is_protected(fx: &Fixture<'_>) {
    // Made directly on segment 1, as the provisioner would.
    let o = fx.dockerds.direct(0, &["create", "--name", "swarm-data", "--network", "none", "busybox", "true"]);
    assert!(o.status.success());
    let o = fx.dockerds.direct(
        1,
        &[
            "create",
            "--name",
            "disguised",
            "--label",
            "carina.infrastructure=true",
            "--network",
            "none",
            "busybox",
            "true",
        ],
    );
    assert!(o.status.success());
    for target in ["swarm-data".to_owned(), format!("{}/swarm-data", seg(1)), "disguised".to_owned()] {
        let o = fx.cli.run(CLI_NEW, &["rm", "-f", &target]).await;
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("CARINA-1005: Attempted to delete a Carina infrastructure container"), "{target}: {err}");
    }
    let o = fx.cli.run(CLI_OLD, &["rename", "swarm-data", "renamed"]).await;
    assert!(String::from_utf8_lossy(&o.stderr).contains("CARINA-1005"));
    let out = fx.cli.ok(CLI_NEW, &["container", "prune", "-f"]).await;
    assert!(!out.contains("swarm-data"));
    assert!(fx.dockerds.direct(0, &["inspect", "swarm-data"]).status.success(), "prune removed swarm-data");
    assert!(fx.dockerds.direct(1, &["inspect", "disguised"]).status.success());
}

async fn curl(fx: &Fixture<'_>, bundle: &Path, args: &[&str]) -> (String, String) {
    let o = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(bundle.join("ca.pem"))
        .arg("--cert")
        .arg(bundle.join("cert.pem"))
        .arg("--key")
        .arg(bundle.join("key.pem"))
        .args(args)
        .output()
        .await
        .unwrap();
    let _ = fx;
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

async fn api_edges(fx: &Fixture<'_>) {
    let base = format!("https://127.0.0.1:{}", fx.port);
    let (out, _) = curl(fx, &fx.cli.cert_path, &[&format!("{base}/v1.41/nope")]).await;
    assert!(out.contains("/nope is not supported by the Carina cluster endpoint"), "{out}");
    let (out, _) = curl(fx, &fx.cli.cert_path, &[&format!("{base}/v1.99/info")]).await;
    assert!(out.contains("too new"), "{out}");
    let (out, _) = curl(fx, &fx.cli.cert_path, &["-I", &format!("{base}/_ping")]).await;
    assert!(out.to_ascii_lowercase().contains("api-version: 1.41"), "{out}");
    let (out, _) = curl(
        fx,
        &fx.cli.cert_path,
        &[
            "-XPOST",
            "-H",
            "Content-Type: application/json",
            "--data",
            "{not json",
            &format!("{base}/v1.41/containers/create"),
        ],
    )
    .await;
    assert!(out.contains("invalid JSON"), "{out}");
    // Events are merged across segments; the stream ends at `until` (a second from now,
    // so that the last step's events are in).
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let url = format!("{base}/v1.41/events?since={}&until={}", now - 600, now + 1);
    let (out, _) = curl(fx, &fx.cli.cert_path, &[&url]).await;
    assert!(out.contains("\"status\":\"create\""), "{out}");
    assert!(out.contains("\"node\":{\"Addr\":\"127.0.0.12:42376\""), "{out}");
    for i in 0..3 {
        let id = &fx.direct_ids(i)[0];
        assert!(out.contains(id.as_str()), "segment {i}'s events missing");
    }
}

async fn certificates_are_enforced(fx: &Fixture<'_>) {
    // Another cluster's CA.
    let other = Ca::new("another cluster");
    let env = fx.env_for("other-ca", &other, &other.client("mallory"));
    let o = env.run(CLI_NEW, &["ps"]).await;
    assert!(!o.status.success());
    // The cluster's CA but without the clientAuth usage.
    let env = fx.env_for("no-eku", &fx.ca, &fx.ca.client_without_eku("noeku"));
    assert!(!env.run(CLI_NEW, &["ps"]).await.status.success());
    // No certificate at all.
    let (_, err) = {
        let o = tokio::process::Command::new("curl")
            .args(["-sS", "--cacert"])
            .arg(fx.cli.cert_path.join("ca.pem"))
            .arg(format!("https://127.0.0.1:{}/_ping", fx.port))
            .output()
            .await
            .unwrap();
        (o.status, String::from_utf8_lossy(&o.stderr).into_owned())
    };
    assert!(!err.is_empty(), "a client without a certificate got in");
    // Revocation cuts an open stream, then refuses new connections.
    let bob = fx.ca.client("bob");
    let env = fx.env_for("bob", &fx.ca, &bob);
    env.ok(CLI_OLD, &["ps"]).await;
    let mut stream = env.command(CLI_NEW).args(["logs", "-f", "spread0"]).spawn().unwrap();
    let mut exec = env
        .command(CLI_NEW)
        .args(["exec", "-i", "spread1", "cat"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(stream.try_wait().unwrap().is_none());
    assert!(exec.try_wait().unwrap().is_none());
    fx.gateway.revoke(CLUSTER_ID, &bob.fingerprint);
    let ended = tokio::time::timeout(Duration::from_secs(5), stream.wait()).await;
    assert!(ended.is_ok(), "revoked logs stream still open");
    let ended = tokio::time::timeout(Duration::from_secs(5), exec.wait()).await;
    assert!(ended.is_ok(), "revoked hijacked exec still open");
    assert!(!env.run(CLI_NEW, &["ps"]).await.status.success());
    // Alice is unaffected.
    fx.cli.ok(CLI_NEW, &["ps"]).await;
}

async fn copy_in_and_out(fx: &Fixture<'_>) {
    let src = fx.dockerds.dir.join("cp-in.txt");
    std::fs::write(&src, "copied through the endpoint\n").unwrap();
    fx.cli.ok(CLI_NEW, &["cp", src.to_str().unwrap(), "spread2:/tmp/in.txt"]).await;
    let back = fx.dockerds.dir.join("cp-out.txt");
    fx.cli.ok(CLI_OLD, &["cp", "spread2:/tmp/in.txt", back.to_str().unwrap()]).await;
    assert_eq!(std::fs::read_to_string(&back).unwrap(), "copied through the endpoint\n");
}

async fn swarm_mode_goes_to_a_manager(fx: &Fixture<'_>) {
    for cli in BOTH {
        let info = fx.cli.ok(cli, &["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"]).await;
        assert_eq!(info.trim(), "active true", "{cli}");
        let nodes = fx.cli.ok(cli, &["node", "ls", "--format", "{{.ManagerStatus}}"]).await;
        assert_eq!(nodes.trim(), "Leader");
    }
    fx.cli.ok(CLI_NEW, &["service", "create", "-d", "--name", "svc", "busybox", "sleep", "600"]).await;
    let ls = fx.cli.ok(CLI_OLD, &["service", "ls", "--format", "{{.Name}}"]).await;
    assert_eq!(ls.trim(), "svc");
    let o = fx.cli.run(CLI_NEW, &["service", "create", "-d", "--cap-add", "SYS_ADMIN", "busybox", "true"]).await;
    assert!(String::from_utf8_lossy(&o.stderr).contains("CARINA-1003"), "{}", String::from_utf8_lossy(&o.stderr));
    // The join tokens never leave the gateway.
    let o = fx.cli.run(CLI_NEW, &["swarm", "join-token", "-q", "manager"]).await;
    assert!(!String::from_utf8_lossy(&o.stdout).contains("SWMTKN"));
    fx.cli.ok(CLI_NEW, &["service", "rm", "svc"]).await;
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
