//! Applications across segments, with clients nobody here wrote: a two-service app
//! (`web` serving HTTP, `worker` fetching `http://web:8080/`) run with docker-compose
//! 1.29 (Debian's, Python) and as a stack with both docker CLIs, on a real 2-segment
//! cluster. The services land on different segments and still reach each other by name;
//! taking the app down leaves nothing behind.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{download_bundle, Server};
use serde_json::json;

const CLIS: [&str; 2] = ["/usr/local/bin/docker", "/usr/bin/docker"];

const WEB: &str = "sh -c 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'";
/// busybox wget can crash when its own timeout fires: `timeout` bounds it instead.
const WORKER: &str = "sh -c 'while true; do timeout 3 wget -q -O - http://web:8080/; sleep 1; done'";

/// Runs `program args` after `source docker.env`, as a user would.
fn with_env(bundle: &Path, dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("cd '{}' && source '{}/docker.env' && exec \"$@\"", dir.display(), bundle.display()))
        .arg("bash")
        .arg(program)
        .args(args)
        // docker-compose (requests) would trust these instead of the bundle's CA.
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .expect("run a client")
}

fn ok(bundle: &Path, dir: &Path, program: &str, args: &[&str]) -> String {
    let out = with_env(bundle, dir, program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Polls `check` until it holds (it gets the latest output) or `limit` passes.
fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> (bool, String)) {
    let started = Instant::now();
    loop {
        let (done, last) = check();
        if done {
            return;
        }
        assert!(started.elapsed() < limit, "{what} did not happen in {limit:?}; last: {last}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The segment of each running container whose name contains `part`, as `docker ps` shows.
fn segments_of(bundle: &Path, dir: &Path, part: &str) -> Vec<String> {
    let names = ok(bundle, dir, CLIS[0], &["ps", "--format", "{{.Names}}"]);
    names.lines().filter(|n| n.contains(part)).filter_map(|n| n.split_once('/').map(|(s, _)| s.to_owned())).collect()
}

#[test]
fn compose_and_stacks_run_across_segments() {
    let server = Server::start("compose");
    let key = server.api_key_for("grace@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "apps", "nodes": 2})));
    assert_eq!(code, 201, "{created}");
    server.wait_cluster(&key, "apps", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let bundle = download_bundle(&server, &key, "apps", &server.data.path().join("bundles"));
    let dir = server.data.path().join("project");
    std::fs::create_dir_all(&dir).unwrap();

    // docker info says what this kernel lacks, if it does.
    let info = ok(&bundle, &dir, CLIS[1], &["info"]);
    assert_eq!(info.contains("no IPVS"), !segments::kernel_has_ipvs(), "{info}");

    compose_app(&bundle, &dir);
    stack_app(&bundle, &dir);
    volumes_and_networks_keep_containers_together(&bundle, &dir);
}

fn compose_app(bundle: &Path, dir: &Path) {
    let file = format!(
        "version: \"2.4\"\nservices:\n  web:\n    image: busybox\n    command: {WEB:?}\n    volumes: [\"data:/data\"]\n  \
         worker:\n    image: busybox\n    command: {WORKER:?}\n    depends_on: [web]\nvolumes:\n  data: {{}}\n"
    );
    std::fs::write(dir.join("docker-compose.yml"), file).unwrap();
    let compose = |args: &[&str]| ok(bundle, dir, "docker-compose", &[&["-p", "shop"][..], args].concat());
    compose(&["up", "-d"]);
    let (web, worker) = (segments_of(bundle, dir, "shop_web"), segments_of(bundle, dir, "shop_worker"));
    assert_eq!((web.len(), worker.len()), (1, 1), "{web:?} {worker:?}");
    assert_ne!(web, worker, "spread put both services on one segment");
    eventually(Duration::from_secs(60), "worker reaching web by name", || {
        let logs = compose(&["logs", "--no-color", "worker"]);
        (logs.contains("hello-from-web"), logs)
    });
    let ps = compose(&["ps"]);
    assert!(ps.contains("shop_web_1") && ps.contains("shop_worker_1") && ps.contains("Up"), "{ps}");
    assert_eq!(compose(&["exec", "-T", "web", "cat", "/www/index.html"]).trim(), "hello-from-web");
    compose(&["down", "-v"]);
    for cli in CLIS {
        let networks = ok(bundle, dir, cli, &["network", "ls", "--format", "{{.Name}}"]);
        assert!(!networks.contains("shop_"), "{cli}: {networks}");
        let volumes = ok(bundle, dir, cli, &["volume", "ls", "--format", "{{.Name}}"]);
        assert!(!volumes.contains("shop_"), "{cli}: {volumes}");
    }
}

fn stack_app(bundle: &Path, dir: &Path) {
    let file = format!(
        "version: \"3.8\"\nservices:\n  web:\n    image: busybox\n    command: {WEB:?}\n  worker:\n    image: busybox\n    \
         command: {WORKER:?}\n"
    );
    std::fs::write(dir.join("stack.yml"), file).unwrap();
    for cli in CLIS {
        ok(bundle, dir, cli, &["stack", "deploy", "-c", "stack.yml", "shelf"]);
        eventually(Duration::from_secs(90), "the stack's worker reaching web by name", || {
            let logs = with_env(bundle, dir, cli, &["service", "logs", "--raw", "shelf_worker"]);
            let text = String::from_utf8_lossy(&logs.stdout).into_owned();
            (text.contains("hello-from-web"), text + &String::from_utf8_lossy(&logs.stderr))
        });
        let removed = ok(bundle, dir, cli, &["stack", "rm", "shelf"]);
        assert!(!removed.contains("Failed"), "{cli}: {removed}");
        eventually(Duration::from_secs(30), "the stack's network going", || {
            let networks = ok(bundle, dir, cli, &["network", "ls", "--format", "{{.Name}}"]);
            (!networks.contains("shelf_"), networks)
        });
    }
}

fn volumes_and_networks_keep_containers_together(bundle: &Path, dir: &Path) {
    let cli = CLIS[0];
    ok(bundle, dir, cli, &["volume", "create", "notes"]);
    let listed = ok(bundle, dir, cli, &["volume", "ls", "--format", "{{.Name}}"]);
    let home: Vec<&str> = listed.lines().filter(|l| l.ends_with("/notes")).collect();
    assert_eq!(home.len(), 1, "a volume lives on one segment, and ls says which: {listed}");
    let home = home[0].split_once('/').unwrap().0.to_owned();
    for i in 0..3 {
        ok(
            bundle,
            dir,
            cli,
            &["run", "-d", "--name", &format!("reader{i}"), "-v", "notes:/notes", "busybox", "sleep", "600"],
        );
    }
    assert_eq!(segments_of(bundle, dir, "reader"), vec![home.clone(); 3], "containers follow their volume");

    // An overlay network (attachable even though the user did not say so) spans the
    // cluster: containers on both segments join it and find each other by name.
    ok(bundle, dir, cli, &["network", "create", "--driver", "overlay", "mesh"]);
    // One peer beside the readers, one away from them (classic Swarm constraints).
    let here = format!("constraint:node=={home}");
    let away = format!("constraint:node!={home}");
    ok(
        bundle,
        dir,
        cli,
        &["run", "-d", "--name", "peer-a", "-e", &here, "--network", "mesh", "busybox", "sleep", "600"],
    );
    ok(
        bundle,
        dir,
        cli,
        &["run", "-d", "--name", "peer-b", "-e", &away, "--network", "mesh", "busybox", "sleep", "600"],
    );
    let (a, b) = (segments_of(bundle, dir, "peer-a"), segments_of(bundle, dir, "peer-b"));
    assert_ne!(a, b, "the peers are on one segment");
    eventually(Duration::from_secs(30), "peer-b reaching peer-a by name", || {
        let o = with_env(bundle, dir, cli, &["exec", "peer-b", "ping", "-c", "1", "-W", "2", "peer-a"]);
        (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
    });
    ok(bundle, dir, cli, &["rm", "-f", "peer-a", "peer-b", "reader0", "reader1", "reader2"]);
    ok(bundle, dir, cli, &["network", "rm", "mesh"]);
    ok(bundle, dir, cli, &["volume", "rm", "notes"]);
}
