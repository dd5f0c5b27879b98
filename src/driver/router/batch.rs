//! What a search's channel carries ([`SearchBatch`]es of [`SearchEvent`]s)
//! and how much of it may wait there, counted in bytes.
//!
//! A batch is weighed when the router sends it ([`weight`]: the decoded
//! size of its events, strings and values included) and the weight is
//! [`Held`] by its search until the consumer takes the batch out of the
//! channel. The router sends a batch only while what is held plus the
//! batch fits in [`SEARCH_CHANNEL_BYTES`], or when nothing is held (so one
//! message larger than that still goes through, alone); otherwise the
//! batch waits in the search's backlog and the driver stops reading the
//! socket. A consumer that stalls therefore holds up at most that many
//! bytes in its channel (or one message), not a number of messages of any
//! size.

use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc::error::SendError;
use tokio::sync::mpsc::{self, OwnedPermit};
use tokio::sync::Notify;

use crate::proto::{
    ByteString, Control, IntermediateResponse, LdapMessage, ProtocolOp, SearchResultEntry,
};
use crate::Error;

/// The most bytes of decoded results a search's channel holds while its
/// consumer has not taken them, unless the channel holds a single batch.
pub(crate) const SEARCH_CHANNEL_BYTES: usize = 1 << 20;

/// What a search stream receives.
#[derive(Debug)]
pub(crate) enum SearchEvent {
    Entry(SearchResultEntry, Vec<Control>),
    Reference(Vec<ByteString>, Vec<Control>),
    Intermediate(IntermediateResponse, Vec<Control>),
    Done(Result<LdapMessage, Error>),
}

/// The events of one search decoded from one read of the socket, handed
/// over in one channel message: the consumer is woken once per read, not
/// once per entry. Its weight stays [`Held`] until the consumer takes its
/// events ([`IntoIterator`]).
#[derive(Debug)]
pub(crate) struct SearchBatch {
    events: Vec<SearchEvent>,
    _credit: Option<Credit>,
}

impl SearchBatch {
    /// A batch of `events` whose `bytes` are held by `held` until taken.
    pub(super) fn held(events: Vec<SearchEvent>, held: &Arc<Held>, bytes: usize) -> Self {
        held.bytes.fetch_add(bytes, Ordering::AcqRel);
        Self {
            events,
            _credit: Some(Credit {
                held: held.clone(),
                bytes,
            }),
        }
    }

    /// The events (giving back what they held).
    pub(super) fn into_events(self) -> Vec<SearchEvent> {
        self.events
    }
}

/// A batch weighed by nobody (a search's last word after a failure).
impl From<Vec<SearchEvent>> for SearchBatch {
    fn from(events: Vec<SearchEvent>) -> Self {
        Self {
            events,
            _credit: None,
        }
    }
}

impl std::ops::Deref for SearchBatch {
    type Target = [SearchEvent];

    fn deref(&self) -> &[SearchEvent] {
        &self.events
    }
}

/// Taking the events releases what the batch held.
impl IntoIterator for SearchBatch {
    type Item = SearchEvent;
    type IntoIter = std::vec::IntoIter<SearchEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter()
    }
}

/// The bytes of one search's batches that its consumer has not taken yet.
#[derive(Debug, Default)]
pub(crate) struct Held {
    bytes: AtomicUsize,
    /// Signalled each time a batch is taken.
    room: Notify,
}

impl Held {
    /// The bytes held now.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }

    /// Whether a batch of `bytes` may go into the channel now.
    pub(super) fn fits(&self, bytes: usize) -> bool {
        let held = self.bytes();
        held == 0 || held.saturating_add(bytes) <= SEARCH_CHANNEL_BYTES
    }
}

/// The weight of one batch, given back to its [`Held`] when dropped.
#[derive(Debug)]
struct Credit {
    held: Arc<Held>,
    bytes: usize,
}

impl Drop for Credit {
    fn drop(&mut self) {
        self.held.bytes.fetch_sub(self.bytes, Ordering::AcqRel);
        // A permit is stored if the router is not waiting yet.
        self.held.room.notify_one();
    }
}

/// Waits until a batch of `bytes` fits in what `held` allows, then for a
/// slot in the channel.
pub(super) async fn room_for(
    tx: mpsc::Sender<SearchBatch>,
    held: Arc<Held>,
    bytes: usize,
) -> Result<OwnedPermit<SearchBatch>, SendError<()>> {
    loop {
        let taken = held.room.notified();
        if held.fits(bytes) || tx.is_closed() {
            break;
        }
        taken.await;
    }
    tx.reserve_owned().await
}

/// The decoded size of `events`: each event, its strings and values (which
/// keep their received frame alive), its controls.
pub(super) fn weight(events: &[SearchEvent]) -> usize {
    events
        .iter()
        .map(|ev| {
            size_of::<SearchEvent>()
                + match ev {
                    SearchEvent::Entry(e, c) => {
                        e.dn.len() + e.attributes.encoded_len() + controls(c)
                    }
                    SearchEvent::Reference(uris, c) => strings(uris) + controls(c),
                    SearchEvent::Intermediate(i, c) => {
                        i.name.as_ref().map_or(0, |n| n.len())
                            + i.value.as_ref().map_or(0, |v| v.len())
                            + controls(c)
                    }
                    SearchEvent::Done(Ok(m)) => {
                        let referrals = match &m.op {
                            ProtocolOp::SearchResultDone(r) => {
                                strings(&r.referrals) + r.message.len() + r.matched_dn.len()
                            }
                            _ => 0,
                        };
                        referrals + controls(&m.controls)
                    }
                    SearchEvent::Done(Err(_)) => 0,
                }
        })
        .sum()
}

fn strings(s: &[ByteString]) -> usize {
    s.iter().map(|u| u.len() + size_of::<ByteString>()).sum()
}

fn controls(c: &[Control]) -> usize {
    c.iter()
        .map(|c| size_of::<Control>() + c.oid.len() + c.value.as_ref().map_or(0, |v| v.len()))
        .sum()
}
