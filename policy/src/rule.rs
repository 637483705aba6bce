//! The rules a request can break, their CARINA codes and the messages users see.

use std::fmt;

/// One policy rule. Codes 1000 to 1006 and their messages are Carina's own
/// (getcarina.com error-codes page, 2016); 1007 onwards continue the numbering in
/// the same "X not allowed by policy" style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// CARINA-1000: `HostConfig.SecurityOpt` other than `no-new-privileges`, unmasked
    /// `/proc` paths (`MaskedPaths`/`ReadonlyPaths`), service `Privileges` that weaken
    /// confinement, and `/build?securityopt=`.
    SecurityOpt,
    /// CARINA-1001: `HostConfig.Privileged`.
    Privileged,
    /// CARINA-1002: a bind mount (or a local volume that binds) whose source is not a
    /// volume's data directory. The detail lists the refused paths.
    HostMountPath,
    /// CARINA-1003: `CapAdd`, `Capabilities`, service `CapabilityAdd`.
    CapAdd,
    /// CARINA-1004: `CapDrop`, service `CapabilityDrop`.
    CapDrop,
    /// CARINA-1005: deleting one of Carina's own containers. The gateway decides when
    /// (it knows the names); see [`Violation::infrastructure_container`].
    InfrastructureContainer,
    /// CARINA-1006: `HostConfig.IpcMode` = `host`.
    IpcHost,
    /// CARINA-1007: `PidMode`, `UTSMode`, `UsernsMode` or `CgroupnsMode` = `host`.
    /// `NetworkMode=host` stays allowed: inside a segment "host" is the segment's own
    /// network namespace, and Carina's docs use `--net=host` themselves.
    HostNamespace,
    /// CARINA-1008: `Devices`, `DeviceRequests` (`--gpus`), `DeviceCgroupRules`.
    Devices,
    /// CARINA-1009: sysctls outside the namespaced set (`net.*`, `kernel.shm*`,
    /// `kernel.msg*`, `kernel.sem`, `fs.mqueue.*`).
    Sysctls,
    /// CARINA-1010: an OCI runtime other than runc.
    Runtime,
    /// CARINA-1011: `CgroupParent` (containers and `/build?cgroupparent=`).
    CgroupParent,
    /// CARINA-1012: a negative `OomScoreAdj`.
    OomScoreAdj,
    /// CARINA-1013: an `rtprio` ulimit (real-time scheduling starves other tenants).
    Ulimits,
    /// CARINA-1014: a local volume of a filesystem type other than tmpfs, nfs, cifs,
    /// overlay or a bind (e.g. `proc`, `sysfs`, `ext4`).
    VolumeFilesystem,
    /// CARINA-1015: `POST /containers/{id}/exec` with `Privileged`.
    PrivilegedExec,
    /// CARINA-1016: installing, upgrading, configuring or enabling plugins, including
    /// plugin services (`TaskTemplate.Runtime=plugin`).
    Plugins,
    /// CARINA-1017: swarm init/join/leave/update/unlock, reading the unlock key and
    /// removing nodes: the provider manages the swarm.
    Swarm,
    /// CARINA-1018: a log driver other than `json-file`, `local` or `none` (unless the
    /// operator allows more): the others (syslog, gelf, fluentd, splunk...) open
    /// connections from the segment to addresses of the tenant's choosing.
    LogDriver,
}

impl Rule {
    /// Every rule, in code order.
    pub const ALL: [Rule; 19] = [
        Rule::SecurityOpt,
        Rule::Privileged,
        Rule::HostMountPath,
        Rule::CapAdd,
        Rule::CapDrop,
        Rule::InfrastructureContainer,
        Rule::IpcHost,
        Rule::HostNamespace,
        Rule::Devices,
        Rule::Sysctls,
        Rule::Runtime,
        Rule::CgroupParent,
        Rule::OomScoreAdj,
        Rule::Ulimits,
        Rule::VolumeFilesystem,
        Rule::PrivilegedExec,
        Rule::Plugins,
        Rule::Swarm,
        Rule::LogDriver,
    ];

    /// The number after `CARINA-`.
    pub const fn code(self) -> u16 {
        match self {
            Rule::SecurityOpt => 1000,
            Rule::Privileged => 1001,
            Rule::HostMountPath => 1002,
            Rule::CapAdd => 1003,
            Rule::CapDrop => 1004,
            Rule::InfrastructureContainer => 1005,
            Rule::IpcHost => 1006,
            Rule::HostNamespace => 1007,
            Rule::Devices => 1008,
            Rule::Sysctls => 1009,
            Rule::Runtime => 1010,
            Rule::CgroupParent => 1011,
            Rule::OomScoreAdj => 1012,
            Rule::Ulimits => 1013,
            Rule::VolumeFilesystem => 1014,
            Rule::PrivilegedExec => 1015,
            Rule::Plugins => 1016,
            Rule::Swarm => 1017,
            Rule::LogDriver => 1018,
        }
    }

