//! Limits the endpoint adds to what tenants create, where they did not set their own.
//!
//! A segment's `pids.max` bounds the segment as a whole; a default per container keeps
//! one runaway container (a fork bomb) from taking every process slot of its segment,
//! so the tenant's other containers and the segment's dockerd keep working.

use serde_json::{Map, Value};

use crate::json::key_matches;

/// `PidsLimit` of a container, and `Limits.Pids` of a service's tasks, when the
/// request sets none (or 0 or a negative number, Docker's "unlimited").
pub const DEFAULT_PIDS_LIMIT: i64 = 2048;

/// Adds the default `PidsLimit` to a `POST /containers/create` body: into `HostConfig`,
/// or, when the body has none, into the top level that dockerd then reads as the
/// HostConfig (the deprecated flat form).
pub fn apply_to_container_create(body: &mut Value) {
    let Some(body) = body.as_object_mut() else { return };
    let host_config = match body.keys().find(|key| key_matches(key, "HostConfig")).cloned() {
        Some(key) => body.get_mut(&key),
        None => None,
    };
    match host_config.and_then(Value::as_object_mut) {
        Some(host_config) => set_if_unlimited(host_config, "PidsLimit"),
        None => set_if_unlimited(body, "PidsLimit"),
    }
}

/// A `POST /containers/{id}/update` that lifts a container's process limit (`PidsLimit`
/// 0 or negative: unlimited, as `docker update --pids-limit -1` sends) gets the default
/// instead. One that leaves it out, or sends `null` (the CLI does when it changes other
/// resources), keeps the container's current limit.
pub fn apply_to_container_update(body: &mut Value) {
    let Some(body) = body.as_object_mut() else { return };
    let lifted =
        body.iter().any(|(key, value)| key_matches(key, "PidsLimit") && value.as_i64().is_some_and(|n| n <= 0));
    if lifted {
        set_if_unlimited(body, "PidsLimit");
    }
}

/// Adds the default `Limits.Pids` to a service spec's `TaskTemplate.Resources`.
pub fn apply_to_service_spec(spec: &mut Value) {
    let Some(spec) = spec.as_object_mut() else { return };
    let limits =
        ["TaskTemplate", "Resources", "Limits"].iter().try_fold(spec, |object, name| child_object(object, name));
    if let Some(limits) = limits {
        set_if_unlimited(limits, "Pids");
    }
}

/// The object under `name` (matched as Go matches keys), created when absent or null;
/// `None` when it is something else (dockerd will refuse the body).
fn child_object<'a>(object: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Map<String, Value>> {
    let key = object.keys().find(|key| key_matches(key, name)).cloned().unwrap_or_else(|| name.to_owned());
    let child = object.entry(key).or_insert(Value::Null);
    if child.is_null() {
        *child = Value::Object(Map::new());
    }
    child.as_object_mut()
}

/// Sets `field` to the default unless it already holds a positive limit.
fn set_if_unlimited(object: &mut Map<String, Value>, field: &str) {
    let key = object.keys().find(|key| key_matches(key, field)).cloned().unwrap_or_else(|| field.to_owned());
    let limited = object.get(&key).and_then(Value::as_i64).is_some_and(|n| n > 0);
    if !limited {
        object.insert(key, Value::from(DEFAULT_PIDS_LIMIT));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn containers_get_a_pids_limit_unless_they_set_one() {
        let mut body = json!({"Image": "a", "HostConfig": {"PidsLimit": null}});
        apply_to_container_create(&mut body);
        assert_eq!(body["HostConfig"]["PidsLimit"], DEFAULT_PIDS_LIMIT);

        let mut body = json!({"Image": "a", "HostConfig": {"PidsLimit": -1}});
        apply_to_container_create(&mut body);
        assert_eq!(body["HostConfig"]["PidsLimit"], DEFAULT_PIDS_LIMIT);

        let mut body = json!({"Image": "a", "hostconfig": {"pidslimit": 100}});
        apply_to_container_create(&mut body);
        assert_eq!(body, json!({"Image": "a", "hostconfig": {"pidslimit": 100}}));

        let mut body = json!({"Image": "a", "Memory": 5});
        apply_to_container_create(&mut body);
        assert_eq!(body, json!({"Image": "a", "Memory": 5, "PidsLimit": DEFAULT_PIDS_LIMIT}));
    }

    #[test]
    fn updates_cannot_lift_the_pids_limit() {
        let mut body = json!({"PidsLimit": -1, "Memory": 5});
        apply_to_container_update(&mut body);
        assert_eq!(body, json!({"PidsLimit": DEFAULT_PIDS_LIMIT, "Memory": 5}));
        let mut body = json!({"pidslimit": 0});
        apply_to_container_update(&mut body);
        assert_eq!(body, json!({"pidslimit": DEFAULT_PIDS_LIMIT}));
        for kept in [json!({"PidsLimit": null, "Memory": 5}), json!({"Memory": 5}), json!({"PidsLimit": 100})] {
            let mut body = kept.clone();
            apply_to_container_update(&mut body);
            assert_eq!(body, kept);
        }
    }

    #[test]
    fn services_get_a_pids_limit_unless_they_set_one() {
        let mut spec = json!({"Name": "web", "TaskTemplate": {"ContainerSpec": {"Image": "a"}}});
        apply_to_service_spec(&mut spec);
        assert_eq!(spec["TaskTemplate"]["Resources"]["Limits"]["Pids"], DEFAULT_PIDS_LIMIT);

        let mut spec = json!({"TaskTemplate": {"Resources": {"Limits": {"Pids": 10, "MemoryBytes": 1}}}});
        apply_to_service_spec(&mut spec);
        assert_eq!(spec["TaskTemplate"]["Resources"]["Limits"], json!({"Pids": 10, "MemoryBytes": 1}));

        let mut spec = json!({"TaskTemplate": {"Resources": "bogus"}});
        apply_to_service_spec(&mut spec);
        assert_eq!(spec, json!({"TaskTemplate": {"Resources": "bogus"}}));
    }
}
