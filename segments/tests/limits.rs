//! A segment cannot starve the host or its neighbours: a small segment (256 MiB, 1 vCPU,
//! 512 MiB of disk, 512 tasks) next to an ordinary one, each limit pushed past from a
//! container inside it.
//! Needs root, libvirt LXC and the host set up (the fixture runs scripts/host-setup.sh).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use futures::future::try_join_all;
use segments::bollard::models::ContainerCreateBody;
use segments::{SegmentDriver, SegmentEngine, SegmentState, BASE_IMAGE_REF};

const READY: Duration = Duration::from_secs(30);

fn sh(script: &str) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(BASE_IMAGE_REF.into()),
        cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
        ..Default::default()
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).trim().to_owned()
}

/// Bytes available to unprivileged writers on the file system holding `path`.
fn available(path: &Path) -> u64 {
    let out = std::process::Command::new("df").args(["-B1", "--output=avail"]).arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap()
}

/// Loop devices whose backing file lies below `dir`.
fn loop_devices_under(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/sys/block") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("loop/backing_file")).ok())
        .filter(|f| Path::new(f.trim().trim_end_matches(" (deleted)")).starts_with(dir))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_contain_a_segment() {
    let host = common::TestHost::new("lim");
    let mut small = host.spec(1, 51);
    small.memory_mib = 256;
    small.vcpus = 1;
    small.disk_mib = 512;
    small.pids_max = 512;
    let neighbour = host.spec(2, 52);
    let started = Instant::now();
    let engines = try_join_all([&small, &neighbour].map(|spec| {
        let (driver, image) = (&host.driver, &host.config.base_image_tar);
        async move {
            driver.ensure(spec).await.unwrap_or_else(|e| panic!("ensure {}: {e}", spec.name));
            let engine = SegmentEngine::wait_ready(&common::docker(driver, spec), READY).await?;
            engine.ensure_base_image(image).await?;
            Ok::<_, segments::EngineError>(engine)
        }
    }))
    .await
    .unwrap();
    eprintln!("timing: 2 segments ready with base image {:.2}s", started.elapsed().as_secs_f64());
    let (engine, other) = (&engines[0], &engines[1]);
    let dockerd = common::dockerd_pid(&small.name);

    // The limits are where the kernel enforces them.
    let memory = common::cgroup_root("memory").join(common::cgroup_of(dockerd, "memory").trim_start_matches('/'));
    assert!(
        memory.to_string_lossy().contains(".libvirt-lxc"),
        "dockerd outside the domain's memory cgroup: {memory:?}"
    );
    assert_eq!(read(&memory.join("memory.limit_in_bytes")), (256u64 << 20).to_string());
    let cpu = common::cgroup_root("cpu").join(common::cgroup_of(dockerd, "cpu").trim_start_matches('/'));
    assert_eq!(read(&cpu.join("cpu.cfs_quota_us")), "100000");
    assert_eq!(read(&cpu.join("cpu.cfs_period_us")), "100000");
    let pids = segments::pids_cgroup_dir(&small.name).await.unwrap();
    assert_eq!(
        common::cgroup_of(dockerd, "pids"),
        format!("/carina/{}", small.name),
        "dockerd outside its pids cgroup"
    );
    assert_eq!(read(&pids.join("pids.max")), "512");
    let containers = pids.join("docker");
    assert_eq!(read(&containers.join("pids.max")), segments::containers_pids_share(512).to_string());

    // A fork bomb is held at the limit; dockerd, the host and the neighbour carry on.
    // Four forkers; each ends at its first refused fork, while the processes it made
    // stay until the container ends (6 s): the limit is held, and seen, for a while.
    let bomb = "sleep 6 & for j in 1 2 3 4; do (for i in $(seq 1 1000); do sleep 60 & done) 2>/dev/null & done; wait";
    let share: u64 = segments::containers_pids_share(512);
    let watch = {
        let (pids, containers) = (pids.clone(), containers.clone());
        tokio::task::spawn_blocking(move || {
            let (mut peak, mut containers_peak, mut slowest) = (0u64, 0u64, Duration::ZERO);
            let end = Instant::now() + Duration::from_secs(8);
            while Instant::now() < end {
                peak = peak.max(read(&pids.join("pids.current")).parse().unwrap());
                containers_peak = containers_peak.max(read(&containers.join("pids.current")).parse().unwrap());
                let t = Instant::now();
                std::process::Command::new("true").status().unwrap();
                slowest = slowest.max(t.elapsed());
                std::thread::sleep(Duration::from_millis(10));
            }
            (peak, containers_peak, slowest)
        })
    };
    let run = tokio::time::timeout(Duration::from_secs(60), engine.run_once(sh(bomb))).await.unwrap().unwrap();
    let (peak, containers_peak, slowest) = watch.await.unwrap();
    eprintln!(
        "measure: fork bomb: peak pids.current {peak} (max 512), containers {containers_peak} (max {share}), \
         slowest host spawn {slowest:?}"
    );
    assert!(peak <= 512, "pids.current reached {peak}");
    // Reaching it (a few short-lived helpers, such as `seq`, may have just exited when the
    // forkers gave up), and never passing it.
    assert!(
        containers_peak <= share && containers_peak + 16 >= share,
        "the fork bomb peaked at {containers_peak} of the containers' {share}: {}",
        run.output
    );
    assert!(slowest < Duration::from_secs(1), "the host stalled for {slowest:?}");
    engine.docker().ping().await.unwrap();
    other.docker().ping().await.unwrap();
    assert_eq!(common::dockerd_pid(&small.name), dockerd, "dockerd died in the fork bomb");

    // Root in the segment (its user namespace, its mounts and cgroups) cannot raise its
    // own limits: the limit files stay the host's. (It can write its own files: the
    // refusals below are not nsenter failing.)
    let as_segment_root = |script: &str| {
        std::process::Command::new("nsenter")
            .args(["-t", &dockerd.to_string(), "-U", "-m", "-C", "--", "sh", "-c", script])
            .output()
            .unwrap()
    };
    assert!(as_segment_root("echo probe > /run/carina-probe && rm /run/carina-probe").status.success());
    for (file, more) in [
        ("/sys/fs/cgroup/pids/pids.max", "99999"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "4294967296"),
        ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1"),
    ] {
        let out = as_segment_root(&format!("echo {more} > {file}"));
        assert!(!out.status.success(), "segment root raised {file}");
    }
    assert_eq!(read(&pids.join("pids.max")), "512");
    assert_eq!(read(&memory.join("memory.limit_in_bytes")), (256u64 << 20).to_string());

    // A memory hog is OOM-killed inside the segment: nothing else.
    // (cgroup v1 counts the kill itself in the victim's own cgroup, gone with its
    // container; the segment's cgroup counts how often its limit was hit.)
    let failcnt = || read(&memory.join("memory.failcnt")).parse::<u64>().unwrap();
    let hits = failcnt();
    // The shell reports how dd ended: killed (128 + 9), while the shell itself lives on.
    let hog = engine.run_once(sh("dd if=/dev/zero of=/dev/null bs=400M count=1; echo dd=$?")).await.unwrap();
    eprintln!("measure: 400 MiB hog in a 256 MiB segment: {:?}", hog.output);
    assert!(hog.output.contains("dd=137"), "the hog was not killed: {}", hog.output);
    assert!(failcnt() > hits, "the segment's memory limit was never hit");
    assert_eq!(common::dockerd_pid(&small.name), dockerd, "the OOM killer took dockerd");
    assert_eq!(host.driver.state(&small.name).await.unwrap(), SegmentState::Running);
    let run = engine.run_once(sh("echo alive")).await.unwrap();
    assert_eq!(run.output, "alive\n");

    // CPU: two busy loops in a one-vCPU segment get one CPU's worth.
    let cpuacct = common::cgroup_root("cpuacct").join(common::cgroup_of(dockerd, "cpuacct").trim_start_matches('/'));
    let usage_file = cpuacct.join("cpuacct.usage");
    let spin = engine.run_once(sh("for i in 1 2; do timeout 4 sh -c 'while :; do :; done' & done; wait"));
    let sampler = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let u0: u64 = read(&usage_file).parse().unwrap();
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_secs(2));
        let u1: u64 = read(&usage_file).parse().unwrap();
        (u1 - u0) as f64 / 1e9 / t0.elapsed().as_secs_f64()
    });
    let (spin, cpus) = tokio::join!(spin, sampler);
    spin.unwrap();
    let cpus = cpus.unwrap();
    eprintln!("measure: two busy loops in a 1-vCPU segment used {cpus:.2} CPUs");
    assert!(cpus > 0.5, "the busy loops did not run ({cpus:.2} CPUs)");
    assert!(cpus < 1.15, "a 1-vCPU segment used {cpus:.2} CPUs");

    // Disk: a container writing until it fails gets ENOSPC inside its segment; the host and
    // the neighbour keep their space.
    let image = host.driver.layout(&small.name).docker_image();
    let host_free = available(&host.config.state_dir);
    let other_docker = host.driver.layout(&neighbour.name).docker();
    let other_free = available(&other_docker);
    let fill = engine.run_once(sh("dd if=/dev/zero of=/fill bs=1M 2>&1; echo exit=$?")).await.unwrap();
    eprintln!("measure: filling a 512 MiB segment disk: {:?}", fill.output.lines().collect::<Vec<_>>());
    assert!(fill.output.contains("No space left on device"), "no ENOSPC: {}", fill.output);
    // Other writers share the host's disk: its free space is reported, the image's
    // allocation is what is checked.
    let used = host_free.saturating_sub(available(&host.config.state_dir));
    let allocated = std::fs::metadata(&image).map(|m| std::os::unix::fs::MetadataExt::blocks(&m) * 512).unwrap();
    eprintln!("measure: image allocates {} MiB, host free space went down {} MiB", allocated >> 20, used >> 20);
    assert!(allocated <= (512 + 1) << 20, "the image holds {allocated} bytes");
    // (dockerd's own bookkeeping may write a little meanwhile.)
    assert!(available(&other_docker) + (16 << 20) >= other_free, "the neighbour lost disk space");
    let again = other.run_once(sh("dd if=/dev/zero of=/f bs=1M count=64 2>&1 && echo wrote")).await.unwrap();
    assert!(again.output.contains("wrote"), "the neighbour cannot write: {}", again.output);

    // Removal frees the loop device and the image.
    let dir = host.driver.layout(&small.name).dir;
    assert_eq!(loop_devices_under(&dir).len(), 1, "the disk is not a loop device below the segment");
    host.driver.remove(&small.name).await.unwrap();
    assert!(loop_devices_under(&dir).is_empty(), "loop device left behind");
    assert!(!image.exists() && common::mounts_under("self", &dir).is_empty());
    assert!(!pids.exists(), "pids cgroup left behind");
}
