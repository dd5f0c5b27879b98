//! The private adapter between rustls 0.23's `ResolvesClientCert` and the
//! application's [`QueryClientCert`].

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use rustls::SignatureScheme;

use super::name::TrustedCa;
use super::panic;
use super::query::{CertRequest, QueryClientCert, TlsMode};
use super::record::{CertOutcome, HandshakeRecord};
use crate::sync::lock;

/// Forwards the server's CertificateRequest to the application and records
/// what happened in the connection's [`HandshakeRecord`].
///
/// With no [`QueryClientCert`] it declines, which is what
/// `with_no_client_auth()` would do, but still records the request so that a
/// rejection can be explained.
pub(crate) struct ClientCertResolver {
    pub(crate) query: Option<Arc<dyn QueryClientCert>>,
    pub(crate) url: String,
    pub(crate) server_name: String,
    pub(crate) mode: TlsMode,
    pub(crate) record: Arc<Mutex<HandshakeRecord>>,
}

impl ClientCertResolver {
    /// Asks the application, catching a panic. The record's lock is not held
    /// here: user code never runs under it.
    fn ask(&self, cas: &[TrustedCa], schemes: &[SignatureScheme]) -> (CertOutcome, Option<String>) {
        let Some(query) = &self.query else {
            return (
                CertOutcome::NotSent {
                    reason: "no client certificate configured".to_owned(),
                },
                None,
            );
        };
        let request = CertRequest::new(cas, schemes)
            .with_server_name(&self.server_name)
            .with_url(&self.url)
            .with_mode(self.mode);
        let choice = match panic::catch(|| query.choose_client_cert(&request)) {
            Ok(choice) => choice,
            Err(message) => {
                let reason = format!("the callback panicked: {message}");
                return (CertOutcome::NotSent { reason }, Some(message));
            }
        };
        let reason = choice.reason().to_owned();
        let outcome = match choice.into_cert() {
            // rustls sends an empty Certificate message when the key has no
            // scheme in common with the server; say so instead of sending it.
            Some(cert) if !cert.supports(schemes) => CertOutcome::NotSent {
                reason: format!(
                    "skipped {}: {}",
                    cert.subject(),
                    cert.unsupported_reason(schemes)
                ),
            },
            Some(cert) => CertOutcome::Sent { cert, reason },
            None => CertOutcome::NotSent { reason },
        };
        (outcome, None)
    }
}

impl ResolvesClientCert for ClientCertResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let cas = root_hint_subjects
            .iter()
            .map(|der| TrustedCa::from_der(*der))
            .collect::<Vec<_>>();
        {
            let mut record = lock(&self.record);
            record.cert_requested = true;
            record.trusted_cas = cas.clone();
            record.signature_schemes = sigschemes.to_vec();
        }
        let (outcome, panic) = self.ask(&cas, sigschemes);
        let key = match &outcome {
            CertOutcome::Sent { cert, .. } => Some(cert.certified_key()),
            _ => None,
        };
        match &outcome {
            CertOutcome::Sent { cert, .. } => {
                tracing::debug!(subject = cert.subject(), "sending client certificate")
            }
            CertOutcome::NotSent { reason } => {
                tracing::debug!(reason = reason.as_str(), "sending no client certificate")
            }
            CertOutcome::NotRequested => {}
        }
        let mut record = lock(&self.record);
        record.outcome = outcome;
        record.callback_panic = panic;
        key
    }

    /// Must be true: rustls checks it once, before it knows whether the
    /// server will ask, and the application decides only then.
    fn has_certs(&self) -> bool {
        true
    }
}

impl fmt::Debug for ClientCertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertResolver")
            .field("configured", &self.query.is_some())
            .field("server_name", &self.server_name)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

tokio::task_local! {
    /// The resolver of the connection whose handshake is being polled.
    static CONNECTION: Arc<ClientCertResolver>;
}

/// Runs `handshake` with `resolver` as the connection's resolver: while it
/// is polled, the [`SharedResolver`] of the shared config forwards to it.
pub(crate) fn scope<F: Future>(
    resolver: Arc<ClientCertResolver>,
    handshake: F,
) -> impl Future<Output = F::Output> {
    CONNECTION.scope(resolver, handshake)
}

/// The resolver of the rustls config shared by every connection of one
/// [`PreparedTls`](super::PreparedTls): rustls asks it during a handshake,
/// and it forwards to the resolver of the connection whose handshake that
/// is ([`scope`]), which holds the connection's URL, server name and record.
/// The config itself is then built once, not once per connection.
#[derive(Debug)]
pub(crate) struct SharedResolver;

impl ResolvesClientCert for SharedResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // Outside a scope (never: the config is private to `transport`),
        // no certificate is sent.
        CONNECTION
            .try_with(|conn| conn.resolve(root_hint_subjects, sigschemes))
            .ok()
            .flatten()
    }

    /// True, as for [`ClientCertResolver`]: the application decides once
    /// the server asks.
    fn has_certs(&self) -> bool {
        true
    }
}
