//! Local volume driver options (`docker volume create -o`, `--mount volume-opt=`) and
//! `POST /volumes/create`.
//!
//! The local driver hands `device`, `type` and `o` straight to `mount(2)` when the
//! volume is first used, as root in the segment. So a volume can be a bind mount
//! (`type=none,o=bind,device=/etc`), a block device (`type=ext4,device=/dev/sda1`), an
//! overlay of host directories (`o=lowerdir=/etc,...`) or a fresh pseudo-filesystem
//! (`type=proc,device=proc` gives the segment's whole, unmasked `/proc`). The options
//! are checked whatever the driver name: only the built-in local driver exists, since
//! plugins cannot be installed.

use serde_json::Value;

use crate::json;
use crate::mounts::MountFindings;
use crate::Violation;

/// Filesystem types a local volume may have: network filesystems, tmpfs, overlay (its
/// directories are checked) and the bind spellings (their device is checked). Whatever
/// else is a host device or a kernel pseudo-filesystem.
const ALLOWED_FS_TYPES: [&str; 10] = ["", "none", "bind", "rbind", "tmpfs", "nfs", "nfs4", "cifs", "smb3", "overlay"];

/// The allowed types whose device is remote.
const NETWORK_FS_TYPES: [&str; 4] = ["nfs", "nfs4", "cifs", "smb3"];

/// Mount options whose values are `:`-separated host directories (overlayfs).
const DIRECTORY_OPTIONS: [&str; 3] = ["lowerdir", "upperdir", "workdir"];

/// Checks a `POST /volumes/create` body (`{"Name", "Driver", "DriverOpts", "Labels"}`).
pub(crate) fn check_create(body: &Value) -> Result<(), Violation> {
    let mut findings = MountFindings::default();
    for options in json::fields(body, "DriverOpts") {
        local_options(options, &mut findings);
    }
    findings.result()
}

/// Records what a local driver options map (`{"type", "o", "device"}`) mounts.
/// Option keys are matched case-insensitively, which is more than dockerd (it rejects
/// other spellings) and so only ever refuses more.
pub(crate) fn local_options(options: &Value, findings: &mut MountFindings) {
    let Some(map) = options.as_object() else {
        return;
    };
    let values = |name: &str| -> Vec<&str> {
        map.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name)).filter_map(|(_, value)| value.as_str()).collect()
    };
    let fs_types = values("type");
    let mount_options = values("o");
    let devices = values("device");

    let binds = fs_types.iter().any(|t| matches!(t.trim().to_ascii_lowercase().as_str(), "none" | "bind" | "rbind"))
        || mount_options
            .iter()
            .flat_map(|o| o.split(','))
            .any(|flag| matches!(flag.trim().to_ascii_lowercase().as_str(), "bind" | "rbind"));

    // Network filesystems name a remote share as their device (`//server/share`,
    // `server:/export`), never a host file.
    let network = !fs_types.is_empty()
        && fs_types.iter().all(|t| NETWORK_FS_TYPES.contains(&t.trim().to_ascii_lowercase().as_str()));
    for device in devices.iter().filter(|d| !d.is_empty()) {
        // A bind's device is a path even when relative (dockerd's working directory);
        // otherwise an absolute device is a host path (`/dev/sda1`), while `tmpfs` or
        // `overlay` name no host file.
        if binds || (device.starts_with('/') && !network) {
            findings.host_path(device);
        }
    }

    for option in mount_options.iter().flat_map(|o| o.split(',')) {
        let Some((key, value)) = option.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        if DIRECTORY_OPTIONS.contains(&key.as_str()) {
            for directory in value.split(':').filter(|d| !d.is_empty()) {
                findings.host_path(directory);
            }
        } else if value.starts_with('/') {
            // Any other option naming an absolute path points at a host file too.
            findings.host_path(value);
        }
    }

    for fs_type in fs_types {
        if !ALLOWED_FS_TYPES.contains(&fs_type.trim().to_ascii_lowercase().as_str()) {
            findings.refused_fs_type(fs_type);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rule;
    use serde_json::json;

    fn check(options: Value) -> Result<(), Violation> {
        check_create(&json!({"Name": "v", "Driver": "local", "DriverOpts": options, "Labels": {}}))
    }

    #[test]
    fn local_driver_options() {
        let refused_path = |p: &str| Err(Violation::with_detail(Rule::HostMountPath, p));
        let refused_type = |t: &str| Err(Violation::with_detail(Rule::VolumeFilesystem, t));
        let table = [
            (json!({}), Ok(())),
            (json!({"type": "tmpfs", "device": "tmpfs", "o": "size=100m,uid=1000"}), Ok(())),
            (json!({"type": "nfs", "o": "addr=10.0.0.1,rw", "device": ":/export/data"}), Ok(())),
            (json!({"type": "cifs", "o": "addr=srv,username=u,password=p", "device": "//srv/share"}), Ok(())),
            (json!({"type": "none", "o": "bind", "device": "/var/lib/docker/volumes/a/_data"}), Ok(())),
            (json!({"type": "none", "o": "bind", "device": "/etc"}), refused_path("/etc")),
            (json!({"type": "none", "o": "rbind,ro", "device": "/"}), refused_path("/")),
            (json!({"type": "none", "device": "/etc"}), refused_path("/etc")),
            (json!({"type": "tmpfs", "o": "bind", "device": "etc"}), refused_path("etc")),
            (json!({"TYPE": "none", "O": "bind", "Device": "/root"}), refused_path("/root")),
            (
                json!({"type": "none", "o": "bind", "device": "/var/lib/docker/volumes/a/_data/../../../../../../etc"}),
                refused_path("/etc"),
            ),
            (json!({"type": "ext4", "device": "/dev/sda1"}), refused_path("/dev/sda1")),
            (json!({"type": "proc", "device": "proc"}), refused_type("proc")),
            (json!({"type": "sysfs", "device": "sysfs"}), refused_type("sysfs")),
            (json!({"type": "cgroup2", "device": "none"}), refused_type("cgroup2")),
            (
                json!({"type": "overlay", "device": "overlay", "o": "lowerdir=/etc:/usr,upperdir=/var/lib/docker/volumes/u/_data,workdir=/var/lib/docker/volumes/w/_data"}),
                refused_path("/etc, /usr"),
            ),
            (
                json!({"type": "overlay", "device": "overlay", "o": "lowerdir=/var/lib/docker/volumes/l/_data,upperdir=/var/lib/docker/volumes/u/_data,workdir=/var/lib/docker/volumes/w/_data"}),
                Ok(()),
            ),
            (
                json!({"type": "cifs", "device": "//srv/s", "o": "credentials=/root/.creds"}),
                refused_path("/root/.creds"),
            ),
        ];
        for (options, want) in table {
            assert_eq!(check(options.clone()), want, "{options}");
        }
    }
}
