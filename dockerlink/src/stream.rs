//! One open connection to a dockerd, either kind.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::{Connected, Connection};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::client::TlsStream;

/// A connection to a dockerd: its unix socket, or TLS over TCP.
#[derive(Debug)]
pub enum DockerStream {
    /// Through the unix socket.
    Unix(UnixStream),
    /// Through the TLS listener.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for DockerStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DockerStream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            DockerStream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for DockerStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DockerStream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            DockerStream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            DockerStream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            DockerStream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            DockerStream::Unix(s) => s.is_write_vectored(),
            DockerStream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DockerStream::Unix(s) => Pin::new(s).poll_flush(cx),
            DockerStream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            DockerStream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            DockerStream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl Connection for DockerStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}
