//! Log drivers: only those that write inside the segment.
//!
//! `json-file`, `local` and `none` keep logs on the segment (and `docker logs` works);
//! every other built-in driver (syslog, gelf, fluentd, journald, splunk, awslogs...)
//! sends them somewhere, opening connections from the segment to addresses the tenant
//! chooses. An operator may allow more by name.

use serde_json::Value;

use crate::json;
use crate::rule::{Rule, Violation};

/// The drivers every cluster may use. An empty name means the daemon's default
/// (`json-file` on segments).
pub const LOCAL_LOG_DRIVERS: [&str; 4] = ["", "json-file", "local", "none"];

/// The first driver named in `drivers` that is neither local nor in `extra`.
fn refused<'a>(drivers: impl Iterator<Item = &'a str>, extra: &[String]) -> Result<(), Violation> {
    for driver in drivers {
        let name = driver.trim();
        if !LOCAL_LOG_DRIVERS.contains(&name) && !extra.iter().any(|allowed| allowed == name) {
            return Err(Violation::with_detail(Rule::LogDriver, name));
        }
    }
    Ok(())
}

/// Checks `LogConfig.Type` of container HostConfigs (create, and start on old APIs).
pub(crate) fn check_host_configs(host_configs: &[&Value], extra: &[String]) -> Result<(), Violation> {
    let drivers = host_configs
        .iter()
        .flat_map(|hc| json::fields(hc, "LogConfig"))
        .flat_map(|config| json::string_fields(config, "Type"));
    refused(drivers, extra)
}

/// Checks `TaskTemplate.LogDriver.Name` of a service spec.
pub(crate) fn check_service(spec: &Value, extra: &[String]) -> Result<(), Violation> {
    let drivers = json::fields(spec, "TaskTemplate")
        .flat_map(|template| json::fields(template, "LogDriver"))
        .flat_map(|driver| json::string_fields(driver, "Name"));
    refused(drivers, extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_local_drivers_unless_allowed() {
        let hc = |driver: &str| json!({"LogConfig": {"Type": driver, "Config": {}}});
        for driver in ["", "json-file", "local", "none"] {
            assert_eq!(check_host_configs(&[&hc(driver)], &[]), Ok(()), "{driver}");
        }
        for driver in ["syslog", "gelf", "fluentd", "splunk", "journald", "awslogs", " syslog"] {
            assert_eq!(
                check_host_configs(&[&hc(driver)], &[]),
                Err(Violation::with_detail(Rule::LogDriver, driver.trim())),
                "{driver}"
            );
        }
        assert_eq!(check_host_configs(&[&hc("gelf")], &["gelf".to_string()]), Ok(()));
        let folded = json!({"logconfig": {"TYPE": "syslog"}});
        assert!(check_host_configs(&[&folded], &[]).is_err());
    }

    #[test]
    fn services_too() {
        let spec =
            json!({"TaskTemplate": {"LogDriver": {"Name": "fluentd", "Options": {"fluentd-address": "x:24224"}}}});
        assert_eq!(check_service(&spec, &[]), Err(Violation::with_detail(Rule::LogDriver, "fluentd")));
        let spec = json!({"TaskTemplate": {"LogDriver": {"Name": "local"}}});
        assert_eq!(check_service(&spec, &[]), Ok(()));
    }
}
