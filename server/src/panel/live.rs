//! Live pages: server-sent event streams of the data the clusters page and a cluster's
//! page show. Users asked for push, not polling: the browser keeps one stream open, and
//! the server looks at the page's data again only when something it shows may have
//! changed (the cluster's live model or the database woke it), sending it when it did.
//! An idle cluster costs its open pages keep-alives, a session check every 30 s, and a
//! look per usage sample of its segments (every 10 s).
//!
//! Event format (`text/event-stream`):
//! - `data: <JSON>`: the page's whole data (`ClusterListData` or `ClusterPageData`), at
//!   once on connecting and then on every change;
//! - `event: gone` / `data: {}`: the cluster no longer exists; the stream ends, and the
//!   browser should not reconnect;
//! - `:` comments as keep-alives.
//!
//! A stream ends without `gone` when its session does (signed out or expired): the
//! browser's reconnection is then refused with 401.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::functions::clusters::{list_data, page_data};
use app::session::token_from_headers;
use axum::extract::Path;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream};
use futures::StreamExt;
use http::header::{HeaderValue, CACHE_CONTROL};
use http::{HeaderMap, StatusCode};
use provisioner::{Account, ClusterWatch, Provisioner};
use serde::Serialize;

use super::PanelState;

/// How often a stream with nothing to send checks that its session still holds.
const SESSION_CHECK: Duration = Duration::from_secs(30);

/// How long a stream waits after a wake-up before it looks: a burst of events (a
/// `docker compose up`) then makes one message, not one per event.
const SETTLE: Duration = Duration::from_millis(20);

/// What one look at a page's data found.
#[derive(Debug, PartialEq, Eq)]
pub enum Look {
    /// The data, serialised.
    Data(String),
    /// The thing is gone (deleted).
    Gone,
    /// The session is over: stop.
    Ended,
    /// A passing failure (logged): try again at the next look.
    Skip,
}

/// What to send after a look, given what was sent last.
#[derive(Debug, PartialEq, Eq)]
pub enum Push {
    Data(String),
    Gone,
    Nothing,
    Stop,
}

/// Decides what a look means for the browser; remembers what it was sent.
pub fn next(last: &mut String, look: Look) -> Push {
    match look {
        Look::Data(json) if json == *last => Push::Nothing,
        Look::Data(json) => {
            last.clone_from(&json);
            Push::Data(json)
        }
        Look::Gone => Push::Gone,
        Look::Ended => Push::Stop,
        Look::Skip => Push::Nothing,
    }
}

