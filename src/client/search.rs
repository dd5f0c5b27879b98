//! Searches: the [`Search`] request builder, the [`SearchStream`] of its
//! items, and [`SearchResults`], everything collected.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use super::config::TimeoutSetting;
use super::handle::LdapConn;
use super::op_handle::OpHandle;
use super::response::{ldap_error, unexpected, Response};
use crate::ber::DecodeError;
use crate::driver::{SearchBatch, SearchEvent, Sink};
use crate::proto::controls::TypedControl;
use crate::proto::{
    ByteString, Control, DerefAliases, Filter, IntermediateResponse, LdapMessage, LdapResult,
    ProtocolOp, ResultCode, Scope, SearchRequest, SearchResultEntry,
};
use crate::Error;

/// Capacity of each search's channel, in batches (the events decoded from
/// one read of at most 16 KiB): how far the driver may run ahead of a
/// consumer before it stops reading the socket.
pub(super) const SEARCH_CHANNEL: usize = 4;

/// A search request, built by value.
///
/// ```
/// use tokio_ldap::{Scope, Search};
///
/// let s = Search::new("ou=people,dc=example,dc=com")
///     .scope(Scope::OneLevel)
///     .filter("(&(objectClass=inetOrgPerson)(uid=a*))")
///     .attributes(["cn", "mail"]);
/// # let _ = s;
/// ```
#[derive(Clone, Debug)]
pub struct Search {
    base: String,
    scope: Scope,
    filter: String,
    attributes: Vec<String>,
    size_limit: i32,
    time_limit: i32,
    types_only: bool,
    deref: DerefAliases,
}

impl Search {
    /// A subtree search of `base` for `(objectClass=*)`, all user attributes.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            scope: Scope::Subtree,
            filter: "(objectClass=*)".to_owned(),
            attributes: Vec::new(),
            size_limit: 0,
            time_limit: 0,
            types_only: false,
            deref: DerefAliases::Never,
        }
    }

    /// The scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// The filter, in RFC 4515 string form (parsed when the search starts:
    /// a bad filter fails with [`Error::InvalidInput`]).
    pub fn filter(mut self, filter: &str) -> Self {
        self.filter = filter.to_owned();
        self
    }

    /// The attributes to return (`*` all user attributes, `+` operational,
    /// `1.1` none).
    pub fn attributes<I, S>(mut self, attrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.attributes = attrs.into_iter().map(Into::into).collect();
        self
    }

    /// The server-side size limit (0: none requested).
    pub fn size_limit(mut self, n: i32) -> Self {
        self.size_limit = n;
        self
    }

    /// The server-side time limit in seconds (0: none requested).
    pub fn time_limit(mut self, secs: i32) -> Self {
        self.time_limit = secs;
        self
    }

    /// Return attribute names only.
    pub fn types_only(mut self, on: bool) -> Self {
        self.types_only = on;
        self
    }

    /// Alias dereferencing.
    pub fn deref(mut self, d: DerefAliases) -> Self {
        self.deref = d;
        self
    }

    /// The base DN.
    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// The same search of another base (a referral's).
    pub(super) fn with_base(mut self, base: &str) -> Self {
        self.base = base.to_owned();
        self
    }

    pub(super) fn into_request(self) -> Result<SearchRequest, Error> {
        let filter: Filter = self
            .filter
            .parse()
            .map_err(|e| Error::InvalidInput(format!("filter {:?}: {e}", self.filter)))?;
        Ok(SearchRequest {
            base: self.base.into(),
            scope: self.scope,
            deref: self.deref,
            size_limit: self.size_limit,
            time_limit: self.time_limit,
            types_only: self.types_only,
            filter,
            attributes: self.attributes.into_iter().map(Into::into).collect(),
        })
    }
}

/// One item of a search.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum SearchItem {
    /// An entry.
    Entry(SearchResultEntry),
    /// Continuation references (URIs) to other servers.
    Reference(Vec<ByteString>),
    /// An intermediate response (e.g. from sync replication).
    Intermediate(IntermediateResponse),
}

/// The final `SearchResultDone`: the result and its controls, as the
/// server sent them. Read the controls as from a [`Response`]: the list,
/// or one typed control with [`control`](Self::control).
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct SearchDone {
    /// The result.
    pub result: LdapResult,
    /// Response controls (e.g. the paged-results cookie).
    pub controls: Vec<Control>,
}

impl SearchDone {
    /// The first control of type `C` among [`controls`](Self::controls),
    /// parsed: `None` when the server sent none, `Some(Err)` when it does
    /// not parse (as [`Response::control`]).
    pub fn control<C: TypedControl>(&self) -> Option<Result<C, DecodeError>> {
        C::find_in(&self.controls)
    }
}

