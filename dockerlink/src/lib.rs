//! How the control plane reaches a segment's dockerd.
//!
//! On the machine that runs the segment: through the dockerd unix socket that the
//! segment's `/run` puts on the host. On any other host: over TCP to dockerd's TLS
//! listener on the segment's address, authenticated both ways with the control plane's
//! own CA. dockerd accepts only client certificates of that CA, and only the control
//! plane holds one, so neither a tenant's bundle nor a key a tenant can read inside a
//! segment opens it. The control plane accepts only a server certificate of that CA that
//! names the segment's address, so no segment can pose as another.
//!
//! [`connect`] opens one stream to a dockerd; [`Connector`] lets a pooled hyper client
//! (the gateway's, and bollard's) open them.

#![warn(unreachable_pub)]
#![warn(missing_docs)]

mod identity;
mod stream;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddrV4};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::{TcpStream, UnixStream};

pub use identity::{ControlIdentity, IdentityError};
pub use stream::DockerStream;

/// Where one segment's dockerd is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DockerAddress {
    /// Its unix socket on this machine.
    Unix(PathBuf),
    /// Its TLS listener, with the control plane's client certificate.
    Tls {
        /// The segment's address and dockerd's TLS port.
        addr: SocketAddrV4,
        /// The control plane's client identity, which also says whom to trust.
        identity: ControlIdentity,
    },
}

impl DockerAddress {
    /// The unix socket, for a segment on this machine.
    pub fn socket(&self) -> Option<&std::path::Path> {
        match self {
            DockerAddress::Unix(path) => Some(path),
            DockerAddress::Tls { .. } => None,
        }
    }
}

impl fmt::Display for DockerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DockerAddress::Unix(path) => write!(f, "unix://{}", path.display()),
            DockerAddress::Tls { addr, .. } => write!(f, "tls://{addr}"),
        }
    }
}

/// Opens a stream to the dockerd at `address`: the unix socket, or a TCP connection
/// (without Nagle's delay: requests are small and answered at once) and the TLS
/// handshake, which checks that the server's certificate names the segment's address.
pub async fn connect(address: &DockerAddress) -> std::io::Result<DockerStream> {
    connect_within(address, None).await
}

/// Like [`connect`], giving up on a TCP connection not made within `tcp_timeout`.
pub async fn connect_within(address: &DockerAddress, tcp_timeout: Option<Duration>) -> std::io::Result<DockerStream> {
    match address {
        DockerAddress::Unix(path) => Ok(DockerStream::Unix(UnixStream::connect(path).await?)),
        DockerAddress::Tls { addr, identity } => {
            let tcp = match tcp_timeout {
                None => TcpStream::connect(addr).await?,
                Some(limit) => tokio::time::timeout(limit, TcpStream::connect(addr))
                    .await
                    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no TCP connection in time"))??,
            };
            tcp.set_nodelay(true)?;
            let name = ServerName::IpAddress(IpAddr::V4(*addr.ip()).into());
            let tls = identity.connector().connect(name, tcp).await?;
            Ok(DockerStream::Tls(Box::new(tls)))
        }
    }
}

/// Connects a hyper client to one dockerd, whatever the request's URI says.
#[derive(Clone, Debug)]
pub struct Connector {
    address: Arc<DockerAddress>,
    tcp_timeout: Option<Duration>,
}

impl Connector {
    /// A connector for the dockerd at `address`.
    pub fn new(address: DockerAddress) -> Self {
        Connector { address: Arc::new(address), tcp_timeout: None }
    }

    /// Gives up on a TCP connection not made within `limit` (see [`connect_within`]).
    pub fn with_tcp_timeout(mut self, limit: Duration) -> Self {
        self.tcp_timeout = Some(limit);
        self
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<DockerStream>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let (address, limit) = (self.address.clone(), self.tcp_timeout);
        Box::pin(async move { Ok(TokioIo::new(connect_within(&address, limit).await?)) })
    }
}
