//! What a segment cannot reach: three real segments, a1 and a2 of one cluster and b1 of
//! another, on the test bridge. Checked from each segment's network namespace (as its
//! root would) and from a `--net host` container started through its Docker.
//! Needs root, libvirt LXC and the host set up (the fixture runs scripts/host-setup.sh).

mod common;

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use common::frames;
use futures::future::try_join_all;
use segments::bollard::models::{ContainerCreateBody, HostConfig as DockerHostConfig};
use segments::{mac_address, SegmentDriver, SegmentEngine, BASE_IMAGE_REF, DOCKERD_TLS_PORT};

const READY: Duration = Duration::from_secs(30);

/// Runs `script` in a busybox container on the segment's host network; its output.
async fn in_host_net_container(engine: &SegmentEngine, script: &str) -> String {
    let body = ContainerCreateBody {
        image: Some(BASE_IMAGE_REF.into()),
        cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
        host_config: Some(DockerHostConfig { network_mode: Some("host".into()), ..Default::default() }),
        ..Default::default()
    };
    engine.run_once(body).await.unwrap().output
}

/// A shell probe for the container: prints `open` or `closed` per address and port, all
/// probes at once. (busybox `wget -T` can crash when its timeout fires; `timeout` around
/// nc cannot.)
fn probes(targets: &[(String, u16)]) -> String {
    let mut script: String = targets
        .iter()
        .map(|(ip, port)| {
            format!("(if timeout 3 nc -w 2 {ip} {port} -e true; then echo {ip}:{port} open; else echo {ip}:{port} closed; fi) & ")
        })
        .collect();
    script.push_str("wait");
    script
}

