//! [`CertStore`]: several identities, the one issued by a CA the server
//! names is offered (what Windows' LDAP client does for you).

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::UnixTime;

use super::cert::ClientCert;
use super::dir::CertDir;
use super::name::{ca_list, TrustedCa};
use super::query::{CertRequest, Choice, QueryClientCert};
use crate::error::Error;

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
///
/// A store can also read its certificates from a directory and follow
/// changes to it: see [`from_dir`](Self::from_dir).
#[derive(Clone, Debug, Default)]
pub struct CertStore {
    certs: Vec<(String, ClientCert)>,
    /// The directory read by `from_dir`, shared by clones.
    dir: Option<Arc<CertDir>>,
    empty_list: EmptyListPolicy,
}

impl CertStore {
    /// An empty store (which never offers anything) with
    /// [`EmptyListPolicy::First`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A store of the client certificates in the directory `dir`, which
    /// follows changes to it: the certificates are rotated without a
    /// restart.
    ///
    /// Each identity is a pair of PEM files: `NAME.crt`, its chain
    /// (end-entity first, then any intermediates), and `NAME.key`, its
    /// private key. `NAME` names it in messages and the store keeps the
    /// pairs in `NAME` order (which matters to [`EmptyListPolicy::First`]).
    /// A `NAME.crt` without a `NAME.key` (a CA certificate, say) is not an
    /// identity and is left alone; other files are ignored.
    ///
    /// Fails with [`Error::Config`] when the directory cannot be read, when
    /// a pair does not load (the message names the file and says what is
    /// wrong, e.g. `alice: the private key in certs/alice.key does not match
    /// the certificate in certs/alice.crt`), or when it holds no pair.
    ///
    /// # Rotation
    ///
    /// The store looks at the directory again (one listing and the length,
    /// modification time and, on Unix, inode of each file; no timer, no
    /// thread) at most once per connect: a
    /// [`ConnConfig`](crate::ConnConfig) given the store with
    /// `client_cert_query` calls [`refresh`](Self::refresh) before each
    /// connect that uses TLS and before a later StartTLS, outside the
    /// handshake. A pair whose files changed is read again:
    ///
    /// - if it loads, new connections send the new certificate; connections
    ///   already open keep theirs;
    /// - if it does not (a half-written file, a key that does not match), the
    ///   certificate loaded before stays in use, a `tracing` warning says
    ///   which file and why, and so does the reason of every
    ///   [`choose`](Self::choose) (and with it
    ///   [`TlsInfo::client_cert_reason`](super::TlsInfo::client_cert_reason))
    ///   until the files load: `... (not reloaded: alice: no certificate
    ///   found in certs/alice.crt; the certificate loaded before is kept)`;
    ///   the files are read again when they change again;
    /// - a pair whose two files are gone is dropped, a new pair is added.
    ///
    /// Replace a certificate by writing both new files (the order does not
    /// matter: a connect in between keeps the old certificate), or
    /// atomically by renaming files written beside them.
    ///
    /// A store wrapped in a chooser of your own is not seen by the
    /// `ConnConfig`: call [`refresh`](Self::refresh) yourself, before the
    /// connect (not in the chooser, which runs inside the handshake).
    ///
    /// ```no_run
    /// use tokio_ldap::tls::CertStore;
    /// use tokio_ldap::{ConnConfig, LdapConn};
    ///
    /// # async fn run() -> Result<(), tokio_ldap::Error> {
    /// // /etc/myservice/certs holds svc.crt and svc.key, renewed by an agent.
    /// let store = CertStore::from_dir("/etc/myservice/certs")?;
    /// let config = ConnConfig::new()
    ///     .ca_file("/etc/myservice/ca.pem")
    ///     .client_cert_query(store);
    /// let conn = LdapConn::connect("ldaps://ldap.example.com", config.clone()).await?;
    /// conn.bind_external(None).await?;
    /// // ... later connects with `config` send the renewed certificate.
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Self {
            dir: Some(Arc::new(CertDir::load(dir.as_ref())?)),
            ..Self::default()
        })
    }

    /// Looks at the directory of a store made by
    /// [`from_dir`](Self::from_dir) and re-reads the files that changed;
    /// returns whether anything changed. Does nothing for other stores.
    /// Clones of the store share the directory: refreshing one refreshes
    /// all.
    pub fn refresh(&self) -> bool {
        self.dir.as_ref().is_some_and(|dir| dir.refresh())
    }

    /// The directory the store reads, if it was made by
    /// [`from_dir`](Self::from_dir).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref().map(CertDir::path)
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

    /// The identities, in insertion order, then those of the directory (as
    /// last read) in `NAME` order.
    pub fn iter(&self) -> impl Iterator<Item = ClientCert> + '_ {
        let from_dir = self.dir.as_ref().map(|dir| dir.snapshot().0);
        self.certs.iter().map(|(_, cert)| cert.clone()).chain(
            from_dir
                .into_iter()
                .flat_map(|certs| certs.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>()),
        )
    }

    /// How many identities the store holds.
    pub fn len(&self) -> usize {
        let from_dir = self.dir.as_ref().map_or(0, |dir| dir.snapshot().0.len());
        self.certs.len() + from_dir
    }

    /// Whether the store holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let Some(dir) = &self.dir else {
            return self.choose_among(&self.certs, request, now);
        };
        let (from_dir, problems) = dir.snapshot();
        let choice = if self.certs.is_empty() {
            self.choose_among(&from_dir, request, now)
        } else {
            let all = self.certs.iter().chain(from_dir.iter()).cloned();
            self.choose_among(&all.collect::<Vec<_>>(), request, now)
        };
        if problems.is_empty() {
            return choice;
        }
        let reason = format!(
            "{} (not reloaded: {})",
            choice.reason(),
            problems.join("; ")
        );
        Choice::new(choice.into_cert(), reason)
    }

    /// The rules above, among `certs`.
    fn choose_among(
        &self,
        certs: &[(String, ClientCert)],
        request: &CertRequest<'_>,
        now: UnixTime,
    ) -> Choice {
        if certs.is_empty() {
            return Choice::new(None, "the certificate store is empty");
        }
        let schemes = request.signature_schemes();
        let mut skipped = Vec::new();
        let mut usable = Vec::new();
        for (label, cert) in certs {
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
