//! Paged searches (RFC 2696): [`PagedSearch`], and the operations that run
//! a search page by page.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, Sleep};

use super::handle::LdapConn;
use super::options::{OpOptions, WithOptions};
use super::response::Mode;
use super::search::{Items, Search, SearchDone, SearchItem, SearchResults, SearchStream};
use crate::proto::controls::PagedResults;
use crate::proto::Control;
use crate::{Error, ProtocolError};

/// How many cookies of pages without entries are remembered to find one
/// that repeats (cleared by every page that brings an entry): a cycle
/// longer than this is still ended by the search's timeout.
const COOKIES_REMEMBERED: usize = 64;

/// A search run page by page with the paged-results control (RFC 2696),
/// transparently: items come as from one search, and each next page is
/// requested when the previous one is consumed, so at most one page is in
/// flight. Made by [`WithOptions::search_pages`]. Read it with
/// [`next_item`](Self::next_item) or as a [`futures_core::Stream`].
///
/// Two guards keep a misbehaving server from making it run forever:
///
/// - **The timeout bounds the whole search**, not each page: the options'
///   timeout (else the connection's) starts with the first page, each page
///   is sent with what is left of it (and abandoned on the server when it
///   runs out), and the search fails with [`Error::Timeout`] of the whole
///   duration once it has passed. Without any timeout, a server that keeps
///   sending pages with new cookies keeps the search going, as RFC 2696
///   allows: set one (or a size limit) against servers you do not trust.
/// - **A cookie that repeats without progress** ends the search with
///   [`ProtocolError::PagedCookieRepeated`]: a page that brought no entry
///   or reference and a cookie already sent since the last page that did.
///   (389-DS keeps one cookie for all the pages of a search; its pages
///   bring entries, so that is not a repeat.)
///
/// After an error, [`next_item`](Self::next_item) returns `Ok(None)`.
///
/// # Dropped before the end
///
/// The server keeps the state of a paged search until its last page. A
/// `PagedSearch` dropped before that releases it as RFC 2696 §3 says, in
/// a task spawned on the current tokio runtime (nothing is sent when the
/// drop happens outside one): the page in flight is read to its end (its
/// items are dropped), then the same search goes out with a page size of
/// 0 and the cookie that page brought, and its answer is discarded.
/// [`release`](Self::release) does the same and returns that answer. All
/// of it is bounded by the search's timeout, or
/// [`RELEASE_TIMEOUT`](Self::RELEASE_TIMEOUT) when it has none, and keeps
/// the connection open until it is over.
pub struct PagedSearch {
    conn: LdapConn,
    options: OpOptions,
    request: Search,
    page_size: i32,
    /// The cookie for the next page; `None` once the last page started.
    cookie: Option<Bytes>,
    /// The page being sent.
    starting: Option<Starting>,
    current: Option<SearchStream>,
    done: Option<SearchDone>,
    /// The timeout of the whole search, and its deadline once started.
    timeout: Option<Duration>,
    deadline: Option<Pin<Box<Sleep>>>,
    /// Pages ended so far.
    pages: usize,
    /// Whether the current page has brought an entry or a reference.
    progress: bool,
    /// The cookies of the pages without progress since the last page with.
    seen: VecDeque<Bytes>,
    /// The search is over: its last page ended, or it failed.
    finished: bool,
}

/// A page's search being sent.
type Starting = Pin<Box<dyn Future<Output = Result<SearchStream, Error>> + Send + Sync>>;

