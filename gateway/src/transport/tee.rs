//! Streaming one request body to several segments at once (`docker load`, import),
//! without holding more than a few chunks in memory: the slowest segment sets the pace.

use bytes::Bytes;
use futures::channel::mpsc;
use futures::SinkExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};

use crate::transport::body::{Body, BoxError};

/// Chunks buffered per segment.
const DEPTH: usize = 16;

/// `n` bodies that each yield every chunk of `body`.
pub(crate) fn tee(body: Incoming, n: usize) -> Vec<Body> {
    let mut senders = Vec::with_capacity(n);
    let mut bodies = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, rx) = mpsc::channel::<Item>(DEPTH);
        senders.push(tx);
        bodies.push(StreamBody::new(rx).boxed_unsync());
    }
    tokio::spawn(pump(body, senders));
    bodies
}

type Item = Result<Frame<Bytes>, BoxError>;

async fn pump(mut body: Incoming, mut senders: Vec<mpsc::Sender<Item>>) {
    loop {
        let frame = match body.frame().await {
            None => return,
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_) => continue,
            },
            Some(Err(e)) => {
                let msg = e.to_string();
                for tx in senders.iter_mut() {
                    let item: Item = Err(Box::new(std::io::Error::other(msg.clone())));
                    let _ = tx.send(item).await;
                }
                return;
            }
        };
        let mut i = 0;
        while i < senders.len() {
            let item: Item = Ok(Frame::data(frame.clone()));
            if senders[i].send(item).await.is_ok() {
                i += 1;
            } else {
                // A segment that stopped reading (it failed) is dropped; the others go on.
                senders.swap_remove(i);
            }
        }
        if senders.is_empty() {
            return;
        }
    }
}
