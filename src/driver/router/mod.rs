//! Where the responses of each operation go.
//!
//! The [`Router`] owns one table, message ID → [`Route`] (the operation's
//! [`Sink`] and the cancellation token of the handle that sent it), and the
//! index token → message ID; both are kept in step here and nowhere else.
//!
//! Search events decoded during one pass of the driver are staged, one batch
//! per search, and sent when the pass is over ([`Router::flush`]): the
//! consumer is woken once per read of the socket, not once per entry. A
//! batch that finds its search's channel full becomes that search's backlog,
//! which moves into the channel as room appears ([`Router::poll_backlog`]).
//! Room is counted in batches (the channel's capacity) and in bytes: a
//! batch goes in only while the bytes its search's consumer has not taken
//! yet, plus its own, stay within [`batch::SEARCH_CHANNEL_BYTES`].
//! While any search has a backlog, the driver does not read the socket
//! ([`Router::is_backlogged`]): memory stays bounded and TCP flow control
//! slows the server down.
//!
//! The router knows neither the socket nor the state machine. When the
//! consumer of a search is gone, it forgets the route and hands the message
//! ID back, for the driver to abandon the search on the server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc::error::{SendError, TrySendError};
use tokio::sync::mpsc::{self, OwnedPermit};
use tokio::sync::oneshot;

use crate::conn::ids::IdMap;
use crate::proto::{LdapMessage, MessageId};
use crate::tls::TlsInfo;
use crate::Error;

mod batch;
mod notify;

use batch::{room_for, weight, Held};
pub(crate) use batch::{SearchBatch, SearchEvent};
pub(crate) use notify::{Note, Notifier};

/// Where the StartTLS result goes: the TLS session, or why there is none.
pub(crate) type StartTlsReply = oneshot::Sender<Result<TlsInfo, Error>>;

/// Where the responses of an operation go.
pub(crate) enum Sink {
    /// The final response; IntermediateResponses are dropped.
    Single(oneshot::Sender<Result<LdapMessage, Error>>),
    /// Every event, in batches: a search's entries, references and
    /// intermediate responses, or an extended operation's intermediate
    /// responses; then the final response.
    Search(mpsc::Sender<SearchBatch>),
    StartTls(StartTlsReply),
}

impl Sink {
    /// Whether nobody waits for the result any more.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Self::Single(tx) => tx.is_closed(),
            Self::Search(tx) => tx.is_closed(),
            Self::StartTls(tx) => tx.is_closed(),
        }
    }

    /// Ends the operation with `e` (a search gets it as its `Done`).
    pub(crate) fn fail(self, e: Error) {
        match self {
            Self::Single(tx) => {
                let _ = tx.send(Err(e));
            }
            Self::Search(tx) => {
                let _ = tx.try_send(SearchBatch::from(vec![SearchEvent::Done(Err(e))]));
            }
            Self::StartTls(tx) => {
                let _ = tx.send(Err(e));
            }
        }
    }
}

/// A StartTLS operation that ended: its reply channel and its result. The
/// driver still has to check the response and run the handshake.
pub(super) type StartTlsDone = (StartTlsReply, Result<LdapMessage, Error>);

/// An operation in flight: where its responses go, and the token its
/// handle cancels it with.
struct Route {
    sink: Sink,
    token: u64,
    /// What a search's consumer has not taken yet.
    held: Arc<Held>,
}

type ReserveFut =
    Pin<Box<dyn Future<Output = Result<OwnedPermit<SearchBatch>, SendError<()>>> + Send>>;

/// Events for a search whose channel is full (in batches or in bytes),
/// waiting for room. They go out as one batch when there is.
struct Backlog {
    events: Vec<SearchEvent>,
    held: Arc<Held>,
    reserve: ReserveFut,
}

impl Backlog {
    fn new(events: Vec<SearchEvent>, tx: mpsc::Sender<SearchBatch>, held: Arc<Held>) -> Self {
        let bytes = weight(&events);
        let reserve = Box::pin(room_for(tx, held.clone(), bytes));
        Self {
            events,
            held,
            reserve,
        }
    }
}

