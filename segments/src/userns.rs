//! Segments are unprivileged: root in a segment is not root on the host.
//!
//! Each segment runs in a user namespace that maps its ids `0..ID_COUNT` to the host's
//! `ID_BASE..ID_BASE + ID_COUNT` (libvirt's `<idmap>`), the way LXD runs Docker in
//! unprivileged containers. What the host prepares for that:
//! - the root: the shared root filesystem (owned by the host's root) is the overlay's
//!   lower layer through an idmapped mount, in which its files belong to `ID_BASE`; the
//!   upper layer, `/var/lib/docker` and `/run` belong to `ID_BASE` too;
//! - cgroups (v1): libvirt neither gives the segment a cgroup namespace nor hands it its
//!   cgroups. The host makes `carina/<name>` in the hierarchies libvirt does not manage
//!   before the start, and gives the directories (never the limit files) of the cgroups
//!   libvirt made to the segment's root right after it; the init script waits for that
//!   (see [`crate::init_script`]).
//!
//! The capability bounding set keeps only what nested Docker uses: dockerd needs
//! `sys_admin` (mounts, namespaces) and `net_admin` (bridges, iptables, VXLAN), and runc
//! gives every container Docker's default set, which must be in the bounding set or each
//! container fails with `unable to apply caps: operation not permitted`. (The policy
//! refuses privileged containers and added capabilities, so nothing beyond that set.)

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::dockerd::{HOST_CGROUP_DIR, SELF_MANAGED_CGROUPS};
use crate::{mounts, SegmentError};

/// The host id that a segment's root (id 0) is.
pub(crate) const ID_BASE: u32 = 100_000;
/// How many ids a segment has (0 to 65535, as a Debian root and Docker images need).
pub(crate) const ID_COUNT: u32 = 65_536;

/// The capabilities a segment's processes may ever have, in libvirt's names: Docker's
/// default container set, plus `sys_admin` and `net_admin` for dockerd.
pub(crate) const CAPABILITIES: [&str; 16] = [
    "chown",
    "dac_override",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "net_bind_service",
    "net_raw",
    "sys_chroot",
    "mknod",
    "audit_write",
    "setfcap",
    "net_admin",
    "sys_admin",
];

/// Gives `path` (not following a symlink) to the segment's root.
pub(crate) fn own(path: &Path) -> Result<(), SegmentError> {
    std::os::unix::fs::lchown(path, Some(ID_BASE), Some(ID_BASE)).map_err(SegmentError::io("chown", path))
}

/// Gives the tree at `dir` to the segment's ids (host id `n` below [`ID_COUNT`] becomes
/// `ID_BASE + n`), unless `dir` belongs to them already: a segment made while segments
/// were privileged keeps its upper layer and Docker data. `dir` itself goes last, so an
/// interrupted shift resumes.
pub(crate) async fn shift_tree(dir: &Path) -> Result<(), SegmentError> {
    let meta = tokio::fs::symlink_metadata(dir).await.map_err(SegmentError::io("stat", dir))?;
    if meta.uid() == ID_BASE {
        return Ok(());
    }
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || shift(&dir)).await?
}

fn shift(path: &Path) -> Result<(), SegmentError> {
    let meta = std::fs::symlink_metadata(path).map_err(SegmentError::io("stat", path))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).map_err(SegmentError::io("list", path))? {
            shift(&entry.map_err(SegmentError::io("list", path))?.path())?;
        }
    }
    let (uid, gid) = (meta.uid(), meta.gid());
    if uid >= ID_COUNT && gid >= ID_COUNT {
        return Ok(());
    }
    let shifted = |id: u32| if id < ID_COUNT { id + ID_BASE } else { id };
    std::os::unix::fs::lchown(path, Some(shifted(uid)), Some(shifted(gid))).map_err(SegmentError::io("chown", path))?;
    // chown clears set-user-ID and set-group-ID bits.
    if !meta.file_type().is_symlink() && meta.mode() & 0o6000 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(SegmentError::io("chmod", path))?;
    }
    Ok(())
}