/// Which of `targets` segment `name` can open a TCP connection to, probed at once from
/// its network namespace (as its root would).
fn open_from(name: &str, targets: &[(Ipv4Addr, u16)]) -> Vec<(Ipv4Addr, u16)> {
    let script: String = targets
        .iter()
        .map(|(ip, port)| format!("(timeout 2 bash -c 'exec 3<>/dev/tcp/{ip}/{port}' && echo {ip}:{port}) & "))
        .chain(["wait".to_owned()])
        .collect();
    let out = String::from_utf8_lossy(&common::in_netns(name, &script).stdout).into_owned();
    targets.iter().copied().filter(|(ip, port)| out.lines().any(|l| l == format!("{ip}:{port}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_reach_their_cluster_only() {
    let host = common::TestHost::new("iso");
    let (a1, a2, b1) = (host.spec(1, 41), host.spec(2, 42), host.spec(9, 49));
    let cluster_a = [a1.address, a2.address];
    host.driver.allow_peers(&a1.name, a1.address, &cluster_a).await.unwrap();
    host.driver.allow_peers(&a2.name, a2.address, &cluster_a).await.unwrap();
    host.driver.allow_peers(&b1.name, b1.address, &[b1.address]).await.unwrap();
    let started = Instant::now();
    let engines = try_join_all([&a1, &a2, &b1].map(|spec| {
        let (driver, image) = (&host.driver, &host.config.base_image_tar);
        async move {
            driver.ensure(spec).await.unwrap();
            let engine = SegmentEngine::wait_ready(&common::docker(driver, spec), READY).await?;
            engine.ensure_base_image(image).await?;
            Ok::<_, segments::EngineError>(engine)
        }
    }))
    .await
    .unwrap();
    eprintln!("timing: 3 segments ready with base image {:.2}s", started.elapsed().as_secs_f64());
    let (ea1, ea2) = (&engines[0], &engines[1]);

    // Swarm between the segments of one cluster still forms.
    let tokens = ea1.swarm_init(a1.address).await.unwrap();
    ea2.swarm_join(a2.address, a1.address, &tokens.manager).await.unwrap();
    let deadline = Instant::now() + READY;
    while ea1.nodes().await.unwrap_or_default().iter().filter(|n| n.ready).count() < 2 {
        assert!(Instant::now() < deadline, "cluster A's swarm never had 2 ready nodes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A restarted server (a fresh driver) checks the running segments' filters against
    // their live MAC and finds them in place.
    let restarted = segments::LibvirtSegments::new(host.config.clone()).unwrap();
    let before = common::l2_accepted(&a1.name);
    restarted.allow_peers(&a1.name, a1.address, &cluster_a).await.unwrap();
    let after = common::l2_accepted(&a1.name);
    assert!(before > 0 && after >= before, "a running segment's filter was rewritten ({before} -> {after} frames)");

    // IPv4: a1 reaches its peer, not the other cluster, from its namespace and from a
    // host-network container.
    let open = open_from(&a1.name, &[(a2.address, DOCKERD_TLS_PORT), (b1.address, DOCKERD_TLS_PORT)]);
    assert_eq!(open, [(a2.address, DOCKERD_TLS_PORT)], "a1 should reach a2 only");
    assert!(open_from(&b1.name, &[(a1.address, DOCKERD_TLS_PORT)]).is_empty(), "b1 reaches cluster A");
    // Not even ARP crosses clusters: neither learnt the other's MAC, while a1 knows a2's.
    assert_eq!(common::neighbour_mac(&a1.name, b1.address), None, "a1 resolved b1");
    assert_eq!(common::neighbour_mac(&b1.name, a1.address), None, "b1 resolved a1");
    assert_eq!(common::neighbour_mac(&a1.name, a2.address), Some(mac_address(a2.address)));
    let out = in_host_net_container(
        ea1,
        &probes(&[(a2.address.to_string(), DOCKERD_TLS_PORT), (b1.address.to_string(), DOCKERD_TLS_PORT)]),
    )
    .await;
    assert!(out.contains(&format!("{}:{DOCKERD_TLS_PORT} open", a2.address)), "container cannot reach a2: {out}");
    assert!(out.contains(&format!("{}:{DOCKERD_TLS_PORT} closed", b1.address)), "container reaches b1: {out}");

    // The host's listening sockets, on the bridge address and on [::], are out of reach;
    // the host itself reaches them (and every segment).
    let gateway = host.config.gateway;
    let on_bridge = TcpListener::bind((gateway, 0)).unwrap();
    let on_any = TcpListener::bind(("::", 0)).unwrap();
    let (p_bridge, p_any) = (on_bridge.local_addr().unwrap().port(), on_any.local_addr().unwrap().port());
    assert!(common::connects_from_host(gateway, p_bridge) && common::connects_from_host(gateway, p_any));
    assert!(common::connects_from_host(a1.address, DOCKERD_TLS_PORT), "the host cannot reach a segment");
    let mut host_addresses = vec![gateway];
    host_addresses.extend(host_ipv4_addresses());
    let mut targets: Vec<_> = host_addresses.iter().map(|a| (*a, p_any)).collect();
    targets.push((gateway, p_bridge));
    let open = open_from(&a1.name, &targets);
    assert!(open.is_empty(), "a1 reaches the host at {open:?}");
    let targets: Vec<_> = targets.iter().map(|(a, p)| (a.to_string(), *p)).collect();
    let out = in_host_net_container(ea1, &probes(&targets)).await;
    assert!(!out.contains("open") && out.matches("closed").count() == targets.len(), "host reachable: {out}");

    // IPv6 is off inside segments.
    let sysctl = common::in_netns(
        &a1.name,
        "cat /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/eth0/disable_ipv6",
    );
    assert_eq!(String::from_utf8_lossy(&sysctl.stdout), "1\n1\n", "IPv6 is on in a segment");
    // A tenant who turns it back on gets nowhere: not to the other cluster (link-local,
    // all-nodes multicast), not to its own peer, not to the host (no IPv6 on the bridge).
    for spec in [&a1, &a2, &b1] {
        let on = common::in_netns(
            &spec.name,
            "echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad; echo 0 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6; \
             echo 2 >/proc/sys/net/ipv6/conf/eth0/accept_ra",
        );
        assert!(on.status.success(), "{}", String::from_utf8_lossy(&on.stderr));
    }
    let b1_ll = frames::link_local(frames::mac(&mac_address(b1.address)));
    let a2_ll = frames::link_local(frames::mac(&mac_address(a2.address)));
    let has_ll = common::in_netns(&b1.name, &format!("ip -6 addr show dev eth0 | grep -q {b1_ll}"));
    assert!(has_ll.status.success(), "b1 has no link-local address {b1_ll}: IPv6 not re-enabled");
    let drops = common::l2_drops(&a1.name);
    for target in [b1_ll, a2_ll] {
        let ping = common::in_netns(&a1.name, &format!("busybox ping6 -c 1 -W 2 -I eth0 {target}"));
        let text = String::from_utf8_lossy(&ping.stdout);
        assert!(text.contains(" 0 packets received"), "a1 got an IPv6 answer from {target}: {text}");
    }
    let out = in_host_net_container(ea1, &format!("ping6 -c 2 -W 2 -I eth0 {b1_ll}")).await;
    assert!(out.contains(" 0 packets received"), "a container got an IPv6 answer: {out}");
    // The echo requests left a1 and were dropped at its port (so the test did send them).
    let dropped = common::l2_drops(&a1.name) - drops;
    assert!(dropped >= 4, "only {dropped} IPv6 frames of a1 dropped at the bridge");

    // A forged ARP reply from b1 ("a2's address is at my MAC") changes nothing in a1.
    let a2_mac = mac_address(a2.address);
    assert_eq!(common::neighbour_mac(&a1.name, a2.address).as_deref(), Some(a2_mac.as_str()));
    let b1_mac = frames::mac(&mac_address(b1.address));
    let a1_mac = frames::mac(&mac_address(a1.address));
    let forged = frames::arp_reply(b1_mac, a2.address, a1_mac, a1.address);
    // The kernel ignores ARP updates within a second of the last (locktime).
    std::thread::sleep(Duration::from_millis(1100));
    let drops = common::l2_drops(&b1.name);
    frames::send(common::dockerd_pid(&b1.name), "eth0", &forged, 5);
    assert_eq!(common::neighbour_mac(&a1.name, a2.address).as_deref(), Some(a2_mac.as_str()), "ARP forged");
    assert!(common::l2_drops(&b1.name) - drops >= 5, "the forged ARP replies were not dropped at b1's port");

    // A router advertisement from b1 configures nobody.
    let prefix: std::net::Ipv6Addr = "2001:db8:ca:1::".parse().unwrap();
    let ra = frames::router_advertisement(b1_mac, prefix);
    let drops = common::l2_drops(&b1.name);
    frames::send(common::dockerd_pid(&b1.name), "eth0", &ra, 3);
    std::thread::sleep(Duration::from_millis(500));
    for spec in [&a1, &a2] {
        let routes = common::in_netns(&spec.name, "ip -6 route; ip -6 addr");
        let text = String::from_utf8_lossy(&routes.stdout);
        assert!(!text.contains("2001:db8:ca:1") && !text.contains("default"), "RA reached {}: {text}", spec.name);
    }
    assert!(common::l2_drops(&b1.name) - drops >= 3, "the router advertisements were not dropped at b1's port");

    // A frame from b1 with a2's MAC does not take a2's place in the bridge's forwarding
    // table (which would divert a2's traffic to b1).
    let bridge = &host.config.bridge;
    let a2_port = Some(segments::veth_name(&a2.name));
    assert_eq!(common::fdb_port(bridge, &a2_mac), a2_port, "the bridge has not learnt a2's MAC");
    let poison = frames::arp_reply(frames::mac(&a2_mac), a2.address, a1_mac, a1.address);
    frames::send(common::dockerd_pid(&b1.name), "eth0", &poison, 3);
    assert_eq!(common::fdb_port(bridge, &a2_mac), a2_port, "b1 took over a2's MAC on the bridge");

    // Control: with b1's filters opened, the same frames do take effect, so the checks
    // above can fail. (Only b1's own chain and an ACCEPT for its port are touched; the
    // segment is removed right after.)
    let chain = segments::link_chain(&b1.name);
    let veth = segments::veth_name(&b1.name);
    for args in [&["-F", &chain][..], &["-A", &chain, "-j", "ACCEPT"]] {
        let out = common::ebtables(args);
        assert!(out.status.success(), "ebtables {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let accept6 = ["FORWARD", "-m", "physdev", "--physdev-in", &veth, "-j", "ACCEPT"];
    run("ip6tables", &[&["-w", "-I"][..], &accept6[..]].concat());
    std::thread::sleep(Duration::from_millis(1100));
    let b1_pid = common::dockerd_pid(&b1.name);
    frames::send(b1_pid, "eth0", &forged, 3);
    frames::send(b1_pid, "eth0", &ra, 3);
    // a2's own frames teach the bridge back its port: look right after each poisoned one.
    let mut poisoned_port = None;
    for _ in 0..10 {
        frames::send(b1_pid, "eth0", &poison, 1);
        poisoned_port = common::fdb_port(bridge, &a2_mac);
        if poisoned_port.as_deref() == Some(veth.as_str()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let forged_mac = common::neighbour_mac(&a1.name, a2.address);
    let routes = String::from_utf8_lossy(&common::in_netns(&a1.name, "ip -6 route").stdout).into_owned();
    run("ip6tables", &[&["-w", "-D"][..], &accept6[..]].concat());
    host.driver.remove(&b1.name).await.unwrap();
    assert_eq!(forged_mac, Some(mac_address(b1.address)), "control: the unfiltered forged ARP had no effect");
    assert!(routes.contains("default via"), "control: the unfiltered RA had no effect: {routes}");
    assert_eq!(poisoned_port, Some(veth), "control: the unfiltered MAC takeover had no effect");

    // b1 left no L2 filter behind; a1's is in place.
    let chains = String::from_utf8_lossy(&common::ebtables(&["-L"]).stdout).into_owned();
    assert!(!chains.contains(&segments::veth_name(&b1.name)), "b1's filter outlives it:\n{chains}");
    assert!(chains.contains(&segments::veth_name(&a1.name)), "{chains}");
}

fn run(program: &str, args: &[&str]) {
    let out = std::process::Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The host's global IPv4 addresses on interfaces other than the bridges: still the host,
/// reached through the bridge.
fn host_ipv4_addresses() -> Vec<Ipv4Addr> {
    let out = std::process::Command::new("ip").args(["-o", "-4", "addr", "show", "scope", "global"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().skip_while(|w| *w != "inet").nth(1))
        .filter_map(|cidr| cidr.split('/').next()?.parse().ok())
        .collect()
}