/// Everything a search returned.
#[non_exhaustive]
#[derive(Clone, Debug, Default)]
pub struct SearchResults {
    /// The entries, in the order received.
    pub entries: Vec<SearchResultEntry>,
    /// Continuation reference URIs.
    pub references: Vec<String>,
    /// The final result (success, or `sizeLimitExceeded` etc. — those are
    /// not errors: the entries received are still returned). Always `Some`
    /// in what [`search_all`](crate::WithOptions::search_all) and
    /// [`search_paged`](crate::WithOptions::search_paged) return.
    pub result: Option<LdapResult>,
    /// Controls on the final result.
    pub controls: Vec<Control>,
}

impl SearchResults {
    /// The first control of type `C` among the final result's
    /// [`controls`](Self::controls), parsed: `None` when the server sent
    /// none, `Some(Err)` when it does not parse (as [`Response::control`]).
    pub fn control<C: TypedControl>(&self) -> Option<Result<C, DecodeError>> {
        C::find_in(&self.controls)
    }

    /// These results as a [`Response`], with the final result and its
    /// controls (copied: they stay here too).
    pub(super) fn into_response(self) -> Response<Self> {
        let result = self
            .result
            .clone()
            .unwrap_or_else(|| LdapResult::new(ResultCode::SUCCESS));
        let controls = self.controls.clone();
        Response::new(self, result, controls)
    }

    /// Runs `items` to the end and collects them: the one collector of
    /// [`search_all`](crate::WithOptions::search_all) and
    /// [`search_paged`](crate::WithOptions::search_paged).
    pub(super) async fn collect(items: &mut impl Items) -> Result<Self, Error> {
        let mut out = Self::default();
        while let Some(item) = items.next_item().await? {
            match item {
                SearchItem::Entry(e) => out.entries.push(e),
                SearchItem::Reference(r) => {
                    out.references.extend(r.into_iter().map(|s| s.to_string()))
                }
                SearchItem::Intermediate(_) => {}
            }
        }
        if let Some(done) = items.take_done() {
            out.result = Some(done.result);
            out.controls = done.controls;
        }
        Ok(out)
    }
}

/// The items of a search, one search or a search in pages, for
/// [`SearchResults::collect`].
pub(super) trait Items {
    /// The next item, `Ok(None)` at the end.
    async fn next_item(&mut self) -> Result<Option<SearchItem>, Error>;

    /// The final result, once the items have ended.
    fn take_done(&mut self) -> Option<SearchDone>;
}

/// The entries of a running search, as a [`futures_core::Stream`] of
/// [`SearchItem`]s. Dropping it before the end abandons the search on the
/// server.
///
/// The stream ends after the server's `SearchResultDone`; a non-success
/// result other than `sizeLimitExceeded`/`timeLimitExceeded` comes as a
/// final `Err`. [`SearchStream::done`] has the result afterwards.
///
/// Response controls sent with an entry, a reference or an intermediate
/// response (the sync state of RFC 4533, for example) are kept until the
/// next item: [`SearchStream::controls`].
pub struct SearchStream {
    conn: LdapConn,
    /// Where the items come from when referrals are followed: the task
    /// that runs the search and those it is referred to.
    relay: Option<Relay>,
    rx: mpsc::Receiver<SearchBatch>,
    /// What is left of the last batch received.
    batch: std::vec::IntoIter<SearchEvent>,
    /// The controls of the item returned last.
    controls: Vec<Control>,
    token: u64,
    done: Option<SearchDone>,
    finished: bool,
}

/// What the task that follows a search's referrals sends its stream.
pub(super) enum Relayed {
    /// An item, with its controls.
    Item(SearchItem, Vec<Control>),
    /// The end: the final result, or the error the search ends with.
    Done(Result<SearchDone, Error>),
}

/// The receiving end of a search whose referrals are followed, and its
/// task, stopped when the stream is dropped.
pub(super) struct Relay {
    pub(super) rx: mpsc::Receiver<Relayed>,
    pub(super) task: tokio::task::AbortHandle,
}

