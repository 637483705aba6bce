//! Host mounts of segments: the overlay root, and what `/proc/<pid>/mountinfo` says.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::SegmentError;

/// Where libvirtd (started by `scripts/host-setup.sh` as `libvirtd -d`) writes its pid.
const LIBVIRTD_PIDFILE: &str = "/run/libvirtd.pid";

/// One line of a mountinfo file, the fields we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// Propagation tags such as `shared:1` or `master:1`.
    pub tags: Vec<String>,
    /// File system type.
    pub fstype: String,
    /// Per-superblock options (for overlay: `lowerdir=...`).
    pub super_options: String,
}

/// Parses the text of a `/proc/<pid>/mountinfo` file; malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let sep = fields.iter().position(|f| *f == "-")?;
            if sep < 6 || fields.len() < sep + 4 {
                return None;
            }
            Some(MountEntry {
                mount_point: PathBuf::from(unescape_octal(fields[4])),
                tags: fields[6..sep].iter().map(|s| s.to_string()).collect(),
                fstype: fields[sep + 1].to_owned(),
                super_options: fields[sep + 3].to_owned(),
            })
        })
        .collect()
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let v = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mounts `pid` (or `self`) sees.
pub(crate) async fn mounts_of(pid: &str) -> Result<Vec<MountEntry>, SegmentError> {
    let path = PathBuf::from(format!("/proc/{pid}/mountinfo"));
    let text = tokio::fs::read_to_string(&path).await.map_err(SegmentError::io("read", &path))?;
    Ok(parse_mountinfo(&text))
}

/// Mount points at or below `dir` in `mounts`, deepest first (the order to unmount them).
pub(crate) fn mounts_under(mounts: &[MountEntry], dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> =
        mounts.iter().filter(|m| m.mount_point.starts_with(dir)).map(|m| m.mount_point.clone()).collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found.dedup();
    found
}

/// Whether `path` is a mount point in our namespace.
pub(crate) async fn is_mount_point(path: &Path) -> Result<bool, SegmentError> {
    Ok(mounts_of("self").await?.iter().any(|m| m.mount_point == path))
}

/// Mounts the segment's root: an overlay of the shared read-only `lower` with the
/// segment's own `upper` and `work` directories.
pub(crate) async fn mount_overlay(lower: &Path, upper: &Path, work: &Path, target: &Path) -> Result<(), SegmentError> {
    for p in [lower, upper, work, target] {
        let s = p.to_string_lossy();
        // overlayfs splits its options on ',' (and lowerdir on ':').
        if s.contains([',', ':']) || s.chars().any(char::is_whitespace) {
            return Err(SegmentError::InvalidConfig(format!("overlay path {s:?} contains ',', ':' or space")));
        }
    }
    let options = format!("lowerdir={},upperdir={},workdir={}", lower.display(), upper.display(), work.display());
    run(Command::new("mount").args(["-t", "overlay", "overlay", "-o", &options]).arg(target)).await
}

/// Unmounts everything at or below `dir`, deepest first; falls back to a lazy unmount
/// for a mount that is still busy.
pub(crate) async fn unmount_all_under(dir: &Path) -> Result<(), SegmentError> {
    for point in mounts_under(&mounts_of("self").await?, dir) {
        if run(Command::new("umount").arg(&point)).await.is_err() {
            run(Command::new("umount").arg("-l").arg(&point)).await?;
        }
    }
    Ok(())
}

/// The host's mount points of the cgroup v1 hierarchies that carry `option` (`pids`,
/// `name=systemd`, ...).
pub(crate) fn cgroup_mounts(mounts: &[MountEntry], option: &str) -> Vec<PathBuf> {
    mounts
        .iter()
        .filter(|m| m.fstype == "cgroup" && m.super_options.split(',').any(|o| o == option))
        .map(|m| m.mount_point.clone())
        .collect()
}

