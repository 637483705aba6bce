//! Test harness: real dockerds standing in for segments, a throwaway PKI, an in-memory
//! directory, and the real docker CLIs. Everything lives in one temp dir removed on drop.
#![allow(dead_code)]

pub mod dockerd;
pub mod pki;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gateway::{ClusterDirectory, DirectoryError, EndpointEvent, SegmentEndpoint};

/// The cluster id the harness uses; segments are `<id>-n1`...
pub const CLUSTER_ID: &str = "6d1c1a2e-5e0d-4b8a-9c1f-00000000c1a5";

/// A directory that knows one cluster's segments and keeps every audit event.
#[derive(Default)]
pub struct MemDirectory {
    pub segments: Mutex<Vec<SegmentEndpoint>>,
    pub events: Mutex<Vec<EndpointEvent>>,
}

#[async_trait]
impl ClusterDirectory for MemDirectory {
    async fn segments(&self, cluster_id: &str) -> Result<Vec<SegmentEndpoint>, DirectoryError> {
        if cluster_id != CLUSTER_ID {
            return Err(DirectoryError::NotFound);
        }
        Ok(self.segments.lock().unwrap().clone())
    }
    async fn record_event(&self, _cluster_id: &str, event: EndpointEvent) {
        self.events.lock().unwrap().push(event);
    }
}

impl MemDirectory {
    pub fn for_dockerds(d: &dockerd::Dockerds) -> Arc<Self> {
        let dir = Self::default();
        *dir.segments.lock().unwrap() = d
            .daemons
            .iter()
            .enumerate()
            .map(|(i, daemon)| SegmentEndpoint {
                name: format!("{CLUSTER_ID}-n{}", i + 1),
                address: Ipv4Addr::new(127, 0, 0, 11 + i as u8),
                docker_socket: daemon.socket.clone(),
                docker_root: daemon.data_root.clone(),
            })
            .collect();
        Arc::new(dir)
    }
}

/// The two docker CLIs that must both work.
pub const CLI_NEW: &str = "/usr/local/bin/docker";
pub const CLI_OLD: &str = "/usr/bin/docker";

/// How a CLI reaches the endpoint.
#[derive(Clone)]
pub struct CliEnv {
    pub host: String,
    pub cert_path: PathBuf,
    pub config_dir: PathBuf,
}

impl CliEnv {
    pub fn command(&self, cli: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(cli);
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
            .env("HOME", &self.config_dir)
            .env("DOCKER_CONFIG", &self.config_dir)
            .env("DOCKER_HOST", &self.host)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", &self.cert_path)
            .env("DOCKER_CLI_HINTS", "false")
            .kill_on_drop(true);
        cmd
    }

    /// Runs a CLI to completion (bounded by `timeout`).
    pub async fn run(&self, cli: &str, args: &[&str]) -> Output {
        self.run_timeout(cli, args, std::time::Duration::from_secs(60)).await
    }

    pub async fn run_timeout(&self, cli: &str, args: &[&str], timeout: std::time::Duration) -> Output {
        let fut = self.command(cli).args(args).output();
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => panic!("cannot run {cli}: {e}"),
            Err(_) => panic!("{cli} {args:?} timed out"),
        }
    }

    /// Runs and requires success; returns stdout.
    pub async fn ok(&self, cli: &str, args: &[&str]) -> String {
        let o = self.run(cli, args).await;
        assert!(
            o.status.success(),
            "{cli} {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

/// Writes a busybox root filesystem tar (for `docker import`).
pub fn busybox_tar(dir: &Path) -> PathBuf {
    let root = dir.join("bbroot");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    for applet in [
        "sh", "true", "false", "echo", "cat", "sleep", "yes", "head", "ls", "df", "ps", "dd", "env", "id", "hostname",
        "wc", "seq", "tr", "printf", "tty", "stty",
    ] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    let tar = dir.join("busybox.tar");
    let st = std::process::Command::new("tar").arg("-C").arg(&root).arg("-cf").arg(&tar).arg(".").status().unwrap();
    assert!(st.success());
    tar
}
