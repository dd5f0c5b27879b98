//! [`ClientCertSource`]: an async step before each connect that fetches the
//! candidate client certificates (from a vault, a KMS, a sidecar), among
//! which the synchronous chooser then picks during the handshake.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::cert::ClientCert;
use super::panic;
use crate::error::Error;

/// The error a [`ClientCertSource`] may fail with: any error, or a message.
pub type SourceError = Box<dyn StdError + Send + Sync>;

/// What [`ClientCertSource::client_certs`] returns: a boxed future of the
/// candidates.
pub type SourceFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<ClientCert>, SourceError>> + Send + 'a>>;

/// Fetches the client certificates a connection may offer, asynchronously,
/// before the connection is opened.
///
/// rustls asks for the client certificate synchronously, in the middle of
/// the handshake, where nothing may be awaited. A source runs before: at
/// each [`LdapConn::connect`](crate::LdapConn::connect) that needs TLS,
/// once, before the first URL is tried, bounded by the config's
/// [connect timeout](crate::ConnConfig::connect_timeout). Its candidates
/// then go into a [`CertStore`](super::CertStore), which picks among them
/// with the CA names of the server's CertificateRequest (the store's
/// rules: validity, key usage, issuer, the one valid longest). A source
/// replaces the configured chooser or certificate for that connection.
///
/// An error, a panic or the timeout fails the connect with
/// [`Error::ClientCertSource`], whose
/// message says which. An empty list is no error: the connection then
/// offers no certificate.
///
/// Closures returning a future implement the trait:
///
/// ```
/// use tokio_ldap::tls::{ClientCertSource, SourceRequest};
/// use tokio_ldap::ClientCert;
///
/// let source = |request: &SourceRequest<'_>| {
///     let url = request.url().to_owned();
///     async move {
///         // e.g. ask a sidecar for the certificate of this service
///         let (cert_pem, key_pem) = fetch(&url).await?;
///         Ok::<_, tokio_ldap::Error>(vec![ClientCert::from_pem(&cert_pem, &key_pem)?])
///     }
/// };
/// # async fn fetch(_: &str) -> Result<(Vec<u8>, Vec<u8>), tokio_ldap::Error> { unimplemented!() }
/// fn takes(_source: impl ClientCertSource + 'static) {}
/// takes(source); // ConnConfig::new().client_cert_source(source)
/// ```
pub trait ClientCertSource: Send + Sync {
    /// The candidate certificates for a connection to `request.url()`.
    fn client_certs<'a>(&'a self, request: &'a SourceRequest<'a>) -> SourceFuture<'a>;
}

impl<F, Fut, E> ClientCertSource for F
where
    F: Fn(&SourceRequest<'_>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Vec<ClientCert>, E>> + Send + 'static,
    E: Into<SourceError>,
{
    fn client_certs<'a>(&'a self, request: &'a SourceRequest<'a>) -> SourceFuture<'a> {
        let fetch = self(request);
        Box::pin(async move { fetch.await.map_err(Into::into) })
    }
}

/// What a [`ClientCertSource`] is asked for.
#[derive(Clone, Copy, Debug)]
pub struct SourceRequest<'a> {
    url: &'a str,
}

impl<'a> SourceRequest<'a> {
    /// A request for a connection to `url`, e.g. to test a source.
    pub fn new(url: &'a str) -> Self {
        Self { url }
    }

    /// The URL (or space-separated URLs) given to `connect`.
    pub fn url(&self) -> &'a str {
        self.url
    }
}

/// Runs `source` for `url`, bounded by `timeout`; a panic in it becomes an
/// error too.
pub(crate) async fn fetch(
    source: &dyn ClientCertSource,
    url: &str,
    timeout: Option<Duration>,
) -> Result<Vec<ClientCert>, Error> {
    let request = SourceRequest::new(url);
    let fetch = CatchPanic(source.client_certs(&request));
    let result = match timeout {
        Some(limit) => tokio::time::timeout(limit, fetch).await.map_err(|_| {
            Error::ClientCertSource(format!(
                "the client certificate source gave no answer within {limit:?} (the connect timeout)"
            ))
        })?,
        None => fetch.await,
    };
    match result {
        Ok(Ok(certs)) => Ok(certs),
        Ok(Err(e)) => Err(Error::ClientCertSource(format!(
            "the client certificate source failed: {}",
            with_sources(e.as_ref())
        ))),
        Err(message) => Err(Error::ClientCertSource(format!(
            "the client certificate source panicked: {message}"
        ))),
    }
}

/// `error: source: source...`.
fn with_sources(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// A future whose panic becomes `Err(message)`.
struct CatchPanic<'a>(SourceFuture<'a>);

impl Future for CatchPanic<'_> {
    type Output = Result<Result<Vec<ClientCert>, SourceError>, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match panic::catch(|| self.0.as_mut().poll(cx)) {
            Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(message) => Poll::Ready(Err(message)),
        }
    }
}