/// `GET /live/clusters`: the account's clusters.
pub async fn clusters(Extension(state): Extension<Arc<PanelState>>, headers: HeaderMap) -> Response {
    let (token, account) = match signed_in(&state.provisioner, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let first = match list_data(&state.provisioner, &account).await {
        Ok(data) => data,
        Err(err) => return refusal(err),
    };
    let provisioner = state.provisioner.clone();
    let changes = provisioner.watch_database();
    respond("clusters", to_json(&first), changes, move || {
        let (provisioner, token) = (provisioner.clone(), token.clone());
        async move {
            match account_again(&provisioner, &token).await {
                Ok(account) => look(list_data(&provisioner, &account).await),
                Err(look) => look,
            }
        }
    })
}

/// `GET /live/clusters/{name}`: one cluster's page.
pub async fn cluster(
    Path(name): Path<String>,
    Extension(state): Extension<Arc<PanelState>>,
    headers: HeaderMap,
) -> Response {
    let (token, account) = match signed_in(&state.provisioner, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // An unknown cluster is a 404 rather than a stream that says `gone`: nothing to follow.
    let first = match page_data(&state.provisioner, &account, &name).await {
        Ok(data) => data,
        Err(err) => return refusal(err),
    };
    let changes = match state.provisioner.watch_cluster(&account, &name).await {
        Ok(changes) => changes,
        Err(err) => return refusal(err.into()),
    };
    let provisioner = state.provisioner.clone();
    respond("cluster", to_json(&first), changes, move || {
        let (provisioner, token, name) = (provisioner.clone(), token.clone(), name.clone());
        async move {
            match account_again(&provisioner, &token).await {
                Ok(account) => look(page_data(&provisioner, &account, &name).await),
                Err(look) => look,
            }
        }
    })
}

/// The session token and its account, or the 401 to answer.
async fn signed_in(provisioner: &Provisioner, headers: &HeaderMap) -> Result<(String, Account), Response> {
    let unauthorized = || (StatusCode::UNAUTHORIZED, "Please sign in to continue.").into_response();
    let token = token_from_headers(headers).ok_or_else(unauthorized)?;
    match provisioner.account_for_session(&token).await {
        Ok(Some(account)) => Ok((token, account)),
        Ok(None) => Err(unauthorized()),
        Err(err) => Err(refusal(err.into())),
    }
}

/// The session's account, checked again at every look: a stream must not outlive its
/// session, and the account's quotas may have changed.
async fn account_again(provisioner: &Provisioner, token: &str) -> Result<Account, Look> {
    match provisioner.account_for_session(token).await {
        Ok(Some(account)) => Ok(account),
        Ok(None) => Err(Look::Ended),
        Err(err) => {
            tracing::warn!(error = %err, "live stream: could not check the session");
            Err(Look::Skip)
        }
    }
}

fn look<T: Serialize>(found: Result<T, AppError>) -> Look {
    match found {
        Ok(data) => Look::Data(to_json(&data)),
        Err(AppError::NotFound(_)) => Look::Gone,
        Err(AppError::Unauthorized(_)) => Look::Ended,
        Err(err) => {
            // AppError::Internal has already been logged with its detail.
            tracing::debug!(error = %err, "live stream: skipped a look");
            Look::Skip
        }
    }
}

fn to_json<T: Serialize>(data: &T) -> String {
    // The wire types are plain structs of strings and numbers: serialising cannot fail.
    serde_json::to_string(data).unwrap_or_default()
}

/// An error before the stream starts, as a plain HTTP answer.
fn refusal(err: AppError) -> Response {
    (err.status(), err.to_string()).into_response()
}

/// The stream: `first` at once, then every change that `look` finds, one look per wake-up
/// of `changes` (and one per [`SESSION_CHECK`], for the session). Ends when the browser
/// goes away (the response body is dropped, and with it the stream), when the session
/// ends, or after `gone`.
fn respond<F, Fut>(page: &'static str, first: String, changes: ClusterWatch, look: F) -> Response
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Look> + Send,
{
    let events = changes_of(Some(Subscriber::new(page)), first, look, Box::pin(wake_ups(changes)));
    let mut response = Sse::new(events).keep_alive(KeepAlive::default()).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Reverse proxies (nginx) would otherwise buffer the stream.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// One open live stream, counted in `carina_live_subscribers{page}` while it lives (its
/// watch drops when the stream ends or the browser goes away).
struct Subscriber(&'static str);

impl Subscriber {
    fn new(page: &'static str) -> Subscriber {
        metrics::gauge!("carina_live_subscribers", "page" => page).increment(1.0);
        Subscriber(page)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        metrics::gauge!("carina_live_subscribers", "page" => self.0).decrement(1.0);
    }
}

/// When to look again: after each change the watch reports, and every [`SESSION_CHECK`]
/// at the latest. Ends when nothing more can change (the cluster's model ended).
fn wake_ups(changes: ClusterWatch) -> impl Stream<Item = ()> + Send + 'static {
    stream::unfold(changes, |mut changes| async move {
        tokio::select! {
            more = changes.changed() => {
                if !more {
                    return None;
                }
                tokio::time::sleep(SETTLE).await;
            }
            () = tokio::time::sleep(SESSION_CHECK) => {}
        }
        Some(((), changes))
    })
}

struct Watch<F, W> {
    _subscriber: Option<Subscriber>,
    look: F,
    wake_ups: W,
    last: String,
    first: bool,
    done: bool,
}

fn changes_of<F, Fut, W>(
    subscriber: Option<Subscriber>,
    first: String,
    look: F,
    wake_ups: W,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Look> + Send,
    W: Stream<Item = ()> + Send + Unpin + 'static,
{
    let watch = Watch { _subscriber: subscriber, look, wake_ups, last: first, first: true, done: false };
    stream::unfold(watch, |mut watch| async move {
        if watch.done {
            return None;
        }
        if watch.first {
            // Sent even though the page was rendered from the same data a moment ago: the
            // render may be older than this stream (a page restored from the cache).
            watch.first = false;
            let event = Event::default().data(watch.last.clone());
            return Some((Ok(event), watch));
        }
        loop {
            // The cluster's model ended: it is gone, or the server stops. One last look
            // tells which.
            let more = watch.wake_ups.next().await.is_some();
            let found = (watch.look)().await;
            if !more && matches!(found, Look::Data(_) | Look::Skip) {
                return None;
            }
            match next(&mut watch.last, found) {
                Push::Nothing => continue,
                Push::Data(json) => return Some((Ok(Event::default().data(json)), watch)),
                Push::Gone => {
                    watch.done = true;
                    return Some((Ok(Event::default().event("gone").data("{}")), watch));
                }
                Push::Stop => return None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_are_sent() {
        let mut last = "a".to_owned();
        assert_eq!(next(&mut last, Look::Data("a".into())), Push::Nothing);
        assert_eq!(next(&mut last, Look::Data("b".into())), Push::Data("b".into()));
        assert_eq!(next(&mut last, Look::Data("b".into())), Push::Nothing);
        assert_eq!(next(&mut last, Look::Skip), Push::Nothing);
        assert_eq!(next(&mut last, Look::Data("b".into())), Push::Nothing);
        assert_eq!(next(&mut last, Look::Gone), Push::Gone);
        assert_eq!(next(&mut last, Look::Ended), Push::Stop);
    }

    fn always() -> impl Stream<Item = ()> + Send + Unpin + 'static {
        stream::repeat(())
    }

    #[tokio::test]
    async fn a_stream_sends_the_first_snapshot_then_changes_then_gone_and_ends() {
        let mut looks =
            vec![Look::Data("1".into()), Look::Skip, Look::Data("2".into()), Look::Data("2".into()), Look::Gone]
                .into_iter();
        let events: Vec<_> =
            changes_of(None, "1".into(), move || std::future::ready(looks.next().unwrap_or(Look::Ended)), always())
                .collect()
                .await;
        // first "1", then "2", then gone; then the stream is over.
        assert_eq!(events.len(), 3);
    }

    #[tokio::test]
    async fn a_stream_stops_quietly_when_the_session_ends() {
        let mut looks = vec![Look::Data("2".into()), Look::Ended].into_iter();
        let events: Vec<_> =
            changes_of(None, "1".into(), move || std::future::ready(looks.next().unwrap_or(Look::Ended)), always())
                .collect()
                .await;
        assert_eq!(events.len(), 2);
    }
}
