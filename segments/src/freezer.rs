//! Freezing a segment: libvirt's suspend and resume, which for LXC put every process of
//! the domain in the freezer cgroup's frozen state and back. A frozen segment keeps its
//! memory, sockets and Swarm state and uses no CPU; a warm segment waits so.

use virt::connect::Connect;
use virt::domain::Domain;

use crate::connection::{lookup, owner_of};
use crate::SegmentError;

/// Whether the domain's processes are frozen (paused, in libvirt's words).
pub(crate) fn is_frozen(dom: &Domain, name: &str) -> Result<bool, SegmentError> {
    let (state, _reason) = dom.get_state().map_err(SegmentError::libvirt("query", name))?;
    Ok(state == virt::sys::VIR_DOMAIN_PAUSED)
}

/// Freezes or thaws the running domain `name` if its owner metadata is `owner`; anything
/// else (absent, stopped, another instance's, already so) is left as it is. Returns
/// whether it changed anything.
pub(crate) fn set_frozen(conn: &Connect, name: &str, owner: &str, frozen: bool) -> Result<bool, SegmentError> {
    let Some(dom) = lookup(conn, name)? else { return Ok(false) };
    let active = dom.is_active().map_err(SegmentError::libvirt("query", name))?;
    if owner_of(&dom).as_deref() != Some(owner) || !active || is_frozen(&dom, name)? == frozen {
        return Ok(false);
    }
    let (what, done) = if frozen { ("freeze", dom.suspend()) } else { ("thaw", dom.resume()) };
    done.map_err(SegmentError::libvirt(what, name))?;
    Ok(true)
}
