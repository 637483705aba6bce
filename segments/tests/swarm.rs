//! Three real segments in parallel forming a 3-manager Swarm, a replicated service spread
//! over them, and repair after one segment's dockerd is killed.
//! Needs root, libvirt LXC and the host set up (the fixture runs scripts/host-setup.sh).

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures::future::try_join_all;
use segments::bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec, TaskState,
};
use segments::bollard::query_parameters::ListTasksOptions;
use segments::{SegmentDriver, SegmentEngine, SegmentState, SwarmNode, BASE_IMAGE_REF, DOCKERD_TLS_PORT, SWARM_PORT};

const READY: Duration = Duration::from_secs(30);

async fn wait_for_nodes(manager: &SegmentEngine, count: usize, timeout: Duration) -> Vec<SwarmNode> {
    let deadline = Instant::now() + timeout;
    loop {
        let nodes = manager.nodes().await.unwrap_or_default();
        if nodes.iter().filter(|n| n.ready && n.role == segments::NodeRole::Manager).count() == count {
            return nodes;
        }
        assert!(Instant::now() < deadline, "swarm never had {count} ready managers: {nodes:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_segment_swarm() {
    let host = common::TestHost::new("swarm");
    let specs: Vec<_> = (1..=3u8).map(|i| host.spec(u32::from(i), 20 + i)).collect();
    // A segment of another cluster on the same bridge.
    let outsider = host.spec(9, 29);
    let addresses: Vec<_> = specs.iter().map(|s| s.address).collect();
    for spec in &specs {
        host.driver.allow_peers(&spec.name, spec.address, &addresses).await.unwrap();
        // Again: a no-op.
        host.driver.allow_peers(&spec.name, spec.address, &addresses).await.unwrap();
    }
    host.driver.allow_peers(&outsider.name, outsider.address, &[]).await.unwrap();
    host.driver.ensure(&outsider).await.unwrap();

    let started = Instant::now();
    let engines = try_join_all(specs.iter().map(|spec| {
        let driver = &host.driver;
        async move {
            driver.ensure(spec).await.unwrap();
            SegmentEngine::wait_ready(&common::docker(driver, spec), READY).await
        }
    }))
    .await
    .unwrap();
    let docker_ready = started.elapsed();

    let tokens = engines[0].swarm_init(specs[0].address).await.unwrap();
    // Idempotent: init again returns the same tokens.
    assert_eq!(engines[0].swarm_init(specs[0].address).await.unwrap(), tokens);
    try_join_all(
        engines[1..].iter().zip(&specs[1..]).map(|(e, s)| e.swarm_join(s.address, specs[0].address, &tokens.manager)),
    )
    .await
    .unwrap();
    let nodes = wait_for_nodes(&engines[0], 3, READY).await;
    eprintln!(
        "timing: 3 segments docker ready {:.2}s, 3 ready managers {:.2}s",
        docker_ready.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let hostnames: HashSet<_> = nodes.iter().map(|n| n.hostname.clone()).collect();
    assert_eq!(hostnames, specs.iter().map(|s| s.name.clone()).collect());
    assert_eq!(nodes.iter().filter(|n| n.leader).count(), 1);
    let local = engines[1].local_swarm().await.unwrap();
    assert!(local.is_active() && local.is_manager);
    assert_eq!(local.swarm_id, engines[0].local_swarm().await.unwrap().swarm_id);
    // Joining again is a no-op.
    engines[1].swarm_join(specs[1].address, specs[0].address, &tokens.manager).await.unwrap();

    // Segments reach their peers only; another cluster's segment is out of reach both
    // ways, also when it borrows a peer's address. The host reaches every segment.
    SegmentEngine::wait_ready(&host.docker(&outsider), READY).await.unwrap();
    let (n1, n2) = (&specs[0], &specs[1]);
    assert!(common::connects_from(&n1.name, n2.address, DOCKERD_TLS_PORT), "n1 cannot reach its peer n2");
    assert!(!common::connects_from(&n1.name, outsider.address, DOCKERD_TLS_PORT), "n1 reaches another cluster");
    assert!(!common::connects_from(&outsider.name, n1.address, DOCKERD_TLS_PORT), "another cluster reaches n1");
    assert!(!common::connects_from(&outsider.name, n2.address, SWARM_PORT), "another cluster reaches the swarm");
    common::in_netns(&outsider.name, &format!("ip addr add {}/32 dev eth0", n1.address));
    common::in_netns(&outsider.name, &format!("ip route add {}/32 dev eth0 src {}", n2.address, n1.address));
    assert!(!common::connects_from(&outsider.name, n2.address, DOCKERD_TLS_PORT), "a borrowed address gets through");
    assert!(common::connects_from_host(outsider.address, DOCKERD_TLS_PORT), "the host cannot reach a segment");
    host.driver.remove(&outsider.name).await.unwrap();
    let rules = std::process::Command::new("iptables")
        .args(["-w", "-S", &segments::chain_name(&host.config.bridge)])
        .output()
        .unwrap();
    let rules = String::from_utf8_lossy(&rules.stdout).into_owned();
    assert!(!rules.contains(&segments::veth_name(&outsider.name)), "rules outlive the segment:\n{rules}");
    assert!(rules.contains(&segments::veth_name(&n1.name)), "{rules}");

    // A replicated service spreads over the three segments.
    try_join_all(engines.iter().map(|e| e.ensure_base_image(&host.config.base_image_tar))).await.unwrap();
    let spec = ServiceSpec {
        name: Some("spread".into()),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(BASE_IMAGE_REF.into()),
                command: Some(vec!["sleep".into(), "3600".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas: Some(3) }),
            ..Default::default()
        }),
        ..Default::default()
    };
    engines[0].docker().create_service(spec, None).await.unwrap();
    let deadline = Instant::now() + READY;
    let running_nodes = loop {
        let filters = HashMap::from([("service".to_owned(), vec!["spread".to_owned()])]);
        let tasks = engines[0].docker().list_tasks(Some(ListTasksOptions { filters: Some(filters) })).await.unwrap();
        let running: Vec<_> = tasks
            .iter()
            .filter(|t| t.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING))
            .filter_map(|t| t.node_id.clone())
            .collect();
        if running.len() == 3 {
            break running;
        }
        assert!(Instant::now() < deadline, "service tasks not running: {tasks:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(running_nodes.iter().collect::<HashSet<_>>().len(), 3, "tasks not spread");

    // Killing a segment's dockerd stops the segment; ensure brings it back into the swarm.
    let victim = &specs[2];
    let pids = common::segment_pids(&victim.name, "dockerd");
    assert_eq!(pids.len(), 1, "dockerd of {} not found", victim.name);
    std::process::Command::new("kill").arg("-9").arg(pids[0].to_string()).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while host.driver.state(&victim.name).await.unwrap() != SegmentState::Stopped {
        assert!(Instant::now() < deadline, "segment still running after its dockerd died");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let repaired = Instant::now();
    host.driver.ensure(victim).await.unwrap();
    assert_eq!(host.driver.state(&victim.name).await.unwrap(), SegmentState::Running);
    let engine = SegmentEngine::wait_ready(&host.docker(victim), READY).await.unwrap();
    assert!(engine.local_swarm().await.unwrap().is_active() || wait_active(&engine).await);
    wait_for_nodes(&engines[0], 3, READY).await;
    eprintln!("timing: repair after kill -> 3 ready managers {:.2}s", repaired.elapsed().as_secs_f64());

    // Node management: demote, leave, rejoin as a worker, promote, demote, leave, remove.
    // (Promoting a node right after its demotion hangs in dockerd 20.10; a fresh worker
    // promotes fine.)
    let victim_id = engine.local_swarm().await.unwrap().node_id.unwrap();
    engines[0].demote(&victim_id).await.unwrap();
    wait_for_role(&engines[0], &victim_id, segments::NodeRole::Worker).await;
    engine.swarm_leave(true).await.unwrap();
    engine.swarm_leave(true).await.unwrap();
    remove_node_eventually(&engines[0], &victim_id).await;
    engine.swarm_join(victim.address, specs[0].address, &tokens.worker).await.unwrap();
    let worker_id = engine.local_swarm().await.unwrap().node_id.unwrap();
    wait_for_role(&engines[0], &worker_id, segments::NodeRole::Worker).await;
    engines[0].promote(&worker_id).await.unwrap();
    wait_for_role(&engines[0], &worker_id, segments::NodeRole::Manager).await;
    engines[0].demote(&worker_id).await.unwrap();
    wait_for_role(&engines[0], &worker_id, segments::NodeRole::Worker).await;
    // The managers record the demotion before the node itself hears of it, and a node
    // that still takes part in Raft refuses a plain leave (503), a moment longer than its
    // own info says it manages.
    let deadline = Instant::now() + READY;
    while let Err(err) = engine.swarm_leave(false).await {
        assert!(Instant::now() < deadline, "the demoted node cannot leave: {err}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    remove_node_eventually(&engines[0], &worker_id).await;
    assert_eq!(engines[0].nodes().await.unwrap().len(), 2);
}

/// A node that just left is removable once the managers saw it go down.
async fn remove_node_eventually(manager: &SegmentEngine, id: &str) {
    let deadline = Instant::now() + READY;
    loop {
        match manager.remove_node(id, true).await {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                eprintln!("node rm not yet: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("node rm: {e}"),
        }
    }
}

async fn wait_active(engine: &SegmentEngine) -> bool {
    for _ in 0..100 {
        if engine.local_swarm().await.map(|l| l.is_active()).unwrap_or(false) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Waits until the manager reports node `id` in `role`, and as reachable if a manager.
async fn wait_for_role(manager: &SegmentEngine, id: &str, role: segments::NodeRole) {
    let deadline = Instant::now() + READY;
    loop {
        let nodes = manager.nodes().await.unwrap();
        let node = nodes.iter().find(|n| n.id == id).unwrap();
        let reachable = node.reachability == Some(segments::bollard::models::Reachability::REACHABLE);
        if node.role == role && (role == segments::NodeRole::Worker || reachable) {
            return;
        }
        assert!(Instant::now() < deadline, "node never became {role:?}: {node:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