/// Mounts `source` read-only at `target` with its owners shifted as in the segments'
/// user namespace (an idmapped mount; overlayfs takes it as a lower layer since Linux
/// 5.19): the shared root filesystem, unchanged on disk, belongs to each segment's root.
pub(crate) async fn mount_idmapped(source: &Path, target: &Path) -> Result<(), SegmentError> {
    let userns = mapped_user_namespace().await?;
    let (source, target) = (source.to_owned(), target.to_owned());
    tokio::task::spawn_blocking(move || bind_idmapped(&source, &target, &userns)).await?
}

/// A user namespace with the segments' id map, held open by a file descriptor: made by a
/// short-lived `unshare --user`, whose maps the host writes.
async fn mapped_user_namespace() -> Result<File, SegmentError> {
    let shown = "unshare --user sleep".to_owned();
    let fail = |detail: String| SegmentError::Command { command: shown.clone(), detail };
    let mut child = tokio::process::Command::new("unshare")
        .args(["--user", "sleep", "10"])
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    let pid = child.id().ok_or_else(|| fail("exited at once".into()))?;
    let ours = std::fs::read_link("/proc/self/ns/user").map_err(SegmentError::io("read", "/proc/self/ns/user"))?;
    let ns = PathBuf::from(format!("/proc/{pid}/ns/user"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_link(&ns).map_err(SegmentError::io("read", &ns))? == ours {
        if Instant::now() > deadline {
            return Err(fail("no new user namespace after 5 s".into()));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let map = format!("0 {ID_BASE} {ID_COUNT}\n");
    for file in ["uid_map", "gid_map"] {
        let path = PathBuf::from(format!("/proc/{pid}/{file}"));
        std::fs::write(&path, &map).map_err(SegmentError::io("write", &path))?;
    }
    let userns = File::open(&ns).map_err(SegmentError::io("open", &ns))?;
    let _ = child.kill().await;
    Ok(userns)
}

fn bind_idmapped(source: &Path, target: &Path, userns: &File) -> Result<(), SegmentError> {
    let cstr = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| SegmentError::InvalidConfig(format!("path {} contains NUL", p.display())))
    };
    let (src, dst, empty) = (cstr(source)?, cstr(target)?, CString::default());
    let failed = |call: &str| SegmentError::Command {
        command: format!("{call} {} {}", source.display(), target.display()),
        detail: std::io::Error::last_os_error().to_string(),
    };
    // SAFETY: plain system calls on NUL-terminated strings that outlive them; the
    // returned descriptor is owned (and closed) by `tree`.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            src.as_ptr(),
            libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(failed("open_tree"));
    }
    let tree = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let attr = libc::mount_attr {
        attr_set: libc::MOUNT_ATTR_IDMAP | libc::MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: userns.as_raw_fd() as u64,
    };
    // SAFETY: `attr` is a valid mount_attr of the size passed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_EMPTY_PATH,
            &attr as *const libc::mount_attr,
            std::mem::size_of::<libc::mount_attr>(),
        )
    };
    if rc != 0 {
        return Err(failed("mount_setattr"));
    }
    // SAFETY: as above.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_FDCWD,
            dst.as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if rc != 0 {
        return Err(failed("move_mount"));
    }
    Ok(())
}

/// Before a start: an empty `carina/<name>` cgroup, the segment root's, in each hierarchy
/// that libvirt leaves alone (the init script moves the segment there). One left by an
/// earlier run goes first: its children may belong to the host's root (it stays if a
/// concurrent start put processes in it already).
pub(crate) async fn prepare_own_cgroups(name: &str) -> Result<(), SegmentError> {
    let dirs = own_cgroup_dirs(name).await?;
    tokio::task::spawn_blocking(move || {
        for dir in dirs {
            if let Err(e) = mounts::remove_cgroup_tree(&dir) {
                tracing::debug!(cgroup = %dir.display(), error = %e, "cgroup of an earlier run kept");
            }
            std::fs::create_dir_all(&dir).map_err(SegmentError::io("create cgroup", &dir))?;
            hand_over(&dir)?;
        }
        Ok(())
    })
    .await?
}

/// The segment's own cgroups, `carina/<name>`, in the hierarchies libvirt leaves alone.
pub(crate) async fn own_cgroup_dirs(name: &str) -> Result<Vec<PathBuf>, SegmentError> {
    let mounts = mounts::mounts_of("self").await?;
    Ok(SELF_MANAGED_CGROUPS
        .iter()
        .flat_map(|option| mounts::cgroup_mounts(&mounts, option))
        .map(|m| m.join(HOST_CGROUP_DIR.trim_start_matches('/')).join(name))
        .collect())
}

