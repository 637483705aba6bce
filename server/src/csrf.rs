//! Cross-site request forgery defence for cookie-authenticated requests.
//!
//! Browsers send `Origin` with every POST (forms and fetch alike) and `Sec-Fetch-Site`
//! with every request; a state-changing request from another site is refused here, before
//! any server function runs, whether or not it carries a session cookie (a forged
//! sign-in is an attack too). Non-browser clients (the JSON API with a bearer key) send
//! neither header and no cookie, and pass.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{COOKIE, HOST, ORIGIN, REFERER};
use http::{HeaderMap, Method, StatusCode};

/// Refuses unsafe-method requests that come from another site.
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    if is_forgery(request.method(), request.headers()) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(request).await
}

/// Whether this request must be refused.
fn is_forgery(method: &Method, headers: &HeaderMap) -> bool {
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
        Some(url) => host.is_none() || authority_of(url) != host,
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
        assert!(!is_forgery(&Method::POST, &h));
        let h = headers(&[
            ("cookie", "c=1"),
            ("host", "panel.example:443"),
            ("referer", "https://panel.example:443/signin?x"),
        ]);
        assert!(!is_forgery(&Method::POST, &h));
    }

    #[test]
    fn cross_site_posts_with_a_cookie_are_refused() {
        let h =
            headers(&[("cookie", "carina_session=x"), ("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]);
        assert!(is_forgery(&Method::POST, &h));
        let h = headers(&[("cookie", "carina_session=x"), ("host", "127.0.0.1:3000")]);
        assert!(is_forgery(&Method::POST, &h), "no origin at all");
        let h = headers(&[
            ("cookie", "carina_session=x"),
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(is_forgery(&Method::POST, &h));
    }

    #[test]
    fn reads_and_cookieless_requests_pass() {
        let h = headers(&[("cookie", "carina_session=x"), ("host", "a"), ("origin", "http://b")]);
        assert!(!is_forgery(&Method::GET, &h));
        let h = headers(&[("host", "a"), ("authorization", "Bearer carina_x")]);
        assert!(!is_forgery(&Method::POST, &h));
    }

    #[test]
    fn a_forged_sign_in_without_cookies_is_refused() {
        let h = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]);
        assert!(is_forgery(&Method::POST, &h));
    }
}
