//! Everything that can put a host path into a container: `HostConfig.Binds`,
//! `Mounts` (containers and services) and local volume options.

use serde_json::Value;

use crate::json;
use crate::local_volume;
use crate::path::{bind_source_allowed, normalize_host_path, shown};
use crate::rule::{join_unique, Rule, Violation};

/// What the mounts of one request reach on the host.
#[derive(Debug, Default)]
pub(crate) struct MountFindings {
    /// Every host path bound, normalised, allowed or not.
    pub host_paths: Vec<String>,
    /// The refused ones, as shown to the user.
    refused_paths: Vec<String>,
    /// Local volume filesystem types that are refused.
    refused_fs_types: Vec<String>,
}

impl MountFindings {
    /// Records a host path that will be bound (or mounted) as is.
    pub(crate) fn host_path(&mut self, raw: &str) {
        self.host_paths.push(normalize_host_path(raw));
        if !bind_source_allowed(raw) {
            self.refused_paths.push(shown(raw));
        }
    }

    /// Records what a local volume's driver options mount.
    pub(crate) fn local_volume(&mut self, options: &Value) {
        let found = local_volume::read(options);
        for path in found.host_paths {
            self.host_path(path);
        }
        self.refused_fs_types.extend(found.refused_fs_types.into_iter().map(str::to_owned));
    }

    /// Reads `HostConfig.Binds`: `src:dst[:mode]`. Like dockerd (`ParseMountRaw`), the
    /// source is the text before the first `:`; a source starting with `/` is a host
    /// path, anything else a volume name, and a lone `dst` an anonymous volume.
    pub(crate) fn binds(&mut self, host_config: &Value) {
        for binds in json::fields(host_config, "Binds") {
            for bind in json::strings(binds) {
                let mut parts = bind.splitn(3, ':');
                let source = parts.next().unwrap_or_default();
                if parts.next().is_some() && source.starts_with('/') {
                    self.host_path(source);
                }
            }
        }
    }

    /// Reads a `Mounts` list (`HostConfig.Mounts`, `ContainerSpec.Mounts`).
    ///
    /// `Type` `volume` and `tmpfs` sources are names, not paths. Every other type is
    /// read as a bind: `bind` is one, and anything unknown or missing is refused by
    /// dockerd 20.10 anyway, so treating it as a bind is safe and needs no list of
    /// future types. A `Source` that is not absolute is refused for a bind (dockerd
    /// would too). Volume driver options are checked whatever the type.
    pub(crate) fn mounts(&mut self, mounts: &Value) {
        for mount in json::items(mounts) {
            let types: Vec<String> =
                json::string_fields(mount, "Type").map(|t| t.trim().to_ascii_lowercase()).collect();
            let named = !types.is_empty() && types.iter().all(|t| t == "volume" || t == "tmpfs");
            if !named {
                for source in json::string_fields(mount, "Source").filter(|s| !s.is_empty()) {
                    self.host_path(source);
                }
            }
            for volume_options in json::fields(mount, "VolumeOptions") {
                for driver in json::fields(volume_options, "DriverConfig") {
                    for options in json::fields(driver, "Options") {
                        self.local_volume(options);
                    }
                }
            }
        }
    }

    /// The first violation found, paths (CARINA-1002) before filesystem types.
    pub(crate) fn result(&self) -> Result<(), Violation> {
        if !self.refused_paths.is_empty() {
            return Err(Violation::with_detail(Rule::HostMountPath, join_unique(self.refused_paths.iter().cloned())));
        }
        if !self.refused_fs_types.is_empty() {
            return Err(Violation::with_detail(
                Rule::VolumeFilesystem,
                join_unique(self.refused_fs_types.iter().cloned()),
            ));
        }
        Ok(())
    }

    /// The normalised host paths without repeats.
    pub(crate) fn into_host_paths(self) -> Vec<String> {
        let mut unique: Vec<String> = Vec::new();
        for path in self.host_paths {
            if !unique.contains(&path) {
                unique.push(path);
            }
        }
        unique
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn binds(list: Value) -> Result<(), Violation> {
        let mut findings = MountFindings::default();
        findings.binds(&json!({ "Binds": list }));
        findings.result()
    }

    #[test]
    fn binds_follow_dockers_volume_or_path_rule() {
        let table = [
            (json!(["/etc:/x"]), Some("/etc")),
            (json!(["/etc:/x:ro"]), Some("/etc")),
            (json!(["/etc/:/x:ro,Z"]), Some("/etc")),
            (json!(["/:/host"]), Some("/")),
            (json!(["/var/lib/docker/volumes/x/_data:/x"]), None),
            (json!(["myvol:/data"]), None),
            (json!(["myvol:/data:ro"]), None),
            (json!(["/data"]), None),
            (json!(["./etc:/x"]), None),
            (json!(["etc:/x"]), None),
            (json!("/etc:/x"), Some("/etc")),
            (json!(["/etc:/a", "/root:/b", "/etc:/c", "v:/d"]), Some("/etc, /root")),
            (json!(["/var/lib/docker/../../../etc:/x"]), Some("/etc")),
            (json!(["/var/lib/dockerfoo:/x"]), Some("/var/lib/dockerfoo")),
            (json!(["/var/run/docker.sock:/var/run/docker.sock"]), Some("/var/run/docker.sock")),
        ];
        for (list, refused) in table {
            let got = binds(list.clone());
            match refused {
                None => assert_eq!(got, Ok(()), "{list}"),
                Some(paths) => assert_eq!(got, Err(Violation::with_detail(Rule::HostMountPath, paths)), "{list}"),
            }
        }
    }

    #[test]
    fn mounts_types() {
        let table = [
            (json!([{"Type": "bind", "Source": "/", "Target": "/host"}]), false),
            (json!([{"Type": "BIND", "Source": "/etc", "Target": "/x"}]), false),
            (json!([{"Source": "/etc", "Target": "/x"}]), false),
            (json!([{"Type": "npipe", "Source": "/etc", "Target": "/x"}]), false),
            (json!([{"Type": "bind", "Source": "etc", "Target": "/x"}]), false),
            (json!([{"Type": "volume", "Source": "/etc", "Target": "/x", "type": "bind"}]), false),
            (json!([{"Type": "volume", "Source": "data", "Target": "/x"}]), true),
            (json!([{"Type": "tmpfs", "Target": "/x"}]), true),
            (json!([{"Type": "bind", "Source": "/var/lib/docker/volumes/v1/_data", "Target": "/x"}]), true),
        ];
        for (mounts, allowed) in table {
            let mut findings = MountFindings::default();
            findings.mounts(&mounts);
            assert_eq!(findings.result().is_ok(), allowed, "{mounts}");
        }
    }
}
