//! Endpoint bounds with the real CLI: a second gateway over the same segments with small
//! budgets, saturated by one certificate, while other certificates and the first gateway
//! keep working.

use std::process::Stdio;
use std::time::Duration;

use gateway::{EndpointLimits, Gateway, GatewayOptions};
use tokio::process::{Child, Command};

use super::support::{CliEnv, CLI_NEW, CLUSTER_ID};
use super::Fixture;

const LIMITS: EndpointLimits = EndpointLimits {
    connections_per_cluster: 6,
    connections_per_client: 4,
    streams_per_cluster: 3,
    streams_per_client: 2,
};

/// `docker logs -f` kept running until dropped; returns once it printed a line.
async fn follow(env: &CliEnv) -> Child {
    let mut child = env
        .command(CLI_NEW)
        .args(["logs", "-f", "--tail", "1", "streamer"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4];
    let read = tokio::io::AsyncReadExt::read_exact(&mut stdout, &mut first);
    tokio::time::timeout(Duration::from_secs(20), read).await.expect("logs -f printed nothing").unwrap();
    child
}

/// An mTLS connection that stays open and idle (`openssl s_client` with stdin held).
fn idle_connection(env: &CliEnv, port: u16) -> Child {
    Command::new("openssl")
        .args(["s_client", "-quiet", "-connect", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(env.cert_path.join("cert.pem"))
        .arg("-key")
        .arg(env.cert_path.join("key.pem"))
        .arg("-CAfile")
        .arg(env.cert_path.join("ca.pem"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) async fn bounds_hold_per_client_and_cluster(fx: &Fixture<'_>) {
    let limited = Gateway::with_options(fx.directory.clone(), GatewayOptions { limits: LIMITS, ..Default::default() });
    limited.open(super::endpoint_config(&fx.ca, "limited")).await.unwrap();
    let port = limited.local_addr(CLUSTER_ID).unwrap().port();
    let on_limited = |name: &str| {
        let env = fx.env_for(name, &fx.ca, &fx.ca.client(name));
        CliEnv { host: format!("tcp://127.0.0.1:{port}"), ..env }
    };
    let (alice, bob) = (on_limited("alice-limited"), on_limited("bob-limited"));
    fx.cli
        .ok(
            CLI_NEW,
            &[
                "run",
                "-d",
                "--name",
                "streamer",
                "--network",
                "none",
                "busybox",
                "sh",
                "-c",
                "while true; do echo tick; sleep 1; done",
            ],
        )
        .await;

    // Streams: two for alice, then her certificate's budget is spent.
    let alice_streams = vec![follow(&alice).await, follow(&alice).await];
    let o = alice.run(CLI_NEW, &["logs", "-f", "streamer"]).await;
    assert!(stderr_of(&o).contains("too many open streams for this certificate (limit 2)"), "{}", stderr_of(&o));
    // Bob has his own, but the cluster's third stream is the last.
    let bob_stream = follow(&bob).await;
    let o = bob.run(CLI_NEW, &["exec", "streamer", "true"]).await;
    assert!(stderr_of(&o).contains("too many open streams on this cluster (limit 3)"), "{}", stderr_of(&o));
    // Requests that are not streams, and the other endpoint, are not held up.
    assert!(bob.ok(CLI_NEW, &["ps", "-q"]).await.lines().count() >= 1);
    fx.cli.ok(CLI_NEW, &["logs", "--tail", "1", "streamer"]).await;
    // Ended streams give their place back.
    drop(alice_streams);
    drop(bob_stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let o = bob.run(CLI_NEW, &["exec", "streamer", "true"]).await;
        if o.status.success() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "streams were not given back: {}", stderr_of(&o));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Connections: four idle ones spend alice's budget; the next is answered with why.
    let alice_idle: Vec<Child> = (0..4).map(|_| idle_connection(&alice, port)).collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let o = alice.run(CLI_NEW, &["ps"]).await;
    assert!(stderr_of(&o).contains("too many open connections for this certificate (limit 4)"), "{}", stderr_of(&o));
    // Bob's two more fill the cluster's six: a third certificate is not let in at all.
    let bob_idle: Vec<Child> = (0..2).map(|_| idle_connection(&bob, port)).collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let carol = on_limited("carol-limited");
    assert!(!carol.run(CLI_NEW, &["ps"]).await.status.success());
    // The other endpoint of the same segments is unaffected.
    fx.cli.ok(CLI_NEW, &["ps", "-q"]).await;
    drop(alice_idle);
    drop(bob_idle);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !carol.run(CLI_NEW, &["ps", "-q"]).await.status.success() {
        assert!(std::time::Instant::now() < deadline, "connections were not given back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    limited.close(CLUSTER_ID).await;
    fx.cli.ok(CLI_NEW, &["rm", "-f", "streamer"]).await;
}
