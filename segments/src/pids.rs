//! A segment's process limit: `pids.max` on its cgroup in the host's pids hierarchy.
//!
//! libvirt's LXC driver does not manage the pids controller (cgroup v1); the segment's
//! init moves itself into `<pids>/carina/<segment>` before it starts dockerd (see
//! [`crate::init_script`]), and everything in the segment descends from it. The host makes
//! that cgroup, with its limit, before the domain starts, so no process of the segment
//! ever runs unlimited, and writes the limit again on every start.
//!
//! Inside, dockerd puts its containers below `docker/` (its default cgroup parent, seen
//! from the segment's cgroup namespace). That subtree gets a smaller limit: a fork bomb in
//! containers then leaves dockerd, containerd and their shims room for their threads,
//! instead of the Go runtime dying for want of one and taking the segment down with it.

use std::path::PathBuf;

use crate::dockerd::HOST_CGROUP_DIR;
use crate::{mounts, SegmentError};

/// Fewest tasks (threads count) a segment's dockerd and containerd start with.
pub const MIN_PIDS: u64 = 256;

/// dockerd's cgroup parent for containers, relative to the segment's cgroup.
const CONTAINERS_CGROUP: &str = "docker";

/// What the containers of a segment limited to `pids_max` may have together: an eighth is
/// held back for dockerd, containerd and the shims (a few dozen threads each).
pub fn containers_share(pids_max: u64) -> u64 {
    let pids_max = pids_max.max(MIN_PIDS);
    pids_max - (pids_max / 8).max(64)
}

/// The segment's cgroup in the host's pids hierarchy.
pub async fn cgroup_dir(name: &str) -> Result<PathBuf, SegmentError> {
    let mounts = mounts::mounts_of("self").await?;
    let root = mounts::cgroup_mounts(&mounts, "pids").into_iter().next().ok_or_else(|| {
        SegmentError::InvalidConfig("the host has no pids cgroup hierarchy: process limits cannot apply".into())
    })?;
    Ok(root.join(HOST_CGROUP_DIR.trim_start_matches('/')).join(name))
}

/// Makes the segment's pids cgroup and its containers' subtree with their limits, and
/// reads them back.
pub(crate) async fn apply(name: &str, pids_max: u64) -> Result<(), SegmentError> {
    let dir = cgroup_dir(name).await?;
    let pids_max = pids_max.max(MIN_PIDS);
    let containers = dir.join(CONTAINERS_CGROUP);
    for (cgroup, limit) in [(&dir, pids_max), (&containers, containers_share(pids_max))] {
        tokio::fs::create_dir_all(cgroup).await.map_err(SegmentError::io("create cgroup", cgroup))?;
        // The segment's root (in its user namespace) makes its containers' cgroups below
        // these and moves processes into them; the limit files stay the host's.
        crate::userns::hand_over(cgroup)?;
        let file = cgroup.join("pids.max");
        tokio::fs::write(&file, limit.to_string()).await.map_err(SegmentError::io("write", &file))?;
        let read = tokio::fs::read_to_string(&file).await.map_err(SegmentError::io("read", &file))?;
        if read.trim() != limit.to_string() {
            return Err(SegmentError::InvalidConfig(format!(
                "{} reads {:?} after writing {limit}",
                file.display(),
                read.trim()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_leave_room_for_the_daemons() {
        assert_eq!(containers_share(4096), 3584);
        assert_eq!(containers_share(512), 448);
        assert_eq!(containers_share(10), MIN_PIDS - 64, "tiny limits are raised to the minimum first");
    }
}