/// Removes a cgroup directory and every cgroup below it (children first: a cgroup is
/// removed with rmdir, and only once it has no children and no processes).
pub(crate) fn remove_cgroup_tree(dir: &Path) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_cgroup_tree(&entry.path())?;
        }
    }
    std::fs::remove_dir(dir)
}

/// The pid of the local libvirtd, if it runs.
pub(crate) async fn libvirtd_pid() -> Option<u32> {
    let text = tokio::fs::read_to_string(LIBVIRTD_PIDFILE).await.ok()?;
    let pid: u32 = text.trim().parse().ok()?;
    let comm = tokio::fs::read_to_string(format!("/proc/{pid}/comm")).await.ok()?;
    (comm.trim() == "libvirtd").then_some(pid)
}

/// Fails unless the local libvirtd's mount namespace has a mount at `path`: otherwise the
/// domain would start on an empty directory instead of the segment's root.
pub(crate) async fn check_libvirtd_sees(path: &Path) -> Result<(), SegmentError> {
    let Some(pid) = libvirtd_pid().await else {
        // Not a local libvirtd (or no pid file): the start itself will tell.
        return Ok(());
    };
    if mounts_of(&pid.to_string()).await?.iter().any(|m| m.mount_point == path) {
        Ok(())
    } else {
        Err(SegmentError::MountNotPropagated { path: path.to_owned(), libvirtd_pid: pid })
    }
}

/// Runs a helper command; its stderr becomes the error's detail.
pub(crate) async fn run(cmd: &mut Command) -> Result<(), SegmentError> {
    let shown = format!("{:?}", cmd.as_std()).replace('"', "");
    let out =
        cmd.output().await.map_err(|e| SegmentError::Command { command: shown.clone(), detail: e.to_string() })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(SegmentError::Command {
            command: shown,
            detail: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
42 27 254:0 /var/lib/carina-segments /var/lib/carina-segments rw,relatime shared:1 - ext4 /dev/vda rw
90 42 0:50 / /var/lib/carina-segments/t/s1/root rw,relatime shared:7 master:1 - overlay overlay rw,lowerdir=/img/rootfs-1,upperdir=/u,workdir=/w
91 90 0:51 / /var/lib/carina-segments/t/s1/root/a\\040b rw - tmpfs tmpfs rw
bad line
";

    #[test]
    fn parses_tags_types_and_escaped_paths() {
        let m = parse_mountinfo(SAMPLE);
        assert_eq!(m.len(), 4);
        assert_eq!(m[1].tags, vec!["shared:1"]);
        assert_eq!(m[2].tags, vec!["shared:7", "master:1"]);
        assert_eq!(m[2].fstype, "overlay");
        assert!(m[2].super_options.contains("lowerdir=/img/rootfs-1"));
        assert_eq!(m[3].mount_point, PathBuf::from("/var/lib/carina-segments/t/s1/root/a b"));
    }

    #[test]
    fn finds_cgroup_hierarchies_by_option() {
        let text = "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n\
                    39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";
        let m = parse_mountinfo(text);
        assert_eq!(cgroup_mounts(&m, "pids"), vec![PathBuf::from("/sys/fs/cgroup/pids")]);
        assert_eq!(cgroup_mounts(&m, "name=systemd"), vec![PathBuf::from("/sys/fs/cgroup/systemd")]);
        assert!(cgroup_mounts(&m, "memory").is_empty());
    }

    #[test]
    fn lists_mounts_under_a_dir_deepest_first() {
        let m = parse_mountinfo(SAMPLE);
        let under = mounts_under(&m, Path::new("/var/lib/carina-segments/t/s1"));
        assert_eq!(
            under,
            vec![
                PathBuf::from("/var/lib/carina-segments/t/s1/root/a b"),
                PathBuf::from("/var/lib/carina-segments/t/s1/root"),
            ]
        );
        assert!(mounts_under(&m, Path::new("/var/lib/carina-segments/t/s")).is_empty());
    }
}
