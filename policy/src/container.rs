//! Containers: create, start (old API), update, exec.
//!
//! A HostConfig can reach dockerd three ways, and all three are checked:
//! - `POST /containers/create` body `HostConfig`;
//! - the same body's *top level*: dockerd decodes the body into a wrapper that embeds
//!   a deprecated HostConfig, and uses it when `HostConfig` is absent, so
//!   `{"Image": "alpine", "Privileged": true}` creates a privileged container;
//! - `POST /containers/{id}/start` with a HostConfig body, which dockerd 20.10 still
//!   applies for API versions below 1.24 (`/v1.23/containers/x/start`); the gateway
//!   strips the version, so the body is checked whatever version was asked for.

use serde_json::Value;

use crate::confinement::{grants_rtprio, refused_sysctls, security_opt_allowed, unmasks_system_paths};
use crate::json;
use crate::mounts::MountFindings;
use crate::rule::{join_unique, Rule, Violation};

/// OCI runtimes a container may ask for: runc under its names, or the default.
const ALLOWED_RUNTIMES: [&str; 3] = ["", "runc", "io.containerd.runc.v2"];

/// Namespace fields refused as `host`, and how the detail names them.
/// `IpcMode` has its own Carina rule; `NetworkMode` is allowed.
const NAMESPACE_FIELDS: [(&str, &str); 4] = [
    ("PidMode", "pid=host"),
    ("UTSMode", "uts=host"),
    ("UsernsMode", "userns=host"),
    ("CgroupnsMode", "cgroupns=host"),
];

/// Checks a `POST /containers/create` body.
pub(crate) fn check_create(body: &Value) -> Result<(), Violation> {
    check_host_configs(&host_configs(body))
}

/// Checks a `POST /containers/{id}/start` body: a bare HostConfig (API < 1.24).
pub(crate) fn check_start(body: &Value) -> Result<(), Violation> {
    check_host_configs(&[body])
}

/// Checks a `POST /containers/{id}/update` body.
///
/// dockerd 20.10 applies only resource limits and the restart policy from it, so
/// nothing here can escalate today; but the body's `Resources` carry `Devices`,
/// `DeviceRequests`, `DeviceCgroupRules`, `CgroupParent` and `Ulimits`, and the
/// whole HostConfig check is run so a daemon that honoured more would still be safe.
/// The docker CLI never sends any of them set.
pub(crate) fn check_update(body: &Value) -> Result<(), Violation> {
    check_host_configs(&[body])
}

/// Checks a `POST /containers/{id}/exec` body (`docker exec --privileged`).
pub(crate) fn check_exec(body: &Value) -> Result<(), Violation> {
    if json::fields(body, "Privileged").any(json::flag_set) {
        return Err(Violation::new(Rule::PrivilegedExec));
    }
    Ok(())
}

/// The normalised host paths of every bind a container create request makes:
/// `HostConfig.Binds` sources, `Mounts` bind sources, and devices and overlay
/// directories of local volumes it creates through `Mounts[].VolumeOptions`, from both
/// `HostConfig` and the deprecated top level. Also works on an old-API start body.
///
/// Call it after [`check`](crate::check) passed; every path returned is then a volume's
/// `_data` directory. A symlink check on the chosen segment is defence in depth only:
/// those directories' components are all created by dockerd, out of the tenant's reach.
/// Volumes the container uses by name were checked when they were created.
pub fn binds_of_container_create(body: &Value) -> Vec<String> {
    mount_findings(&host_configs(body)).into_host_paths()
}

/// Where a create body can carry a HostConfig: `HostConfig` and the top level.
pub(crate) fn host_configs(body: &Value) -> Vec<&Value> {
    let mut found: Vec<&Value> = json::fields(body, "HostConfig").collect();
    found.push(body);
    found
}

/// Reads the mounts of every HostConfig.
fn mount_findings(host_configs: &[&Value]) -> MountFindings {
    let mut findings = MountFindings::default();
    for host_config in host_configs {
        findings.binds(host_config);
        for mounts in json::fields(host_config, "Mounts") {
            findings.mounts(mounts);
        }
    }
    findings
}

/// Every value of `field` across the HostConfigs.
fn all<'a>(host_configs: &'a [&'a Value], field: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    host_configs.iter().flat_map(move |hc| json::fields(hc, field))
}

/// Whether a namespace mode string means the segment's own namespace. dockerd
/// compares with `== "host"`; ignoring case and spaces only refuses more.
fn is_host(mode: &Value) -> bool {
    mode.as_str().is_some_and(|m| m.trim().eq_ignore_ascii_case("host"))
}

