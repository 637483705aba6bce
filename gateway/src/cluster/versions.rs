//! What the segments' dockerd say of their versions, cached per cluster (the CLI pings
//! before every command).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;

/// The segments' versions, folded: the lowest API version, and the first answer as a base.
pub(crate) struct Versions {
    pub api: String,
    pub base: Value,
}

/// Per-cluster cache of [`Versions`] (ping is on every CLI command's path), and whether
/// a refresh is under way.
#[derive(Default)]
pub(crate) struct VersionCache(pub Mutex<Option<(Instant, Arc<Versions>)>>, pub Mutex<bool>);
