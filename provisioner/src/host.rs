//! Hosts: the libvirt hosts segments run on, and how many segments they may hold. A
//! server registers its own libvirt as [`LOCAL_HOST`] when it starts; an operator gives a
//! host a capacity, or drains it for maintenance (no new segments; those it has keep
//! running). Cluster segments (what clusters want) are refused past the open hosts'
//! capacity; the warm pool keeps to what is left of it.

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::Provisioner;

/// The name a server registers its own libvirt host under.
pub const LOCAL_HOST: &str = "local";

/// A host as operators see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostView {
    pub name: String,
    pub uri: String,
    /// Segments it may hold; `None`: as many as its subnet has addresses.
    pub capacity: Option<u32>,
    pub draining: bool,
}

/// What limits the segments of one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostLimit {
    /// Segments it may hold; `None`: as many as its subnet has addresses.
    pub capacity: Option<i64>,
    /// Taking no new segments.
    pub draining: bool,
}

/// What the open (not draining) hosts may still take, given `used` cluster segments: `None`
/// without a limit (no host registered, or an open one without capacity). Drained hosts
/// take nothing.
pub fn room(hosts: &[HostLimit], used: i64) -> Option<i64> {
    if hosts.is_empty() {
        return None;
    }
    let open: Vec<&HostLimit> = hosts.iter().filter(|h| !h.draining).collect();
    if open.iter().any(|h| h.capacity.is_none()) {
        return None;
    }
    let capacity: i64 = open.iter().filter_map(|h| h.capacity).sum();
    Some((capacity - used).max(0))
}

/// Refuses `extra` more cluster segments, with what an operator or a user can do about it,
/// when the hosts are drained or full.
pub fn check_room(hosts: &[HostLimit], used: i64, extra: i64) -> Result<()> {
    if !hosts.is_empty() && hosts.iter().all(|h| h.draining) {
        return Err(Error::Conflict(
            "New segments are paused: the service's hosts are being drained for maintenance. Try again later.".into(),
        ));
    }
    match room(hosts, used) {
        Some(left) if extra > left => Err(Error::Conflict(format!(
            "The service is full: {left} more segment(s) fit on its hosts, and this needs {extra}. \
             Try fewer segments, try again later, or ask an operator for room."
        ))),
        _ => Ok(()),
    }
}

impl Provisioner {
    /// Registers this server's libvirt host as [`LOCAL_HOST`] (its URI updated, its capacity
    /// and draining kept).
    pub async fn register_local_host(&self, uri: &str) -> Result<()> {
        self.storage.register_host(LOCAL_HOST, uri, now_ms()).await
    }

    /// Every host, by name.
    pub async fn hosts(&self) -> Result<Vec<HostView>> {
        Ok(self.storage.hosts().await?.into_iter().map(HostView::from).collect())
    }

    /// Sets how many segments host `name` may hold (`None`: no limit but its addresses).
    pub async fn set_host_capacity(&self, name: &str, capacity: Option<u32>) -> Result<HostView> {
        if !self.storage.set_host_capacity(name, capacity.map(i64::from)).await? {
            return Err(unknown(name));
        }
        self.host(name).await
    }

    /// Drains host `name` (no new segments) or opens it again.
    pub async fn set_host_draining(&self, name: &str, draining: bool) -> Result<HostView> {
        if !self.storage.set_host_draining(name, draining).await? {
            return Err(unknown(name));
        }
        self.host(name).await
    }

    /// How many warm segments the hosts have room for beside the clusters' (`None`: no
    /// limit).
    pub async fn room_for_warm_segments(&self) -> Result<Option<usize>> {
        let hosts: Vec<HostLimit> = self.storage.hosts().await?.iter().map(|h| h.limit()).collect();
        let used = self.storage.cluster_segments_wanted().await?;
        Ok(room(&hosts, used).map(|left| left as usize))
    }

    async fn host(&self, name: &str) -> Result<HostView> {
        self.hosts().await?.into_iter().find(|h| h.name == name).ok_or_else(|| unknown(name))
    }
}

fn unknown(name: &str) -> Error {
    Error::NotFound(format!(
        "No host is named {name:?}. `server admin hosts` lists them; a server registers its own as \"{LOCAL_HOST}\" when it starts."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(capacity: Option<i64>, draining: bool) -> HostLimit {
        HostLimit { capacity, draining }
    }

    #[test]
    fn no_host_or_one_without_capacity_sets_no_limit() {
        assert_eq!(room(&[], 100), None);
        assert_eq!(room(&[host(None, false), host(Some(3), false)], 100), None);
        assert!(check_room(&[], 100, 100).is_ok());
    }

    #[test]
    fn the_open_hosts_capacity_is_shared_by_every_cluster_segment() {
        let hosts = [host(Some(6), false), host(Some(4), false), host(None, true)];
        assert_eq!(room(&hosts, 7), Some(3));
        assert!(check_room(&hosts, 7, 3).is_ok());
        let full = check_room(&hosts, 7, 4).unwrap_err().to_string();
        assert!(full.contains("3 more segment(s) fit") && full.contains("needs 4"), "{full}");
        // Over capacity (lowered under what runs): no room, never a negative one.
        assert_eq!(room(&hosts, 12), Some(0));
    }

    #[test]
    fn drained_hosts_take_nothing() {
        let hosts = [host(Some(6), true), host(Some(4), false)];
        assert_eq!(room(&hosts, 0), Some(4));
        let all = [host(Some(6), true), host(None, true)];
        assert_eq!(room(&all, 0), Some(0));
        let paused = check_room(&all, 0, 1).unwrap_err().to_string();
        assert!(paused.contains("drained for maintenance"), "{paused}");
    }
}
