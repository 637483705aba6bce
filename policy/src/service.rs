//! Swarm services: `POST /services/create` and `POST /services/{id}/update`.
//!
//! Swarm creates the tasks' containers on the segments itself, never through the
//! gateway, so the service spec is the only place to enforce the policy. Both
//! endpoints take a whole `ServiceSpec`; the container part is
//! `TaskTemplate.ContainerSpec` (API 1.41 field names), and fields added by later API
//! versions that would weaken confinement (`Privileges.Seccomp`, `Privileges.AppArmor`,
//! `OomScoreAdj`) are checked too although dockerd 20.10 ignores them.

use serde_json::Value;

use crate::confinement::{grants_rtprio, refused_sysctls};
use crate::json;
use crate::mounts::MountFindings;
use crate::rule::{join_unique, Rule, Violation};

/// Checks a `ServiceSpec` body.
pub(crate) fn check_spec(spec: &Value) -> Result<(), Violation> {
    let templates: Vec<&Value> = json::fields(spec, "TaskTemplate").collect();
    let specs: Vec<&Value> = templates.iter().flat_map(|t| json::fields(t, "ContainerSpec")).collect();
    let all = |field: &'static str| specs.iter().flat_map(move |s| json::fields(s, field));
    let refuse = |broken: bool, rule: Rule| {
        if broken {
            Err(Violation::new(rule))
        } else {
            Ok(())
        }
    };

    refuse(all("CapabilityAdd").chain(all("Capabilities")).any(json::has_items), Rule::CapAdd)?;
    refuse(all("CapabilityDrop").any(json::has_items), Rule::CapDrop)?;
    refuse(all("Privileges").any(weakens_confinement), Rule::SecurityOpt)?;

    let mut findings = MountFindings::default();
    for mounts in all("Mounts") {
        findings.mounts(mounts);
    }
    findings.result()?;

    // A service may join the `host` network, where runc refuses `net.*` itself; the
    // spec alone does not say, so services get the container-network answer.
    let sysctls: Vec<String> = all("Sysctls").flat_map(|s| refused_sysctls(s, false)).collect();
    if !sysctls.is_empty() {
        return Err(Violation::with_detail(Rule::Sysctls, join_unique(sysctls)));
    }
    refuse(all("OomScoreAdj").any(|v| v.as_f64().is_some_and(|n| n < 0.0)), Rule::OomScoreAdj)?;
    if all("Ulimits").any(grants_rtprio) {
        return Err(Violation::with_detail(Rule::Ulimits, "rtprio"));
    }

    // `Runtime: plugin` with a `PluginSpec` installs a plugin on every node.
    let plugin_runtime = templates.iter().any(|t| {
        json::string_fields(t, "Runtime").any(|r| r.trim().eq_ignore_ascii_case("plugin"))
            || json::fields(t, "PluginSpec").next().is_some()
    });
    refuse(plugin_runtime, Rule::Plugins)
}

/// Whether a `ContainerSpec.Privileges` object loosens confinement, the service
/// equivalent of a SecurityOpt:
/// - `CredentialSpec`: becomes `credentialspec=` SecurityOpt (Windows only, refused
///   like every SecurityOpt);
/// - `SELinuxContext`: becomes `label=` options; an all-empty one is harmless;
/// - `Seccomp` (API 1.44+): any mode but `default`, or a custom profile;
/// - `AppArmor` (API 1.44+): any mode but `default`.
///
/// `NoNewPrivileges` (API 1.46+) only tightens and is allowed.
fn weakens_confinement(privileges: &Value) -> bool {
    let non_default_mode = |field: &str| {
        json::fields(privileges, field).any(|setting| {
            json::string_fields(setting, "Mode").any(|m| !matches!(m.trim(), "" | "default"))
                || json::string_fields(setting, "Profile").any(|p| !p.is_empty())
        })
    };
    json::fields(privileges, "CredentialSpec").next().is_some()
        || json::fields(privileges, "SELinuxContext").any(|context| {
            json::fields(context, "Disable").any(json::flag_set)
                || ["User", "Role", "Type", "Level"]
                    .iter()
                    .any(|f| json::string_fields(context, f).any(|s| !s.is_empty()))
        })
        || non_default_mode("Seccomp")
        || non_default_mode("AppArmor")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn privileges() {
        let table = [
            (json!({}), false),
            (json!({"CredentialSpec": null, "SELinuxContext": null}), false),
            (json!({"SELinuxContext": {"Disable": false, "User": "", "Role": "", "Type": "", "Level": ""}}), false),
            (json!({"SELinuxContext": {"Disable": true}}), true),
            (json!({"SELinuxContext": {"Type": "spc_t"}}), true),
            (json!({"CredentialSpec": {"File": "spec.json"}}), true),
            (json!({"Seccomp": {"Mode": "default"}}), false),
            (json!({"Seccomp": {"Mode": "unconfined"}}), true),
            (json!({"Seccomp": {"Mode": "custom", "Profile": "{}"}}), true),
            (json!({"AppArmor": {"Mode": "default"}}), false),
            (json!({"AppArmor": {"Mode": "disabled"}}), true),
            (json!({"NoNewPrivileges": true}), false),
        ];
        for (privileges, weakens) in table {
            assert_eq!(weakens_confinement(&privileges), weakens, "{privileges}");
        }
    }
}
