//! Bytes on the wire: the TLS listener and its connections, HTTP bodies, the pooled
//! clients to the segments' dockerd sockets, and the streams that bypass them
//! (hijacked attach/exec, bulk logs and exports, bodies teed to every segment).

pub(crate) mod body;
pub(crate) mod coalesce;
pub(crate) mod hijack;
pub(crate) mod listener;
pub(crate) mod rawstream;
pub(crate) mod reader;
pub(crate) mod tee;
pub(crate) mod tls;
pub(crate) mod upstream;
