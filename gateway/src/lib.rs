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

mod binds;
mod body;
mod cluster;
mod coalesce;
mod config;
mod container_ops;
mod containers;
mod directory;
mod error;
mod events;
mod exec;
mod fanout;
mod gateway;
mod hijack;
mod images;
mod info;
mod limits;
mod listener;
mod locality;
mod locate;
mod name_filter;
mod networks;
mod placement;
mod plugins;
mod policy_gate;
mod query;
mod rawstream;
mod router;
mod swarm_mode;
mod system;
mod tee;
mod tls;
mod units;
mod upstream;
mod volumes;

pub use config::EndpointConfig;
pub use directory::{ClusterDirectory, DirectoryError, EndpointEvent, SegmentEndpoint};
pub use error::GatewayError;
pub use gateway::{Gateway, GatewayOptions};
pub use limits::EndpointLimits;
