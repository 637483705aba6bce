//! Value checks shared by containers, services and builds: security options, masked
//! paths, sysctls, ulimits.

use serde_json::Value;

use crate::json;
use crate::path::normalize_host_path;

/// Whether one `SecurityOpt` entry is harmless. Only turning `no-new-privileges` *on*
/// is: it is the one option that tightens confinement. dockerd splits an entry on `=`
/// (or, deprecated, `:`) and parses the value with Go's `strconv.ParseBool`, whose
/// true spellings are listed here; `no-new-privileges=false` is refused because it
/// could undo a daemon-wide default. `apparmor=`, `seccomp=`, `label=`,
/// `systempaths=unconfined` and anything unknown are refused.
pub(crate) fn security_opt_allowed(opt: &str) -> bool {
    if opt == "no-new-privileges" {
        return true;
    }
    let split = if opt.contains('=') { opt.split_once('=') } else { opt.split_once(':') };
    matches!(split, Some(("no-new-privileges", "1" | "t" | "T" | "TRUE" | "true" | "True")))
}

/// dockerd 20.10.0's default `MaskedPaths` (later 20.10 releases add
/// `/sys/devices/virtual/powercap`, which may be present or not).
const DEFAULT_MASKED_PATHS: [&str; 10] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
];

/// dockerd's default `ReadonlyPaths`.
const DEFAULT_READONLY_PATHS: [&str; 5] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/// Whether `MaskedPaths`/`ReadonlyPaths` values in a HostConfig would expose a path
/// the defaults protect. dockerd uses the defaults only when the field is `null`; any
/// list replaces them, so `[]` (what the CLI sends for
/// `--security-opt systempaths=unconfined`) unmasks `/proc/kcore` and makes
/// `/proc/sys` writable. A list that keeps every default and adds more is fine: that
/// is what tools that re-create containers from `docker inspect` output send.
pub(crate) fn unmasks_system_paths(host_config: &Value) -> bool {
    let lacks_default = |field: &str, defaults: &[&str]| {
        json::fields(host_config, field).any(|value| {
            let listed: Vec<String> = json::strings(value).into_iter().map(normalize_host_path).collect();
            defaults.iter().any(|d| !listed.iter().any(|l| l == d))
        })
    };
    lacks_default("MaskedPaths", &DEFAULT_MASKED_PATHS) || lacks_default("ReadonlyPaths", &DEFAULT_READONLY_PATHS)
}

/// Whether a sysctl may be set: only those the kernel namespaces per container, the
/// set Docker documents and runc accepts: `net.*` (not with the segment's own network,
/// `host_network`), the IPC ones (`kernel.shm*`, `kernel.msg*`, `kernel.sem`) and
/// `fs.mqueue.*`. Names must be plain dotted words so nothing like
/// `net.x/../../kernel/core_pattern` can reach another file under `/proc/sys`.
pub(crate) fn sysctl_allowed(name: &str, host_network: bool) -> bool {
    let plain = name
        .split(['.', '/'])
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')));
    if !plain {
        return false;
    }
    (name.starts_with("net.") && !host_network)
        || name.starts_with("kernel.shm")
        || name.starts_with("kernel.msg")
        || name == "kernel.sem"
        || name.starts_with("fs.mqueue.")
}

/// The refused sysctl names of a `Sysctls` map.
pub(crate) fn refused_sysctls(sysctls: &Value, host_network: bool) -> Vec<String> {
    sysctls
        .as_object()
        .into_iter()
        .flat_map(|map| map.keys())
        .filter(|name| !sysctl_allowed(name, host_network))
        .cloned()
        .collect()
}

/// Whether a `Ulimits` list (`[{"Name", "Soft", "Hard"}]`) grants real-time priority.
/// `rtprio` lets a process use `SCHED_FIFO` without `CAP_SYS_NICE`, and a real-time
/// busy loop starves everything else on its CPU, other tenants' segments included.
pub(crate) fn grants_rtprio(ulimits: &Value) -> bool {
    json::items(ulimits).iter().any(|limit| {
        json::string_fields(limit, "Name").any(|name| name.trim().eq_ignore_ascii_case("rtprio"))
            && ["Soft", "Hard"]
                .iter()
                .any(|bound| json::fields(limit, bound).any(|v| v.as_f64().is_none_or(|n| n != 0.0)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn security_opts() {
        let table = [
            ("no-new-privileges", true),
            ("no-new-privileges:true", true),
            ("no-new-privileges=true", true),
            ("no-new-privileges=1", true),
            ("no-new-privileges=false", false),
            ("no-new-privileges:x=true", false),
            ("seccomp=unconfined", false),
            ("seccomp:unconfined", false),
            ("seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}", false),
            ("apparmor=unconfined", false),
            ("apparmor:docker-default", false),
            ("label=disable", false),
            ("label:type:spc_t", false),
            ("disable", false),
            ("systempaths=unconfined", false),
            ("", false),
        ];
        for (opt, allowed) in table {
            assert_eq!(security_opt_allowed(opt), allowed, "{opt:?}");
        }
    }

    #[test]
    fn masked_paths() {
        let defaults = json!({
            "MaskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap"],
            "ReadonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger"]
        });
        assert!(!unmasks_system_paths(&defaults));
        assert!(!unmasks_system_paths(&json!({"MaskedPaths": null, "ReadonlyPaths": null})));
        assert!(unmasks_system_paths(&json!({"MaskedPaths": [], "ReadonlyPaths": []})));
        assert!(unmasks_system_paths(&json!({"ReadonlyPaths": ["/proc/bus"]})));
        let mut partial = defaults.clone();
        partial["MaskedPaths"].as_array_mut().unwrap().retain(|p| p != "/proc/kcore");
        assert!(unmasks_system_paths(&partial));
    }

    #[test]
    fn sysctls() {
        let table = [
            ("net.ipv4.ip_forward", false, true),
            ("net.ipv4.ip_forward", true, false),
            ("net.ipv4.conf.eth0/100.forwarding", false, true),
            ("kernel.shmmax", false, true),
            ("kernel.shm_rmid_forced", false, true),
            ("kernel.msgmnb", false, true),
            ("kernel.sem", false, true),
            ("fs.mqueue.msg_max", false, true),
            ("kernel.core_pattern", false, false),
            ("kernel.sem_next_id_x", false, false),
            ("kernel.hostname", false, false),
            ("vm.overcommit_memory", false, false),
            ("fs.file-max", false, false),
            ("net.x/../../kernel/core_pattern", false, false),
            ("net..x", false, false),
            ("net.", false, false),
        ];
        for (name, host_network, allowed) in table {
            assert_eq!(sysctl_allowed(name, host_network), allowed, "{name}");
        }
    }

    #[test]
    fn rtprio() {
        assert!(grants_rtprio(&json!([{"Name": "rtprio", "Soft": 99, "Hard": 99}])));
        assert!(grants_rtprio(&json!([{"name": "RTPRIO", "hard": 1}])));
        assert!(!grants_rtprio(&json!([{"Name": "rtprio", "Soft": 0, "Hard": 0}])));
        assert!(!grants_rtprio(&json!([{"Name": "nofile", "Soft": 1024, "Hard": 4096}])));
        assert!(!grants_rtprio(&json!([])));
    }
}
