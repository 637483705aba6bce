//! `POST /volumes/create`: a volume's local driver options (`docker volume create -o`).
//!
//! The options are read by `local_volume` and judged like every other mount.

use serde_json::Value;

use crate::json;
use crate::mounts::MountFindings;
use crate::Violation;

/// Checks a `POST /volumes/create` body (`{"Name", "Driver", "DriverOpts", "Labels"}`).
pub(crate) fn check_create(body: &Value) -> Result<(), Violation> {
    let mut findings = MountFindings::default();
    for options in json::fields(body, "DriverOpts") {
        findings.local_volume(options);
    }
    findings.result()
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
