//! Anti-spoofing on the bridge, below IP: what a segment may put on the wire at all.
//!
//! `scripts/host-setup.sh` sends every frame that enters a bridge from a segment's host-side
//! interface (they are all named `cs…`, see [`veth_name`]) to the ebtables chain
//! [`SEGMENTS_CHAIN`] in `PREROUTING` of the `nat` table: the first look at a frame, before
//! the bridge learns its source MAC and before it is forwarded to another segment or
//! passed up to the host. (In the `filter` table's `FORWARD` and `INPUT`, a frame with a
//! neighbour's MAC is dropped only after the bridge has learnt that MAC on the sender's
//! port, so traffic for the neighbour then goes to the sender: measured here.) Each
//! segment gets a chain of its own, jumped to from there for its interface, written before
//! the domain starts, that accepts exactly two kinds of frames and drops the rest:
//! - IPv4 from the segment's MAC and its own address;
//! - ARP from the segment's MAC that speaks for its own address and MAC only, and asks
//!   about (or answers) the host's bridge address or a peer of its cluster: a segment
//!   cannot even learn which addresses of other clusters are in use.
//!
//! Everything else drops: another source MAC or address (a segment that changed its
//! MAC, took a neighbour's address or forges ARP replies for it), IPv6 of every kind
//! (link-local, router advertisements, neighbour discovery) and any other protocol. The
//! IPv4 rules in [`crate::isolation`] then decide which segments may talk to which.
//!
//! The segment's MAC is fixed by its address ([`mac_address`]), so that the rules can be
//! written before the domain starts: a segment never has a moment without them.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use tokio::process::Command;

use crate::isolation::veth_name;
use crate::SegmentError;

/// The machine-wide ebtables chain (table [`TABLE`]) that every segment interface's frames
/// pass (made by `scripts/host-setup.sh`). Its policy is RETURN: segments of other instances of the
/// service that predate this filter keep working; each segment's own chain ends in DROP.
pub const SEGMENTS_CHAIN: &str = "CARINA-SEGMENTS";

/// The ebtables table of every chain here: its `PREROUTING` sees frames before the bridge
/// learns from them.
pub const TABLE: &str = "nat";

/// The MAC address of the segment at `address`: locally administered, unicast, and unique
/// on a bridge because addresses are (`02:ca` then the four octets).
pub fn mac_address(address: Ipv4Addr) -> String {
    let [a, b, c, d] = address.octets();
    format!("02:ca:{a:02x}:{b:02x}:{c:02x}:{d:02x}")
}

/// The segment's own chain: named like its interface (chains and interfaces do not share
/// a name space), so a leftover chain is easy to attribute.
pub fn chain_of(segment: &str) -> String {
    veth_name(segment)
}

/// Who a segment is on the wire, and whom it may talk ARP with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkIdentity {
    /// The segment's address.
    pub address: Ipv4Addr,
    /// The MAC its interface has ([`mac_address`] for segments defined since this filter
    /// exists).
    pub mac: String,
    /// Addresses its ARP may be about besides its own: the bridge's (the host) and its
    /// cluster's peers.
    pub arp_peers: Vec<Ipv4Addr>,
}

/// The rules of a segment's own chain, in order, worded as `ebtables -L` prints them (so
/// that a listing tells whether they are in place) and usable as `-A <chain>` arguments.
fn rules(id: &LinkIdentity) -> Vec<String> {
    let (address, mac) = (id.address, &id.mac);
    let peers: BTreeSet<Ipv4Addr> = id.arp_peers.iter().copied().filter(|p| *p != address).collect();
    let mut rules = vec![format!("-p IPv4 -s {mac} --ip-src {address} -j ACCEPT")];
    rules.extend(peers.iter().map(|peer| {
        format!("-p ARP -s {mac} --arp-ip-src {address} --arp-ip-dst {peer} --arp-mac-src {mac} -j ACCEPT")
    }));
    // Explicit, rather than the chain's policy: its counter shows what was refused.
    rules.push("-j DROP".to_owned());
    rules
}

/// The rules a listing of one chain shows, in order.
fn listed_rules(listing: &str) -> Vec<&str> {
    listing.lines().map(str::trim).filter(|l| l.starts_with('-')).collect()
}

/// The jump from [`SEGMENTS_CHAIN`] to the segment's chain, as `ebtables -L` prints it.
fn jump(segment: &str) -> String {
    format!("-i {} -j {}", veth_name(segment), chain_of(segment))
}

/// ebtables here (1.8, nf_tables) is not safe to run concurrently: 20 parallel appends to
/// one chain kept 5 rules and reported errors about deletions nobody asked for. Every
/// call goes through this lock file (`flock`), which `scripts/host-setup.sh` takes too;
/// within the process, [`EDITS`] also keeps each read-modify-write sequence whole.
const LOCK_FILE: &str = "/run/lock/carina-ebtables.lock";