impl fmt::Debug for PagedSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagedSearch")
            .field("request", &self.request)
            .field("page_size", &self.page_size)
            .field("pages", &self.pages)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl PagedSearch {
    /// How long the request that releases the server's paging state of a
    /// dropped search may take when the search has no timeout.
    pub const RELEASE_TIMEOUT: Duration = Duration::from_secs(30);

    /// The next item of any page, `Ok(None)` after the last page.
    pub async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        std::future::poll_fn(|cx| self.poll_item(cx))
            .await
            .transpose()
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<SearchItem, Error>>> {
        let res = self.poll_or_err(cx);
        if let Poll::Ready(Some(Err(_))) = res {
            // Abandons the page in flight, if any; the search is over.
            self.current = None;
            self.starting = None;
            self.cookie = None;
            self.finished = true;
        }
        res
    }

    fn poll_or_err(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<SearchItem, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if let (None, Some(t)) = (&self.deadline, self.timeout) {
            self.deadline = Some(Box::pin(tokio::time::sleep(t)));
        }
        if let Some(deadline) = self.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(timed_out(self.timeout))));
            }
        }
        loop {
            if let Some(stream) = self.current.as_mut() {
                match stream.poll_item(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Some(Ok(item))) => {
                        self.progress |= !matches!(item, SearchItem::Intermediate(_));
                        return Poll::Ready(Some(Ok(item)));
                    }
                    Poll::Ready(Some(Err(e))) => {
                        return Poll::Ready(Some(Err(self.whole_timeout(e))))
                    }
                    Poll::Ready(None) => {}
                }
                let done = self.current.take().and_then(|mut s| s.take_done());
                let next = match &done {
                    Some(d) => match paged_cookie(&d.controls) {
                        Ok(c) => c,
                        Err(e) => return Poll::Ready(Some(Err(e))),
                    },
                    None => None,
                };
                self.done = done;
                self.cookie = next.filter(|c| !c.is_empty());
                if let Err(e) = self.page_ended() {
                    return Poll::Ready(Some(Err(e)));
                }
                continue;
            }
            if let Some(starting) = self.starting.as_mut() {
                match starting.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(stream)) => {
                        self.starting = None;
                        self.current = Some(stream);
                        continue;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(self.whole_timeout(e)))),
                }
            }
            let Some(cookie) = self.cookie.take() else {
                self.finished = true;
                return Poll::Ready(None);
            };
            let mut options = self.options.clone().control(
                PagedResults {
                    size: self.page_size,
                    cookie,
                }
                .to_control(),
            );
            if let Some(deadline) = &self.deadline {
                let left = deadline
                    .deadline()
                    .saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Poll::Ready(Some(Err(timed_out(self.timeout))));
                }
                options = options.timeout(left);
            }
            self.starting = Some(start_page(self.conn.clone(), options, self.request.clone()));
        }
    }

    /// A page's own timeout (what was left of the whole) ends as the
    /// timeout of the whole search.
    fn whole_timeout(&self, e: Error) -> Error {
        match e {
            Error::Timeout { .. } if self.timeout.is_some() => timed_out(self.timeout),
            e => e,
        }
    }

    /// Checks the cookie of the page that just ended for a repeat.
    fn page_ended(&mut self) -> Result<(), Error> {
        self.pages += 1;
        let progress = std::mem::take(&mut self.progress);
        if progress {
            self.seen.clear();
        }
        let Some(cookie) = &self.cookie else {
            return Ok(());
        };
        if !progress && self.seen.contains(cookie) {
            return Err(Error::Protocol(ProtocolError::PagedCookieRepeated {
                page: self.pages,
            }));
        }
        if self.seen.len() == COOKIES_REMEMBERED {
            self.seen.pop_front();
        }
        self.seen.push_back(cookie.clone());
        Ok(())
    }

    /// The final result of the last page, once the search has ended.
    pub fn done(&self) -> Option<&SearchDone> {
        self.done.as_ref()
    }

    /// The response controls sent with the item returned last (see
    /// [`SearchStream::controls`]).
    pub fn controls(&self) -> &[Control] {
        self.current.as_ref().map_or(&[], SearchStream::controls)
    }

    /// Ends the search before its last page and releases the server's
    /// paging state (RFC 2696 §3), waiting for the server's answer: what
    /// dropping it does in the background (see [the type's
    /// docs](Self#dropped-before-the-end)). Returns the final result of the
    /// request that released the state, `None` when there was none to
    /// release (the search had ended, or the page in flight was its last).
    pub async fn release(mut self) -> Result<Option<SearchDone>, Error> {
        match self.release_request() {
            Some(release) => release.await,
            None => Ok(None),
        }
    }

    /// What releases the server's state of this search: the page in flight
    /// read to its end (its items dropped), then, if that page's cookie is
    /// not empty, the same search with a page size of 0 and that cookie,
    /// all within the search's timeout (or
    /// [`RELEASE_TIMEOUT`](Self::RELEASE_TIMEOUT)). `None` once the search
    /// is over; the search is over afterwards.
    fn release_request(
        &mut self,
    ) -> Option<impl Future<Output = Result<Option<SearchDone>, Error>> + Send + 'static> {
        if std::mem::replace(&mut self.finished, true) {
            return None;
        }
        let current = self.current.take();
        let starting = self.starting.take();
        let cookie = self.cookie.take();
        let limit = self.timeout.unwrap_or(Self::RELEASE_TIMEOUT);
        let options = self.options.clone().timeout(limit);
        let conn = self.conn.clone();
        let request = self.request.clone();
        let release = async move {
            let in_flight = match (current, starting) {
                (Some(stream), _) => Some(stream),
                (None, Some(starting)) => Some(starting.await?),
                (None, None) => None,
            };
            let cookie = match in_flight {
                Some(mut stream) => {
                    while stream.next_item().await?.is_some() {}
                    match stream.take_done() {
                        Some(done) => paged_cookie(&done.controls)?,
                        None => None,
                    }
                }
                None => cookie,
            };
            let Some(cookie) = cookie.filter(|c| !c.is_empty()) else {
                return Ok(None);
            };
            let paged = PagedResults { size: 0, cookie };
            let options = options.control(paged.to_control());
            let mut stream = conn.with(options).search(request).await?;
            while stream.next_item().await?.is_some() {}
            Ok(stream.take_done())
        };
        Some(async move {
            tokio::time::timeout(limit, release)
                .await
                .unwrap_or(Err(Error::Timeout {
                    phase: crate::Phase::Operation,
                    after: limit,
                }))
        })
    }
}

