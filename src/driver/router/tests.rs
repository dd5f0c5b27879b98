//! Unit tests of the router: no socket, no driver, no state machine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::poll_fn;
use std::time::Duration;

use tokio::sync::mpsc::error::TryRecvError;
use tokio::time::Instant;

use super::batch::SEARCH_CHANNEL_BYTES;
use super::*;
use crate::proto::{Attribute, LdapResult, ProtocolOp, ResultCode, SearchResultEntry};

fn done(id: i32) -> LdapMessage {
    LdapMessage::new(
        MessageId(id),
        ProtocolOp::SearchResultDone(LdapResult::new(ResultCode::SUCCESS)),
    )
}

fn entry(dn: &str) -> SearchEvent {
    SearchEvent::Entry(SearchResultEntry::new(dn, vec![]), vec![])
}

/// A batch in a form easy to compare: `dn` for an entry, `done` or
/// `error: <text>` for the end.
fn show(batch: &SearchBatch) -> Vec<String> {
    batch
        .iter()
        .map(|ev| match ev {
            SearchEvent::Entry(e, _) => e.dn.to_string(),
            SearchEvent::Reference(r, _) => format!("ref {}", r.len()),
            SearchEvent::Intermediate(..) => "intermediate".to_owned(),
            SearchEvent::Done(Ok(_)) => "done".to_owned(),
            SearchEvent::Done(Err(e)) => format!("error: {e}"),
        })
        .collect()
}

fn search(router: &mut Router, id: i32, token: u64, cap: usize) -> mpsc::Receiver<SearchBatch> {
    let (tx, rx) = mpsc::channel(cap);
    router.insert(MessageId(id), token, Sink::Search(tx));
    rx
}

/// Polls the backlogs once.
async fn poll_once(router: &mut Router) -> Drained {
    poll_fn(|cx| Poll::Ready(router.poll_backlog(cx))).await
}

#[test]
fn single_response_is_delivered_once_and_forgets_the_route() {
    let mut router = Router::default();
    let (tx, mut rx) = oneshot::channel();
    router.insert(MessageId(1), 7, Sink::Single(tx));
    assert_eq!(router.len(), 1);
    // A search event for an operation that is not a search goes nowhere.
    router.forward(MessageId(1), entry("cn=stray"));
    assert!(router.flush().is_empty());
    assert!(router.finish(MessageId(1), Ok(done(1))).is_none());
    assert_eq!(rx.try_recv().unwrap().unwrap().id, MessageId(1));
    assert_eq!(router.len(), 0);
    // The route and its token are gone.
    assert_eq!(router.cancel(7), None);
    assert!(router.finish(MessageId(1), Ok(done(1))).is_none());
}

#[test]
fn search_events_are_staged_per_pass_and_sent_as_one_batch_per_search() {
    let mut router = Router::default();
    let mut a = search(&mut router, 1, 10, 4);
    let mut b = search(&mut router, 2, 11, 4);
    for (id, dn) in [(1, "a1"), (2, "b1"), (1, "a2"), (2, "b2"), (1, "a3")] {
        router.forward(MessageId(id), entry(dn));
    }
    // Nothing goes out before the pass is over.
    assert!(matches!(a.try_recv(), Err(TryRecvError::Empty)));
    assert!(router.flush().is_empty());
    assert_eq!(show(&a.try_recv().unwrap()), ["a1", "a2", "a3"]);
    assert_eq!(show(&b.try_recv().unwrap()), ["b1", "b2"]);
    assert!(matches!(a.try_recv(), Err(TryRecvError::Empty)));
    assert!(matches!(b.try_recv(), Err(TryRecvError::Empty)));
    // The next pass makes the next batch.
    router.forward(MessageId(2), entry("b3"));
    assert!(router.flush().is_empty());
    assert_eq!(show(&b.try_recv().unwrap()), ["b3"]);
    assert!(matches!(a.try_recv(), Err(TryRecvError::Empty)));
    // An empty pass sends nothing.
    assert!(router.flush().is_empty());
    assert!(matches!(b.try_recv(), Err(TryRecvError::Empty)));
    assert!(!router.is_backlogged());
}

