//! One real segment through its whole life: create, Docker inside, isolation from the
//! host, infrastructure containers, removal without leftovers.
//! Needs root, libvirt LXC and the host set up (the fixture runs scripts/host-setup.sh).

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use segments::bollard::models::{ContainerCreateBody, HostConfig as DockerHostConfig};
use segments::{SegmentDriver, SegmentEngine, SegmentError, SegmentState, BASE_IMAGE_REF, SWARM_DATA, SWARM_MANAGER};

fn busybox(cmd: &[&str]) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(BASE_IMAGE_REF.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_segment_lifecycle() {
    let mut host = common::TestHost::new("one");
    let (spec, pki) = host.spec_and_pki(1, 10);
    let layout = host.driver.layout(&spec.name);
    assert_eq!(host.driver.state(&spec.name).await.unwrap(), SegmentState::Absent);

    let started = Instant::now();
    host.driver.ensure(&spec).await.unwrap();
    let engine = SegmentEngine::wait_ready(&host.docker(&spec), Duration::from_secs(30)).await.unwrap();
    eprintln!("timing: ensure -> docker ready {:.2}s", started.elapsed().as_secs_f64());
    assert_eq!(host.driver.state(&spec.name).await.unwrap(), SegmentState::Running);
    // A second ensure of a running segment changes nothing.
    host.driver.ensure(&spec).await.unwrap();
    assert_eq!(host.driver.list().await.unwrap(), vec![spec.name.clone()]);

    let info = engine.info().await.unwrap();
    assert_eq!(info.name.as_deref(), Some(spec.name.as_str()), "host name is the segment name");
    assert_eq!(info.mem_total, Some(1024 * 1024 * 1024), "memory limit applies");

    // The base image, idempotently.
    engine.ensure_base_image(&host.config.base_image_tar).await.unwrap();
    engine.ensure_base_image(&host.config.base_image_tar).await.unwrap();
    let run = engine.run_once(busybox(&["echo", "hi"])).await.unwrap();
    assert_eq!((run.exit_code, run.output.as_str()), (0, "hi\n"));

    // Containers live inside the segment's cgroups (its limits apply to them).
    let sleeper = engine
        .docker()
        .create_container(
            None::<segments::bollard::query_parameters::CreateContainerOptions>,
            busybox(&["sleep", "60"]),
        )
        .await
        .unwrap();
    engine
        .docker()
        .start_container(&sleeper.id, None::<segments::bollard::query_parameters::StartContainerOptions>)
        .await
        .unwrap();
    assert_eq!(common::segment_pids(&spec.name, "sleep").len(), 1, "container outside the segment's cgroup");

    // Frozen (as warm segments wait): every process keeps its state and gets no CPU, and
    // dockerd answers nothing; thawed, all goes on where it stopped. Both idempotent.
    let socket = host.docker(&spec);
    host.driver.freeze(&spec.name).await.unwrap();
    host.driver.freeze(&spec.name).await.unwrap();
    assert_eq!(host.driver.state(&spec.name).await.unwrap(), SegmentState::Frozen);
    let dockerd = common::segment_pids(&spec.name, "dockerd");
    let cpu_ticks = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", dockerd[0])).unwrap();
        let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    };
    let frozen_at = cpu_ticks();
    assert!(SegmentEngine::wait_ready(&socket, Duration::from_secs(1)).await.is_err(), "a frozen dockerd answered");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(cpu_ticks(), frozen_at, "a frozen dockerd used CPU");
    let thawing = Instant::now();
    host.driver.thaw(&spec.name).await.unwrap();
    eprintln!("timing: thaw {:.1} ms", thawing.elapsed().as_secs_f64() * 1000.0);
    host.driver.thaw(&spec.name).await.unwrap();
    assert_eq!(host.driver.state(&spec.name).await.unwrap(), SegmentState::Running);
    let engine = SegmentEngine::wait_ready(&socket, Duration::from_secs(5)).await.unwrap();
    let sleeping = engine
        .docker()
        .inspect_container(&sleeper.id, None::<segments::bollard::query_parameters::InspectContainerOptions>)
        .await
        .unwrap();
    assert_eq!(sleeping.state.and_then(|s| s.running), Some(true), "the container did not outlive the freeze");

    let remove = segments::bollard::query_parameters::RemoveContainerOptions { force: true, ..Default::default() };
    engine.docker().remove_container(&sleeper.id, Some(remove)).await.unwrap();

    // Root in the segment is not root on the host: the segment's init runs in a user
    // namespace that maps its root to an unprivileged host id, and its bounding set lacks
    // what nested Docker does not use. What a container's root writes through a bind of
    // the segment's /run belongs to that host id.
    let init = common::segment_pids(&spec.name, "tini");
    assert_eq!(init.len(), 1, "the segment's init");
    let uid_map = std::fs::read_to_string(format!("/proc/{}/uid_map", init[0])).unwrap();
    assert_eq!(uid_map.split_whitespace().collect::<Vec<_>>(), ["0", "100000", "65536"], "{uid_map}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", init[0])).unwrap();
    let bounding = status.lines().find_map(|l| l.strip_prefix("CapBnd:")).unwrap().trim();
    let bounding = u64::from_str_radix(bounding, 16).unwrap();
    for (name, bit) in [("SYS_MODULE", 16), ("SYS_RAWIO", 17), ("SYS_PTRACE", 19), ("SYS_BOOT", 22), ("SYS_TIME", 25)] {
        assert_eq!(bounding & (1 << bit), 0, "CAP_{name} in the segment's bounding set {bounding:x}");
    }
    assert_ne!(bounding & (1 << 21), 0, "CAP_SYS_ADMIN (in its namespace) is what dockerd needs");
    let mut probe = busybox(&["touch", "/segment-run/probe"]);
    probe.host_config = Some(DockerHostConfig { binds: Some(vec!["/run:/segment-run".into()]), ..Default::default() });
    let probe = engine.run_once(probe).await.unwrap();
    assert_eq!(probe.exit_code, 0, "{}", probe.output);
    let owner = std::fs::metadata(layout.run().join("probe")).unwrap();
    assert_eq!((owner.uid(), owner.gid()), (100_000, 100_000), "a container's root is the host's unprivileged id");

    // The host's files are invisible inside, also through a bind of the segment's "/".
    let marker_name = format!("carina-marker-{}", host.prefix);
    let marker = Path::new("/").join(&marker_name);
    std::fs::write(&marker, "host secret").unwrap();
    host.remove_on_drop(marker.clone());
    let mut with_root = busybox(&["ls", "-a", "/host", "/host/root"]);
    with_root.host_config = Some(DockerHostConfig { binds: Some(vec!["/:/host".into()]), ..Default::default() });
    let listing = engine.run_once(with_root).await.unwrap();
    assert_eq!(listing.exit_code, 0, "{}", listing.output);
    assert!(listing.output.contains("etc"), "the bind works: {}", listing.output);
    assert!(!listing.output.contains(&marker_name), "host file visible: {}", listing.output);
    assert!(!listing.output.contains(".cargo"), "host's /root visible: {}", listing.output);

    // Infrastructure containers, idempotently; certificates through --volumes-from.
    let cluster_id = "0f1e2d3c-test";
    engine.ensure_infra_containers(cluster_id, true).await.unwrap();
    engine.ensure_infra_containers(cluster_id, true).await.unwrap();
    let mut ls = busybox(&["ls", "/etc/docker"]);
    ls.host_config = Some(DockerHostConfig { volumes_from: Some(vec![SWARM_DATA.into()]), ..Default::default() });
    let ls = engine.run_once(ls).await.unwrap();
    assert_eq!(ls.output, "ca.pem\nserver-cert.pem\nserver-key.pem\n");
    let manager = engine
        .docker()
        .inspect_container(SWARM_MANAGER, None::<segments::bollard::query_parameters::InspectContainerOptions>)
        .await
        .unwrap();
    let cmd = manager.config.unwrap().cmd.unwrap();
    assert_eq!(cmd[6], format!("token://{cluster_id}"));
    assert_eq!(manager.state.unwrap().status, Some(segments::bollard::models::ContainerStateStatusEnum::CREATED));

    check_tls_listener(&spec, &pki).await;

    // Another instance neither sees nor may take this segment.
    let other = common::TestHost::new("other");
    assert!(other.driver.list().await.unwrap().is_empty());
    assert_eq!(other.driver.state(&spec.name).await.unwrap(), SegmentState::Absent);
    assert!(matches!(other.driver.ensure(&spec).await, Err(SegmentError::NameTaken { .. })));
    other.driver.remove(&spec.name).await.unwrap();
    other.driver.stop(&spec.name).await.unwrap();
    other.driver.freeze(&spec.name).await.unwrap();
    assert_eq!(host.driver.state(&spec.name).await.unwrap(), SegmentState::Running);
    drop(other);

    // Stop ends every process, frozen or not, and keeps the files: started again, Docker
    // has its images.
    host.driver.freeze(&spec.name).await.unwrap();
    host.driver.stop(&spec.name).await.unwrap();
    host.driver.stop(&spec.name).await.unwrap();
    assert_eq!(host.driver.state(&spec.name).await.unwrap(), SegmentState::Stopped);
    assert!(common::segment_pids(&spec.name, "dockerd").is_empty(), "dockerd outlived the stop");
    host.driver.ensure(&spec).await.unwrap();
    let engine = SegmentEngine::wait_ready(&host.docker(&spec), Duration::from_secs(30)).await.unwrap();
    let run = engine.run_once(busybox(&["echo", "again"])).await.unwrap();
    assert_eq!((run.exit_code, run.output.as_str()), (0, "again\n"));

    // Removal leaves nothing: no domain, directory, mount (here or in libvirtd) or log.
    host.driver.remove(&spec.name).await.unwrap();
    assert_eq!(host.driver.state(&spec.name).await.unwrap(), SegmentState::Absent);
    assert!(host.driver.list().await.unwrap().is_empty());
    assert!(!layout.dir.exists());
    assert!(common::mounts_under("self", &layout.dir).is_empty());
    assert!(common::mounts_under(&common::libvirtd_pid(), &layout.dir).is_empty());
    assert!(!Path::new(&format!("/var/log/libvirt/lxc/{}.log", spec.name)).exists());
    for hierarchy in ["pids", "systemd", "memory"] {
        let cgroup = format!("/sys/fs/cgroup/{hierarchy}/carina/{}", spec.name);
        assert!(!Path::new(&cgroup).exists(), "{cgroup} left behind");
    }
    host.driver.remove(&spec.name).await.unwrap();
}

