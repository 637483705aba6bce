//! Streams through the gateway in fewer, larger pieces: dockerd writes one HTTP chunk per
//! log line, and forwarding each as its own chunk (and TLS record) costs more CPU than
//! the data. What is already available is merged; nothing waits for more.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};

use crate::transport::body::BoxError;

/// Merged frames stop growing at this size.
const TARGET: usize = 64 * 1024;

/// A response body that merges the data frames already received.
pub(crate) struct Coalesce {
    inner: Incoming,
    buf: BytesMut,
    /// A trailers frame seen while data was buffered.
    held: Option<Frame<Bytes>>,
    done: bool,
}

impl Coalesce {
    pub(crate) fn new(inner: Incoming) -> Self {
        Self { inner, buf: BytesMut::new(), held: None, done: false }
    }

    fn take(&mut self) -> Frame<Bytes> {
        Frame::data(self.buf.split().freeze())
    }
}

impl HttpBody for Coalesce {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Some(frame) = this.held.take() {
            return Poll::Ready(Some(Ok(frame)));
        }
        loop {
            if this.done {
                return Poll::Ready(if this.buf.is_empty() { None } else { Some(Ok(this.take())) });
            }
            if this.buf.len() >= TARGET {
                return Poll::Ready(Some(Ok(this.take())));
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        // A big piece on its own goes out without a copy.
                        if this.buf.is_empty() && data.len() >= TARGET / 2 {
                            return Poll::Ready(Some(Ok(Frame::data(data))));
                        }
                        this.buf.extend_from_slice(&data);
                    }
                    Err(trailers) => {
                        if this.buf.is_empty() {
                            return Poll::Ready(Some(Ok(trailers)));
                        }
                        this.held = Some(trailers);
                        return Poll::Ready(Some(Ok(this.take())));
                    }
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(Box::new(e)))),
                Poll::Ready(None) => this.done = true,
                Poll::Pending => {
                    return if this.buf.is_empty() { Poll::Pending } else { Poll::Ready(Some(Ok(this.take()))) };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.buf.is_empty() && self.held.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.inner.size_hint();
        let buffered = self.buf.len() as u64;
        hint.set_lower(hint.lower() + buffered);
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper + buffered);
        }
        hint
    }
}