#[test]
fn done_after_entries_ends_the_batch_and_the_route() {
    let mut router = Router::default();
    let mut rx = search(&mut router, 3, 30, 4);
    router.forward(MessageId(3), entry("e1"));
    router.forward(MessageId(3), entry("e2"));
    assert!(router.finish(MessageId(3), Ok(done(3))).is_none());
    assert_eq!(router.len(), 0);
    assert_eq!(router.cancel(30), None);
    assert!(router.flush().is_empty());
    assert_eq!(show(&rx.try_recv().unwrap()), ["e1", "e2", "done"]);
    // Every sender is gone: the stream ends after its Done.
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));

    // A Done alone in its pass is a batch of its own.
    let mut rx = search(&mut router, 4, 40, 4);
    router.forward(MessageId(4), entry("e1"));
    assert!(router.flush().is_empty());
    assert!(router.finish(MessageId(4), Ok(done(4))).is_none());
    assert!(router.flush().is_empty());
    assert_eq!(show(&rx.try_recv().unwrap()), ["e1"]);
    assert_eq!(show(&rx.try_recv().unwrap()), ["done"]);
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
}

#[tokio::test(start_paused = true)]
async fn a_full_channel_backlogs_the_search_and_closes_the_read_gate_until_the_consumer_drains() {
    let mut router = Router::default();
    let mut rx = search(&mut router, 5, 50, 1);
    router.forward(MessageId(5), entry("e1"));
    assert!(router.flush().is_empty());
    assert!(!router.is_backlogged(), "the first batch fits");

    // The channel is full: the next pass's batch becomes the backlog.
    router.forward(MessageId(5), entry("e2"));
    router.forward(MessageId(5), entry("e3"));
    assert!(router.flush().is_empty());
    assert!(router.is_backlogged(), "the socket must not be read");
    // Later events join the backlog, behind it, not a new batch.
    router.forward(MessageId(5), entry("e4"));
    assert!(router.finish(MessageId(5), Ok(done(5))).is_none());
    assert!(router.flush().is_empty());
    let drained = poll_once(&mut router).await;
    assert!(!drained.progress && drained.gone.is_empty());
    assert!(router.is_backlogged(), "still full");

    // The consumer takes a batch ten (paused) seconds later; the router,
    // waiting on its reservation, is woken and moves the backlog.
    let start = Instant::now();
    let consumer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let first = rx.recv().await.unwrap();
        (first, rx)
    });
    let drained = poll_fn(|cx| {
        let d = router.poll_backlog(cx);
        if d.progress {
            Poll::Ready(d)
        } else {
            Poll::Pending
        }
    })
    .await;
    assert!(drained.gone.is_empty());
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert!(!router.is_backlogged(), "the read gate reopens");
    let (first, mut rx) = consumer.await.unwrap();
    assert_eq!(show(&first), ["e1"]);
    assert_eq!(show(&rx.recv().await.unwrap()), ["e2", "e3", "e4", "done"]);
    assert!(rx.recv().await.is_none());
}

#[test]
fn cancel_by_token_forgets_pending_operations_and_ignores_unknown_tokens() {
    let mut router = Router::default();
    let (tx, mut single) = oneshot::channel();
    router.insert(MessageId(1), 10, Sink::Single(tx));
    let mut stream = search(&mut router, 2, 11, 4);
    assert_eq!(router.cancel(999), None);
    assert_eq!(router.len(), 2);

    assert_eq!(router.cancel(10), Some(MessageId(1)));
    assert_eq!(router.cancel(10), None, "a token cancels once");
    assert!(matches!(
        single.try_recv(),
        Err(oneshot::error::TryRecvError::Closed)
    ));
    // A response that crossed the cancellation goes nowhere.
    assert!(router.finish(MessageId(1), Ok(done(1))).is_none());

    assert_eq!(router.cancel(11), Some(MessageId(2)));
    router.forward(MessageId(2), entry("late"));
    assert!(router.flush().is_empty());
    assert!(matches!(stream.try_recv(), Err(TryRecvError::Disconnected)));
    assert_eq!(router.len(), 0);
}

#[test]
fn a_dropped_search_consumer_forgets_the_route_and_asks_for_an_abandon() {
    let mut router = Router::default();
    let rx = search(&mut router, 6, 60, 4);
    drop(rx);
    router.forward(MessageId(6), entry("e1"));
    assert_eq!(router.flush(), [MessageId(6)]);
    assert_eq!(router.len(), 0);
    assert_eq!(router.cancel(60), None);
    // Later events of the search go nowhere, and ask for nothing more.
    router.forward(MessageId(6), entry("e2"));
    assert!(router.flush().is_empty());
}

