//! Server-side plumbing for server functions: the provisioner from context, the session
//! cookie, and errors with the right HTTP status.

use http::header::{ACCEPT, COOKIE, SET_COOKIE};
use http::request::Parts;
use http::HeaderValue;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use provisioner::{Account, NewSession, Provisioner};

use crate::error::AppError;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "carina_session";

/// Cookie settings the server decides (whether it is served over HTTPS).
#[derive(Clone, Copy, Debug, Default)]
pub struct CookiePolicy {
    /// Add `Secure`: only when the panel is served over HTTPS.
    pub secure: bool,
}

/// A request extension the server sets when a trusted reverse proxy says the browser
/// reached it over HTTPS (`X-Forwarded-Proto: https`): the cookies it sets are `Secure`.
#[derive(Clone, Copy, Debug)]
pub struct ServedOverHttps;

/// The provisioner the server put into the Leptos context.
pub fn provisioner() -> Result<Provisioner, AppError> {
    use_context::<Provisioner>().ok_or_else(|| {
        tracing::error!("no provisioner in the server function context");
        AppError::Internal
    })
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    token_from_headers(&parts.headers)
}

/// The session token in a `Cookie` header map.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// A cookie's value in a `Cookie` header map; none when empty.
fn cookie(headers: &http::HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The address of the client that sent this request: the TCP peer, which axum records
/// for every connection (`into_make_service_with_connect_info`), or, for a request from a
/// trusted reverse proxy, the client its `X-Forwarded-For` names (the server puts that
/// in place of the peer). Nobody else's forwarded headers are believed.
pub fn client_address() -> Result<std::net::IpAddr, AppError> {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip()))
        .ok_or_else(|| {
            tracing::error!("no client address on the request: serve with connect info");
            AppError::Internal
        })
}

/// The account the server's sign-in guard already found for this page request, with
/// how many clusters it has (a request extension only the server sets, never the client).
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub account: Account,
    pub clusters_used: u32,
}

/// The signed-in account, or `Unauthorized`.
pub async fn require_account() -> Result<Account, AppError> {
    current_account().await?.ok_or_else(AppError::sign_in_required)
}

/// The signed-in account, if any.
pub async fn current_account() -> Result<Option<Account>, AppError> {
    Ok(signed_in().await?.map(|found| found.account))
}

/// The signed-in account and its cluster count, if any: what the sign-in guard found for
/// this request, else one lookup of the session cookie.
pub async fn signed_in() -> Result<Option<SignedIn>, AppError> {
    if let Some(found) = use_context::<Parts>().and_then(|parts| parts.extensions.get::<SignedIn>().cloned()) {
        return Ok(Some(found));
    }
    let Some(token) = session_token() else {
        return Ok(None);
    };
    let found = provisioner()?.signed_in(&token).await?;
    Ok(found.map(|(account, clusters_used)| SignedIn { account, clusters_used }))
}

/// Sends the session cookie with the response.
pub fn set_session_cookie(session: &NewSession) {
    let max_age = (session.expires_at - now_ms()).max(0) / 1000;
    set_cookie(&session.token, max_age);
}

/// Sends a cookie that removes the session cookie.
pub fn clear_session_cookie() {
    set_cookie("", 0);
}

fn set_cookie(value: &str, max_age: i64) {
    // HttpOnly: scripts never see it. SameSite=Lax: not sent on cross-site POSTs.
    append_cookie(&format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}"));
}

/// Sends a `Set-Cookie`, marked `Secure` when the panel is served over HTTPS (always, or
/// this request through a trusted proxy).
fn append_cookie(cookie: &str) {
    let secure = use_context::<CookiePolicy>().unwrap_or_default().secure
        || use_context::<Parts>().is_some_and(|parts| parts.extensions.get::<ServedOverHttps>().is_some());
    let cookie = format!("{cookie}{}", if secure { "; Secure" } else { "" });
    if let (Some(response), Ok(header)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        response.append_header(SET_COOKIE, header);
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The cookie that carries a new API key from a plain form post (no JavaScript) to the
/// account page that shows it once: the post is answered with a redirect, which cannot
/// carry the key itself (a URL would keep it in the history and logs).
pub const NEW_KEY_COOKIE: &str = "carina_new_key";

/// Whether this request is a plain HTML form post (the browser navigates to its answer),
/// as opposed to the wasm's fetch.
pub fn from_plain_form() -> bool {
    use_context::<Parts>()
        .and_then(|parts| parts.headers.get(ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html")))
        .unwrap_or(false)
}

/// Hands a new API key to the account page, for a plain form post only: HttpOnly, sent
/// to the account page alone, gone after five minutes or its first showing.
pub fn flash_new_key(secret: &str) {
    append_cookie(&format!("{NEW_KEY_COOKIE}={secret}; Path=/account; HttpOnly; SameSite=Strict; Max-Age=300"));
}

/// The new API key handed over by [`flash_new_key`], if this request carries it, and a
/// cookie that removes it: it is shown once.
pub fn take_flashed_key() -> Option<String> {
    let parts = use_context::<Parts>()?;
    let secret = cookie(&parts.headers, NEW_KEY_COOKIE)?;
    append_cookie(&format!("{NEW_KEY_COOKIE}=; Path=/account; HttpOnly; SameSite=Strict; Max-Age=0"));
    Some(secret)
}

/// Turns a domain error into the server function's error, setting the HTTP status for
/// API callers. Plain HTML form posts keep their redirect back to the form instead, where
/// the error is shown.
pub fn fail(err: impl Into<AppError>) -> AppError {
    let err = err.into();
    if !from_plain_form() {
        if let Some(response) = use_context::<ResponseOptions>() {
            response.set_status(err.status());
        }
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_is_found_among_other_cookies() {
        let mut headers = http::HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark; carina_session=abc123; x=y"));
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc123"));
        headers.clear();
        headers.append(COOKIE, HeaderValue::from_static("carina_session="));
        assert_eq!(token_from_headers(&headers), None);
    }
}
