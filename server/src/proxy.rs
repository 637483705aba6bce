//! Serving behind a reverse proxy: the panel's public URL (what browsers see, whatever
//! `Host` the proxy sends on), and the proxies whose forwarded headers are believed.
//!
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed only from a peer in a
//! `--trusted-proxy` range: anyone else could send them to pose as another client (and
//! escape the sign-in throttle) or to make the panel think it is served over HTTPS.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::session::ServedOverHttps;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;

/// The URL users reach the panel at, e.g. `https://panel.example.com`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// `scheme://host[:port]`, lower case, as browsers send it in `Origin`.
    pub origin: String,
    /// The host alone (no port, no brackets): the default host of cluster endpoints.
    pub host: String,
    /// Whether browsers reach the panel over HTTPS (its cookies are then `Secure`).
    pub https: bool,
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        let (https, rest) = match lower.split_once("://") {
            Some(("https", rest)) => (true, rest),
            Some(("http", rest)) => (false, rest),
            _ => return Err(format!("{text:?}: expected http://HOST[:PORT] or https://HOST[:PORT]")),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !path.is_empty() || authority.contains(['?', '#', '@']) {
            return Err(format!("{text:?}: the panel is served at the root of its host: give no path, query or user"));
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map(|(h, _)| h).ok_or_else(|| format!("{text:?}: unclosed ["))?,
            None => authority.split(':').next().unwrap_or(""),
        };
        if host.is_empty() {
            return Err(format!("{text:?}: no host"));
        }
        // The port browsers would leave out of Origin is left out here too.
        let default_port = if https { ":443" } else { ":80" };
        let authority = authority.strip_suffix(default_port).unwrap_or(authority);
        let scheme = if https { "https" } else { "http" };
        Ok(PublicUrl { origin: format!("{scheme}://{authority}"), host: host.to_owned(), https })
    }
}

/// An address range of reverse proxies, `ADDR/PREFIX` or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for TrustedProxy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = text.trim().split_once('/').map_or((text.trim(), None), |(a, p)| (a, Some(p)));
        let network: IpAddr = address.parse().map_err(|_| format!("{text:?}: {address:?} is not an IP address"))?;
        let most = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(p) => p.parse().ok().filter(|p| *p <= most).ok_or_else(|| format!("{text:?}: bad prefix length"))?,
        };
        Ok(TrustedProxy { network, prefix })
    }
}

impl TrustedProxy {
    /// Whether `address` is in this range (an IPv4-mapped IPv6 peer counts as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        let (net, addr, bits) = match (self.network, address) {
            (IpAddr::V4(n), IpAddr::V4(a)) => (u32::from(n) as u128, u32::from(a) as u128, 32),
            (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
            _ => return false,
        };
        let shift = bits - u32::from(self.prefix);
        shift >= bits || (net >> shift) == (addr >> shift)
    }
}

/// `routes` seeing the client through trusted proxies: for a request from one, the
/// client's address (what sign-in throttling and the audit trail record) is the last
/// address of `X-Forwarded-For` that is not itself a trusted proxy, and
/// `X-Forwarded-Proto: https` marks the request as served over HTTPS.
pub fn behind(routes: Router, trusted: Vec<TrustedProxy>) -> Router {
    if trusted.is_empty() {
        return routes;
    }
    routes.layer(middleware::from_fn_with_state(Arc::new(trusted), forwarded))
}

async fn forwarded(State(trusted): State<Arc<Vec<TrustedProxy>>>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if let Some(peer) = peer.filter(|p| is_trusted(&trusted, p.ip())) {
        let chain = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        if let Some(client) = client_of(&trusted, chain) {
            request.extensions_mut().insert(ConnectInfo(SocketAddr::new(client, peer.port())));
        }
        let proto = request.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok());
        if proto.is_some_and(|p| p.trim().eq_ignore_ascii_case("https")) {
            request.extensions_mut().insert(ServedOverHttps);
        }
    }
    next.run(request).await
}

fn is_trusted(trusted: &[TrustedProxy], address: IpAddr) -> bool {
    trusted.iter().any(|t| t.contains(address))
}

/// The client in an `X-Forwarded-For` chain: from the right (each proxy appends its
/// peer), the first address no trusted proxy has; a chain of trusted proxies only gives
/// its first. None when the chain is empty or not all addresses (then the peer stays).
fn client_of<'a>(trusted: &[TrustedProxy], headers: impl Iterator<Item = &'a str>) -> Option<IpAddr> {
    let chain: Vec<IpAddr> =
        headers.flat_map(|h| h.split(',')).map(|a| a.trim().parse()).collect::<Result<_, _>>().ok()?;
    chain.iter().rev().find(|a| !is_trusted(trusted, **a)).or(chain.first()).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_give_their_origin_and_host() {
        let url: PublicUrl = "https://Panel.Example.com/".parse().unwrap();
        assert_eq!(
            url,
            PublicUrl { origin: "https://panel.example.com".into(), host: "panel.example.com".into(), https: true }
        );
        let url: PublicUrl = "http://127.0.0.1:8080".parse().unwrap();
        assert_eq!((url.origin.as_str(), url.host.as_str(), url.https), ("http://127.0.0.1:8080", "127.0.0.1", false));
        assert_eq!("https://a.example:443".parse::<PublicUrl>().unwrap().origin, "https://a.example");
        assert_eq!("http://[::1]:81".parse::<PublicUrl>().unwrap().host, "::1");
        for bad in ["panel.example.com", "ftp://a", "https://a/carina", "https://", "http://u@a", "https://a?x"] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn trusted_ranges_contain_their_addresses_only() {
        let local: TrustedProxy = "127.0.0.0/8".parse().unwrap();
        assert!(local.contains("127.1.2.3".parse().unwrap()));
        assert!(local.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!local.contains("10.0.0.1".parse().unwrap()));
        let one: TrustedProxy = "10.0.0.5".parse().unwrap();
        assert!(one.contains("10.0.0.5".parse().unwrap()) && !one.contains("10.0.0.6".parse().unwrap()));
        let all: TrustedProxy = "::/0".parse().unwrap();
        assert!(all.contains("2001:db8::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/x"] {
            assert!(bad.parse::<TrustedProxy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_last_untrusted_address_of_the_chain() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let client = |h: &[&str]| client_of(&trusted, h.iter().copied());
        // A client that sends its own X-Forwarded-For cannot pick its address.
        assert_eq!(client(&["6.6.6.6, 203.0.113.7"]), Some("203.0.113.7".parse().unwrap()));
        assert_eq!(client(&["203.0.113.7", "10.0.0.9"]), Some("203.0.113.7".parse().unwrap()));
        assert_eq!(client(&["10.0.0.2, 10.0.0.9"]), Some("10.0.0.2".parse().unwrap()));
        assert_eq!(client(&["203.0.113.7, junk"]), None);
        assert_eq!(client(&[]), None);
    }
}