/// Runs every HostConfig rule, in a fixed order, and reports the first broken.
pub(crate) fn check_host_configs(hcs: &[&Value]) -> Result<(), Violation> {
    let refuse = |broken: bool, rule: Rule| {
        if broken {
            Err(Violation::new(rule))
        } else {
            Ok(())
        }
    };

    refuse(all(hcs, "Privileged").any(json::flag_set), Rule::Privileged)?;
    // `Capabilities` (API 1.40 only) replaced the whole default set.
    refuse(all(hcs, "CapAdd").chain(all(hcs, "Capabilities")).any(json::has_items), Rule::CapAdd)?;
    refuse(all(hcs, "CapDrop").any(json::has_items), Rule::CapDrop)?;
    refuse(
        all(hcs, "SecurityOpt").flat_map(json::strings).any(|opt| !security_opt_allowed(opt))
            || hcs.iter().any(|hc| unmasks_system_paths(hc)),
        Rule::SecurityOpt,
    )?;
    refuse(all(hcs, "IpcMode").any(is_host), Rule::IpcHost)?;

    let namespaces: Vec<String> = NAMESPACE_FIELDS
        .iter()
        .filter(|(field, _)| all(hcs, field).any(is_host))
        .map(|(_, label)| label.to_string())
        .collect();
    if !namespaces.is_empty() {
        return Err(Violation::with_detail(Rule::HostNamespace, namespaces.join(", ")));
    }

    mount_findings(hcs).result()?;

    let devices = refused_devices(hcs);
    if !devices.is_empty() {
        return Err(Violation::with_detail(Rule::Devices, join_unique(devices)));
    }

    if let Some(runtime) = all(hcs, "Runtime").filter_map(Value::as_str).find(|r| !ALLOWED_RUNTIMES.contains(&r.trim()))
    {
        return Err(Violation::with_detail(Rule::Runtime, runtime));
    }

    if let Some(parent) = all(hcs, "CgroupParent").filter_map(Value::as_str).find(|p| !p.is_empty()) {
        return Err(Violation::with_detail(Rule::CgroupParent, parent));
    }

    let host_network = all(hcs, "NetworkMode").any(is_host);
    let sysctls: Vec<String> = all(hcs, "Sysctls").flat_map(|s| refused_sysctls(s, host_network)).collect();
    if !sysctls.is_empty() {
        return Err(Violation::with_detail(Rule::Sysctls, join_unique(sysctls)));
    }

    refuse(all(hcs, "OomScoreAdj").any(|v| v.as_f64().is_some_and(|n| n < 0.0)), Rule::OomScoreAdj)?;
    if all(hcs, "Ulimits").any(grants_rtprio) {
        return Err(Violation::with_detail(Rule::Ulimits, "rtprio"));
    }
    Ok(())
}

/// What the device fields ask for, named for the message: host device paths
/// (`--device`), cgroup rules (`--device-cgroup-rule`) and the capabilities or driver
/// of device requests (`--gpus`).
fn refused_devices(hcs: &[&Value]) -> Vec<String> {
    let mut refused = Vec::new();
    for devices in all(hcs, "Devices").filter(|v| json::has_items(v)) {
        let paths: Vec<String> = json::items(devices)
            .iter()
            .flat_map(|d| json::string_fields(d, "PathOnHost"))
            .map(str::to_string)
            .collect();
        if paths.is_empty() {
            refused.push("Devices".to_string());
        }
        refused.extend(paths);
    }
    for rules in all(hcs, "DeviceCgroupRules").filter(|v| json::has_items(v)) {
        let listed = json::strings(rules);
        if listed.is_empty() {
            refused.push("DeviceCgroupRules".to_string());
        }
        refused.extend(listed.into_iter().map(str::to_string));
    }
    for requests in all(hcs, "DeviceRequests").filter(|v| json::has_items(v)) {
        let mut named: Vec<String> = Vec::new();
        for request in json::items(requests) {
            named.extend(json::string_fields(request, "Driver").filter(|d| !d.is_empty()).map(str::to_string));
            for capabilities in json::fields(request, "Capabilities") {
                for any_of in json::items(capabilities) {
                    named.extend(json::strings(any_of).into_iter().map(str::to_string));
                }
            }
        }
        if named.is_empty() {
            named.push("DeviceRequests".to_string());
        }
        refused.extend(named);
    }
    refused
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_level_host_config_fields_are_checked() {
        let body = json!({"Image": "alpine", "Privileged": true});
        assert_eq!(check_create(&body), Err(Violation::new(Rule::Privileged)));
        let body = json!({"Image": "alpine", "HostConfig": {}, "Binds": ["/etc:/x"]});
        assert_eq!(check_create(&body), Err(Violation::with_detail(Rule::HostMountPath, "/etc")));
    }

    #[test]
    fn binds_of_create_lists_every_host_path_once() {
        let body = json!({
            "HostConfig": {
                "Binds": ["/var/lib/docker/volumes/a/_data:/a", "named:/n", "/var/lib/docker/volumes/a/_data/:/b"],
                "Mounts": [
                    {"Type": "bind", "Source": "/var/lib/docker/volumes/b/_data", "Target": "/b"},
                    {"Type": "volume", "Target": "/c", "VolumeOptions": {"DriverConfig": {"Name": "local",
                        "Options": {"type": "none", "o": "bind", "device": "/var/lib/docker/volumes/c/_data"}}}}
                ]
            }
        });
        assert_eq!(check_create(&body), Ok(()));
        assert_eq!(
            binds_of_container_create(&body),
            vec![
                "/var/lib/docker/volumes/a/_data",
                "/var/lib/docker/volumes/b/_data",
                "/var/lib/docker/volumes/c/_data",
            ]
        );
    }

    #[test]
    fn device_details() {
        let hc = json!({
            "Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}],
            "DeviceCgroupRules": ["c 1:3 mr"],
            "DeviceRequests": [{"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}]
        });
        assert_eq!(refused_devices(&[&hc]), vec!["/dev/sda", "c 1:3 mr", "gpu"]);
    }
}
