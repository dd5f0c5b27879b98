//! Following referrals (RFC 4511 §4.1.10, §4.5.3) when the connection was
//! configured with [`ConnConfig::follow_referrals`]: the result of an
//! update or compare with code `referral`, and the continuation references
//! and `referral` result of a search.
//!
//! Each hop connects to the referred server with the connection's own
//! [`ConnConfig`] (TLS, StartTLS and the client-certificate negotiation run
//! again there), binds the way the connection is bound ([`BoundAs`]), runs
//! the operation there and closes that connection. A hop limit and a set of
//! the (server, DN) pairs visited stop loops with an [`Error::Referral`].

use std::collections::HashSet;

use tokio::sync::mpsc;

use super::config::{ConnConfig, ReferralPolicy, TimeoutSetting};
use super::handle::{BoundAs, LdapConn};
use super::op_handle::OpHandle;
use super::response::{ldap_error, unexpected};
use super::search::{Relay, Relayed, Search, SearchDone, SearchItem, SearchStream};
use crate::proto::dn::Dn;
use crate::proto::url::{LdapUrl, Scheme};
use crate::proto::{
    BindAuth, BindRequest, ByteString, Control, LdapMessage, Password, ProtocolOp, ResultCode,
};
use crate::Error;

/// Whether a referral in the result of `op` is followed: updates and
/// compare (searches are followed by [`search`]; binds and extended
/// operations never).
pub(super) fn follows(op: &ProtocolOp) -> bool {
    matches!(
        op,
        ProtocolOp::AddRequest(_)
            | ProtocolOp::ModifyRequest(_)
            | ProtocolOp::DelRequest(_)
            | ProtocolOp::ModifyDnRequest(_)
            | ProtocolOp::CompareRequest(_)
    )
}

/// The (server, DN) pairs a chain of referrals has visited.
#[derive(Default)]
struct Visited(HashSet<String>);

impl Visited {
    /// Records `dn` on the server of `url`; `false` when it was already.
    fn insert(&mut self, url: &LdapUrl, dn: &str) -> bool {
        let dn = Dn::parse(dn).map_or_else(
            |_| dn.to_lowercase(),
            |dn| dn.normalized().to_string().to_lowercase(),
        );
        let key = format!(
            "{}://{}:{}{}/{dn}",
            url.scheme(),
            url.connect_host().to_ascii_lowercase(),
            url.port_or_default(),
            url.socket_path().unwrap_or_default(),
        );
        self.0.insert(key)
    }
}

