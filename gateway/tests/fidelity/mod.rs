//! Valid requests that one Docker engine serves, served alike through the endpoint.

use super::{seg, Fixture, BOTH, CLI_NEW};

pub(crate) async fn answers_as_one_engine(fx: &Fixture<'_>) {
    // CpuShares is a weight, not a reservation of 512 CPUs.
    for cli in BOTH {
        let out = fx
            .cli
            .ok(cli, &["run", "--rm", "--cpu-shares", "512", "--network", "none", "busybox", "echo", "weighted"])
            .await;
        assert_eq!(out.trim(), "weighted", "{cli}");
    }

    // `docker rm --link` names the link as <parent>/<alias>.
    fx.cli.ok(CLI_NEW, &["run", "-d", "--name", "linkdb", "busybox", "sleep", "600"]).await;
    fx.cli
        .ok(CLI_NEW, &["run", "-d", "--name", "linkapp", "--link", "linkdb:dbalias", "busybox", "sleep", "600"])
        .await;
    fx.cli.ok(CLI_NEW, &["rm", "--link", "linkapp/dbalias"]).await;
    let links = fx.cli.ok(CLI_NEW, &["inspect", "-f", "{{len .HostConfig.Links}}", "linkapp"]).await;
    assert_eq!(links.trim(), "0");
    fx.cli.ok(CLI_NEW, &["rm", "-f", "linkapp", "linkdb"]).await;

    // A failed load is one error, as from one engine, not one per segment.
    for cli in BOTH {
        let mut child = fx
            .cli
            .command(cli)
            .arg("load")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut stdin, b"this is not a tar archive").await.unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{cli}: {text}");
        assert!(!text.contains(&seg(2)) && !text.contains(&seg(3)), "{cli}: one error per segment: {text}");
    }

    // The id `docker network create` answered works on every segment.
    let id = fx.cli.ok(CLI_NEW, &["network", "create", "--driver", "bridge", "localnet"]).await;
    let id = id.trim();
    for i in 1..=3 {
        let name = format!("onseg{i}");
        let constraint = format!("constraint:node=={}", seg(i));
        fx.cli.ok(CLI_NEW, &["run", "-d", "--name", &name, "-e", &constraint, "busybox", "sleep", "600"]).await;
        fx.cli.ok(CLI_NEW, &["network", "connect", id, &name]).await;
        let nets = fx
            .cli
            .ok(CLI_NEW, &["inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", &name])
            .await;
        assert!(nets.contains("localnet"), "{name}: {nets}");
        fx.cli.ok(CLI_NEW, &["network", "disconnect", id, &name]).await;
        fx.cli.ok(CLI_NEW, &["rm", "-f", &name]).await;
    }
    // dockerd releases a killed container's endpoint just after `rm -f` returns.
    for attempt in 0.. {
        let o = fx.cli.run(CLI_NEW, &["network", "rm", "localnet"]).await;
        if o.status.success() {
            break;
        }
        assert!(attempt < 20, "network rm: {}", String::from_utf8_lossy(&o.stderr));
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let left = fx.cli.ok(CLI_NEW, &["network", "ls", "--format", "{{.Name}}"]).await;
    assert!(!left.contains("localnet"), "{left}");
}
