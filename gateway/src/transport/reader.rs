//! The readers of bulk streams (see [`super::rawstream`]): what the connection to dockerd
//! gives, handed over in pieces of kilobytes rather than one line at a time.
//!
//! On a unix socket the pause after a small read must be short and precise (a thread of
//! its own sleeping a fraction of a millisecond, not tokio's millisecond timer): the socket
//! buffers only about 2 ms of a log stream, and a full buffer stalls dockerd. Behind TLS
//! (another host's dockerd), TCP's buffers hold far more: a task pausing a millisecond
//! does, and a TLS read after it gets every record that arrived meanwhile.

use std::io::Read;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

use crate::limits::Held;

/// The largest piece read at once.
pub(crate) const READ_SIZE: usize = 64 * 1024;
/// A read shorter than this means a trickling producer: the reader pauses before the next.
const SMALL_READ: usize = 8 * 1024;
/// The pause after a small read, on a unix socket and behind TLS.
const BATCH_PAUSE: Duration = Duration::from_micros(200);
const TLS_BATCH_PAUSE: Duration = Duration::from_millis(1);
/// How often an idle reader thread checks whether the client went away.
pub(crate) const IDLE_CHECK: Duration = Duration::from_secs(1);
/// Pieces read ahead of the client (backpressure beyond that reaches dockerd).
const READ_AHEAD: usize = 8;

/// Hands the rest of the answer to a reader thread; its pieces arrive on the receiver,
/// ending with an empty piece at end of stream. The thread ends at end of stream, on an
/// error, or within [`IDLE_CHECK`] of the receiver being dropped.
pub(crate) fn spawn_reader(
    stream: UnixStream,
    permit: Held,
) -> Result<mpsc::Receiver<std::io::Result<Bytes>>, std::io::Error> {
    let mut stream = stream.into_std()?;
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IDLE_CHECK))?;
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    std::thread::Builder::new().name("segment-stream".into()).spawn(move || {
        // Counted as a stream and a reader thread until the thread ends.
        let _permit = permit;
        let _open = crate::metrics::Open::stream();
        let mut buf = vec![0u8; READ_SIZE];
        loop {
            let piece = match stream.read(&mut buf) {
                Ok(n) => Ok(Bytes::copy_from_slice(&buf[..n])),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    if tx.is_closed() {
                        return;
                    }
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let (last, small) = match &piece {
                Ok(b) => (b.is_empty(), b.len() < SMALL_READ),
                Err(_) => (true, false),
            };
            if tx.blocking_send(piece).is_err() || last {
                return;
            }
            if small {
                std::thread::sleep(BATCH_PAUSE);
            }
        }
    })?;
    Ok(rx)
}

/// Like [`spawn_reader`], for a stream behind TLS: a task that reads whatever has arrived
/// (one TLS read gives at most the records of one read from the socket, so it reads on
/// while more is there at once), pauses [`TLS_BATCH_PAUSE`] after a small piece, and ends at
/// end of stream, on an error, or as soon as the receiver is dropped.
pub(crate) fn spawn_task_reader(
    mut stream: impl AsyncRead + Unpin + Send + 'static,
    permit: Held,
) -> mpsc::Receiver<std::io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    tokio::spawn(async move {
        let _permit = permit;
        let _open = crate::metrics::Open::stream();
        let mut buf = vec![0u8; READ_SIZE];
        loop {
            let first = tokio::select! {
                read = stream.read(&mut buf) => read,
                () = tx.closed() => return,
            };
            let (mut filled, mut end) = match first {
                Ok(n) => (n, n == 0),
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            while !end && filled < READ_SIZE {
                match stream.read(&mut buf[filled..]).now_or_never() {
                    Some(Ok(0)) => end = true,
                    Some(Ok(n)) => filled += n,
                    // Sent with the next read, which meets it again.
                    Some(Err(_)) | None => break,
                }
            }
            if filled > 0 && tx.send(Ok(Bytes::copy_from_slice(&buf[..filled]))).await.is_err() {
                return;
            }
            if end {
                let _ = tx.send(Ok(Bytes::new())).await;
                return;
            }
            if filled < SMALL_READ {
                tokio::time::sleep(TLS_BATCH_PAUSE).await;
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_task_reader_hands_over_everything_in_order_and_stops_with_its_receiver() {
        let (mut dockerd, ours) = tokio::io::duplex(1 << 20);
        let lines: Vec<String> = (0..2000).map(|i| format!("line {i:05} of the log stream\n")).collect();
        for line in &lines {
            dockerd.write_all(line.as_bytes()).await.unwrap();
        }
        drop(dockerd);
        let mut pieces = spawn_task_reader(ours, Held::untracked());
        let mut got = Vec::new();
        loop {
            let piece = pieces.recv().await.unwrap().unwrap();
            if piece.is_empty() {
                break;
            }
            got.extend_from_slice(&piece);
        }
        assert_eq!(String::from_utf8(got).unwrap(), lines.concat());

        // An idle stream whose receiver goes: the task ends at once, its permit with it.
        let (_dockerd, ours) = tokio::io::duplex(64);
        let limits = crate::limits::ClusterLimits::new(crate::EndpointLimits::default());
        drop(spawn_task_reader(ours, limits.stream("client", true).unwrap()));
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while limits.open_streams() != 0 {
            assert!(std::time::Instant::now() < deadline, "the stream is still counted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