/// Follows the referral in `resp`, the response to `op` sent on `conn`,
/// until a server answers with something else; returns that answer.
pub(super) async fn follow_update(
    conn: &LdapConn,
    op: ProtocolOp,
    controls: Vec<Control>,
    timeout: TimeoutSetting,
    resp: LdapMessage,
) -> Result<LdapMessage, Error> {
    let Some((policy, config)) = conn.referral_policy() else {
        return Ok(resp);
    };
    let name = op.name();
    let mut visited = Visited::default();
    if let Ok(origin) = LdapUrl::parse(conn.url()) {
        visited.insert(&origin, target(&op));
    }
    let mut resp = resp;
    let mut hops = 0u8;
    loop {
        let referrals = match resp.op.result() {
            Some(r) if r.code == ResultCode::REFERRAL && !r.referrals.is_empty() => {
                r.referrals.clone()
            }
            _ => return Ok(resp),
        };
        hops = hop_count(hops, policy, name, &referrals)?;
        let mut last = None;
        let mut answer = None;
        for uri in &referrals {
            let url = match usable(uri) {
                Ok(url) => url,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let op = retarget(op.clone(), url.dn());
            if !visited.insert(&url, target(&op)) {
                return Err(Error::Referral(format!(
                    "{name}: the referral to {uri} leads back to a server and DN already visited (a referral loop)"
                )));
            }
            let hop = async {
                let there = connect(config, &url, uri).await?;
                bind_like(conn, &there, uri).await?;
                there.request(op, controls.clone(), timeout, None).await
            };
            match hop.await {
                Ok(m) => {
                    answer = Some(m);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        resp = match (answer, last) {
            (Some(m), _) => m,
            (None, Some(e)) => return Err(e),
            (None, None) => return Ok(resp),
        };
    }
}

/// One more hop after `hops`, or the error that the limit is reached.
fn hop_count(
    hops: u8,
    policy: ReferralPolicy,
    name: &str,
    referrals: &[ByteString],
) -> Result<u8, Error> {
    if hops >= policy.hop_limit() {
        let to = referrals
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        return Err(Error::Referral(format!(
            "{name}: the hop limit of {} referrals was reached; the next referral was to {to}",
            policy.hop_limit()
        )));
    }
    Ok(hops + 1)
}

/// The URL of a referral, if it can be followed: it parses, names a host
/// and has no critical extension (RFC 4516 §2: a client that does not
/// know a critical extension must not use the URL).
fn usable(uri: &str) -> Result<LdapUrl, Error> {
    let url = LdapUrl::parse(uri)
        .map_err(|e| Error::Referral(format!("the referral URL {uri:?} does not parse: {e}")))?;
    if url.scheme() != Scheme::Ldapi && url.host().is_empty() {
        return Err(Error::Referral(format!(
            "the referral URL {uri:?} names no host"
        )));
    }
    if let Some(ext) = url.extensions().iter().find(|e| e.critical()) {
        return Err(Error::Referral(format!(
            "the referral URL {uri:?} has the critical extension {}, which this client does not support",
            ext.name()
        )));
    }
    Ok(url)
}

/// The DN `op` works on.
fn target(op: &ProtocolOp) -> &str {
    match op {
        ProtocolOp::AddRequest(r) => &r.entry,
        ProtocolOp::ModifyRequest(r) => &r.object,
        ProtocolOp::DelRequest(dn) => dn,
        ProtocolOp::ModifyDnRequest(r) => &r.entry,
        ProtocolOp::CompareRequest(r) => &r.entry,
        ProtocolOp::SearchRequest(r) => &r.base,
        _ => "",
    }
}

/// `op` on the DN of the referral's URL, when it names one (RFC 4511
/// §4.1.10); unchanged otherwise.
fn retarget(mut op: ProtocolOp, dn: &str) -> ProtocolOp {
    if dn.is_empty() {
        return op;
    }
    let dn = ByteString::from(dn);
    match &mut op {
        ProtocolOp::AddRequest(r) => r.entry = dn,
        ProtocolOp::ModifyRequest(r) => r.object = dn,
        ProtocolOp::DelRequest(old) => *old = dn,
        ProtocolOp::ModifyDnRequest(r) => r.entry = dn,
        ProtocolOp::CompareRequest(r) => r.entry = dn,
        _ => {}
    }
    op
}

/// Connects to the server of `url` with the connection's config.
async fn connect(config: &ConnConfig, url: &LdapUrl, uri: &str) -> Result<LdapConn, Error> {
    let mut server = url.clone();
    server.dn.clear();
    server.attributes.clear();
    server.scope = None;
    server.filter = None;
    server.extensions.clear();
    LdapConn::connect(&server.to_string(), config.clone())
        .await
        .map_err(|e| Error::Referral(format!("cannot connect to the referred server {uri}: {e}")))
}

/// Binds `there` the way `conn` is bound.
async fn bind_like(conn: &LdapConn, there: &LdapConn, uri: &str) -> Result<(), Error> {
    let auth = match conn.bound_as() {
        BoundAs::Anonymous => return Ok(()),
        BoundAs::Simple { dn, password } => {
            if !password.expose().is_empty() && !there.may_send_password() {
                return Err(Error::Referral(format!(
                    "the referred server {uri} is not reached over TLS, and the password of the simple bind is not sent in clear text (see ConnConfig::allow_insecure_password)"
                )));
            }
            (dn, BindAuth::Simple(password))
        }
        BoundAs::External { authzid } => (
            String::new(),
            BindAuth::Sasl {
                mechanism: "EXTERNAL".into(),
                credentials: Some(Password::new(authzid.unwrap_or_default().as_bytes())),
            },
        ),
        BoundAs::Sasl { mechanism } => {
            return Err(Error::Referral(format!(
                "the connection is bound with SASL {mechanism}, which cannot be repeated on the referred server {uri}"
            )))
        }
    };
    let (name, auth) = auth;
    let op = ProtocolOp::BindRequest(BindRequest {
        version: 3,
        name: name.into(),
        auth,
    });
    let resp = there
        .request(op, Vec::new(), TimeoutSetting::Default, None)
        .await?;
    let ProtocolOp::BindResponse(r) = &resp.op else {
        return Err(unexpected(&resp, "BindResponse"));
    };
    if r.result.code != ResultCode::SUCCESS {
        return Err(ldap_error(
            "bind on the referred server",
            r.result.clone(),
            resp.controls,
        ));
    }
    Ok(())
}

/// Capacity of the channel between the task following a search's
/// referrals and its stream, in items.
const RELAY_CHANNEL: usize = 64;

/// Starts `request` on `conn` and follows its continuation references and
/// its `referral` result, streaming every server's entries.
pub(super) async fn search(
    conn: &LdapConn,
    request: Search,
    controls: Vec<Control>,
    timeout: TimeoutSetting,
    handle: Option<&OpHandle>,
) -> Result<SearchStream, Error> {
    let Some((policy, config)) = conn.referral_policy() else {
        return SearchStream::start(conn, request, controls, timeout, handle).await;
    };
    // The first search starts here, so that its errors (a filter that does
    // not parse) come from this call, as without referrals.
    let first =
        SearchStream::start(conn, request.clone(), controls.clone(), timeout, handle).await?;
    let mut visited = Visited::default();
    if let Ok(origin) = LdapUrl::parse(conn.url()) {
        visited.insert(&origin, request.base());
    }
    let chase = Chase {
        policy,
        config: config.clone(),
        origin: conn.clone(),
        request,
        controls,
        timeout,
        visited,
    };
    let (tx, rx) = mpsc::channel(RELAY_CHANNEL);
    let task = tokio::spawn(async move {
        let end = chase.run(first, &tx).await;
        let _ = tx.send(Relayed::Done(end)).await;
    });
    let relay = Relay {
        rx,
        task: task.abort_handle(),
    };
    Ok(SearchStream::relayed(conn, relay))
}

/// A search whose referrals are being followed.
struct Chase {
    policy: ReferralPolicy,
    config: ConnConfig,
    /// The connection the search started on, whose bind is repeated.
    origin: LdapConn,
    request: Search,
    controls: Vec<Control>,
    timeout: TimeoutSetting,
    visited: Visited,
}

/// Referrals still to follow: their URLs (alternatives for one another)
/// and the hop they are.
struct Job {
    uris: Vec<ByteString>,
    hop: u8,
    /// A `referral` result (the whole search is elsewhere) rather than a
    /// continuation reference (a part of it is).
    redirect: bool,
}

/// What one search (on the first server or a referred one) ended with.
enum Ended {
    Done(SearchDone),
    Referral(Vec<ByteString>),
}

impl Chase {
    /// Runs `first` and every search it refers to, sending their items to
    /// `tx`; the final result is the first server's, or that of the server
    /// a `referral` result sent the search to.
    async fn run(
        mut self,
        first: SearchStream,
        tx: &mpsc::Sender<Relayed>,
    ) -> Result<SearchDone, Error> {
        let mut jobs = std::collections::VecDeque::new();
        let mut done = match relay(first, 1, &mut jobs, tx).await? {
            Ended::Done(d) => Some(d),
            Ended::Referral(uris) => {
                jobs.push_back(Job {
                    uris,
                    hop: 1,
                    redirect: true,
                });
                None
            }
        };
        while let Some(job) = jobs.pop_front() {
            if job.hop > self.policy.hop_limit() {
                let limit = self.policy.hop_limit();
                let to = job.uris.iter().map(|u| u.to_string()).collect::<Vec<_>>();
                return Err(Error::Referral(format!(
                    "search: the hop limit of {limit} referrals was reached; the next referral was to {}",
                    to.join(" ")
                )));
            }
            let (stream, uri) = self.open(&job).await?;
            match relay(stream, job.hop + 1, &mut jobs, tx).await? {
                Ended::Done(d) if job.redirect => done = Some(d),
                Ended::Done(_) => {}
                Ended::Referral(uris) => jobs.push_back(Job {
                    uris,
                    hop: job.hop + 1,
                    redirect: job.redirect,
                }),
            }
            tracing::debug!(referral = %uri, "followed a search referral");
        }
        done.ok_or_else(|| {
            Error::Referral("search: the referral led to no server that answered".into())
        })
    }

    /// Starts the search a referral points to, on the first of its URLs
    /// that can be used.
    async fn open(&mut self, job: &Job) -> Result<(SearchStream, String), Error> {
        let mut last = None;
        for uri in &job.uris {
            let url = match usable(uri) {
                Ok(url) => url,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            // RFC 4511 §4.5.3: the URL's DN, scope and filter, where given,
            // replace the search's.
            let mut request = self.request.clone();
            if !url.dn().is_empty() {
                request = request.with_base(url.dn());
            }
            if let Some(scope) = url.scope() {
                request = request.scope(scope);
            }
            if let Some(filter) = url.filter() {
                request = request.filter(filter);
            }
            if !self.visited.insert(&url, request.base()) {
                return Err(Error::Referral(format!(
                    "search: the referral to {uri} leads back to a server and base already visited (a referral loop)"
                )));
            }
            let started = async {
                let there = connect(&self.config, &url, uri).await?;
                bind_like(&self.origin, &there, uri).await?;
                SearchStream::start(&there, request, self.controls.clone(), self.timeout, None)
                    .await
            };
            match started.await {
                Ok(stream) => return Ok((stream, uri.to_string())),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Referral("search: a referral with no URL".into())))
    }
}

/// How many continuation references may wait to be followed: a server
/// that sends more makes the search fail rather than the queue grow.
const MAX_PENDING_REFERENCES: usize = 1024;

/// Sends the items of `stream` to `tx`, queueing its continuation
/// references as jobs of hop `hop`; returns how it ended.
async fn relay(
    mut stream: SearchStream,
    hop: u8,
    jobs: &mut std::collections::VecDeque<Job>,
    tx: &mpsc::Sender<Relayed>,
) -> Result<Ended, Error> {
    loop {
        match stream.next_item().await {
            Ok(Some(SearchItem::Reference(uris))) => {
                if jobs.len() >= MAX_PENDING_REFERENCES {
                    return Err(Error::Referral(format!(
                        "search: more than {MAX_PENDING_REFERENCES} continuation references are waiting to be followed"
                    )));
                }
                jobs.push_back(Job {
                    uris,
                    hop,
                    redirect: false,
                });
            }
            Ok(Some(item)) => {
                let controls = stream.controls().to_vec();
                if tx.send(Relayed::Item(item, controls)).await.is_err() {
                    return Err(Error::Closed("the search stream was dropped".into()));
                }
            }
            Ok(None) => {
                let done = stream
                    .done()
                    .cloned()
                    .ok_or_else(|| Error::Closed("the search ended without its result".into()))?;
                return Ok(Ended::Done(done));
            }
            Err(Error::Ldap(e))
                if e.result.code == ResultCode::REFERRAL && !e.result.referrals.is_empty() =>
            {
                return Ok(Ended::Referral(e.result.referrals.clone()));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;