/// Events for a search gathered during one pass, sent when the pass has
/// handed out everything the machine decoded.
struct Staged {
    id: MessageId,
    tx: mpsc::Sender<SearchBatch>,
    held: Arc<Held>,
    events: Vec<SearchEvent>,
}

/// What [`Router::poll_backlog`] did.
#[derive(Debug, Default)]
pub(super) struct Drained {
    /// A backlog went into its channel, or was dropped with its consumer.
    pub(super) progress: bool,
    /// Searches whose consumer is gone: the driver abandons them.
    pub(super) gone: Vec<MessageId>,
}

/// The routes of the operations in flight, the search events of the
/// current pass and the backlogs of the searches that fell behind. See the
/// [module docs](self).
#[derive(Default)]
pub(crate) struct Router {
    routes: IdMap<MessageId, Route>,
    /// token → message ID, the inverse of `routes[id].token`.
    ids: IdMap<u64, MessageId>,
    /// Search events of the current pass, one batch per search.
    staged: Vec<Staged>,
    /// Searches whose consumer fell behind. While there are any, the
    /// socket is not read.
    backlog: IdMap<MessageId, Backlog>,
    /// How many of the routes are searches.
    searches: usize,
}

impl Router {
    /// Routes the responses of operation `id`, sent by the handle that
    /// holds `token`, to `sink`.
    pub(super) fn insert(&mut self, id: MessageId, token: u64, sink: Sink) {
        // The machine reuses an ID only once its operation is over, and a
        // handle's token is never reused: neither replaces anything, but
        // the index stays right if one did.
        self.searches += usize::from(matches!(sink, Sink::Search(_)));
        let route = Route {
            sink,
            token,
            held: Arc::default(),
        };
        if let Some(old) = self.routes.insert(id, route) {
            self.searches -= usize::from(matches!(old.sink, Sink::Search(_)));
            if self.ids.get(&old.token) == Some(&id) {
                self.ids.remove(&old.token);
            }
        }
        self.ids.insert(token, id);
    }