#[tokio::test]
async fn a_consumer_dropped_while_backlogged_forgets_the_route_and_asks_for_an_abandon() {
    let mut router = Router::default();
    let rx = search(&mut router, 7, 70, 1);
    router.forward(MessageId(7), entry("e1"));
    assert!(router.flush().is_empty());
    router.forward(MessageId(7), entry("e2"));
    assert!(router.flush().is_empty());
    assert!(router.is_backlogged());
    drop(rx);
    let drained = poll_once(&mut router).await;
    assert!(drained.progress);
    assert_eq!(drained.gone, [MessageId(7)]);
    assert!(!router.is_backlogged());
    assert_eq!(router.len(), 0);
    assert_eq!(router.cancel(70), None);
}

#[tokio::test]
async fn fail_all_ends_every_operation_exactly_once() {
    let mut router = Router::default();
    let (tx, mut single) = oneshot::channel();
    router.insert(MessageId(1), 1, Sink::Single(tx));
    let mut stream = search(&mut router, 2, 2, 4);
    let (tx, mut starttls) = oneshot::channel();
    router.insert(MessageId(3), 3, Sink::StartTls(tx));
    // A search that fell behind gets the error after its backlog.
    let mut slow = search(&mut router, 4, 4, 1);
    router.forward(MessageId(4), entry("s1"));
    assert!(router.flush().is_empty());
    router.forward(MessageId(4), entry("s2"));
    router.forward(MessageId(2), entry("e1"));
    assert!(router.flush().is_empty());
    assert!(router.is_backlogged());
    router.forward(MessageId(2), entry("e2"));

    let err = Error::Closed("the server closed the connection".into());
    router.fail_all(&err);
    assert_eq!(router.len(), 0);
    router.fail_all(&err);
    assert!(router.flush().is_empty());

    let text = "connection closed: the server closed the connection";
    let got = single.try_recv().unwrap().unwrap_err();
    assert!(matches!(got, Error::Closed(_)));
    assert_eq!(got.to_string(), text);
    let got = starttls.try_recv().unwrap().unwrap_err();
    assert_eq!(got.to_string(), text);
    assert_eq!(show(&stream.try_recv().unwrap()), ["e1"]);
    assert_eq!(
        show(&stream.try_recv().unwrap()),
        ["e2", &format!("error: {text}")]
    );
    assert!(matches!(stream.try_recv(), Err(TryRecvError::Disconnected)));

    assert_eq!(show(&slow.recv().await.unwrap()), ["s1"]);
    let drained = poll_once(&mut router).await;
    assert!(drained.progress && drained.gone.is_empty());
    assert_eq!(
        show(&slow.recv().await.unwrap()),
        ["s2", &format!("error: {text}")]
    );
    assert!(slow.recv().await.is_none());
    assert!(!router.is_backlogged());
}

#[test]
fn a_failed_sink_gets_the_error() {
    let (tx, mut rx) = oneshot::channel();
    Sink::Single(tx).fail(Error::Closed("gone".into()));
    assert!(matches!(rx.try_recv().unwrap(), Err(Error::Closed(_))));
    let (tx, mut rx) = mpsc::channel(1);
    Sink::Search(tx).fail(Error::Closed("gone".into()));
    assert_eq!(
        show(&rx.try_recv().unwrap()),
        ["error: connection closed: gone"]
    );
    let (tx, mut rx) = oneshot::channel();
    Sink::StartTls(tx).fail(Error::Closed("gone".into()));
    assert!(matches!(rx.try_recv().unwrap(), Err(Error::Closed(_))));
}

/// An entry with one value of `len` bytes.
fn big_entry(dn: &str, len: usize) -> SearchEvent {
    let value = Attribute {
        name: "jpegPhoto".into(),
        values: vec![bytes::Bytes::from(vec![0x5a; len])],
    };
    SearchEvent::Entry(SearchResultEntry::new(dn, vec![value]), vec![])
}

