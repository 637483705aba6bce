//! The cluster endpoint: the only way users reach their cluster with the docker CLI.
//!
//! One mTLS listener per cluster ([`Gateway::open`]), each with the cluster's own CA, in
//! front of that cluster's segments (one dockerd each, reached over its unix socket). It
//! behaves like a classic Swarm manager: `docker info` describes the cluster as one
//! engine, containers are placed by the spread strategy with classic filters, `docker ps`
//! names containers `<segment>/<name>`, and per-container requests (including hijacked
//! attach/exec streams) go to the owning segment. Swarm-mode requests go to a manager.
//! Every request passes the `policy` crate; refusals are answered 403 with the CARINA
//! message and audited through [`ClusterDirectory::record_event`].
//!
//! Layout, outside in:
//! - `endpoints`: the public face (open, revoke, close an endpoint);
//! - `transport/`: the TLS listener, HTTP bodies, the pooled upstream clients to the
//!   segments' dockerd, hijacked and bulk streams;
//! - `entry`: every request's way through: classified once into a typed endpoint
//!   (`request/`: the endpoint, body, version prefix, policy gate), judged, then
//!   dispatched;
//! - `api/`: one handler module per kind of object, dispatched on the typed endpoint;
//! - `cluster/` and `placement/`: what the gateway knows of a cluster's segments, and
//!   where a new container goes.

#![warn(unreachable_pub)]

mod api;
mod cluster;
mod config;
mod directory;
mod endpoints;
mod entry;
mod error;
mod limits;
mod lock;
mod metrics;
mod placement;
mod request;
mod transport;

pub use config::EndpointConfig;
pub use directory::{ClusterDirectory, DirectoryError, EndpointEvent, SegmentEndpoint, StaticDirectory};
pub use endpoints::{Gateway, GatewayOptions};
pub use error::GatewayError;
pub use limits::EndpointLimits;