static EDITS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn ebtables(args: &[&str]) -> Result<String, SegmentError> {
    let out = Command::new("flock")
        .args([LOCK_FILE, "ebtables", "-t", TABLE])
        .args(args)
        .output()
        .await
        .map_err(|e| SegmentError::Command { command: "ebtables".into(), detail: e.to_string() })?;
    if !out.status.success() {
        return Err(SegmentError::Command {
            command: format!("ebtables -t {TABLE} {}", args.join(" ")),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Applies an `ebtables-restore` batch, leaving every chain it does not name alone.
async fn restore(batch: &str) -> Result<(), SegmentError> {
    use tokio::io::AsyncWriteExt;
    let failed = |detail: String| SegmentError::Command { command: "ebtables-restore --noflush".into(), detail };
    let mut child = Command::new("flock")
        .args([LOCK_FILE, "ebtables-restore", "--noflush"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    let mut stdin = child.stdin.take().ok_or_else(|| failed("no stdin".into()))?;
    stdin.write_all(batch.as_bytes()).await.map_err(|e| failed(e.to_string()))?;
    drop(stdin);
    let out = child.wait_with_output().await.map_err(|e| failed(e.to_string()))?;
    if !out.status.success() {
        return Err(failed(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(())
}

async fn listing(chain: &str) -> Option<String> {
    ebtables(&["-L", chain]).await.ok()
}

/// Makes sure the segment's chain holds exactly the rules for `id` and its interface jumps
/// to it; rewrites the chain only when it differs (a changed address or peers, rules lost
/// meanwhile). Called before every start of the domain and whenever its peers are checked.
pub(crate) async fn ensure(segment: &str, id: &LinkIdentity) -> Result<(), SegmentError> {
    let _edit = EDITS.lock().await;
    let Some(main) = listing(SEGMENTS_CHAIN).await else {
        return Err(SegmentError::InvalidConfig(format!(
            "the segments' ebtables chain {SEGMENTS_CHAIN} is missing; run scripts/host-setup.sh"
        )));
    };
    let chain = chain_of(segment);
    let wanted = rules(id);
    let current = listing(&chain).await;
    let in_place = current.as_deref().map(listed_rules) == Some(wanted.iter().map(String::as_str).collect());
    if !in_place {
        if current.is_none() {
            ebtables(&["-N", &chain]).await?;
        }
        // Should a rule ever be missing, frames that fall off the chain's end drop.
        if !current.as_deref().is_some_and(|listing| listing.contains("policy: DROP")) {
            ebtables(&["-P", &chain, "DROP"]).await?;
        }
        // One transaction (and one process, not one a rule): declaring the chain in the
        // batch flushes it, and its rules are replaced at once.
        let appends: String = wanted.iter().map(|rule| format!("-A {chain} {rule}\n")).collect();
        restore(&format!("*{TABLE}\n:{chain} DROP\n{appends}COMMIT\n")).await?;
    }
    let jump = jump(segment);
    if !main.lines().any(|l| l.trim() == jump) {
        let mut args = vec!["-A", SEGMENTS_CHAIN];
        args.extend(jump.split(' '));
        ebtables(&args).await?;
    }
    Ok(())
}

/// Removes the segment's jump and chain. Idempotent.
pub(crate) async fn forget(segment: &str) -> Result<(), SegmentError> {
    let _edit = EDITS.lock().await;
    let jump = jump(segment);
    if let Some(main) = listing(SEGMENTS_CHAIN).await {
        for _ in main.lines().filter(|l| l.trim() == jump) {
            let mut args = vec!["-D", SEGMENTS_CHAIN];
            args.extend(jump.split(' '));
            ebtables(&args).await?;
        }
    }
    let chain = chain_of(segment);
    if listing(&chain).await.is_some() {
        ebtables(&["-F", &chain]).await?;
        ebtables(&["-X", &chain]).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_local_unicast_and_follow_the_address() {
        assert_eq!(mac_address(Ipv4Addr::new(10, 214, 0, 21)), "02:ca:0a:d6:00:15");
        let first = u8::from_str_radix(&mac_address(Ipv4Addr::new(10, 0, 0, 1))[..2], 16).unwrap();
        assert_eq!(first & 0b11, 0b10, "locally administered, not multicast");
    }

    fn identity() -> LinkIdentity {
        let address = Ipv4Addr::new(10, 214, 0, 21);
        let arp_peers = vec![Ipv4Addr::new(10, 214, 0, 22), Ipv4Addr::new(10, 214, 0, 1), address];
        LinkIdentity { address, mac: mac_address(address), arp_peers }
    }

    #[test]
    fn rules_pin_mac_and_address_and_end_in_drop() {
        let r = rules(&identity());
        assert_eq!(r.len(), 4);
        assert_eq!(r[0], "-p IPv4 -s 02:ca:0a:d6:00:15 --ip-src 10.214.0.21 -j ACCEPT");
        let arp = "-p ARP -s 02:ca:0a:d6:00:15 --arp-ip-src 10.214.0.21 --arp-ip-dst";
        assert_eq!(r[1], format!("{arp} 10.214.0.1 --arp-mac-src 02:ca:0a:d6:00:15 -j ACCEPT"));
        assert_eq!(r[2], format!("{arp} 10.214.0.22 --arp-mac-src 02:ca:0a:d6:00:15 -j ACCEPT"));
        assert_eq!(r[3], "-j DROP");
        assert!(!r.iter().any(|w| w.contains("IPv6")), "IPv6 is never accepted");
    }

    #[test]
    fn reads_rules_back_from_a_listing() {
        // As ebtables 1.8 (nf_tables) lists a chain.
        let listing = "Bridge table: nat\n\nBridge chain: cs0123, entries: 4, policy: DROP\n\
                       -p IPv4 -s 02:ca:0a:d6:00:15 --ip-src 10.214.0.21 -j ACCEPT \n\
                       -p ARP -s 02:ca:0a:d6:00:15 --arp-ip-src 10.214.0.21 --arp-ip-dst 10.214.0.1 --arp-mac-src 02:ca:0a:d6:00:15 -j ACCEPT \n\
                       -p ARP -s 02:ca:0a:d6:00:15 --arp-ip-src 10.214.0.21 --arp-ip-dst 10.214.0.22 --arp-mac-src 02:ca:0a:d6:00:15 -j ACCEPT \n\
                       -j DROP \n";
        assert_eq!(listed_rules(listing), rules(&identity()));
    }
}
