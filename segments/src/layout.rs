//! Where one segment's pieces live on the host.

use std::path::{Path, PathBuf};

/// The host directories of one segment, all below `<state_dir>/<name>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentLayout {
    /// `<state_dir>/<name>`: removing it removes the segment's every file.
    pub dir: PathBuf,
}

/// Longest path the kernel accepts for a unix socket (`sun_path` holds 108 bytes with NUL).
pub(crate) const MAX_SOCKET_PATH: usize = 107;

impl SegmentLayout {
    /// The layout of segment `name` under `state_dir`.
    pub fn new(state_dir: &Path, name: &str) -> Self {
        SegmentLayout { dir: state_dir.join(name) }
    }

    /// Overlay upper layer: everything the segment writes outside its bind mounts.
    pub fn upper(&self) -> PathBuf {
        self.dir.join("upper")
    }

    /// The overlay's lower layer: the shared root filesystem, idmapped for the segment's
    /// user namespace (see [`crate::userns`]).
    pub fn lower_mount(&self) -> PathBuf {
        self.dir.join("lower-idmapped")
    }

    /// Overlay work directory.
    pub fn work(&self) -> PathBuf {
        self.dir.join("work")
    }

    /// The merged overlay: the segment's `/`.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// Bind-mounted at `/var/lib/docker` (overlay2 cannot live on overlayfs).
    pub fn docker(&self) -> PathBuf {
        self.dir.join("docker")
    }

    /// The sparse ext4 image mounted on [`SegmentLayout::docker`]: the segment's disk quota.
    pub fn docker_image(&self) -> PathBuf {
        self.dir.join("docker.img")
    }

    /// Bind-mounted at `/run`: the segment's docker socket appears here on the host.
    pub fn run(&self) -> PathBuf {
        self.dir.join("run")
    }

    /// The host path of the segment's dockerd socket.
    pub fn docker_socket(&self) -> PathBuf {
        self.run().join("docker.sock")
    }

    /// Records which root filesystem the upper layer was made against, so that a
    /// restart keeps the same lower layer after `host-setup.sh` built a newer one.
    pub fn lower_record(&self) -> PathBuf {
        self.dir.join("lower")
    }

    /// The AppArmor profile written for this segment (used only where enforced).
    pub fn apparmor_profile(&self) -> PathBuf {
        self.dir.join("apparmor.profile")
    }
}
