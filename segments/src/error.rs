//! Errors of the segment driver.

use std::path::PathBuf;

/// Everything that can go wrong while creating, inspecting or removing a segment.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The segment name cannot be used as a domain name, host name and directory name.
    #[error("invalid segment name {name:?}: {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The host configuration cannot work (for example a socket path too long for AF_UNIX).
    #[error("invalid host configuration: {0}")]
    InvalidConfig(String),
    /// A libvirt call failed.
    #[error("libvirt: {op} {name}: {source}")]
    Libvirt {
        /// What we were doing.
        op: &'static str,
        /// The domain (or URI) it concerned.
        name: String,
        /// libvirt's own error.
        #[source]
        source: virt::error::Error,
    },
    /// A domain of this name exists but belongs to another instance (another state dir).
    #[error("a domain named {name} exists but belongs to {owner:?}, not to this instance")]
    NameTaken {
        /// The domain name.
        name: String,
        /// The state dir recorded in that domain, if any.
        owner: Option<String>,
    },
    /// A file system operation on the host failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The path it concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A helper command (mount, umount, apparmor_parser) failed.
    #[error("{command} failed: {detail}")]
    Command {
        /// The command line, shortened.
        command: String,
        /// Exit status and stderr.
        detail: String,
    },
    /// The segment's root is mounted on the host but libvirtd cannot see it, so the
    /// domain would start on an empty root.
    #[error(
        "libvirtd (pid {libvirtd_pid}) does not see the mount {path}; the segments root must \
         be a shared mount before libvirtd starts (run scripts/host-setup.sh)"
    )]
    MountNotPropagated {
        /// The overlay mount point.
        path: PathBuf,
        /// The libvirtd whose mount namespace lacks it.
        libvirtd_pid: u32,
    },
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl SegmentError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| SegmentError::Io { op, path, source }
    }

    pub(crate) fn libvirt(op: &'static str, name: &str) -> impl FnOnce(virt::error::Error) -> Self {
        let name = name.to_owned();
        move |source| SegmentError::Libvirt { op, name, source }
    }
}