    /// The fixed part of the message; a [`Violation`]'s detail, if any, follows it
    /// after `": "`.
    pub const fn message(self) -> &'static str {
        match self {
            Rule::SecurityOpt => "Changing SecurityOpt not allowed by policy",
            Rule::Privileged => "Privileged containers not allowed by policy",
            Rule::HostMountPath => "Host mount path(s) not allowed by policy",
            Rule::CapAdd => "Adding capabilities not allowed by policy",
            Rule::CapDrop => "Dropping capabilities not allowed by policy",
            Rule::InfrastructureContainer => "Attempted to delete a Carina infrastructure container",
            Rule::IpcHost => "Setting ipc=host not allowed by policy",
            Rule::HostNamespace => "Host namespace(s) not allowed by policy",
            Rule::Devices => "Host devices not allowed by policy",
            Rule::Sysctls => "Sysctl(s) not allowed by policy",
            Rule::Runtime => "Container runtime not allowed by policy",
            Rule::CgroupParent => "Cgroup parent not allowed by policy",
            Rule::OomScoreAdj => "Negative OomScoreAdj not allowed by policy",
            Rule::Ulimits => "Ulimit(s) not allowed by policy",
            Rule::VolumeFilesystem => "Volume filesystem type(s) not allowed by policy",
            Rule::PrivilegedExec => "Privileged exec not allowed by policy",
            Rule::Plugins => "Managing plugins not allowed by policy",
            Rule::Swarm => "Managing the swarm not allowed by policy",
            Rule::LogDriver => "Log driver not allowed by policy",
        }
    }
}

/// `CARINA-<code>: <message>`, without any detail.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CARINA-{}: {}", self.code(), self.message())
    }
}

/// A refused request: which rule, and what exactly (paths, names) when the message
/// has a variable part.
///
/// Its `Display` is the whole message, e.g.
/// `CARINA-1002: Host mount path(s) not allowed by policy: /etc, /root`. Send it as
/// the Docker error body (see [`Violation::docker_error_body`]) with status 403, and
/// the docker CLI prints `Error response from daemon: <that>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}{}", DetailSuffix(.detail.as_deref()))]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// The variable part of the message (e.g. `/etc, /root`), if the rule has one.
    pub detail: Option<String>,
}

impl Violation {
    /// A violation without detail.
    pub fn new(rule: Rule) -> Self {
        Violation { rule, detail: None }
    }

    /// A violation whose message ends with `": <detail>"`.
    pub fn with_detail(rule: Rule, detail: impl Into<String>) -> Self {
        Violation { rule, detail: Some(detail.into()) }
    }

    /// CARINA-1005 for deleting the infrastructure container `name_or_id` (as the user
    /// named it): `Attempted to delete a Carina infrastructure container: <name/id>`.
    pub fn infrastructure_container(name_or_id: impl Into<String>) -> Self {
        Violation::with_detail(Rule::InfrastructureContainer, name_or_id)
    }

    /// The JSON error body the Docker Engine API uses, `{"message": "<Display>"}`:
    /// the docker CLI prints its `message` after "Error response from daemon: ".
    pub fn docker_error_body(&self) -> serde_json::Value {
        serde_json::json!({ "message": self.to_string() })
    }
}

/// Formats `": <detail>"`, or nothing.
struct DetailSuffix<'a>(Option<&'a str>);

impl fmt::Display for DetailSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(detail) => write!(f, ": {detail}"),
            None => Ok(()),
        }
    }
}

/// Joins the items of a detail, dropping repeats but keeping first-seen order so the
/// message follows the request.
pub(crate) fn join_unique<I: IntoIterator<Item = String>>(items: I) -> String {
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carina_codes_and_messages_are_exact() {
        let table = [
            (Rule::SecurityOpt, "CARINA-1000: Changing SecurityOpt not allowed by policy"),
            (Rule::Privileged, "CARINA-1001: Privileged containers not allowed by policy"),
            (Rule::CapAdd, "CARINA-1003: Adding capabilities not allowed by policy"),
            (Rule::CapDrop, "CARINA-1004: Dropping capabilities not allowed by policy"),
            (Rule::IpcHost, "CARINA-1006: Setting ipc=host not allowed by policy"),
        ];
        for (rule, text) in table {
            assert_eq!(Violation::new(rule).to_string(), text);
        }
        assert_eq!(
            Violation::with_detail(Rule::HostMountPath, "/etc, /root").to_string(),
            "CARINA-1002: Host mount path(s) not allowed by policy: /etc, /root"
        );
        assert_eq!(
            Violation::infrastructure_container("swarm-data").to_string(),
            "CARINA-1005: Attempted to delete a Carina infrastructure container: swarm-data"
        );
    }

    #[test]
    fn codes_are_unique_and_consecutive() {
        for (i, rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(rule.code(), 1000 + i as u16, "{rule:?}");
            assert!(rule.message().contains("policy") || rule.code() == 1005);
        }
    }

    #[test]
    fn error_body_carries_the_message() {
        let body = Violation::new(Rule::Privileged).docker_error_body();
        assert_eq!(body["message"], "CARINA-1001: Privileged containers not allowed by policy");
    }

    #[test]
    fn join_unique_keeps_first_order() {
        let joined = join_unique(["/etc", "/root", "/etc"].map(String::from));
        assert_eq!(joined, "/etc, /root");
    }
}