    /// How many operations have a route.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.routes.len()
    }

    /// The handle holding `token` gave up its operation: forgets the route
    /// and returns the operation's ID, for the driver to abandon it.
    /// `None` when the operation is already over (or was never sent).
    pub(super) fn cancel(&mut self, token: u64) -> Option<MessageId> {
        let id = self.ids.remove(&token)?;
        if let Some(route) = self.routes.remove(&id) {
            self.searches -= usize::from(matches!(route.sink, Sink::Search(_)));
        }
        Some(id)
    }

    /// The message ID of the operation the handle holding `token` sent,
    /// while it is in flight.
    pub(super) fn id_of(&self, token: u64) -> Option<MessageId> {
        self.ids.get(&token).copied()
    }

    /// Hands a search event of operation `id` to its search: into this
    /// pass's batch, or the backlog when the search has fallen behind.
    /// Dropped when `id` is not a search or a streamed extended operation
    /// (or is gone): an intermediate response to an operation that waits
    /// for its final response only.
    pub(super) fn forward(&mut self, id: MessageId, ev: SearchEvent) {
        let tx = match self.routes.get(&id) {
            Some(Route {
                sink: Sink::Search(tx),
                held,
                ..
            }) => Some((tx, held)),
            _ => None,
        };
        stage(&mut self.backlog, &mut self.staged, id, ev, tx);
    }

    /// Operation `id` is over: delivers `res` and forgets the route. A
    /// search gets it as its last event, after those already staged. A
    /// StartTLS is handed back with its result: the driver checks the
    /// response and runs the handshake before answering.
    pub(super) fn finish(
        &mut self,
        id: MessageId,
        res: Result<LdapMessage, Error>,
    ) -> Option<StartTlsDone> {
        let route = self.remove(id)?;
        match route.sink {
            Sink::Single(tx) => {
                let _ = tx.send(res);
                None
            }
            Sink::Search(tx) => {
                let ev = SearchEvent::Done(res);
                let tx = Some((&tx, &route.held));
                stage(&mut self.backlog, &mut self.staged, id, ev, tx);
                None
            }
            Sink::StartTls(tx) => Some((tx, res)),
        }
    }

    /// Ends every operation that has a route with `err`, each exactly
    /// once: a search gets it after the events already staged for it (call
    /// [`Router::flush`] next).
    pub(super) fn fail_all(&mut self, err: &Error) {
        let mut ids: Vec<MessageId> = self.routes.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some((tx, _)) = self.finish(id, Err(err.clone())) {
                let _ = tx.send(Err(err.clone()));
            }
        }
    }

    /// Sends each search the batch gathered for it in this pass; a full
    /// channel turns the batch into that search's backlog. Returns the
    /// searches whose consumer is gone (their routes are forgotten), for
    /// the driver to abandon.
    pub(super) fn flush(&mut self) -> Vec<MessageId> {
        let mut gone = Vec::new();
        for staged in std::mem::take(&mut self.staged) {
            let Staged {
                id,
                tx,
                held,
                events,
            } = staged;
            let bytes = weight(&events);
            if !held.fits(bytes) {
                self.backlog.insert(id, Backlog::new(events, tx, held));
                continue;
            }
            match tx.try_send(SearchBatch::held(events, &held, bytes)) {
                Ok(()) => {}
                Err(TrySendError::Full(batch)) => {
                    let backlog = Backlog::new(batch.into_events(), tx, held);
                    self.backlog.insert(id, backlog);
                }
                Err(TrySendError::Closed(_)) => {
                    self.remove(id);
                    gone.push(id);
                }
            }
        }
        gone
    }

    /// Moves each backlog into its channel as room appears (registering
    /// `cx` for a wake-up where there is none yet).
    pub(super) fn poll_backlog(&mut self, cx: &mut Context<'_>) -> Drained {
        let mut drained = Drained::default();
        self.backlog
            .retain(|id, backlog| match backlog.reserve.as_mut().poll(cx) {
                Poll::Pending => true,
                Poll::Ready(Ok(permit)) => {
                    if !backlog.events.is_empty() {
                        let events = std::mem::take(&mut backlog.events);
                        let bytes = weight(&events);
                        permit.send(SearchBatch::held(events, &backlog.held, bytes));
                    }
                    drained.progress = true;
                    false
                }
                Poll::Ready(Err(_)) => {
                    drained.gone.push(*id);
                    drained.progress = true;
                    false
                }
            });
        for id in &drained.gone {
            self.remove(*id);
        }
        drained
    }

    /// Whether searches, and nothing else, are in flight: results may
    /// stream in, and no other operation waits for a response that
    /// batching the reads would hold back.
    pub(super) fn only_searches(&self) -> bool {
        self.searches > 0 && self.searches == self.routes.len()
    }

    /// Whether a search has fallen behind: the socket must not be read
    /// until its consumer catches up.
    pub(super) fn is_backlogged(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// Forgets the route of `id`, keeping the token index in step.
    fn remove(&mut self, id: MessageId) -> Option<Route> {
        let route = self.routes.remove(&id)?;
        self.searches -= usize::from(matches!(route.sink, Sink::Search(_)));
        if self.ids.get(&route.token) == Some(&id) {
            self.ids.remove(&route.token);
        }
        Some(route)
    }

    /// The bytes search `id`'s consumer has not taken yet (0 when `id` is
    /// not a search in flight).
    #[cfg(test)]
    pub(super) fn held_bytes(&self, id: MessageId) -> usize {
        self.routes.get(&id).map_or(0, |r| r.held.bytes())
    }
}

/// Adds `ev` to the backlog of search `id` when it has one, else to its
/// batch of this pass, starting one (on `tx`) if needed.
fn stage(
    backlog: &mut IdMap<MessageId, Backlog>,
    staged: &mut Vec<Staged>,
    id: MessageId,
    ev: SearchEvent,
    tx: Option<(&mpsc::Sender<SearchBatch>, &Arc<Held>)>,
) {
    if let Some(backlog) = backlog.get_mut(&id) {
        backlog.events.push(ev);
    } else if let Some(s) = staged.iter_mut().find(|s| s.id == id) {
        s.events.push(ev);
    } else if let Some((tx, held)) = tx {
        staged.push(Staged {
            id,
            tx: tx.clone(),
            held: held.clone(),
            events: vec![ev],
        });
    }
}

#[cfg(test)]
mod tests;
