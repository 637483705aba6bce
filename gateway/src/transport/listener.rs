//! One cluster's TLS listener: accept, authenticate, serve HTTP/1.1 with upgrades, and cut
//! connections when their certificate is revoked or the endpoint closes.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::cluster::Cluster;
use crate::limits::{ClusterLimits, Permit};
use crate::transport::body::Body;
use crate::transport::tls::{ClientId, Revocations};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// What answers a request on an authenticated connection (the API, given by
/// `endpoints`: the transport knows nothing of what the requests mean).
pub(crate) type Handler = fn(Arc<ConnCtx>, Request<Incoming>) -> BoxFuture<'static, Response<Body>>;

/// State shared by a listener and all its connections.
pub(crate) struct EndpointShared {
    pub cluster: Arc<Cluster>,
    handler: Handler,
    pub revoked: Arc<Revocations>,
    /// Cancelled by `close`: stops the accept loop and every connection.
    pub cancel: CancellationToken,
    acceptor: RwLock<TlsAcceptor>,
    /// One token per client certificate, child of `cancel`: revoking cancels it.
    by_cert: Mutex<HashMap<String, CancellationToken>>,
    /// Connections and streams this cluster, and each of its certificates, may hold.
    pub limits: ClusterLimits,
}

impl EndpointShared {
    pub(crate) fn new(
        cluster: Arc<Cluster>,
        handler: Handler,
        revoked: Arc<Revocations>,
        acceptor: TlsAcceptor,
        limits: ClusterLimits,
    ) -> Self {
        Self {
            cluster,
            handler,
            revoked,
            cancel: CancellationToken::new(),
            acceptor: RwLock::new(acceptor),
            by_cert: Mutex::default(),
            limits,
        }
    }

    pub(crate) fn set_acceptor(&self, acceptor: TlsAcceptor) {
        if let Ok(mut a) = self.acceptor.write() {
            *a = acceptor;
        }
    }

    fn acceptor(&self) -> Option<TlsAcceptor> {
        self.acceptor.read().ok().map(|a| a.clone())
    }

    fn token_for(&self, fingerprint: &str) -> CancellationToken {
        let mut map = self.by_cert.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(fingerprint.to_owned()).or_insert_with(|| self.cancel.child_token()).child_token()
    }

    /// Marks a certificate revoked and cuts every connection (and hijacked stream) using it.
    pub(crate) fn revoke(&self, fingerprint: &str) {
        let fingerprint = fingerprint.to_ascii_lowercase();
        self.revoked.insert(&fingerprint);
        let token = self.by_cert.lock().unwrap_or_else(|e| e.into_inner()).remove(&fingerprint);
        if let Some(token) = token {
            token.cancel();
        }
    }

    /// Cuts every connection but keeps listening (the CA changed).
    pub(crate) fn cut_all(&self) {
        let tokens: Vec<_> = self.by_cert.lock().unwrap_or_else(|e| e.into_inner()).drain().map(|(_, t)| t).collect();
        for token in tokens {
            token.cancel();
        }
    }
}

/// What a request handler knows about its connection.
pub(crate) struct ConnCtx {
    pub shared: Arc<EndpointShared>,
    pub client: ClientId,
    /// Cancelled on revoke/close: hijacked streams watch it too.
    pub cancel: CancellationToken,
}

/// The accept loop; returns when the endpoint is closed.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<EndpointShared>) {
    loop {
        tokio::select! {
            _ = shared.cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => match shared.limits.accept() {
                    Some(permit) => {
                        tokio::spawn(connection(shared.clone(), tcp, peer, permit));
                    }
                    None => {
                        // Before the handshake there is no way to answer: the client sees
                        // the connection closed. Other clusters' listeners are untouched.
                        tracing::warn!(cluster = %shared.cluster.id, %peer, "connection limit reached; connection dropped");
                        drop(tcp);
                    }
                },
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(cluster = %shared.cluster.id, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// Serves one connection; `_accepted` is its unit of the cluster's connection budget.
async fn connection(shared: Arc<EndpointShared>, tcp: TcpStream, peer: SocketAddr, _accepted: Permit) {
    let _ = tcp.set_nodelay(true);
    let Some(acceptor) = shared.acceptor() else {
        return;
    };
    let tls = tokio::select! {
        _ = shared.cancel.cancelled() => return,
        r = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)) => match r {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                tracing::info!(cluster = %shared.cluster.id, %peer, error = %e, "TLS handshake refused");
                return;
            }
            Err(_) => return,
        },
    };
    let Some(cert) = tls.get_ref().1.peer_certificates().and_then(|c| c.first()) else {
        return;
    };
    let client = ClientId::from_cert(cert);
    if shared.revoked.contains(&client.fingerprint) {
        return;
    }
    // Over its certificate's budget, the connection still answers, with the reason.
    let (_client_permit, over_limit) = match shared.limits.connection(&client.fingerprint) {
        Ok(permit) => (Some(permit), None),
        Err(refusal) => (None, Some(refusal)),
    };
    let cancel = shared.token_for(&client.fingerprint);
    let handler = shared.handler;
    let ctx = Arc::new(ConnCtx { shared, client, cancel: cancel.clone() });
    let service = service_fn(move |req| {
        let ctx = ctx.clone();
        let over_limit = over_limit.clone();
        async move {
            Ok::<_, Infallible>(match over_limit {
                Some(refusal) => {
                    let mut resp = refusal.into_response();
                    resp.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
                    resp
                }
                None => handler(ctx, req).await,
            })
        }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        // An idle keep-alive connection (or a slow request head) is closed after this.
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        .serve_connection(TokioIo::new(tls), service)
        .with_upgrades();
    tokio::select! {
        r = conn => if let Err(e) = r {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        },
        _ = cancel.cancelled() => {}
    }
}
