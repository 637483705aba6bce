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
    /// Since when its libvirt has not answered (Unix ms); `None`: it answers.
    pub unreachable_since: Option<i64>,
    /// Segments on it now: clusters' and warm ones.
    pub segments: u32,
}

/// What limits the segments of one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostLimit {
    /// Segments it may hold; `None`: as many as its subnet has addresses.
    pub capacity: Option<i64>,
    /// Taking no new segments.
    pub draining: bool,
    /// Its libvirt does not answer: placement puts nothing on it (its capacity still
    /// counts in the room: it is expected back).
    pub unreachable: bool,
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

/// One host as placement sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostLoad {
    pub name: String,
    pub limit: HostLimit,
    /// Segments on it: clusters' and warm ones.
    pub segments: i64,
    /// Segments on it of the cluster that wants one more.
    pub of_cluster: i64,
}

impl HostLoad {
    fn has_room(&self) -> bool {
        !self.limit.draining && self.limit.capacity.is_none_or(|capacity| self.segments < capacity)
    }
}

/// The host a new segment goes to: of the open, answering hosts with room, the one holding
/// the fewest of its cluster's segments (so that losing a host takes as few of them as can
/// be), then the fewest segments in all, then the first by name. When no host has room (a
/// repair or a rebuild must still go somewhere: room was checked when the segments were
/// asked for), the same order over the open answering hosts, then over every answering
/// host, then over every host. [`LOCAL_HOST`] when no host is registered.
pub fn choose_host(hosts: &[HostLoad]) -> String {
    let best = |candidates: &mut dyn Iterator<Item = &HostLoad>| {
        candidates.min_by(|a, b| (a.of_cluster, a.segments, &a.name).cmp(&(b.of_cluster, b.segments, &b.name))).cloned()
    };
    let answering = || hosts.iter().filter(|h| !h.limit.unreachable);
    best(&mut answering().filter(|h| h.has_room()))
        .or_else(|| best(&mut answering().filter(|h| !h.limit.draining)))
        .or_else(|| best(&mut answering()))
        .or_else(|| best(&mut hosts.iter()))
        .map_or_else(|| LOCAL_HOST.to_owned(), |h| h.name)
}

impl Provisioner {
    /// Registers this server's libvirt host as [`LOCAL_HOST`] (its URI updated, its capacity
    /// and draining kept).
    pub async fn register_local_host(&self, uri: &str) -> Result<()> {
        self.storage.register_host(LOCAL_HOST, uri, now_ms()).await
    }

    /// Adds host `name`, libvirt at `uri`, holding at most `capacity` segments (`None`: no
    /// limit). Every replica drives it from its next pass; placement puts new segments on
    /// it from then on. `uri` must reach libvirt from here: the caller checks it (the
    /// domain never talks to libvirt itself).
    pub async fn add_host(&self, name: &str, uri: &str, capacity: Option<u32>) -> Result<HostView> {
        validate_host(name, uri)?;
        if !self.storage.add_host(name, uri, capacity.map(i64::from), now_ms()).await? {
            return Err(Error::Conflict(format!("A host is named {name:?} already; `server admin hosts` lists them.")));
        }
        self.wake_reconciler();
        self.host(name).await
    }

    /// Forgets host `name`, which must hold no segment: drain it first, then rebuild (or
    /// delete) the clusters on it; its warm segments go within the pool's next check.
    pub async fn remove_host(&self, name: &str) -> Result<()> {
        if name == LOCAL_HOST {
            return Err(Error::Invalid(format!(
                "\"{LOCAL_HOST}\" is the server's own host: drain it instead (`server admin drain-host {LOCAL_HOST}`)."
            )));
        }
        match self.storage.remove_host(name).await? {
            None => Err(unknown(name)),
            Some(0) => Ok(()),
            Some(held) => Err(Error::Conflict(format!(
                "Host {name:?} still holds {held} segment(s). Drain it (`server admin drain-host {name}`), then \
                 rebuild or delete the clusters on it; its warm segments go within a minute."
            ))),
        }
    }