/// A consumer that stalls holds at most `SEARCH_CHANNEL_BYTES` of results
/// in its channel, however many slots the channel has: the batch that
/// would go over waits in the backlog (the read gate closes) until the
/// consumer takes a batch.
#[tokio::test]
async fn a_stalled_search_holds_at_most_its_byte_budget_in_its_channel() {
    let mut router = Router::default();
    let mut rx = search(&mut router, 7, 70, 64);
    let id = MessageId(7);
    let each = 300 << 10;
    for i in 0..3 {
        router.forward(id, big_entry(&format!("e{i}"), each));
        assert!(router.flush().is_empty());
        assert!(!router.is_backlogged(), "batch {i} fits");
    }
    let held = router.held_bytes(id);
    assert!(held > 3 * each && held <= SEARCH_CHANNEL_BYTES, "{held}");
    router.forward(id, big_entry("e3", each));
    assert!(router.flush().is_empty());
    assert!(router.is_backlogged(), "the fourth would go over 1 MiB");
    assert_eq!(router.held_bytes(id), held, "nothing more went in");
    let drained = poll_once(&mut router).await;
    assert!(!drained.progress);

    // The consumer takes one batch: room for the backlog.
    assert_eq!(show(&rx.recv().await.unwrap()), ["e0"]);
    let drained = poll_once(&mut router).await;
    assert!(drained.progress);
    assert!(!router.is_backlogged());
    assert!(router.held_bytes(id) <= SEARCH_CHANNEL_BYTES);
    for want in ["e1", "e2", "e3"] {
        let batch = rx.recv().await.unwrap();
        assert_eq!(show(&batch), [want]);
        drop(batch);
    }
    assert_eq!(router.held_bytes(id), 0, "all taken");
}

/// A batch over the budget (one large message) still goes through when
/// the channel holds nothing, and alone.
#[tokio::test]
async fn a_batch_over_the_byte_budget_goes_through_alone() {
    let mut router = Router::default();
    let mut rx = search(&mut router, 8, 80, 64);
    let id = MessageId(8);
    router.forward(id, big_entry("huge", 4 << 20));
    assert!(router.flush().is_empty());
    assert!(!router.is_backlogged());
    assert!(router.held_bytes(id) > 4 << 20);
    router.forward(id, entry("small"));
    assert!(router.flush().is_empty());
    assert!(
        router.is_backlogged(),
        "nothing joins a batch over the budget"
    );
    let huge = rx.recv().await.unwrap();
    assert_eq!(show(&huge), ["huge"]);
    // Still held while the consumer has the batch unopened; taking its
    // events releases it.
    assert!(!poll_once(&mut router).await.progress);
    let events: Vec<SearchEvent> = huge.into_iter().collect();
    assert_eq!(events.len(), 1);
    assert!(poll_once(&mut router).await.progress);
    assert_eq!(show(&rx.recv().await.unwrap()), ["small"]);
}

/// What an explicit abandon does: the token names the operation while it
/// is in flight, and finishing it with an error hands that error to its
/// consumer after what was already staged, then forgets it; an
/// intermediate response reaches a streamed operation, not a single one.
#[test]
fn an_abandoned_stream_gets_its_error_after_what_was_staged() {
    let mut router = Router::default();
    let mut rx = search(&mut router, 3, 30, 4);
    assert_eq!(router.id_of(30), Some(MessageId(3)));
    assert_eq!(router.id_of(31), None);
    router.forward(MessageId(3), entry("cn=a"));
    let ir = crate::proto::IntermediateResponse::new(None, None);
    router.forward(MessageId(3), SearchEvent::Intermediate(ir.clone(), vec![]));
    assert!(router.finish(MessageId(3), Err(Error::Abandoned)).is_none());
    assert!(router.flush().is_empty());
    assert_eq!(
        show(&rx.try_recv().unwrap()),
        [
            "cn=a",
            "intermediate",
            "error: the operation was abandoned: LdapConn::abandon was called for it"
        ]
    );
    assert_eq!(router.id_of(30), None);
    assert_eq!(router.len(), 0);

    // A single-response operation drops intermediate responses.
    let (tx, mut single) = oneshot::channel();
    router.insert(MessageId(4), 40, Sink::Single(tx));
    router.forward(MessageId(4), SearchEvent::Intermediate(ir, vec![]));
    assert!(router.flush().is_empty());
    assert!(single.try_recv().is_err());
    assert_eq!(router.id_of(40), Some(MessageId(4)));
}
