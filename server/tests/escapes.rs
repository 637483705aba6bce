//! The escape catalog: what an attacker holding a valid bundle tries against a real
//! cluster, with both docker CLIs and with raw HTTP (curl and the bundle's certificate).
//! Every case must be refused with its own answer (a CARINA code, or 400 and why), and
//! afterwards the host must show no new mount, listening socket or tenant process in
//! its own namespaces.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use common::{curl, docker_with as docker, download_bundle, Server};
use serde_json::json;

const CLIS: [&str; 2] = ["/usr/local/bin/docker", "/usr/bin/docker"];

/// CLI cases: the arguments, and the answer the CLI must print.
const CLI_CASES: &[(&[&str], &str)] = &[
    (&["run", "--rm", "--privileged", "busybox", "true"], "CARINA-1001"),
    (&["run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "true"], "CARINA-1003"),
    (&["run", "--rm", "--cap-add", "ALL", "busybox", "true"], "CARINA-1003"),
    (&["run", "--rm", "--cap-drop", "CHOWN", "busybox", "true"], "CARINA-1004"),
    (&["run", "--rm", "-v", "/:/host", "busybox", "true"], "CARINA-1002"),
    (&["run", "--rm", "-v", "/var/lib/docker/../../root:/r", "busybox", "true"], "CARINA-1002"),
    (&["run", "--rm", "--mount", "type=bind,src=/proc,dst=/p", "busybox", "true"], "CARINA-1002"),
    (&["run", "--rm", "--security-opt", "apparmor=unconfined", "busybox", "true"], "CARINA-1000"),
    (&["run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "true"], "CARINA-1000"),
    (&["run", "--rm", "--ipc", "host", "busybox", "true"], "CARINA-1006"),
    (&["run", "--rm", "--pid", "host", "busybox", "true"], "CARINA-1007"),
    (&["run", "--rm", "--uts", "host", "busybox", "true"], "CARINA-1007"),
    (&["run", "--rm", "--userns", "host", "busybox", "true"], "CARINA-1007"),
    (&["run", "--rm", "--device", "/dev/mem", "busybox", "true"], "CARINA-1008"),
    (&["run", "--rm", "--device-cgroup-rule", "c 1:1 rwm", "busybox", "true"], "CARINA-1008"),
    (&["run", "--rm", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "true"], "CARINA-1009"),
    (&["run", "--rm", "--runtime", "io.containerd.runc.v1", "busybox", "true"], "CARINA-1010"),
    (&["run", "--rm", "--cgroup-parent", "/", "busybox", "true"], "CARINA-1011"),
    (&["run", "--rm", "--oom-score-adj", "-1000", "busybox", "true"], "CARINA-1012"),
    (&["run", "--rm", "--ulimit", "rtprio=99", "busybox", "true"], "CARINA-1013"),
    (
        &["run", "--rm", "--log-driver", "syslog", "--log-opt", "syslog-address=udp://10.0.0.1:514", "busybox", "true"],
        "CARINA-1018",
    ),
    (&["run", "--rm", "--log-driver", "fluentd", "busybox", "true"], "CARINA-1018"),
    (&["volume", "create", "-o", "type=none", "-o", "o=bind", "-o", "device=/etc", "etc"], "CARINA-1002"),
    (&["volume", "create", "-o", "type=proc", "-o", "device=proc", "procfs"], "CARINA-1014"),
    (&["exec", "--privileged", "victim", "true"], "CARINA-1015"),
    (&["plugin", "enable", "vieux/sshfs"], "CARINA-1016"),
    (&["swarm", "leave", "--force"], "CARINA-1017"),
    (&["swarm", "update", "--autolock"], "CARINA-1017"),
    (&["service", "create", "--name", "s", "--mount", "type=bind,src=/,dst=/h", "busybox"], "CARINA-1002"),
    (&["service", "create", "--name", "s", "--cap-add", "ALL", "busybox"], "CARINA-1003"),
    (&["service", "create", "--name", "s", "--log-driver", "gelf", "busybox"], "CARINA-1018"),
    (&["rm", "-f", "swarm-manager"], "CARINA-1005"),
];

/// Raw cases: method, path, content type, body, and what the answer must contain.
fn raw_cases() -> Vec<(&'static str, &'static str, &'static str, String, &'static str)> {
    let json = "application/json";
    vec![
        (
            "POST",
            "/containers/create",
            json,
            r#"{"Image":"busybox","HostConfig":{"Privileged":true},"HostConfig":{"NetworkMode":"none"}}"#.into(),
            "ambiguous request body",
        ),
        (
            "POST",
            "/containers/create",
            json,
            r#"{"Image":"busybox","HostConfig":{"Binds":[],"binds":["/:/host"]}}"#.into(),
            "ambiguous request body",
        ),
        (
            "POST",
            "/containers/create",
            json,
            r#"{"Image":"busybox","hostconfig":{"PRIVILEGED":true}}"#.into(),
            "CARINA-1001",
        ),
        ("POST", "/containers/create", json, r#"{"Image":"busybox","Privileged":true}"#.into(), "CARINA-1001"),
        (
            "POST",
            "/containers/create",
            json,
            "{\"Image\":\"busybox\",\"HostConfig\":{\"\u{017F}ecurityOpt\":[\"seccomp=unconfined\"]}}".into(),
            "CARINA-1000",
        ),
        (
            "POST",
            "/volumes/create",
            json,
            r#"{"Name":"m","DriverOpts":{"type":"none","o":"bind"},"driveropts":{"device":"/etc"}}"#.into(),
            "ambiguous request body",
        ),
        ("POST", "/build?t=x", "application/x-www-form-urlencoded", "cgroupparent=/".into(), "form-encoded"),
        ("POST", "/build?t=x", "multipart/form-data; boundary=b", "--b\r\n\r\n--b--\r\n".into(), "form-encoded"),
        ("POST", "/build?t=x&cgroupparent=%2F", "application/x-tar", String::new(), "CARINA-1011"),
        ("POST", "/build?t=x", "text/plain", String::new(), "unsupported Content-Type"),
        ("POST", "/v1.23/containers/victim/start", json, r#"{"Privileged":true}"#.into(), "too old"),
        ("POST", "/plugins/pull?remote=vieux/sshfs", json, "[]".into(), "CARINA-1016"),
        ("GET", "/swarm/unlockkey", "", String::new(), "CARINA-1017"),
    ]
}

/// Mount points of the host's mount namespace (pid 1's).
fn host_mounts() -> BTreeSet<String> {
    let text = std::fs::read_to_string("/proc/1/mountinfo").unwrap();
    text.lines().filter_map(|l| l.split(' ').nth(4).map(str::to_owned)).collect()
}

/// Listening sockets of the host's network namespace.
fn host_listeners() -> BTreeSet<String> {
    let out = Command::new("ss").args(["-Hltnu"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4).map(str::to_owned))
        .collect()
}

/// Processes in segments' cgroups: `(pid, comm, in the host's pid namespace)`.
fn segment_processes() -> Vec<(u32, String, bool)> {
    let host_ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|c| c.contains(".libvirt-lxc")))
        .filter_map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?.trim().to_owned();
            let in_host_ns = std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()? == host_ns;
            Some((pid, comm, in_host_ns))
        })
        .collect()
}

/// Segment processes that share the host's pid namespace: a tenant process that escaped
/// its segment would be one. libvirt's own controller is the exception. The tenant's
/// `sleep` must be seen inside, or the check would look at nothing.
fn escaped_tenant_processes() -> Vec<String> {
    let processes = segment_processes();
    assert!(processes.iter().any(|(_, comm, host)| comm == "sleep" && !host), "the victim is not seen: {processes:?}");
    processes
        .into_iter()
        .filter(|(_, comm, host)| *host && comm != "libvirt_lxc")
        .map(|(pid, comm, _)| format!("{pid} {comm}"))
        .collect()
}

#[test]
fn the_escape_catalog_is_refused_and_leaves_the_host_as_it_was() {
    let server = Server::start("escapes");
    let key = server.api_key_for("mallory@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "jail", "nodes": 2})));
    assert_eq!(code, 201, "{created}");
    let detail = server
        .wait_cluster(&key, "jail", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let bundle = download_bundle(&server, &key, "jail", &server.data.path().join("bundles"));
    let victim = docker(CLIS[0], &bundle, &["run", "-d", "--name", "victim", "busybox", "sleep", "600"]);
    assert!(victim.status.success(), "{}", String::from_utf8_lossy(&victim.stderr));

    let (mounts, listeners) = (host_mounts(), host_listeners());
    assert_eq!(escaped_tenant_processes(), Vec::<String>::new());

    for cli in CLIS {
        for (args, answer) in CLI_CASES {
            let out = docker(cli, &bundle, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success() && err.contains(answer), "{cli} {args:?}: want {answer}, got: {err}");
        }
    }

    let port = detail["docker_host"].as_str().unwrap().rsplit(':').next().unwrap().to_owned();
    let pem = |name: &str| bundle.join(name).to_str().unwrap().to_owned();
    let tls = [
        "--cacert".to_string(),
        pem("ca.pem"),
        "--cert".to_string(),
        pem("cert.pem"),
        "--key".to_string(),
        pem("key.pem"),
    ];
    for (method, path, content_type, body, answer) in raw_cases() {
        let url = format!("https://127.0.0.1:{port}/v1.41{path}");
        let url = url.replace("/v1.41/v1.23", "/v1.23");
        let mut args: Vec<&str> = tls.iter().map(String::as_str).collect();
        args.extend(["-X", method, &url]);
        // Without a type of our own, curl would call a body a form.
        let header = format!("Content-Type: {content_type}");
        if !content_type.is_empty() {
            args.extend(["-H", &header, "--data-binary", &body]);
        }
        let (code, text) = curl(&args);
        assert!(
            (400..500).contains(&code) && text.contains(answer),
            "{method} {path}: want {answer}, got {code} {text}"
        );
    }

    // Nothing the catalog tried took effect anywhere.
    let names = docker(CLIS[0], &bundle, &["ps", "-a", "--format", "{{.Names}}"]);
    let names = String::from_utf8_lossy(&names.stdout);
    assert_eq!(
        names.lines().filter(|n| !n.ends_with("/swarm-data") && !n.ends_with("/swarm-manager")).count(),
        1,
        "{names}"
    );
    let volumes = docker(CLIS[0], &bundle, &["volume", "ls", "-q"]);
    assert!(String::from_utf8_lossy(&volumes.stdout).trim().is_empty(), "{}", String::from_utf8_lossy(&volumes.stdout));
    let services = docker(CLIS[1], &bundle, &["service", "ls", "-q"]);
    assert!(String::from_utf8_lossy(&services.stdout).trim().is_empty());
    assert_eq!(host_mounts(), mounts, "the host's mounts changed");
    assert_eq!(host_listeners(), listeners, "the host's listening sockets changed");
    assert_eq!(escaped_tenant_processes(), Vec::<String>::new());

    // Every refusal is in the cluster's history.
    let (_, detail) = server.api(&key, "GET", "/clusters/jail", None);
    let events = detail["events"].as_array().unwrap();
    let refusals = events
        .iter()
        .filter(|e| e["message"].as_str().is_some_and(|m| m.contains("CARINA-") || m.contains("ambiguous")))
        .count();
    assert!(refusals >= 10, "{events:#?}");

    let (code, _) = server.api(&key, "DELETE", "/clusters/jail", None);
    assert_eq!(code, 202);
    server.wait_cluster(&key, "jail", Duration::from_secs(120), |code, _| code == 404);
}