/// dockerd's TCP listener serves the control plane, and only it: over TLS with the control
/// plane's identity the segment's dockerd works as through its socket; a tenant's client
/// certificate (of the cluster CA), the segment's own server key (which tenants can read
/// through `swarm-data`), a server certificate of the control-plane CA, and no certificate
/// at all are refused (checked with curl).
async fn check_tls_listener(spec: &segments::SegmentSpec, pki: &common::TestPki) {
    let over_tls = segments::DockerAddress::Tls {
        addr: std::net::SocketAddrV4::new(spec.address, segments::DOCKERD_TLS_PORT),
        identity: common::control_plane().identity.clone(),
    };
    let engine = SegmentEngine::wait_ready(&over_tls, Duration::from_secs(10)).await.unwrap();
    assert_eq!(engine.info().await.unwrap().name.as_deref(), Some(spec.name.as_str()));
    let run = engine.run_once(busybox(&["echo", "over tls"])).await.unwrap();
    assert_eq!((run.exit_code, run.output.as_str()), (0, "over tls\n"));

    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ca = file("ca.pem", common::control_plane().ca.cert_pem());
    let url = format!("https://{}:{}/_ping", spec.address, segments::DOCKERD_TLS_PORT);
    let curl = |cert_key: Option<(&str, &str)>| {
        let mut cmd = tokio::process::Command::new("curl");
        cmd.args(["-sS", "--max-time", "5", "--cacert"]).arg(&ca);
        if let Some((cert, key)) = cert_key {
            cmd.arg("--cert").arg(file("cert.pem", cert)).arg("--key").arg(file("key.pem", key));
        }
        cmd.arg(&url);
        cmd
    };
    let control_server = common::control_plane().ca.server_for("another segment", &[spec.address.into()], &[]);
    for (who, cert_key) in [
        ("no certificate", None),
        ("a tenant's bundle", Some((pki.client_cert_pem.as_str(), pki.client_key_pem.as_str()))),
        ("the segment's own server key", Some((spec.tls.cert_pem.as_str(), spec.tls.key_pem.as_str()))),
        ("a server certificate of the control-plane CA", Some((&control_server.cert_pem, &control_server.key_pem))),
    ] {
        let out = curl(cert_key).output().await.unwrap();
        assert!(!out.status.success(), "dockerd accepted {who}: {}", String::from_utf8_lossy(&out.stdout));
    }
    // The same curl with the control plane's own client certificate gets in.
    let client = common::control_plane().ca.client("carina control plane");
    let out = curl(Some((&client.cert_pem, &client.key_pem))).output().await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK", "{}", String::from_utf8_lossy(&out.stderr));
}
