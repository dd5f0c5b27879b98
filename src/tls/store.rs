//! [`CertStore`]: several identities, the one issued by a CA the server
//! names is offered (what Windows' LDAP client does for you).

use super::cert::ClientCert;
use super::name::{ca_list, TrustedCa};
use super::query::{CertRequest, Choice, QueryClientCert};

/// What a [`CertStore`] does when the server names no CAs.
///
/// TLS 1.3 makes the list optional, and Active Directory often sends none.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmptyListPolicy {
    /// Offer the first certificate (in insertion order) whose key can sign
    /// with a scheme the server accepts. The default: an empty list means
    /// "no preference".
    #[default]
    First,
    /// Offer nothing and continue anonymously.
    Decline,
}

/// Several client identities; offers the one whose chain was issued by a CA
/// the server trusts.
///
/// Rules, in this order:
///
/// 1. A certificate whose key cannot sign with any of the server's
///    [signature schemes](CertRequest::signature_schemes) is skipped (it
///    could not be sent anyway).
/// 2. If the server named CAs, the first certificate (in insertion order)
///    with any certificate of its chain issued by one of them is offered, see
///    [`ClientCert::issued_by`]. If none was, nothing is offered.
/// 3. If the server named no CAs, [`EmptyListPolicy`] decides: by default the
///    first usable certificate is offered.
///
/// [`choose`](Self::choose) also says why, for logs and diagnostics.
///
/// ```no_run
/// use tokio_ldap::tls::{CertStore, ClientCert, EmptyListPolicy};
///
/// # fn main() -> Result<(), tokio_ldap::Error> {
/// let store = CertStore::new()
///     .with(ClientCert::from_pem_files("alice.crt", "alice.key")?)
///     .with_named("bob (backup)", ClientCert::from_pem_files("bob.crt", "bob.key")?)
///     .on_empty_list(EmptyListPolicy::Decline);
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct CertStore {
    certs: Vec<(String, ClientCert)>,
    empty_list: EmptyListPolicy,
}

impl CertStore {
    /// An empty store (which never offers anything) with
    /// [`EmptyListPolicy::First`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an identity, named in messages by its subject's CN (or whole
    /// subject).
    pub fn with(mut self, cert: ClientCert) -> Self {
        self.push(cert);
        self
    }

    /// Adds an identity under a name of your choosing, used in messages.
    pub fn with_named(mut self, name: impl Into<String>, cert: ClientCert) -> Self {
        self.certs.push((name.into(), cert));
        self
    }

    /// Adds an identity, in place.
    pub fn push(&mut self, cert: ClientCert) {
        let label = cert.label().to_owned();
        self.certs.push((label, cert));
    }

    /// Sets what happens when the server names no CAs.
    pub fn on_empty_list(mut self, policy: EmptyListPolicy) -> Self {
        self.empty_list = policy;
        self
    }

    /// The identities, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &ClientCert> + '_ {
        self.certs.iter().map(|(_, cert)| cert)
    }

    /// How many identities the store holds.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Whether the store holds none.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Applies the rules above to `request`, with the reason, e.g. `chose
    /// alice: issued by CN=Test CA-A,O=Example Test,DC=example,DC=com, which
    /// the server trusts`.
    pub fn choose(&self, request: &CertRequest<'_>) -> Choice {
        if self.certs.is_empty() {
            return Choice::new(None, "the certificate store is empty");
        }
        let schemes = request.signature_schemes();
        let mut skipped = Vec::new();
        let mut usable = Vec::new();
        for (label, cert) in &self.certs {
            if cert.supports(schemes) {
                usable.push((label, cert));
            } else {
                skipped.push(format!("{label}: {}", cert.unsupported_reason(schemes)));
            }
        }
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!(" (skipped {})", skipped.join("; "))
        };

        let cas = request.trusted_cas();
        if cas.is_empty() {
            return match (self.empty_list, usable.first()) {
                (EmptyListPolicy::Decline, _) => Choice::new(
                    None,
                    "the server named no CAs and the store is set to decline then",
                ),
                (_, Some((label, cert))) => Choice::new(
                    Some((*cert).clone()),
                    format!(
                        "chose {label}: the server named no CAs, so the first usable certificate{skipped}"
                    ),
                ),
                (_, None) => Choice::new(
                    None,
                    format!("the server named no CAs and no certificate is usable{skipped}"),
                ),
            };
        }

        for (label, cert) in &usable {
            if let Some((ca, direct)) = matching_ca(cert, cas) {
                let how = if direct {
                    "issued by"
                } else {
                    "its chain was issued by"
                };
                return Choice::new(
                    Some((*cert).clone()),
                    format!("chose {label}: {how} {ca}, which the server trusts{skipped}"),
                );
            }
        }
        let issuers = usable
            .iter()
            .map(|(label, cert)| format!("{label} is issued by {}", cert.issuer()))
            .collect::<Vec<_>>();
        let issuers = if issuers.is_empty() {
            String::new()
        } else {
            format!("; {}", issuers.join("; "))
        };
        Choice::new(
            None,
            format!(
                "no certificate was issued by a CA the server trusts ({}){issuers}{skipped}",
                ca_list(cas)
            ),
        )
    }
}

/// The first CA of `cas` that issued a certificate of the chain, and whether
/// it issued the end-entity certificate itself.
fn matching_ca<'c>(cert: &ClientCert, cas: &'c [TrustedCa]) -> Option<(&'c TrustedCa, bool)> {
    let ca = cas.iter().find(|ca| cert.issued_by(ca))?;
    Some((ca, cert.leaf_issued_by(ca)))
}

impl QueryClientCert for CertStore {
    fn query_client_cert(&self, request: &CertRequest<'_>) -> Option<ClientCert> {
        self.choose(request).into_cert()
    }

    fn choose_client_cert(&self, request: &CertRequest<'_>) -> Choice {
        self.choose(request)
    }
}
