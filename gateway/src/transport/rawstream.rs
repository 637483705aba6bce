//! Bulk streams (logs, stats, export, `docker cp` out, image save) on a dedicated
//! connection, read by a reader of their own ([`super::reader`]) and de-chunked in the task
//! that writes them to the client.
//!
//! dockerd writes a log stream one line per write. Woken for every line, a reader costs
//! more CPU than dockerd itself and hands the client one tiny TLS record per line. The
//! reader instead pauses after a small read, so each read takes kilobytes of lines: far
//! fewer wake-ups, syscalls and records.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use dockerlink::{DockerAddress, DockerStream};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::limits::Held;
use crate::transport::body::{Body, BoxError};
use crate::transport::reader::{spawn_reader, spawn_task_reader, READ_SIZE};
use crate::transport::upstream::is_hop_by_hop;

const MAX_HEAD: usize = 64 * 1024;

/// Sends a body-less request on a fresh connection to `dockerd` and streams the answer.
pub(crate) async fn request(
    dockerd: &DockerAddress,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    permit: Held,
) -> Result<Response<Body>, std::io::Error> {
    let timeout = Some(crate::transport::upstream::TCP_CONNECT_TIMEOUT);
    let mut stream = dockerlink::connect_within(dockerd, timeout).await?;
    let mut head = format!("{method} {path_and_query} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n");
    for (name, value) in headers {
        if is_hop_by_hop(name) || name == http::header::CONTENT_LENGTH {
            continue;
        }
        if let Ok(v) = value.to_str() {
            head.push_str(name.as_str());
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;

    let mut buf = BytesMut::with_capacity(READ_SIZE);
    let (status, resp_headers, head_len) = loop {
        if tokio::io::AsyncReadExt::read_buf(&mut stream, &mut buf).await? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no response head"));
        }
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut slots);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = StatusCode::from_u16(parsed.code.unwrap_or(502)).unwrap_or(StatusCode::BAD_GATEWAY);
                let mut map = HeaderMap::new();
                for h in parsed.headers.iter() {
                    if let (Ok(n), Ok(v)) =
                        (HeaderName::from_bytes(h.name.as_bytes()), HeaderValue::from_bytes(h.value))
                    {
                        map.append(n, v);
                    }
                }
                break (status, map, len);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => {
                return Err(std::io::Error::other("response head too large"));
            }
            Err(e) => return Err(std::io::Error::other(e)),
        }
    };
    buf.advance(head_len);
    let chunked = resp_headers
        .get(http::header::TRANSFER_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = resp_headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let framing = if chunked {
        Framing::Chunked(ChunkState::Size)
    } else if method == Method::HEAD || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        Framing::Length(0)
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    let pieces = match stream {
        DockerStream::Unix(stream) => spawn_reader(stream, permit)?,
        tls => spawn_task_reader(tls, permit),
    };
    let body = RawBody { pieces, buf, framing, done: false, out: BytesMut::new() };
    let mut resp = Response::new(body.boxed_unsync());
    *resp.status_mut() = status;
    for (name, value) in &resp_headers {
        let framing_header = chunked && name == http::header::CONTENT_LENGTH;
        if !is_hop_by_hop(name) && !framing_header {
            resp.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(resp)
}

/// Like [`request`], with errors as the user sees them.
pub(crate) async fn forward(
    seg: &crate::transport::upstream::Seg,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    permit: Held,
) -> Result<Response<Body>, ApiError> {
    request(seg.dockerd(), method, path_and_query, headers, permit).await.map_err(|e| {
        tracing::warn!(segment = %seg.name, dockerd = %seg.dockerd(), error = %e, "segment stream failed");
        ApiError::new(StatusCode::BAD_GATEWAY, format!("segment {} is unreachable", seg.name))
    })
}

enum ChunkState {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

enum Framing {
    Chunked(ChunkState),
    Length(u64),
    UntilClose,
}

struct RawBody {
    /// What the reader thread read, in order.
    pieces: mpsc::Receiver<std::io::Result<Bytes>>,
    /// Read but not yet decoded.
    buf: BytesMut,
    framing: Framing,
    done: bool,
    /// Decoded payload not yet sent.
    out: BytesMut,
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

impl RawBody {
    /// Moves decoded payload from `buf` to `out`; returns false when more input is needed.
    fn decode(&mut self, out: &mut BytesMut) -> Result<(), BoxError> {
        loop {
            match &mut self.framing {
                Framing::UntilClose => {
                    out.extend_from_slice(&self.buf);
                    self.buf.clear();
                    return Ok(());
                }
                Framing::Length(left) => {
                    let n = (*left).min(self.buf.len() as u64) as usize;
                    out.extend_from_slice(&self.buf[..n]);
                    self.buf.advance(n);
                    *left -= n as u64;
                    if *left == 0 {
                        self.done = true;
                    }
                    return Ok(());
                }
                Framing::Chunked(state) => match state {
                    ChunkState::Size => {
                        let Some(end) = find_crlf(&self.buf) else {
                            if self.buf.len() > 4096 {
                                return Err("invalid chunk size line".into());
                            }
                            return Ok(());
                        };
                        let line = std::str::from_utf8(&self.buf[..end]).map_err(|_| "invalid chunk size")?;
                        let hex = line.split(';').next().unwrap_or("").trim();
                        let size = u64::from_str_radix(hex, 16).map_err(|_| "invalid chunk size")?;
                        self.buf.advance(end + 2);
                        *state = if size == 0 { ChunkState::Trailers } else { ChunkState::Data(size) };
                    }
                    ChunkState::Data(left) => {
                        if self.buf.is_empty() {
                            return Ok(());
                        }
                        let n = (*left).min(self.buf.len() as u64) as usize;
                        out.extend_from_slice(&self.buf[..n]);
                        self.buf.advance(n);
                        *left -= n as u64;
                        if *left == 0 {
                            *state = ChunkState::DataEnd;
                        }
                    }
                    ChunkState::DataEnd => {
                        if self.buf.len() < 2 {
                            return Ok(());
                        }
                        self.buf.advance(2);
                        *state = ChunkState::Size;
                    }
                    ChunkState::Trailers => {
                        let Some(end) = find_crlf(&self.buf) else { return Ok(()) };
                        self.buf.advance(end + 2);
                        if end == 0 {
                            self.done = true;
                            return Ok(());
                        }
                    }
                },
            }
        }
    }
}

impl RawBody {
    fn flush(&mut self) -> Option<Result<Frame<Bytes>, BoxError>> {
        if self.out.is_empty() {
            None
        } else {
            Some(Ok(Frame::data(self.out.split().freeze())))
        }
    }
}

impl HttpBody for RawBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            let mut out = std::mem::take(&mut this.out);
            let decoded = this.decode(&mut out);
            this.out = out;
            if let Err(e) = decoded {
                return Poll::Ready(Some(Err(e)));
            }
            if this.done || this.out.len() >= READ_SIZE {
                return Poll::Ready(this.flush());
            }
            match this.pieces.poll_recv(cx) {
                Poll::Ready(Some(Ok(piece))) if piece.is_empty() => {
                    let complete = matches!(this.framing, Framing::UntilClose);
                    this.done = true;
                    if !complete {
                        return Poll::Ready(Some(Err("segment closed the stream early".into())));
                    }
                    return Poll::Ready(this.flush());
                }
                Poll::Ready(Some(Ok(piece))) => this.buf.extend_from_slice(&piece),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(Box::new(e)))),
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(Some(Err("segment stream reader ended".into())));
                }
                // Everything read so far goes out now; the reader already batched it.
                Poll::Pending if this.out.is_empty() => return Poll::Pending,
                Poll::Pending => return Poll::Ready(this.flush()),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.buf.is_empty() && self.out.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        match self.framing {
            Framing::Length(n) if self.buf.is_empty() => SizeHint::with_exact(n),
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::reader::IDLE_CHECK;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    /// A fresh unix socket of this test process, named by `tag`.
    fn listen(tag: &str) -> (std::path::PathBuf, tokio::net::UnixListener) {
        let path = std::env::temp_dir().join(format!("gw-raw-{}-{tag}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        (path, listener)
    }

    async fn serve_once(answer: &'static [u8]) -> (std::path::PathBuf, tokio::task::JoinHandle<()>) {
        let (path, listener) = listen(&answer.len().to_string());
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut head = vec![0u8; 4096];
            let _ = s.read(&mut head).await.unwrap();
            // Dribble the answer to exercise every split point.
            for piece in answer.chunks(3) {
                s.write_all(piece).await.unwrap();
                s.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        (path, task)
    }

    #[tokio::test]
    async fn dechunks_and_keeps_headers() {
        let answer: &'static [u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let (path, task) = serve_once(answer).await;
        let resp =
            request(&DockerAddress::Unix(path.clone()), &Method::GET, "/logs", &HeaderMap::new(), Held::untracked())
                .await
                .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/vnd.docker.raw-stream");
        assert!(resp.headers().get("transfer-encoding").is_none());
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hello, world");
        task.await.unwrap();
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn content_length_and_truncation() {
        let answer: &'static [u8] = b"HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\n{\"message\":1}";
        let (path, task) = serve_once(answer).await;
        let resp =
            request(&DockerAddress::Unix(path.clone()), &Method::GET, "/x", &HeaderMap::new(), Held::untracked())
                .await
                .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"{\"message\":1");
        task.await.unwrap();
        let answer: &'static [u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
        let (path2, task) = serve_once(answer).await;
        let resp =
            request(&DockerAddress::Unix(path2.clone()), &Method::GET, "/x", &HeaderMap::new(), Held::untracked())
                .await
                .unwrap();
        assert!(resp.into_body().collect().await.is_err(), "a cut stream must be an error");
        task.await.unwrap();
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&path2);
    }

    #[tokio::test]
    async fn a_client_that_goes_away_closes_the_segment_stream() {
        let (path, listener) = listen("idle");
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut head = vec![0u8; 4096];
            let _ = s.read(&mut head).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nline\r\n").await.unwrap();
            // An idle `logs -f`: nothing more until the other side hangs up.
            let started = std::time::Instant::now();
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest).await;
            started.elapsed()
        });
        let limits = crate::limits::ClusterLimits::new(crate::EndpointLimits::default());
        let permit = limits.stream("client", true).unwrap();
        let resp =
            request(&DockerAddress::Unix(path.clone()), &Method::GET, "/logs?follow=1", &HeaderMap::new(), permit)
                .await
                .unwrap();
        let mut body = resp.into_body();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&first[..], b"line");
        drop(body);
        let held = tokio::time::timeout(IDLE_CHECK * 3, server).await.expect("the stream stayed open").unwrap();
        assert!(held <= IDLE_CHECK * 2, "closed after {held:?}");
        // The reader thread ended, and with it the stream's place in the budgets.
        let deadline = std::time::Instant::now() + IDLE_CHECK * 3;
        while limits.open_streams() != 0 {
            assert!(std::time::Instant::now() < deadline, "the stream is still counted");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = std::fs::remove_file(&path);
    }
}
