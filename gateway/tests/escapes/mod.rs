//! Escape attempts through request bodies and headers, sent as raw HTTP with the
//! bundle's certificate (what no CLI would send) and with both CLIs: each must be
//! refused with its own clear answer, and nothing may reach a segment.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use super::{curl, Fixture, BOTH, CLI_NEW};

/// `(status, body)` of a raw request; `extra` are curl arguments before the URL.
async fn raw(fx: &Fixture<'_>, method: &str, path: &str, extra: &[&str]) -> (u16, String) {
    let url = format!("https://127.0.0.1:{}/v1.41{path}", fx.port);
    let mut args = vec!["-X", method, "-w", "\n%{http_code}"];
    args.extend_from_slice(extra);
    args.push(&url);
    let (out, err) = curl(fx, &fx.cli.cert_path, &args).await;
    let (body, status) = out.rsplit_once('\n').unwrap_or_else(|| panic!("no status from curl: {out} {err}"));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

async fn post_json(fx: &Fixture<'_>, path: &str, body: &str) -> (u16, String) {
    raw(fx, "POST", path, &["-H", "Content-Type: application/json", "--data-binary", body]).await
}

/// Containers on every segment, straight from the dockerds.
fn all_ids(fx: &Fixture<'_>) -> Vec<String> {
    (0..3).flat_map(|i| fx.direct_ids(i)).collect()
}

pub(crate) async fn bodies_and_headers(fx: &Fixture<'_>) {
    repeated_keys_are_refused(fx).await;
    folded_keys_are_judged_and_forwarded(fx).await;
    content_types_are_decided_on_bytes(fx).await;
    log_drivers_stay_local(fx).await;
    builds_still_work(fx).await;
}

async fn repeated_keys_are_refused(fx: &Fixture<'_>) {
    let before = all_ids(fx);
    let cases = [
        // serde keeps the second HostConfig; Go merges both into one privileged config.
        ("/containers/create", r#"{"Image":"busybox","HostConfig":{"Privileged":true},"HostConfig":{"NetworkMode":"none"}}"#),
        ("/containers/create", r#"{"Image":"busybox","HostConfig":{"Privileged":false,"privileged":true}}"#),
        ("/containers/create", "{\"Image\":\"busybox\",\"HostConfig\":{\"SecurityOpt\":[],\"\u{017F}ecurityOpt\":[\"seccomp=unconfined\"]}}"),
        ("/containers/create", r#"{"Image":"busybox","HostConfig":{"Binds":[],"Privil\u0065ged":true,"Privileged":false}}"#),
        ("/containers/create", r#"{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"volume","Source":"/etc","Target":"/e"}],"mounts":[{"Type":"bind"}]}}"#),
        ("/volumes/create", r#"{"Name":"merged","DriverOpts":{"type":"none","o":"bind"},"driveropts":{"device":"/etc"}}"#),
        ("/services/create", r#"{"Name":"x","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"tasktemplate":{"ContainerSpec":{"CapabilityAdd":["ALL"]}}}"#),
        ("/networks/create", r#"{"Name":"n","Driver":"bridge","driver":"macvlan"}"#),
    ];
    for (path, body) in cases {
        let (status, answer) = post_json(fx, path, body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert!(answer.contains("ambiguous request body"), "{path} {body}: {answer}");
    }
    let spread0 = fx.direct_ids(0)[0].clone();
    let (status, answer) =
        post_json(fx, &format!("/containers/{spread0}/exec"), r#"{"Cmd":["id"],"Privileged":false,"privileged":true}"#)
            .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(all_ids(fx), before, "a refused body created a container");
    let o = fx.dockerds.direct(0, &["volume", "ls", "-q"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("merged"), "a refused volume was created");
    let events = fx.directory.events.lock().unwrap();
    let last = events.last().expect("refusal audited");
    assert!(last.message.contains("ambiguous request body"), "{}", last.message);
    assert_eq!(last.request, format!("POST /containers/{spread0}/exec"));
}

/// Keys Go matches regardless of case are judged as Go reads them, and what reaches
/// dockerd is the judged value (with the endpoint's default pids limit added).
async fn folded_keys_are_judged_and_forwarded(fx: &Fixture<'_>) {
    let (status, answer) =
        post_json(fx, "/containers/create", r#"{"Image":"busybox","hostconfig":{"PRIVILEGED":true}}"#).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("CARINA-1001"), "{answer}");

    let body = r#"{"Image":"busybox","Cmd":["true"],"hostconfig":{"memory":67108864,"networkmode":"none"}}"#;
    let (status, answer) = post_json(fx, "/containers/create?name=folded", body).await;
    assert_eq!(status, 201, "{answer}");
    let id: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let id = id["Id"].as_str().unwrap();
    let owner = (0..3).find(|&i| fx.direct_ids(i).iter().any(|c| c == id)).expect("created on a segment");
    let o = fx.dockerds.direct(owner, &["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", id]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), format!("67108864 {}", policy::defaults::DEFAULT_PIDS_LIMIT));
    // A limit of the tenant's own is kept.
    let (status, answer) = post_json(
        fx,
        "/containers/create?name=ownlimit",
        r#"{"Image":"busybox","Cmd":["true"],"HostConfig":{"PidsLimit":64}}"#,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let out = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{.HostConfig.PidsLimit}}", "ownlimit"]).await;
    assert_eq!(out.trim(), "64");
    // An update may change the limit, but not lift it; one about other resources keeps it.
    for (args, limit) in [
        (&["update", "--pids-limit", "-1", "ownlimit"][..], policy::defaults::DEFAULT_PIDS_LIMIT.to_string()),
        (&["update", "--pids-limit", "100", "ownlimit"][..], "100".to_string()),
        (&["update", "--cpu-shares", "512", "ownlimit"][..], "100".to_string()),
    ] {
        fx.cli.ok(CLI_NEW, args).await;
        let out = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{.HostConfig.PidsLimit}}", "ownlimit"]).await;
        assert_eq!(out.trim(), limit, "after {args:?}");
    }
    fx.cli.ok(CLI_NEW, &["rm", "folded", "ownlimit"]).await;
}

async fn content_types_are_decided_on_bytes(fx: &Fixture<'_>) {
    let form = ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "cgroupparent=/"];
    let (status, answer) = raw(fx, "POST", "/build?t=x", &form).await;
    assert_eq!((status, answer.contains("form-encoded")), (400, true), "{answer}");
    let (status, answer) = raw(fx, "POST", "/build?t=x", &["-F", "cgroupparent=/"]).await;
    assert_eq!((status, answer.contains("form-encoded")), (400, true), "{answer}");
    let (status, answer) = raw(fx, "POST", "/containers/spread0/kill", &["-F", "signal=KILL"]).await;
    assert_eq!((status, answer.contains("form-encoded")), (400, true), "{answer}");
    let (status, answer) =
        raw(fx, "POST", "/build?t=x", &["-H", "Content-Type: text/plain", "--data-binary", "x"]).await;
    assert_eq!((status, answer.contains("unsupported Content-Type")), (400, true), "{answer}");

    // A byte that is not ASCII: a reader that gives up on the header would let the form through.
    let mut header = b"Content-Type: application/x-www-form-urlencoded; charset=".to_vec();
    header.push(0xff);
    let url = format!("https://127.0.0.1:{}/v1.41/build?t=x", fx.port);
    let bundle = &fx.cli.cert_path;
    let o = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "-w", "\n%{http_code}", "-X", "POST", "--data-binary", "cgroupparent=/"])
        .arg("--cacert")
        .arg(bundle.join("ca.pem"))
        .arg("--cert")
        .arg(bundle.join("cert.pem"))
        .arg("--key")
        .arg(bundle.join("key.pem"))
        .arg("-H")
        .arg(OsString::from_vec(header))
        .arg(&url)
        .output()
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.ends_with("\n400") && out.contains("printable ASCII"), "{out}");
}

async fn log_drivers_stay_local(fx: &Fixture<'_>) {
    for cli in BOTH {
        for driver in ["syslog", "gelf"] {
            let o = fx
                .cli
                .run(cli, &["run", "--rm", "--log-driver", driver, "--log-opt", "tag=x", "busybox", "true"])
                .await;
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(&format!("CARINA-1018: Log driver not allowed by policy: {driver}")), "{cli}: {err}");
        }
        let out = fx
            .cli
            .ok(cli, &["run", "--rm", "--log-driver", "local", "--network", "none", "busybox", "echo", "kept"])
            .await;
        assert_eq!(out.trim(), "kept");
    }
}

/// `docker build` sends its tar as `application/x-tar`: still accepted, with both CLIs.
async fn builds_still_work(fx: &Fixture<'_>) {
    let context = fx.dockerds.dir.join("build-context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("Dockerfile"), "FROM busybox\nRUN echo built > /built\n").unwrap();
    for (i, cli) in BOTH.iter().enumerate() {
        let tag = format!("escapes-built:{i}");
        let o = fx
            .cli
            .command(cli)
            .env("DOCKER_BUILDKIT", "0")
            .args(["build", "-q", "-t", &tag])
            .arg(&context)
            .output()
            .await
            .unwrap();
        assert!(o.status.success(), "{cli} build: {}", String::from_utf8_lossy(&o.stderr));
        let out = fx.cli.ok(cli, &["run", "--rm", "--network", "none", &tag, "cat", "/built"]).await;
        assert_eq!(out.trim(), "built");
    }
}
