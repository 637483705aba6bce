//! The cluster endpoint with the real docker CLIs (the machine's 28.x client and Debian's
//! 20.10), against a real 3-segment cluster: credentials, `docker info`, spread placement,
//! streams, Swarm mode, the policy, and who is refused.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{curl, docker_ok, docker_with, download_bundle, Server};
use serde_json::json;

/// The two docker CLIs that must both work unchanged.
const CLIS: [&str; 2] = ["/usr/local/bin/docker", "/usr/bin/docker"];

/// Like [`docker_with`], requiring failure; returns stderr.
fn docker_err(cli: &str, bundle: &Path, args: &[&str]) -> String {
    let out = docker_with(cli, bundle, args);
    assert!(!out.status.success(), "{cli} {args:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn create_active(server: &Server, key: &str, name: &str, nodes: u32) -> serde_json::Value {
    let (code, created) = server.api(key, "POST", "/clusters", Some(json!({"cluster_name": name, "nodes": nodes})));
    assert_eq!(code, 201, "{created}");
    server.wait_cluster(key, name, Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active")
}

#[test]
fn the_docker_clis_drive_a_whole_cluster_through_its_endpoint() {
    let server = Server::start("endpoint");
    let key = server.api_key_for("ada@example.com");
    let detail = create_active(&server, &key, "web", 3);
    let id = detail["id"].as_str().unwrap().to_owned();
    let segment_names: Vec<String> =
        detail["segments"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
    let work = server.data.path().join("bundles");
    let bundle = download_bundle(&server, &key, "web", &work.join("a"));

    for cli in CLIS {
        // Version negotiation, and the cluster as one engine listing its segments.
        let version = docker_ok(cli, &bundle, &["version", "--format", "{{.Server.APIVersion}}"]);
        assert_eq!(version.trim(), "1.41", "{cli}");
        let info = docker_ok(cli, &bundle, &["info"]);
        for (name, segment) in segment_names.iter().zip(detail["segments"].as_array().unwrap()) {
            let line = format!("{name}: {}:42376", segment["address"].as_str().unwrap());
            assert!(info.contains(&line), "{cli} info lacks {line}:\n{info}");
        }
        assert!(info.contains("Strategy: spread"), "{cli}:\n{info}");
    }

    // Six containers land two per segment (spread), named <segment>/<name> in `docker ps`.
    let cli = CLIS[0];
    for i in 1..=6 {
        docker_ok(cli, &bundle, &["run", "-d", "--name", &format!("s{i}"), "busybox", "sleep", "600"]);
    }
    let names = docker_ok(cli, &bundle, &["ps", "--format", "{{.Names}}"]);
    for segment in &segment_names {
        let on_it = names.lines().filter(|n| n.starts_with(&format!("{segment}/s"))).count();
        assert_eq!(on_it, 2, "{segment} has {on_it} of the six:\n{names}");
    }
    let all = docker_ok(CLIS[1], &bundle, &["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(all.lines().filter(|n| n.ends_with("/swarm-data")).count(), 3, "{all}");

    // Streams: logs -f until the container exits, exec -it under a pty, attach.
    docker_ok(
        cli,
        &bundle,
        &["run", "-d", "--name", "talker", "busybox", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"],
    );
    let logs = docker_ok(cli, &bundle, &["logs", "-f", "talker"]);
    assert_eq!(logs.lines().collect::<Vec<_>>(), ["line1", "line2", "line3"]);
    for cli in CLIS {
        let script =
            format!("cd / && source '{}/docker.env' && {cli} exec -it s1 sh -c 'echo tty-ok; tty'", bundle.display());
        // `script` runs its command with $SHELL, which CI may leave unset (then /bin/sh, no `source`).
        let out =
            Command::new("script").args(["-qec", &script, "/dev/null"]).env("SHELL", "/bin/bash").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("tty-ok") && text.contains("/dev/pts/"), "{cli} exec -it: {text}");
    }
    docker_ok(cli, &bundle, &["run", "-d", "--name", "later", "busybox", "sh", "-c", "sleep 1; echo attached-output"]);
    let attached = docker_ok(cli, &bundle, &["attach", "later"]);
    assert!(attached.contains("attached-output"), "{attached}");
    assert_eq!(docker_ok(cli, &bundle, &["wait", "later"]).trim(), "0");
    assert_eq!(docker_ok(CLIS[1], &bundle, &["run", "--rm", "busybox", "echo", "hi"]).trim(), "hi");

    // Swarm mode: a service spreads its replicas over the segments.
    docker_ok(
        cli,
        &bundle,
        &["service", "create", "--detach", "--name", "svc", "--replicas", "3", "busybox", "sleep", "600"],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tasks = docker_ok(
            cli,
            &bundle,
            &["service", "ps", "svc", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}"],
        );
        let mut nodes: Vec<&str> =
            tasks.lines().filter(|l| l.contains("Running")).map(|l| l.split(' ').next().unwrap()).collect();
        nodes.sort_unstable();
        nodes.dedup();
        if nodes.len() == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "service tasks did not spread: {tasks}");
        std::thread::sleep(Duration::from_millis(500));
    }
    docker_ok(cli, &bundle, &["service", "rm", "svc"]);

    // Carina's infrastructure containers.
    let listing =
        docker_ok(cli, &bundle, &["run", "--rm", "--volumes-from", "swarm-data", "busybox", "ls", "/etc/docker"]);
    assert_eq!(listing.split_whitespace().collect::<Vec<_>>(), ["ca.pem", "server-cert.pem", "server-key.pem"]);
    let manager = docker_ok(cli, &bundle, &["ps", "-aq", "-f", "name=swarm-manager", "-n", "1"]);
    let token = docker_ok(cli, &bundle, &["inspect", "-f", "{{index .Config.Cmd 6}}", manager.trim()]);
    assert_eq!(token.trim(), format!("token://{id}"));
    let refused = docker_err(cli, &bundle, &["rm", "-f", &format!("{}/swarm-data", segment_names[0])]);
    assert!(refused.contains("CARINA-1005"), "{refused}");

    // The policy, with a message naming the rule; allowed binds pass.
    let cases: &[(&[&str], &str)] = &[
        (&["--privileged"], "CARINA-1001"),
        (&["--cap-add", "NET_ADMIN"], "CARINA-1003"),
        (&["--cap-drop", "ALL"], "CARINA-1004"),
        (&["-v", "/etc:/host-etc"], "CARINA-1002"),
        (&["-v", "/var/lib/docker/../../etc:/x"], "CARINA-1002"),
        (&["--mount", "type=bind,src=/,dst=/host"], "CARINA-1002"),
        (&["--security-opt", "seccomp=unconfined"], "CARINA-1000"),
        (&["--ipc", "host"], "CARINA-1006"),
        (&["--pid", "host"], "CARINA-1007"),
        (&["--device", "/dev/sda"], "CARINA-1008"),
    ];
    for cli in CLIS {
        for (flags, rule) in cases {
            let mut args = vec!["run", "--rm"];
            args.extend_from_slice(flags);
            args.extend(["busybox", "true"]);
            let err = docker_err(cli, &bundle, &args);
            assert!(err.contains(rule) && err.contains("not allowed by policy"), "{cli} {flags:?}: {err}");
        }
    }
    let err =
        docker_err(cli, &bundle, &["service", "create", "--mount", "type=bind,src=/etc,dst=/x", "busybox", "true"]);
    assert!(err.contains("CARINA-1002"), "{err}");
    let err = docker_err(
        cli,
        &bundle,
        &["volume", "create", "-o", "type=none", "-o", "o=bind", "-o", "device=/etc", "sneaky"],
    );
    assert!(err.contains("CARINA-1002"), "{err}");
    let err = docker_err(cli, &bundle, &["exec", "--privileged", "s1", "true"]);
    assert!(err.contains("not allowed by policy"), "{err}");
    let ok = docker_ok(
        cli,
        &bundle,
        &["run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f && cat /data/f"],
    );
    assert_eq!(ok.trim(), "kept");
    // Volumes and networks are found wherever they are, and removed everywhere.
    assert!(docker_ok(cli, &bundle, &["volume", "inspect", "--format", "{{.Name}}", "data"]).contains("data"));
    docker_ok(cli, &bundle, &["network", "create", "mynet"]);
    assert_eq!(docker_ok(cli, &bundle, &["network", "inspect", "--format", "{{.Name}}", "mynet"]).trim(), "mynet");
    docker_ok(cli, &bundle, &["network", "rm", "mynet"]);
    docker_err(cli, &bundle, &["network", "inspect", "mynet"]);
    docker_ok(cli, &bundle, &["volume", "rm", "data"]);
    docker_err(cli, &bundle, &["volume", "inspect", "data"]);
    // Prunes run on every segment and merge their answers.
    docker_ok(cli, &bundle, &["volume", "create", "leftover"]);
    let pruned = docker_ok(cli, &bundle, &["volume", "prune", "-f"]);
    assert!(pruned.contains("leftover"), "{pruned}");
    assert!(docker_ok(cli, &bundle, &["image", "prune", "-f"]).contains("Total reclaimed space"));
    // A bind from under /var/lib/docker is accepted (on whichever segment it lands).
    docker_ok(cli, &bundle, &["run", "--rm", "-v", "/var/lib/docker/volumes/data/_data:/d", "busybox", "ls", "/d"]);
    docker_ok(cli, &bundle, &["run", "--rm", "-v", "/var/lib/docker/mydata:/d", "busybox", "touch", "/d/x"]);
    let err = docker_err(cli, &bundle, &["run", "--rm", "-v", "/var/lib/docker/containers:/d", "busybox", "true"]);
    assert!(err.contains("CARINA-1002"), "dockerd's own state is not the tenant's: {err}");
    // The refusals are in the cluster's audit log.
    let events = server.api(&key, "GET", "/clusters/web", None).1["events"].clone();
    let policy: Vec<_> = events.as_array().unwrap().iter().filter(|e| e["kind"] == "policy").collect();
    assert!(policy.iter().any(|e| e["message"].as_str().unwrap().contains("CARINA-1001")), "{events:#}");

    // Who is refused: another cluster's bundle, a revoked bundle, a client without one.
    create_active(&server, &key, "other", 1);
    let other = download_bundle(&server, &key, "other", &work.join("b"));
    let web_host = std::fs::read_to_string(bundle.join("docker.env")).unwrap();
    let web_host =
        web_host.lines().find_map(|l| l.strip_prefix("export DOCKER_HOST=")).unwrap().trim_matches('"').to_owned();
    let crossed = Command::new(cli)
        .args(["-H", &web_host, "--tlsverify", "--tlscacert"])
        .arg(bundle.join("ca.pem"))
        .arg("--tlscert")
        .arg(other.join("cert.pem"))
        .arg("--tlskey")
        .arg(other.join("key.pem"))
        .args(["ps"])
        .output()
        .unwrap();
    assert!(!crossed.status.success(), "another cluster's certificate was accepted");

    let second = download_bundle(&server, &key, "web", &work.join("c"));
    docker_ok(cli, &bundle, &["ps", "-q"]);
    docker_ok(cli, &second, &["ps", "-q"]);
    let bundles = server.api(&key, "GET", "/clusters/web/bundles", None).1;
    let newest = bundles.as_array().unwrap()[0]["id"].as_str().unwrap().to_owned();
    let (code, _) = server.api(&key, "DELETE", &format!("/clusters/web/bundles/{newest}"), None);
    assert_eq!(code, 204);
    docker_err(cli, &second, &["ps", "-q"]);
    docker_ok(cli, &bundle, &["ps", "-q"]);

    let port = web_host.rsplit(':').next().unwrap();
    let (code, _) =
        curl(&["--cacert", bundle.join("ca.pem").to_str().unwrap(), &format!("https://127.0.0.1:{port}/_ping")]);
    assert_eq!(code, 0, "a client without a certificate got an HTTP answer");
}
