//! The cluster policy: which Docker Engine API requests a tenant may make.
//!
//! Pure logic, no I/O. The gateway parses a request and asks [`check`]; a refusal is a
//! [`Violation`] whose `Display` is the message the docker CLI prints after
//! "Error response from daemon: ", e.g.
//! `CARINA-1002: Host mount path(s) not allowed by policy: /etc`. See [`Rule`] for the
//! codes.
//!
//! What is checked (field names from the Engine API v1.41, dockerd 20.10):
//! - containers: `POST /containers/create` (`HostConfig` and the deprecated top-level
//!   copy), `POST /containers/{id}/start` (HostConfig body of API < 1.24),
//!   `POST /containers/{id}/update`, `POST /containers/{id}/exec`;
//! - `POST /volumes/create` (local driver options);
//! - `POST /services/create`, `POST /services/{id}/update`;
//! - `POST /build` (query);
//! - plugins: pull (`docker plugin install`), create, upgrade, set and enable are
//!   refused: a plugin runs with whatever privileges its manifest asks, host mounts
//!   and devices included;
//! - swarm: see [`redact_swarm_inspect`] and the refused endpoints in its module.
//!
//! Unknown fields pass, as dockerd ignores them; every known escalation field is
//! checked, under any spelling Go's JSON decoder accepts.
//!
//! For the gateway:
//! - When [`inspects_body`] is true (and wherever else a body is read), decode it with
//!   [`body::decode`] and answer 400 if that fails: never call `check` with `None` for
//!   a body that does not decode. Go's decoder accepts input serde_json rejects
//!   (invalid UTF-8, lone surrogates, trailing data after the first value, deep
//!   nesting), and merges repeated keys that serde would drop, so dockerd would act on
//!   a body we never saw. Forward [`body::canonical`] bytes of the judged value, never
//!   the client's bytes.
//! - Refuse request bodies sent as forms (`application/x-www-form-urlencoded`,
//!   `multipart/form-data`), deciding on the raw header bytes: Go merges them into the
//!   form values handlers read (`/build` reads `cgroupparent`, `securityopt`...), where
//!   the query-string check would miss them.
//! - CARINA-1005 (deleting infrastructure containers) is yours: only you know the
//!   names. Match on the resolved container ID, not the name the user gave, since
//!   containers can be renamed.

#![warn(unreachable_pub)]

pub mod body;
mod build;
mod confinement;
mod container;
pub mod content_type;
pub mod defaults;
mod json;
mod local_volume;
mod log_driver;
mod mounts;
mod path;
mod route;
mod rule;
mod service;
mod swarm;
mod volume;

pub use container::binds_of_container_create;
pub use log_driver::LOCAL_LOG_DRIVERS;
pub use path::{bind_source_allowed, normalize_host_path, VOLUMES_ROOT};
pub use route::{classify, request_segments, Endpoint};
pub use rule::{Rule, Violation};
pub use swarm::redact_swarm_inspect;

use serde_json::Value;

/// Decides whether a Docker Engine API request is allowed.
///
/// - `method`: e.g. `"POST"` (any case).
/// - `path`: the URL path, API version prefix stripped (`/containers/create`,
///   `/services/abc/update`, `/plugins/pull`). A leftover `/v1.41` prefix, percent
///   escapes and `//`, `.` or `..` segments are handled as dockerd's router would.
/// - `query`: the raw query string, without `?` (only `/build` reads it).
/// - `body`: the parsed JSON body, if any.
///
/// Returns the first rule broken, in a fixed order (privileged, capabilities, security
/// options, namespaces, mounts, devices, runtime, cgroup parent, sysctls, OOM score,
/// ulimits, log drivers).
pub fn check(method: &str, path: &str, query: &str, body: Option<&Value>) -> Result<(), Violation> {
    Policy::default().check(method, path, query, body)
}

/// The policy of one installation: the fixed rules, plus what its operator allows
/// beyond them.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Log drivers allowed besides [`LOCAL_LOG_DRIVERS`] (e.g. `gelf` where the
    /// operator runs a collector segments may reach).
    pub extra_log_drivers: Vec<String>,
}

impl Policy {
    /// [`check`] under this policy.
    pub fn check(&self, method: &str, path: &str, query: &str, body: Option<&Value>) -> Result<(), Violation> {
        self.check_endpoint(classify(method, path), query, body)
    }

    /// [`Policy::check`] for a request already classified (the gateway classifies each
    /// request once, for its router and for the policy alike).
    pub fn check_endpoint(&self, endpoint: Endpoint, query: &str, body: Option<&Value>) -> Result<(), Violation> {
        fixed_rules(endpoint, query, body)?;
        let Some(body) = body else { return Ok(()) };
        let extra = &self.extra_log_drivers;
        match endpoint {
            Endpoint::ContainerCreate => log_driver::check_host_configs(&container::host_configs(body), extra),
            Endpoint::ContainerStart => log_driver::check_host_configs(&[body], extra),
            Endpoint::ServiceSpec => log_driver::check_service(body, extra),
            _ => Ok(()),
        }
    }
}

/// The rules no operator setting changes.
fn fixed_rules(endpoint: Endpoint, query: &str, body: Option<&Value>) -> Result<(), Violation> {
    // Without a body there is nothing to judge: dockerd refuses an empty create, and a
    // start without a HostConfig is the normal case.
    let body_check = |judge: fn(&Value) -> Result<(), Violation>| body.map_or(Ok(()), judge);
    match endpoint {
        Endpoint::ContainerCreate => body_check(container::check_create),
        Endpoint::ContainerStart => body_check(container::check_start),
        Endpoint::ContainerUpdate => body_check(container::check_update),
        Endpoint::ContainerExec => body_check(container::check_exec),
        Endpoint::VolumeCreate => body_check(volume::check_create),
        Endpoint::ServiceSpec => body_check(service::check_spec),
        Endpoint::Build => build::check(query),
        Endpoint::PluginManagement => Err(Violation::new(Rule::Plugins)),
        Endpoint::SwarmManagement => Err(Violation::new(Rule::Swarm)),
        Endpoint::Other => Ok(()),
    }
}

/// Whether [`check`] reads this request's JSON body. If so, the gateway must refuse the
/// request when the body does not parse (see the crate docs) rather than pass `None`.
pub fn inspects_body(method: &str, path: &str) -> bool {
    classify(method, path).reads_body()
}