/// After a start: gives the cgroups libvirt made for the segment (those of its
/// controller process `pid`) to the segment's root, so that its dockerd can make its
/// containers' cgroups below them. Idempotent.
pub(crate) async fn hand_over_libvirt_cgroups(name: &str, pid: u32) -> Result<(), SegmentError> {
    let path = PathBuf::from(format!("/proc/{pid}/cgroup"));
    let text = tokio::fs::read_to_string(&path).await.map_err(SegmentError::io("read", &path))?;
    let mounts = mounts::mounts_of("self").await?;
    let dirs: Vec<PathBuf> = libvirt_cgroups(&text, name)
        .into_iter()
        .flat_map(|(controller, cgroup)| {
            mounts::cgroup_mounts(&mounts, controller).into_iter().map(move |m| m.join(cgroup.trim_start_matches('/')))
        })
        .collect();
    if dirs.is_empty() {
        return Err(SegmentError::InvalidConfig(format!("no libvirt cgroup of segment {name} in {}", path.display())));
    }
    tokio::task::spawn_blocking(move || dirs.iter().try_for_each(|dir| hand_over(dir))).await?
}

/// The (first controller, cgroup) pairs of a `/proc/<pid>/cgroup` text that libvirt made
/// for segment `name`.
fn libvirt_cgroups<'a>(text: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
    let marker = format!("-{name}.libvirt-lxc");
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, cgroup) = (fields.next()?, fields.next()?, fields.next()?);
            let controller = controllers.split(',').next().filter(|c| !c.is_empty())?;
            cgroup.ends_with(&marker).then_some((controller, cgroup))
        })
        .collect()
}

/// The directory (to make child cgroups) and the membership files (to move processes);
/// the limit files stay the host's.
pub(crate) fn hand_over(dir: &Path) -> Result<(), SegmentError> {
    for path in [dir.to_owned(), dir.join("cgroup.procs"), dir.join("tasks")] {
        own(&path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cgroups_libvirt_made() {
        let text = "9:name=systemd:/\n8:pids:/\n4:memory:/machine/lxc-7-s1.libvirt-lxc\n\
                    2:cpu,cpuacct:/machine/lxc-7-s1.libvirt-lxc\n1:blkio:/machine/lxc-7-xs1.libvirt-lxc/x\n0::/\n";
        assert_eq!(
            libvirt_cgroups(text, "s1"),
            vec![("memory", "/machine/lxc-7-s1.libvirt-lxc"), ("cpu", "/machine/lxc-7-s1.libvirt-lxc")]
        );
    }

    /// Needs root (chown), as the crate's other tests do.
    #[tokio::test]
    async fn shifts_a_tree_to_the_segments_ids_once() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("upper");
        std::fs::create_dir_all(top.join("etc")).unwrap();
        let suid = top.join("etc/su");
        std::fs::write(&suid, "").unwrap();
        std::os::unix::fs::lchown(&suid, Some(0), Some(42)).unwrap();
        std::fs::set_permissions(&suid, std::fs::Permissions::from_mode(0o4755)).unwrap();
        std::os::unix::fs::symlink("/nowhere", top.join("link")).unwrap();
        let foreign = top.join("foreign");
        std::fs::write(&foreign, "").unwrap();
        std::os::unix::fs::lchown(&foreign, Some(ID_BASE + 7), Some(ID_BASE + 7)).unwrap();

        shift_tree(&top).await.unwrap();
        let meta = |p: &Path| std::fs::symlink_metadata(p).unwrap();
        assert_eq!((meta(&top).uid(), meta(&top).gid()), (ID_BASE, ID_BASE));
        assert_eq!((meta(&suid).uid(), meta(&suid).gid()), (ID_BASE, ID_BASE + 42));
        assert_eq!(meta(&suid).mode() & 0o7777, 0o4755, "set-user-ID bit kept");
        assert_eq!(meta(&top.join("link")).uid(), ID_BASE);
        assert_eq!(meta(&foreign).uid(), ID_BASE + 7);

        // Once the top belongs to the segment, the tree is left alone.
        std::os::unix::fs::lchown(&suid, Some(0), Some(0)).unwrap();
        shift_tree(&top).await.unwrap();
        assert_eq!(meta(&suid).uid(), 0);
    }
}
