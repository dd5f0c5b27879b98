//! [`ExtendedStream`]: an extended operation whose IntermediateResponses
//! (RFC 4511 §4.13) reach the caller, then its final response.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use super::handle::LdapConn;
use super::op_handle::OpHandle;
use super::options::{extended_result, not_starttls, OpOptions, WithOptions};
use super::response::{Mode, Response};
use super::search::SEARCH_CHANNEL;
use crate::driver::{SearchBatch, SearchEvent, Sink};
use crate::proto::{Control, ExtendedRequest, ExtendedResponse, IntermediateResponse, ProtocolOp};
use crate::Error;

/// An extended operation in flight whose IntermediateResponses come as
/// they arrive, as a [`futures_core::Stream`] or with
/// [`next_intermediate`](Self::next_intermediate); then its final
/// response, [`response`](Self::response). Made by
/// [`WithOptions::extended_stream`].
///
/// The stream ends after the final response: a success ends it, anything
/// else comes as a last `Err` (an [`Error::Ldap`] with the result and the
/// response controls). Intermediate responses are held in a bounded
/// channel: while the reader does not take them, the connection stops
/// reading the socket, as for a search. Dropping the stream before the
/// end abandons the operation on the server.
///
/// ```no_run
/// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
/// use tokio_ldap::proto::ExtendedRequest;
///
/// let mut op = conn.extended_stream(ExtendedRequest::new("1.3.6.1.4.1.99999.1", None)).await?;
/// while let Some(progress) = op.next_intermediate().await? {
///     println!("{:?}: {:?}", progress.name, progress.value);
/// }
/// let done = op.response().expect("the stream ended with success");
/// println!("{}", done.result().code);
/// # Ok(()) }
/// ```
pub struct ExtendedStream {
    conn: LdapConn,
    rx: mpsc::Receiver<SearchBatch>,
    /// What is left of the last batch received.
    batch: std::vec::IntoIter<SearchEvent>,
    /// The controls of the intermediate response returned last.
    controls: Vec<Control>,
    token: u64,
    response: Option<Response<ExtendedResponse>>,
    finished: bool,
}

impl fmt::Debug for ExtendedStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtendedStream")
            .field("finished", &self.finished)
            .field("response", &self.response)
            .finish_non_exhaustive()
    }
}

impl ExtendedStream {
    /// The next intermediate response, `Ok(None)` after a successful final
    /// response ([`response`](Self::response)).
    pub async fn next_intermediate(&mut self) -> Result<Option<IntermediateResponse>, Error> {
        std::future::poll_fn(|cx| self.poll_intermediate(cx))
            .await
            .transpose()
    }

    /// The controls of the intermediate response returned last (empty
    /// when it had none, and before the first).
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    /// The final response, once the stream has ended with success: the
    /// [`ExtendedResponse`], its result and its controls.
    pub fn response(&self) -> Option<&Response<ExtendedResponse>> {
        self.response.as_ref()
    }

    /// Reads the intermediate responses left (dropping them) and returns
    /// the final response: what [`extended`](WithOptions::extended) would
    /// have returned, in its detailed form.
    pub async fn finish(mut self) -> Result<Response<ExtendedResponse>, Error> {
        while self.next_intermediate().await?.is_some() {}
        self.response.take().ok_or_else(|| self.conn.closed_error())
    }

    /// A handle naming this operation, to
    /// [`abandon`](LdapConn::abandon) or [`cancel`](LdapConn::cancel) it
    /// from another task.
    pub fn handle(&self) -> OpHandle {
        OpHandle::bound(self.token)
    }

    fn poll_intermediate(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<IntermediateResponse, Error>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            let ev = loop {
                if let Some(ev) = self.batch.next() {
                    break Some(ev);
                }
                match self.rx.poll_recv(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(batch)) => self.batch = batch.into_iter(),
                    Poll::Ready(None) => break None,
                }
            };
            match ev {
                Some(SearchEvent::Intermediate(ir, controls)) => {
                    self.controls = controls;
                    return Poll::Ready(Some(Ok(ir)));
                }
                // The connection lets nothing else through for an
                // extended operation.
                Some(SearchEvent::Entry(..) | SearchEvent::Reference(..)) => continue,
                Some(SearchEvent::Done(res)) => {
                    self.controls.clear();
                    self.finished = true;
                    return match res.and_then(extended_result) {
                        Ok(resp) => {
                            self.response = Some(resp);
                            Poll::Ready(None)
                        }
                        Err(e) => Poll::Ready(Some(Err(e))),
                    };
                }
                None => {
                    self.controls.clear();
                    self.finished = true;
                    return Poll::Ready(Some(Err(self.conn.closed_error())));
                }
            }
        }
    }
}

impl futures_core::Stream for ExtendedStream {
    type Item = Result<IntermediateResponse, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_intermediate(cx)
    }
}

impl Drop for ExtendedStream {
    fn drop(&mut self) {
        if !self.finished {
            self.conn.cancel_token(self.token);
        }
    }
}

impl<M: Mode> WithOptions<'_, M> {
    /// Starts an extended operation whose IntermediateResponses (RFC 4511
    /// §4.13) come to the caller as they arrive, then its final response:
    /// see [`ExtendedStream`]. The same in both modes.
    /// [`extended`](Self::extended) runs an operation for its final
    /// response only, and drops any intermediate response.
    pub async fn extended_stream(self, request: ExtendedRequest) -> Result<ExtendedStream, Error> {
        let OpOptions {
            controls,
            timeout,
            handle,
        } = self.options;
        not_starttls(&request)?;
        let (tx, rx) = mpsc::channel(SEARCH_CHANNEL);
        let op = ProtocolOp::ExtendedRequest(request);
        let token = self
            .conn
            .send(op, controls, timeout, Sink::Search(tx))
            .await?;
        if let Some(h) = handle {
            h.bind(token);
        }
        Ok(ExtendedStream {
            conn: self.conn.clone(),
            rx,
            batch: Vec::new().into_iter(),
            controls: Vec::new(),
            token,
            response: None,
            finished: false,
        })
    }
}

impl LdapConn {
    /// An extended operation with its intermediate responses:
    /// [`WithOptions::extended_stream`] with the default options.
    pub async fn extended_stream(&self, request: ExtendedRequest) -> Result<ExtendedStream, Error> {
        self.with(OpOptions::default())
            .extended_stream(request)
            .await
    }
}
