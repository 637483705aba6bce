//! A running segment's identity, changed in place: what a segment from the warm pool gets
//! when a cluster takes it (a running libvirt domain cannot be renamed).

use std::path::Path;

use crate::dockerd::{CA_FILE, CERT_FILE, KEY_FILE, TLS_DIR};
use crate::files::write_if_changed;
use crate::{userns, SegmentError, SegmentTls};

/// Writes the cluster's TLS files into the segment's `/etc/docker` (what `swarm-data`
/// shows), and `/etc/hostname`.
pub(crate) async fn write_files(root: &Path, hostname: &str, tls: &SegmentTls) -> Result<(), SegmentError> {
    let dir = root.join(TLS_DIR.trim_start_matches('/'));
    for (path, content, mode) in [
        (dir.join(CA_FILE), tls.ca_pem.as_str(), 0o644),
        (dir.join(CERT_FILE), tls.cert_pem.as_str(), 0o644),
        (dir.join(KEY_FILE), tls.key_pem.as_str(), 0o600),
        (root.join("etc/hostname"), &format!("{hostname}\n"), 0o644),
    ] {
        write_if_changed(&path, content, mode).await?;
        userns::own(&path)?;
    }
    Ok(())
}

/// Sets the hostname of the segment whose libvirt controller has pid `controller`: in the
/// UTS namespace of its init (the controller's child). dockerd reads the hostname for every
/// `docker info`, and Swarm takes it as the node's name when the node joins.
pub(crate) async fn set_hostname(controller: u32, hostname: &str) -> Result<(), SegmentError> {
    let init = init_of(controller)?;
    let out = tokio::process::Command::new("nsenter")
        .args(["--target", &init.to_string(), "--uts", "hostname", hostname])
        .output()
        .await
        .map_err(SegmentError::io("run nsenter for", Path::new("hostname")))?;
    if !out.status.success() {
        return Err(SegmentError::InvalidConfig(format!(
            "could not set the hostname of the segment to {hostname}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// The segment's init: the one child of its libvirt controller.
fn init_of(controller: u32) -> Result<u32, SegmentError> {
    let tasks = format!("/proc/{controller}/task");
    let entries = std::fs::read_dir(&tasks).map_err(SegmentError::io("list", Path::new(&tasks)))?;
    for task in entries.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        if let Some(pid) = children.split_whitespace().find_map(|p| p.parse().ok()) {
            return Ok(pid);
        }
    }
    Err(SegmentError::InvalidConfig(format!("the segment of controller {controller} has no init")))
}
