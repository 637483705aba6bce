//! What a local volume's driver options mount (`docker volume create -o`, `--mount
//! volume-opt=`).
//!
//! The local driver hands `device`, `type` and `o` straight to `mount(2)` when the
//! volume is first used, as root in the segment. So a volume can be a bind mount
//! (`type=none,o=bind,device=/etc`), a block device (`type=ext4,device=/dev/sda1`), an
//! overlay of host directories (`o=lowerdir=/etc,...`) or a fresh pseudo-filesystem
//! (`type=proc,device=proc` gives the segment's whole, unmasked `/proc`). The options
//! are read whatever the driver name: only the built-in local driver exists, since
//! plugins cannot be installed.

use serde_json::Value;

/// Filesystem types a local volume may have: network filesystems, tmpfs, overlay (its
/// directories are checked) and the bind spellings (their device is checked). Whatever
/// else is a host device or a kernel pseudo-filesystem.
const ALLOWED_FS_TYPES: [&str; 10] = ["", "none", "bind", "rbind", "tmpfs", "nfs", "nfs4", "cifs", "smb3", "overlay"];

/// The allowed types whose device is remote.
const NETWORK_FS_TYPES: [&str; 4] = ["nfs", "nfs4", "cifs", "smb3"];

/// Mount options whose values are `:`-separated host directories (overlayfs).
const DIRECTORY_OPTIONS: [&str; 3] = ["lowerdir", "upperdir", "workdir"];

/// The host paths and the refused filesystem types of one options map.
#[derive(Debug, Default)]
pub(crate) struct LocalMount<'a> {
    pub host_paths: Vec<&'a str>,
    pub refused_fs_types: Vec<&'a str>,
}

/// What a local driver options map (`{"type", "o", "device"}`) mounts.
/// Option keys are matched case-insensitively, which is more than dockerd (it rejects
/// other spellings) and so only ever refuses more.
pub(crate) fn read(options: &Value) -> LocalMount<'_> {
    let mut found = LocalMount::default();
    let Some(map) = options.as_object() else {
        return found;
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
            found.host_paths.push(device);
        }
    }

    for option in mount_options.iter().flat_map(|o| o.split(',')) {
        let Some((key, value)) = option.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        if DIRECTORY_OPTIONS.contains(&key.as_str()) {
            for directory in value.split(':').filter(|d| !d.is_empty()) {
                found.host_paths.push(directory);
            }
        } else if value.starts_with('/') {
            // Any other option naming an absolute path points at a host file too.
            found.host_paths.push(value);
        }
    }

    for fs_type in fs_types {
        if !ALLOWED_FS_TYPES.contains(&fs_type.trim().to_ascii_lowercase().as_str()) {
            found.refused_fs_types.push(fs_type);
        }
    }
    found
}