    /// Every host, by name.
    pub async fn hosts(&self) -> Result<Vec<HostView>> {
        let placed = self.storage.segments_per_host().await?;
        let on = |name: &str| placed.iter().find(|(host, _)| host == name).map_or(0, |(_, n)| *n as u32);
        let hosts = self.storage.hosts().await?.into_iter().map(HostView::from);
        Ok(hosts.map(|host| HostView { segments: on(&host.name), ..host }).collect())
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

/// A host's name: what operators type and logs show.
fn validate_host(name: &str, uri: &str) -> Result<()> {
    let good_name = name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !good_name || name == LOCAL_HOST {
        return Err(Error::Invalid(format!(
            "{name:?} cannot name a host: use up to 32 lower-case letters, digits and dashes, starting with a letter \
             (\"{LOCAL_HOST}\" is the server's own)."
        )));
    }
    if !uri.starts_with("lxc:") && !uri.starts_with("lxc+") {
        return Err(Error::Invalid(format!(
            "{uri:?} is not a libvirt LXC URI (lxc:///system, lxc+tls://HOST/system)."
        )));
    }
    if !on_this_machine(uri) {
        return Err(Error::Invalid(format!(
            "{uri:?} names another machine. Hosts can be this machine's libvirt only for now (reached as lxc:/// or \
             through 127.0.0.1 or localhost): segments on other machines need storage volumes and network filters \
             managed through libvirt, which are not built yet."
        )));
    }
    Ok(())
}

/// Whether libvirt URI `uri` names this machine: no host, or a loopback one.
fn on_this_machine(uri: &str) -> bool {
    let Some((_, rest)) = uri.split_once("://") else { return false };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    matches!(host, "" | "localhost" | "127.0.0.1" | "::1")
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
        HostLimit { capacity, draining, unreachable: false }
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

    fn load(name: &str, capacity: Option<i64>, draining: bool, segments: i64, of_cluster: i64) -> HostLoad {
        HostLoad { name: name.into(), limit: host(capacity, draining), segments, of_cluster }
    }

    #[test]
    fn a_clusters_segments_spread_over_hosts_before_filling_one() {
        assert_eq!(choose_host(&[]), LOCAL_HOST);
        // Fewest of the cluster first, even on a busier host.
        let hosts = [load("a", None, false, 1, 1), load("b", None, false, 9, 0)];
        assert_eq!(choose_host(&hosts), "b");
        // Then the fewest in all, then the name.
        let hosts = [load("b", None, false, 2, 1), load("a", None, false, 3, 1), load("c", None, false, 2, 1)];
        assert_eq!(choose_host(&hosts), "b");
        // A full or drained host only when nothing else can take it.
        let hosts = [load("a", Some(2), false, 2, 0), load("b", None, true, 0, 0), load("c", None, false, 5, 3)];
        assert_eq!(choose_host(&hosts), "c");
        let hosts = [load("a", Some(2), false, 2, 1), load("b", None, true, 0, 0)];
        assert_eq!(choose_host(&hosts), "a");
        assert_eq!(choose_host(&[load("b", None, true, 4, 0)]), "b");
        // A host that does not answer comes last of all, even drained ones before it.
        let mut gone = load("a", None, false, 0, 0);
        gone.limit.unreachable = true;
        assert_eq!(choose_host(&[gone.clone(), load("b", Some(1), false, 1, 1)]), "b");
        assert_eq!(choose_host(&[gone.clone(), load("c", None, true, 9, 3)]), "c");
        assert_eq!(choose_host(&[gone]), "a");
    }

    /// Every cluster of three segments built one segment at a time over hosts with room
    /// gets its segments on as many different hosts as there are (up to three).
    #[test]
    fn three_segments_land_on_distinct_hosts_wherever_there_is_room() {
        for hosts in 1..=4usize {
            for busy in 0..4i64 {
                let mut loads: Vec<HostLoad> =
                    (0..hosts).map(|i| load(&format!("h{i}"), None, false, busy * i as i64, 0)).collect();
                let mut chosen = Vec::new();
                for _ in 0..3 {
                    let name = choose_host(&loads);
                    let host = loads.iter_mut().find(|h| h.name == name).unwrap();
                    host.segments += 1;
                    host.of_cluster += 1;
                    chosen.push(name);
                }
                chosen.sort();
                chosen.dedup();
                assert_eq!(chosen.len(), hosts.min(3), "{hosts} hosts, busy {busy}: {chosen:?}");
            }
        }
    }

    #[test]
    fn hosts_are_named_plainly_and_on_this_machine_for_now() {
        for uri in ["lxc:///system", "lxc+tls://127.0.0.1/system?pkipath=/x", "lxc+tcp://localhost:16509/system"] {
            assert!(validate_host("second", uri).is_ok(), "{uri}");
        }
        assert!(validate_host("second", "lxc+ssh://root@[::1]/system").is_ok());
        for uri in ["lxc+tls://10.0.0.2/system", "lxc+ssh://root@host2/system", "qemu:///system", "lxc"] {
            assert!(validate_host("second", uri).is_err(), "{uri}");
        }
        for name in ["local", "", "Second", "2nd", "a b", &"x".repeat(33)] {
            assert!(validate_host(name, "lxc:///system").is_err(), "{name}");
        }
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
