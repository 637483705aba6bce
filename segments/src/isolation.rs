//! Keeping tenants apart on the shared bridge. Bridged traffic between segments passes the
//! host's `FORWARD` chain (br_netfilter); `scripts/host-setup.sh` sends it to a chain of
//! the bridge's own, `CARINA-<bridge>`, which ends in DROP. A segment may reach only the
//! peers it is allowed (the other segments of its cluster), through one ACCEPT rule per
//! peer that also names the segment's host-side interface and its own address: another
//! segment cannot borrow the address, since its packets enter on another interface.
//! Traffic between the host and segments does not cross `FORWARD`: the host's `INPUT`
//! (set up by `scripts/host-setup.sh`) takes from segments only answers to connections
//! the host opened. Below IP, [`crate::link_filter`] pins each segment to its own MAC and
//! address and drops all IPv6.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use tokio::process::Command;

use crate::SegmentError;

/// The host-side name of a segment's network interface: fixed by its name, so that a rule
/// can never match an interface another segment got later (libvirt reuses `vnetN`).
pub fn veth_name(segment: &str) -> String {
    // FNV-1a: stable across releases, unlike std's hasher. 48 bits of it, 14 characters in
    // all (interface names have 15 at most).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in segment.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("cs{:012x}", hash & 0xffff_ffff_ffff)
}

/// The filter chain of `bridge` (made by `scripts/host-setup.sh`).
pub fn chain_name(bridge: &str) -> String {
    format!("CARINA-{bridge}")
}

/// The tag on every rule of one segment.
fn tag(segment: &str) -> String {
    format!("carina:{segment}")
}

/// One segment's ACCEPT rule towards `peer`, as `iptables -S` prints it (after the
/// `-A <chain>`); also the arguments that add or delete it.
fn rule(segment: &str, own: Ipv4Addr, peer: Ipv4Addr) -> Vec<String> {
    let spec = format!(
        "-s {own}/32 -d {peer}/32 -m physdev --physdev-in {veth} -m comment --comment {tag} -j ACCEPT",
        veth = veth_name(segment),
        tag = tag(segment),
    );
    spec.split(' ').map(str::to_owned).collect()
}

/// The peers that `segment`'s rules currently allow, and those rules' argument lists.
fn parse_rules(listing: &str, chain: &str, segment: &str) -> Vec<(Ipv4Addr, Vec<String>)> {
    let prefix = format!("-A {chain} ");
    let tag = tag(segment);
    listing
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|spec| {
            // `iptables -S` quotes the comment; the arguments that delete the rule do not.
            let words: Vec<String> = spec.split(' ').map(|w| w.trim_matches('"').to_owned()).collect();
            if !words.contains(&tag) {
                return None;
            }
            let at = words.iter().position(|w| w == "-d")?;
            let peer = words.get(at + 1)?.trim_end_matches("/32").parse().ok()?;
            Some((peer, words))
        })
        .collect()
}

async fn iptables(args: &[String]) -> Result<String, SegmentError> {
    let out = Command::new("iptables")
        .arg("-w")
        .args(args)
        .output()
        .await
        .map_err(|e| SegmentError::Command { command: "iptables".into(), detail: e.to_string() })?;
    if !out.status.success() {
        return Err(SegmentError::Command {
            command: format!("iptables {}", args.join(" ")),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn listing(chain: &str) -> Result<String, SegmentError> {
    iptables(&["-S".into(), chain.into()]).await.map_err(|e| match e {
        SegmentError::Command { detail, .. } => SegmentError::InvalidConfig(format!(
            "the segments' filter chain {chain} is missing ({detail}); run scripts/host-setup.sh"
        )),
        other => other,
    })
}

/// Makes `segment` (at `own`) allowed to reach exactly `peers` on `bridge`: adds the
/// missing rules first, then removes the others, so that no allowed traffic drops.
pub(crate) async fn allow_peers(
    bridge: &str,
    segment: &str,
    own: Ipv4Addr,
    peers: &[Ipv4Addr],
) -> Result<(), SegmentError> {
    let chain = chain_name(bridge);
    let current = parse_rules(&listing(&chain).await?, &chain, segment);
    let wanted: BTreeSet<Ipv4Addr> = peers.iter().copied().filter(|p| *p != own).collect();
    for peer in &wanted {
        let present = current.iter().any(|(p, words)| p == peer && *words == rule(segment, own, *peer));
        if !present {
            let mut args = vec!["-I".to_owned(), chain.clone(), "1".to_owned()];
            args.extend(rule(segment, own, *peer));
            iptables(&args).await?;
        }
    }
    for (peer, words) in &current {
        if !wanted.contains(peer) || *words != rule(segment, own, *peer) {
            let mut args = vec!["-D".to_owned(), chain.clone()];
            args.extend(words.iter().cloned());
            iptables(&args).await?;
        }
    }
    Ok(())
}

/// Removes every rule of `segment`. Idempotent; a missing chain means there is nothing.
pub(crate) async fn forget(bridge: &str, segment: &str) -> Result<(), SegmentError> {
    let chain = chain_name(bridge);
    let Ok(text) = listing(&chain).await else { return Ok(()) };
    for (_, words) in parse_rules(&text, &chain, segment) {
        let mut args = vec!["-D".to_owned(), chain.clone()];
        args.extend(words);
        iptables(&args).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn veth_names_are_short_stable_and_distinct() {
        let a = veth_name("0f1e2d3c-aaaa-bbbb-cccc-0123456789ab-n1");
        assert_eq!(a.len(), 14);
        assert_eq!(a, veth_name("0f1e2d3c-aaaa-bbbb-cccc-0123456789ab-n1"));
        assert_ne!(a, veth_name("0f1e2d3c-aaaa-bbbb-cccc-0123456789ab-n2"));
        assert!(!a.starts_with("vnet"), "libvirt reserves vnet names");
    }

    #[test]
    fn a_segments_rules_are_read_back_from_the_listing() {
        let (own, peer) = (Ipv4Addr::new(10, 9, 0, 2), Ipv4Addr::new(10, 9, 0, 3));
        let mine = rule("c-n1", own, peer).join(" ");
        let other = rule("c-n10", peer, own).join(" ");
        // As `iptables -S` prints them: the comment in quotes.
        let quoted = |r: String, t: &str| r.replace(&format!("--comment {t}"), &format!("--comment \"{t}\""));
        let (mine, other) = (quoted(mine, "carina:c-n1"), quoted(other, "carina:c-n10"));
        assert!(mine.contains("\"carina:c-n1\""));
        let listing = format!("-N CARINA-br0\n-A CARINA-br0 {mine}\n-A CARINA-br0 {other}\n-A CARINA-br0 -j DROP\n");
        let found = parse_rules(&listing, "CARINA-br0", "c-n1");
        assert_eq!(found.len(), 1, "c-n10's rule is not c-n1's");
        assert_eq!(found[0].0, peer);
        assert_eq!(found[0].1, rule("c-n1", own, peer));
    }
}
