//! Talking to libvirt: a connection closed on drop, and small lookups on domains.

use virt::connect::Connect;
use virt::domain::Domain;
use virt::error::ErrorNumber;

use crate::domain_xml::{owner_from_metadata, METADATA_URI};
use crate::SegmentError;

/// A libvirt connection closed on drop (the `virt` crate leaves closing to us).
pub(crate) struct Connection(pub(crate) Connect);

impl Connection {
    pub(crate) fn open(uri: &str) -> Result<Self, SegmentError> {
        Connect::open(Some(uri)).map(Connection).map_err(SegmentError::libvirt("connect", uri))
    }
}

/// Whether this machine can reach libvirt at `uri` (a connection opened and closed): what
/// an operator adding a host is told at once rather than at its first segment.
pub fn check_reachable(uri: &str) -> Result<(), SegmentError> {
    Connection::open(uri).map(drop)
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.0.close();
    }
}

/// Stops a domain's processes; one that is stopped already, or stopping on its own
/// meanwhile, is fine.
pub(crate) fn destroy(dom: &Domain, name: &str) -> Result<(), SegmentError> {
    match dom.destroy() {
        Err(e) if e.code() != ErrorNumber::OperationInvalid => Err(SegmentError::libvirt("destroy", name)(e)),
        _ => Ok(()),
    }
}

pub(crate) fn lookup(conn: &Connect, name: &str) -> Result<Option<Domain>, SegmentError> {
    match Domain::lookup_by_name(conn, name) {
        Ok(dom) => Ok(Some(dom)),
        Err(e) if e.code() == ErrorNumber::NoDomain => Ok(None),
        Err(e) => Err(SegmentError::libvirt("lookup", name)(e)),
    }
}

/// The first interface MAC in a domain definition (`<mac address='...'/>`, either quote).
pub(crate) fn mac_in(xml: &str) -> Option<String> {
    let start = xml.find("<mac address=")? + "<mac address=".len();
    let quote = xml[start..].chars().next().filter(|q| *q == '\'' || *q == '"')?;
    let rest = &xml[start + 1..];
    Some(rest[..rest.find(quote)?].to_ascii_lowercase())
}

/// The state dir recorded in a domain's metadata; `None` for domains not made by us.
pub(crate) fn owner_of(dom: &Domain) -> Option<String> {
    let element = dom.get_metadata(virt::sys::VIR_DOMAIN_METADATA_ELEMENT as i32, Some(METADATA_URI), 0).ok()?;
    owner_from_metadata(&element)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_interface_mac_in_a_live_definition() {
        let xml = "<interface type='bridge'>\n  <mac address='52:54:00:AB:cd:01'/>\n  <source bridge='b'/>";
        assert_eq!(mac_in(xml).as_deref(), Some("52:54:00:ab:cd:01"));
        assert_eq!(mac_in("<mac address=\"02:ca:0a:d6:00:15\"/>").as_deref(), Some("02:ca:0a:d6:00:15"));
        assert_eq!(mac_in("<domain/>"), None);
    }
}
