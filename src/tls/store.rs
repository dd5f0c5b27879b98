//! [`CertStore`]: several identities, the one issued by a CA the server
//! names is offered (what Windows' LDAP client does for you).

use rustls_pki_types::UnixTime;

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
/// Rules, in this order (the filters are those of Windows' certificate
/// selection for TLS clients):
///
/// 1. A certificate that is expired or not yet valid (its end-entity
///    certificate, at the time of the handshake) is skipped.
/// 2. A certificate whose extended key usage excludes client authentication
///    (it lists usages, and neither `clientAuth` nor
///    `anyExtendedKeyUsage`; e.g. a server-only certificate) is skipped.
/// 3. A certificate whose key cannot sign with any of the server's
///    [signature schemes](CertRequest::signature_schemes) is skipped (it
///    could not be sent anyway).
/// 4. If the server named CAs, the certificates left with any certificate of
///    their chain issued by one of them are acceptable (see
///    [`ClientCert::issued_by`]); of these the one valid longest (the latest
///    end of validity, `notAfter`) is offered, the first in insertion order
///    among equals. If none is acceptable, nothing is offered.
/// 5. If the server named no CAs, [`EmptyListPolicy`] decides: by default the
///    first certificate left, in insertion order, is offered.
///
/// [`choose`](Self::choose) also says why, for logs and diagnostics: the
/// reason names every skipped certificate with why it was skipped, e.g.
/// `chose alice: issued by CN=Test CA-A,..., which the server trusts
/// (skipped old-alice: expired at Jan  1 00:00:00 2021 +00:00)`, and reaches
/// [`TlsInfo::client_cert_reason`](super::TlsInfo::client_cert_reason).
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

    /// Applies the rules above to `request`, at the current time, with the
    /// reason, e.g. `chose alice: issued by CN=Test CA-A,O=Example
    /// Test,DC=example,DC=com, which the server trusts`.
    pub fn choose(&self, request: &CertRequest<'_>) -> Choice {
        self.choose_at(request, UnixTime::now())
    }

    /// Like [`choose`](Self::choose), as if the time were `now` (validity is
    /// checked against it), e.g. to test a store.
    pub fn choose_at(&self, request: &CertRequest<'_>, now: UnixTime) -> Choice {
        if self.certs.is_empty() {
            return Choice::new(None, "the certificate store is empty");
        }
        let schemes = request.signature_schemes();
        let mut skipped = Vec::new();
        let mut usable = Vec::new();
        for (label, cert) in &self.certs {
            if let Some(reason) = cert.unusable_reason(now) {
                skipped.push(format!("{label}: {reason}"));
            } else if cert.supports(schemes) {
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

        let acceptable = usable
            .iter()
            .filter_map(|(label, cert)| Some((*label, *cert, matching_ca(cert, cas)?)))
            .collect::<Vec<_>>();
        let mut best = None;
        for candidate in &acceptable {
            match best {
                Some((_, chosen, _)) if !valid_longer(candidate.1, chosen) => {}
                _ => best = Some(*candidate),
            }
        }
        if let Some((label, cert, (ca, direct))) = best {
            let how = if direct {
                "issued by"
            } else {
                "its chain was issued by"
            };
            let longest = if acceptable.len() > 1 {
                format!(
                    ", and valid longest of the {} acceptable ones",
                    acceptable.len()
                )
            } else {
                String::new()
            };
            return Choice::new(
                Some(cert.clone()),
                format!("chose {label}: {how} {ca}, which the server trusts{longest}{skipped}"),
            );
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

/// Whether `a` stays valid strictly longer than `b`.
fn valid_longer(a: &ClientCert, b: &ClientCert) -> bool {
    a.validity().1 > b.validity().1
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
