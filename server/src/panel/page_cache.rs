//! Signed-in pages, rendered once and served again while nothing they show can have
//! changed: a micro-cache in front of the sign-in guard and Leptos.
//!
//! A signed-in page is a function of the session, the path and the database, plus the
//! clock (relative times) and, on a cluster page, the live model. An entry is therefore
//! reused only for the same session cookie and path, at the same database version
//! ([`provisioner::Provisioner::watch_database_version`]: it moves with every write of what
//! pages show, by this process at once, by another replica or an operator command soon
//! after), and for at most [`FRESH_FOR`], which bounds what moves no version (the clock, a
//! cluster page's containers, which its event stream updates at once anyway). A session
//! ended by another process may thus get, within that second, the very page it was sent
//! a moment before; never anything of another session, nor anything new.
//!
//! Measured with `bench/panel.sh` (two cores, `wrk` on them too): about 4,800 renders a
//! second (the session's query, Leptos's reactive runtime, the HTML), about 40,000 reuses:
//! the page is then served at the speed of the layers around it.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use app::session::token_from_headers;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use http::header::{CONTENT_TYPE, SET_COOKIE};
use http::{HeaderMap, Method, StatusCode};
use tokio::sync::watch;

/// How long an entry may be served without a render, at most.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Entries kept at most: past this, nothing more is stored until the next sweep.
const MAX_ENTRIES: usize = 1024;
/// Pages larger than this are not kept.
const MAX_PAGE_BYTES: usize = 256 << 10;

/// The rendered pages, shared by every request of the panel.
#[derive(Clone)]
pub struct PageCache {
    entries: Arc<Mutex<Entries>>,
    database: watch::Receiver<u64>,
    /// Whether a path's pages may be kept (the sign-in guard's pages).
    keeps: fn(&str) -> bool,
}

struct Entries {
    map: HashMap<Key, Entry>,
    /// When expired entries were last dropped.
    swept_at: Instant,
}

/// One session's view of one path: the session cookie's value and the path with its query.
type Key = (String, String);

struct Entry {
    version: u64,
    rendered_at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

impl PageCache {
    /// A cache of the pages whose paths `keeps`, valid while `database` stays at a version.
    pub fn new(database: watch::Receiver<u64>, keeps: fn(&str) -> bool) -> Self {
        let entries = Entries { map: HashMap::new(), swept_at: Instant::now() };
        PageCache { entries: Arc::new(Mutex::new(entries)), database, keeps }
    }

    fn cacheable(&self, request: &Request) -> Option<Key> {
        if request.method() != Method::GET {
            return None;
        }
        let path = request.uri().path();
        if !(self.keeps)(path) {
            return None;
        }
        let token = token_from_headers(request.headers())?;
        let target = request.uri().path_and_query().map_or(path, |pq| pq.as_str()).to_owned();
        Some((token, target))
    }

    fn version(&self) -> u64 {
        *self.database.borrow()
    }

    fn fresh(&self, key: &Key) -> Option<Response> {
        let version = self.version();
        let entries = self.entries.lock().expect("page cache lock");
        let entry = entries.map.get(key)?;
        if entry.version != version || entry.rendered_at.elapsed() >= FRESH_FOR {
            return None;
        }
        let mut response = Response::new(Body::from(entry.body.clone()));
        *response.headers_mut() = entry.headers.clone();
        Some(response)
    }

    fn store(&self, key: Key, version: u64, rendered_at: Instant, headers: HeaderMap, body: Bytes) {
        // A change while the page rendered: it may show either side of it.
        if self.version() != version {
            return;
        }
        let mut entries = self.entries.lock().expect("page cache lock");
        // Expired entries go once per FRESH_FOR (a sweep reads them all): nothing, a
        // session's cookie included, is kept much longer than it may be used.
        if entries.swept_at.elapsed() >= FRESH_FOR {
            entries.map.retain(|_, e| e.rendered_at.elapsed() < FRESH_FOR);
            entries.swept_at = Instant::now();
        }
        if entries.map.len() < MAX_ENTRIES || entries.map.contains_key(&key) {
            entries.map.insert(key, Entry { version, rendered_at, headers, body });
        }
    }
}

/// Whether a response may be kept: a whole HTML page that sets no cookie.
fn keepable(response: &Response) -> bool {
    response.status() == StatusCode::OK
        && !response.headers().contains_key(SET_COOKIE)
        && response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
}

/// The middleware: answers from the cache, or renders and keeps what it sent. The page
/// streams to the browser as it renders; a copy is kept only once it ended whole.
pub async fn reuse_rendered_pages(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let Some(key) = cache.cacheable(&request) else {
        return next.run(request).await;
    };
    if let Some(response) = cache.fresh(&key) {
        return response;
    }
    let (version, started) = (cache.version(), Instant::now());
    let response = next.run(request).await;
    if !keepable(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let copy = Copy { cache, key, version, rendered_at: started, headers: parts.headers.clone(), bytes: Vec::new() };
    let teed = Tee { inner: body.into_data_stream(), copy: Some(copy) };
    Response::from_parts(parts, Body::from_stream(teed))
}

/// What a page sent so far, and where it goes once the page ended whole.
struct Copy {
    cache: PageCache,
    key: Key,
    version: u64,
    rendered_at: Instant,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

/// A page's body on its way to the browser, copied as it passes; the copy is dropped on an
/// error, past [`MAX_PAGE_BYTES`], or when the browser leaves first.
struct Tee {
    inner: axum::body::BodyDataStream,
    copy: Option<Copy>,
}

impl futures::Stream for Tee {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(copy) = self.copy.as_mut() {
                    copy.bytes.extend_from_slice(chunk);
                    if copy.bytes.len() > MAX_PAGE_BYTES {
                        self.copy = None;
                    }
                }
            }
            Poll::Ready(Some(Err(_))) => self.copy = None,
            Poll::Ready(None) => {
                if let Some(c) = self.copy.take() {
                    c.cache.store(c.key, c.version, c.rendered_at, c.headers, Bytes::from(c.bytes));
                }
            }
            Poll::Pending => {}
        }
        next
    }
}