/// Sends a page's search.
fn start_page(conn: LdapConn, options: OpOptions, request: Search) -> Starting {
    Box::pin(async move { conn.with(options).search(request).await })
}

impl Drop for PagedSearch {
    fn drop(&mut self) {
        let Some(release) = self.release_request() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::debug!(
                "a paged search dropped outside a tokio runtime: its server state is not released"
            );
            return;
        };
        runtime.spawn(async move {
            // The answer is of no use to anyone but the log.
            if let Err(e) = release.await {
                tracing::debug!(error = %e, "releasing a dropped paged search");
            }
        });
    }
}

impl futures_core::Stream for PagedSearch {
    type Item = Result<SearchItem, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

/// The error of a paged search whose whole `timeout` has passed.
fn timed_out(timeout: Option<Duration>) -> Error {
    Error::Timeout {
        phase: crate::Phase::Operation,
        after: timeout.unwrap_or_default(),
    }
}

impl Items for PagedSearch {
    async fn next_item(&mut self) -> Result<Option<SearchItem>, Error> {
        Self::next_item(self).await
    }

    fn take_done(&mut self) -> Option<SearchDone> {
        self.done.take()
    }
}

/// The cookie of the paged-results response control, if there is one. A
/// control that does not decode is a protocol error, not the end of the
/// search.
pub(super) fn paged_cookie(controls: &[Control]) -> Result<Option<Bytes>, Error> {
    let Some(c) = controls.iter().find(|c| c.oid == PagedResults::OID) else {
        return Ok(None);
    };
    let p = PagedResults::from_control(c).map_err(|e| Error::Protocol(e.into()))?;
    Ok(Some(p.cookie))
}

/// Paged searches.
impl<M: Mode> WithOptions<'_, M> {
    /// Runs a search page by page with the paged-results control (RFC
    /// 2696), `page_size` entries at a time, and collects everything.
    ///
    /// The timeout (the options', else the connection's) bounds the whole
    /// search, all pages together; a server that repeats a cookie without
    /// sending entries ends it with
    /// [`ProtocolError::PagedCookieRepeated`]. See [`PagedSearch`].
    pub async fn search_paged(
        self,
        request: Search,
        page_size: u32,
    ) -> Result<M::Out<SearchResults>, Error> {
        let results = SearchResults::collect(&mut self.search_pages(request, page_size)).await?;
        Ok(M::wrap(results.into_response()))
    }

    /// Runs a search page by page (RFC 2696 paged results), yielding its
    /// items one at a time; see [`PagedSearch`] (the timeout bounds the
    /// whole search, from the first call of
    /// [`next_item`](PagedSearch::next_item)).
    pub fn search_pages(self, request: Search, page_size: u32) -> PagedSearch {
        let timeout = self
            .options
            .timeout_setting()
            .resolve(self.conn.default_timeout());
        PagedSearch {
            conn: self.conn.clone(),
            options: self.options,
            request,
            page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
            cookie: Some(Bytes::new()),
            starting: None,
            current: None,
            done: None,
            timeout,
            deadline: None,
            pages: 0,
            progress: false,
            seen: VecDeque::new(),
            finished: false,
        }
    }
}

/// Paged searches, with the default options.
impl LdapConn {
    /// Runs a paged search and collects everything: [`WithOptions::search_paged`] with the default
    /// options.
    pub async fn search_paged(
        &self,
        request: Search,
        page_size: u32,
    ) -> Result<SearchResults, Error> {
        self.with(OpOptions::default())
            .search_paged(request, page_size)
            .await
    }

    /// Runs a paged search, item by item: [`WithOptions::search_pages`] with the default options.
    pub fn search_pages(&self, request: Search, page_size: u32) -> PagedSearch {
        self.with(OpOptions::default())
            .search_pages(request, page_size)
    }
}
