//! Cross-site request forgery defence for cookie-authenticated requests.
//!
//! Browsers send `Origin` with every POST (forms and fetch alike) and `Sec-Fetch-Site`
//! with every request; a state-changing request from another site is refused here, before
//! any server function runs, whether or not it carries a session cookie (a forged
//! sign-in is an attack too). Non-browser clients (the JSON API with a bearer key) send
//! neither header and no cookie, and pass.
//!
//! The request's own origin is the one its `Host` names or, behind a reverse proxy that
//! sends the upstream's address as `Host`, the panel's `--public-url`: both are the
//! panel's, and a browser never lets another site send either in `Origin`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{COOKIE, HOST, ORIGIN, REFERER};
use http::{HeaderMap, Method, StatusCode};

/// The panel's public origin (`scheme://host[:port]`), if it has one.
#[derive(Clone, Debug, Default)]
pub struct PublicOrigin(pub Option<String>);

/// Refuses unsafe-method requests that come from another site.
pub async fn same_origin_only(State(public): State<Arc<PublicOrigin>>, request: Request, next: Next) -> Response {
    if is_forgery(request.method(), request.headers(), public.0.as_deref()) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(request).await
}

/// Whether this request must be refused.
fn is_forgery(method: &Method, headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = header(headers, "sec-fetch-site") {
        if site != "same-origin" && site != "none" {
            return true;
        }
    }
    let host = header(headers, HOST.as_str());
    // Origin first; some requests (older browsers) only have Referer.
    match header(headers, ORIGIN.as_str()).or_else(|| header(headers, REFERER.as_str())) {
        Some(url) => {
            let same_host = host.is_some() && authority_of(url) == host;
            let public =
                public_origin.is_some_and(|public| origin_of(url).is_some_and(|o| o.eq_ignore_ascii_case(public)));
            !(same_host || public)
        }
        // No browser headers at all: fine for a client without cookies, refused with one.
        None => headers.get(COOKIE).is_some(),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `host:port` of an absolute http(s) URL.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    Some(rest.split(['/', '?', '#']).next().unwrap_or(rest))
}

/// `scheme://host[:port]` of an absolute http(s) URL, the port left out when it is the
/// scheme's own (as browsers write `Origin`).
fn origin_of(url: &str) -> Option<String> {
    let scheme = if url.starts_with("https://") { "https" } else { "http" };
    let authority = authority_of(url)?;
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    Some(format!("{scheme}://{}", authority.strip_suffix(default_port).unwrap_or(authority)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_origin_posts_pass() {
        let h =
            headers(&[("cookie", "carina_session=x"), ("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]);
        assert!(!is_forgery(&Method::POST, &h, None));
        let h = headers(&[
            ("cookie", "c=1"),
            ("host", "panel.example:443"),
            ("referer", "https://panel.example:443/signin?x"),
        ]);
        assert!(!is_forgery(&Method::POST, &h, None));
    }

    #[test]
    fn cross_site_posts_with_a_cookie_are_refused() {
        let h =
            headers(&[("cookie", "carina_session=x"), ("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]);
        assert!(is_forgery(&Method::POST, &h, None));
        let h = headers(&[("cookie", "carina_session=x"), ("host", "127.0.0.1:3000")]);
        assert!(is_forgery(&Method::POST, &h, None), "no origin at all");
        let h = headers(&[
            ("cookie", "carina_session=x"),
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(is_forgery(&Method::POST, &h, None));
    }

    #[test]
    fn reads_and_cookieless_requests_pass() {
        let h = headers(&[("cookie", "carina_session=x"), ("host", "a"), ("origin", "http://b")]);
        assert!(!is_forgery(&Method::GET, &h, None));
        let h = headers(&[("host", "a"), ("authorization", "Bearer carina_x")]);
        assert!(!is_forgery(&Method::POST, &h, None));
    }

    #[test]
    fn behind_a_proxy_that_rewrites_host_the_public_origin_passes() {
        let public = Some("https://panel.example");
        let h = headers(&[("cookie", "c=1"), ("host", "127.0.0.1:3000"), ("origin", "https://panel.example")]);
        assert!(is_forgery(&Method::POST, &h, None), "without the public URL the proxied post looks cross-site");
        assert!(!is_forgery(&Method::POST, &h, public));
        let h = headers(&[("cookie", "c=1"), ("host", "127.0.0.1:3000"), ("referer", "https://panel.example:443/a")]);
        assert!(!is_forgery(&Method::POST, &h, public));
        for other in ["http://panel.example", "https://panel.example:8443", "https://evil.example"] {
            let h = headers(&[("cookie", "c=1"), ("host", "127.0.0.1:3000"), ("origin", other)]);
            assert!(is_forgery(&Method::POST, &h, public), "{other}");
        }
    }

    #[test]
    fn a_forged_sign_in_without_cookies_is_refused() {
        let h = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]);
        assert!(is_forgery(&Method::POST, &h, None));
    }
}