impl fmt::Debug for SearchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchStream")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl SearchStream {
    /// The next item, `Ok(None)` at the end.
    pub async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        std::future::poll_fn(|cx| self.poll_item(cx))
            .await
            .transpose()
    }

    /// The final result, once the stream has ended.
    pub fn done(&self) -> Option<&SearchDone> {
        self.done.as_ref()
    }

    /// The response controls the server sent with the item returned last
    /// (empty when it sent none, and before the first item). The final
    /// result's controls are in [`done`](Self::done).
    ///
    /// ```no_run
    /// # async fn f(conn: tokio_ldap::LdapConn) -> Result<(), tokio_ldap::Error> {
    /// use tokio_ldap::{Search, SearchItem};
    /// let mut stream = conn.search(Search::new("dc=example,dc=com")).await?;
    /// while let Some(item) = stream.next_item().await? {
    ///     if let SearchItem::Entry(entry) = item {
    ///         for c in stream.controls() {
    ///             println!("{}: control {} with {} bytes", entry.dn, c.oid, c.value.as_ref().map_or(0, |v| v.len()));
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    /// A handle naming this search, to [`abandon`](LdapConn::abandon) or
    /// [`cancel`](LdapConn::cancel) it from another task.
    pub fn handle(&self) -> OpHandle {
        OpHandle::bound(self.token)
    }

    /// Sends `request` on `conn` (`timeout` overriding the connection's
    /// default; `handle`, if any, naming it) and streams what the server
    /// returns.
    pub(super) async fn start(
        conn: &LdapConn,
        request: Search,
        controls: Vec<Control>,
        timeout: TimeoutSetting,
        handle: Option<&OpHandle>,
    ) -> Result<Self, Error> {
        let op = ProtocolOp::SearchRequest(request.into_request()?);
        let (tx, rx) = mpsc::channel(SEARCH_CHANNEL);
        let token = conn.send(op, controls, timeout, Sink::Search(tx)).await?;
        if let Some(h) = handle {
            h.bind(token);
        }
        Ok(Self {
            conn: conn.clone(),
            relay: None,
            rx,
            batch: Vec::new().into_iter(),
            controls: Vec::new(),
            token,
            done: None,
            finished: false,
        })
    }

    /// A stream of what `relay` brings.
    pub(super) fn relayed(conn: &LdapConn, relay: Relay) -> Self {
        let (_, rx) = mpsc::channel(1);
        Self {
            conn: conn.clone(),
            relay: Some(relay),
            rx,
            batch: Vec::new().into_iter(),
            controls: Vec::new(),
            token: 0,
            done: None,
            finished: false,
        }
    }

    fn poll_relay(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<SearchItem, Error>>> {
        let Some(relay) = &mut self.relay else {
            return Poll::Ready(None);
        };
        let ev = std::task::ready!(relay.rx.poll_recv(cx));
        self.controls.clear();
        match ev {
            Some(Relayed::Item(item, controls)) => {
                self.controls = controls;
                Poll::Ready(Some(Ok(item)))
            }
            Some(Relayed::Done(Ok(done))) => {
                self.finished = true;
                self.done = Some(done);
                Poll::Ready(None)
            }
            Some(Relayed::Done(Err(e))) => {
                self.finished = true;
                Poll::Ready(Some(Err(e)))
            }
            None => {
                self.finished = true;
                Poll::Ready(Some(Err(Error::Closed(
                    "the search following referrals stopped before its end".into(),
                ))))
            }
        }
    }

    pub(super) fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<SearchItem, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if self.relay.is_some() {
            return self.poll_relay(cx);
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
        let (item, controls) = match ev {
            Some(SearchEvent::Entry(e, c)) => (SearchItem::Entry(e), c),
            Some(SearchEvent::Reference(r, c)) => (SearchItem::Reference(r), c),
            Some(SearchEvent::Intermediate(i, c)) => (SearchItem::Intermediate(i), c),
            Some(SearchEvent::Done(res)) => {
                self.controls.clear();
                self.finished = true;
                return Poll::Ready(self.finish(res).err().map(Err));
            }
            None => {
                self.controls.clear();
                self.finished = true;
                return Poll::Ready(Some(Err(self.conn.closed_error())));
            }
        };
        self.controls = controls;
        Poll::Ready(Some(Ok(item)))
    }

    fn finish(&mut self, res: Result<LdapMessage, Error>) -> Result<(), Error> {
        let msg = res?;
        let ProtocolOp::SearchResultDone(result) = msg.op else {
            return Err(unexpected(&msg, "SearchResultDone"));
        };
        let partial_ok = matches!(
            result.code,
            ResultCode::SUCCESS | ResultCode::SIZE_LIMIT_EXCEEDED | ResultCode::TIME_LIMIT_EXCEEDED
        );
        if partial_ok {
            self.done = Some(SearchDone {
                result,
                controls: msg.controls,
            });
            return Ok(());
        }
        self.done = Some(SearchDone {
            result: result.clone(),
            controls: msg.controls.clone(),
        });
        Err(ldap_error("search", result, msg.controls))
    }
}

impl Items for SearchStream {
    async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        Self::next_item(self).await
    }

    fn take_done(&mut self) -> Option<SearchDone> {
        self.done.take()
    }
}

impl futures_core::Stream for SearchStream {
    type Item = Result<SearchItem, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl Drop for SearchStream {
    fn drop(&mut self) {
        if let Some(relay) = &self.relay {
            relay.task.abort();
        } else if !self.finished {
            self.conn.cancel_token(self.token);
        }
    }
}
