//! What the endpoint enforces, seen from the CLIs: placement filters, policy refusals and
//! their audit, protected infrastructure, API edges, certificates; and the routes that go
//! elsewhere than one segment (`docker cp`, Swarm mode).

use super::*;

pub(super) async fn filters_place_and_refuse(fx: &Fixture<'_>) {
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

pub(super) async fn policy_refusals_reach_the_cli(fx: &Fixture<'_>) {
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

pub(super) async fn infrastructure_is_protected(fx: &Fixture<'_>) {
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

pub(super) async fn curl(fx: &Fixture<'_>, bundle: &Path, args: &[&str]) -> (String, String) {
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

pub(super) async fn api_edges(fx: &Fixture<'_>) {
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

pub(super) async fn certificates_are_enforced(fx: &Fixture<'_>) {
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

pub(super) async fn copy_in_and_out(fx: &Fixture<'_>) {
    let src = fx.dockerds.dir.join("cp-in.txt");
    std::fs::write(&src, "copied through the endpoint\n").unwrap();
    fx.cli.ok(CLI_NEW, &["cp", src.to_str().unwrap(), "spread2:/tmp/in.txt"]).await;
    let back = fx.dockerds.dir.join("cp-out.txt");
    fx.cli.ok(CLI_OLD, &["cp", "spread2:/tmp/in.txt", back.to_str().unwrap()]).await;
    assert_eq!(std::fs::read_to_string(&back).unwrap(), "copied through the endpoint\n");
}

pub(super) async fn swarm_mode_goes_to_a_manager(fx: &Fixture<'_>) {
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
    // Nor under another spelling of the same route, with curl and the tenant's bundle.
    let base = fx.cli.host.replace("tcp://", "https://");
    for path in ["/v1.41//swarm/.", "/v1.41/nodes/x/../../swarm", "/v1.41/sw%61rm"] {
        let (out, err) = curl(fx, &fx.cli.cert_path, &["--path-as-is", &format!("{base}{path}")]).await;
        assert!(out.contains("\"ID\"") && !out.contains("SWMTKN"), "{path}: {out} {err}");
    }
    fx.cli.ok(CLI_NEW, &["service", "rm", "svc"]).await;
}
