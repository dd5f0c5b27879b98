//! Where unsolicited notifications go: the listeners the handles
//! registered ([`Notifier::subscribe`]), each with a bounded buffer.
//!
//! The driver never waits for a listener: a notification that finds a
//! listener's buffer full is not delivered to it, and counted in the
//! listener's `missed`; one that finds no listener at all is only logged.
//! Once the connection is over the listeners' senders are dropped
//! ([`Notifier::close`]), which ends their streams.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{self, error::TrySendError};

use crate::proto::{Control, ExtendedResponse};

/// An unsolicited notification, with its message's controls.
pub(crate) type Note = (ExtendedResponse, Vec<Control>);

/// A listener: its buffer, and how many notifications it missed because
/// that buffer was full.
#[derive(Debug)]
struct Listener {
    tx: mpsc::Sender<Note>,
    missed: Arc<AtomicU64>,
}

/// The listeners of a connection's unsolicited notifications; `None` once
/// the connection is over.
#[derive(Debug)]
pub(crate) struct Notifier {
    listeners: Mutex<Option<Vec<Listener>>>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self {
            listeners: Mutex::new(Some(Vec::new())),
        }
    }
}

impl Notifier {
    /// A new listener with room for `capacity` notifications (at least
    /// one): its receiver and its count of missed notifications. `None`
    /// when the connection is over.
    pub(crate) fn subscribe(
        &self,
        capacity: usize,
    ) -> Option<(mpsc::Receiver<Note>, Arc<AtomicU64>)> {
        let mut listeners = crate::sync::lock(&self.listeners);
        let listeners = listeners.as_mut()?;
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let missed = Arc::new(AtomicU64::new(0));
        listeners.push(Listener {
            tx,
            missed: missed.clone(),
        });
        Some((rx, missed))
    }

    /// Hands `note` to every listener with room for it, counting a miss
    /// for those without, and forgetting those that are gone. Returns how
    /// many got it.
    pub(crate) fn publish(&self, note: &Note) -> usize {
        let mut listeners = crate::sync::lock(&self.listeners);
        let Some(listeners) = listeners.as_mut() else {
            return 0;
        };
        let mut delivered = 0;
        listeners.retain(|l| match l.tx.try_send(note.clone()) {
            Ok(()) => {
                delivered += 1;
                true
            }
            Err(TrySendError::Full(_)) => {
                l.missed.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Closed(_)) => false,
        });
        delivered
    }

    /// The connection is over: every listener's stream ends, and no new
    /// listener is taken.
    pub(crate) fn close(&self) {
        crate::sync::lock(&self.listeners).take();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::proto::{LdapResult, ResultCode};

    fn note(name: &str) -> Note {
        let mut r = ExtendedResponse::new(LdapResult::new(ResultCode::SUCCESS));
        r.name = Some(name.into());
        (r, Vec::new())
    }

    #[test]
    fn a_full_listener_misses_and_a_gone_one_is_forgotten() {
        let n = Notifier::default();
        assert_eq!(n.publish(&note("1.1")), 0, "nobody listens");
        let (mut a, a_missed) = n.subscribe(1).unwrap();
        let (b, _) = n.subscribe(4).unwrap();
        assert_eq!(n.publish(&note("1.2")), 2);
        assert_eq!(n.publish(&note("1.3")), 1, "a is full");
        assert_eq!(a_missed.load(Ordering::Relaxed), 1);
        assert_eq!(a.try_recv().unwrap().0.name.as_deref(), Some("1.2"));
        drop(b);
        assert_eq!(n.publish(&note("1.4")), 1, "b is gone");
        assert_eq!(crate::sync::lock(&n.listeners).as_ref().unwrap().len(), 1);
        n.close();
        assert!(n.subscribe(1).is_none());
        assert_eq!(n.publish(&note("1.5")), 0);
        assert_eq!(a.try_recv().unwrap().0.name.as_deref(), Some("1.4"));
        assert!(matches!(
            a.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    }
}
