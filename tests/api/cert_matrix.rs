//! The client-certificate scenarios, run against OpenLDAP slapd
//! (`slapd_certs`) and 389 Directory Server (`ds389_certs`), with the
//! expected outcome for each server side by side in one table ([`TABLE`]),
//! so that a difference between the servers is a difference in one row.
//!
//! Every scenario goes through `QueryClientCert` (the callback records the
//! CA names it is shown and returns the scenario's certificate), the TLS
//! version and mode asked for, a typed WhoAmI before any bind, the
//! EXTERNAL bind, and a typed WhoAmI after it:
//! {LDAPS, StartTLS} × {TLS 1.2, TLS 1.3} × [`Cert`] × [`Policy`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_ldap::proto::dn::Dn;
use tokio_ldap::tls::TlsVersion;
use tokio_ldap::{AuthzId, CertRequest, ClientCert, ConnConfig, Error, LdapConn, ResultCode};

use crate::support::pki::{Pki, PkiFiles};

/// The server under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Server {
    /// OpenLDAP slapd 2.5 (GnuTLS).
    Slapd,
    /// 389 Directory Server 2.3 (NSS).
    Ds389,
}

/// How strictly the server asks for a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// A trusted certificate is required: slapd `TLSVerifyClient demand`,
    /// 389-DS `nsSSLClientAuth: required`.
    Required,
    /// Requested, none is fine, an untrusted one is refused: slapd
    /// `TLSVerifyClient try`, 389-DS `nsSSLClientAuth: allowed`. (slapd's
    /// `allow` would let an untrusted certificate in: not a policy to test
    /// against.)
    Allowed,
}

/// Which certificate the callback returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cert {
    /// alice, issued by CA-A.
    CaA,
    /// bob, issued by CA-B.
    CaB,
    /// carol with her chain (leaf, then the CA-A intermediate).
    IntermediateChain,
    /// carol's leaf alone: the server must know the intermediate.
    LeafOnly,
    /// mallory, issued by a CA neither server trusts.
    Untrusted,
    /// The callback declines: no certificate.
    Declined,
}

/// How a server refuses a certificate, or the lack of one, in the TLS
/// layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// It closes the connection without an alert, during the handshake or
    /// right after it (slapd).
    Closed,
    /// It sends an alert: the first under TLS 1.2, the second under 1.3.
    Alert(&'static str, &'static str),
}

/// What a scenario ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// TLS, EXTERNAL, and WhoAmI as `uid=<user>,ou=people,dc=example,dc=com`.
    Bound(&'static str),
    /// [`Error::ClientCertRejected`], naming the CAs and what was sent.
    Rejected(Refusal),
    /// TLS works without a certificate; EXTERNAL fails with this code and
    /// exactly this message.
    BindFails(ResultCode, &'static str),
}

/// One scenario and what each server does with it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    /// The certificate the callback returns.
    pub cert: Cert,
    /// The server's policy.
    pub policy: Policy,
    /// OpenLDAP slapd.
    pub slapd: Expect,
    /// 389 Directory Server.
    pub ds389: Expect,
}

use self::Cert::{CaA, CaB, Declined, IntermediateChain, LeafOnly, Untrusted};
use self::Expect::{BindFails, Bound, Rejected};
use self::Policy::{Allowed, Required};
use self::Refusal::{Alert, Closed};

const SLAPD_NO_CERT: &str = "bind failed: authMethodNotSupported (7): SASL(-4): no mechanism \
                             available:  (no client certificate was sent during the TLS handshake)";
const DS389_NO_CERT: &str = "bind failed: inappropriateAuthentication (48): missing client \
                             certificate (no client certificate was sent during the TLS handshake)";

/// The table. Where the servers differ:
/// - carol's leaf alone: slapd knows only the roots and refuses her;
///   389-DS holds the intermediate (without trust flags) and builds her
///   chain itself.
/// - refusals: slapd closes without an alert, 389-DS sends `UnknownCA`
///   (untrusted), `BadCertificate` (TLS 1.2) or `CertificateRequired` (TLS
///   1.3) for none under `required`.
/// - no certificate under `allowed`: the EXTERNAL bind fails with 7 on
///   slapd, 48 on 389-DS.
#[rustfmt::skip]
pub(crate) const TABLE: &[Row] = &[
    //  certificate        policy    OpenLDAP slapd                  389 Directory Server
    row(CaA,               Required, Bound("alice"),                 Bound("alice")),
    row(CaB,               Required, Bound("bob"),                   Bound("bob")),
    row(IntermediateChain, Required, Bound("carol"),                 Bound("carol")),
    row(LeafOnly,          Required, Rejected(Closed),               Bound("carol")),
    row(Untrusted,         Required, Rejected(Closed),               Rejected(Alert("UnknownCA", "UnknownCA"))),
    row(Declined,          Required, Rejected(Closed),               Rejected(Alert("BadCertificate", "CertificateRequired"))),
    row(CaA,               Allowed,  Bound("alice"),                 Bound("alice")),
    row(CaB,               Allowed,  Bound("bob"),                   Bound("bob")),
    row(IntermediateChain, Allowed,  Bound("carol"),                 Bound("carol")),
    row(LeafOnly,          Allowed,  Rejected(Closed),               Bound("carol")),
    row(Untrusted,         Allowed,  Rejected(Closed),               Rejected(Alert("UnknownCA", "UnknownCA"))),
    row(Declined,          Allowed,  BindFails(NO_MECH, SLAPD_NO_CERT), BindFails(INAPPROPRIATE, DS389_NO_CERT)),
];

const fn row(cert: Cert, policy: Policy, slapd: Expect, ds389: Expect) -> Row {
    Row {
        cert,
        policy,
        slapd,
        ds389,
    }
}

const NO_MECH: ResultCode = ResultCode::AUTH_METHOD_NOT_SUPPORTED;
const INAPPROPRIATE: ResultCode = ResultCode::INAPPROPRIATE_AUTHENTICATION;

const CA_A: &str = "CN=Test CA-A,O=Example Test,DC=example,DC=com";
const CA_B: &str = "CN=Test CA-B,O=Example Test,DC=example,DC=com";

impl Server {
    /// The CA names in the CertificateRequest, as TLS shows them: slapd
    /// lists its CA file in order, 389-DS its `T`-trusted CAs newest first.
    fn ca_names(self) -> String {
        match self {
            Self::Slapd => format!("{CA_A}; {CA_B}"),
            Self::Ds389 => format!("{CA_B}; {CA_A}"),
        }
    }

    /// The same, byte for byte (each CA's DER subject).
    fn ca_hints(self, pki: &Pki) -> Vec<Vec<u8>> {
        let (a, b) = (
            pki.ca_a_subject_der().to_vec(),
            pki.ca_b_subject_der().to_vec(),
        );
        match self {
            Self::Slapd => vec![a, b],
            Self::Ds389 => vec![b, a],
        }
    }

    /// WhoAmI's text for `dn`: 389-DS puts a space after `dn:`.
    fn whoami_text(self, dn: &str) -> String {
        match self {
            Self::Slapd => format!("dn:{dn}"),
            Self::Ds389 => format!("dn: {dn}"),
        }
    }

    /// The identity before any bind: slapd is anonymous until the EXTERNAL
    /// bind, 389-DS binds the mapped identity when the handshake ends.
    fn identity_before_bind(self, mapped: &AuthzId) -> AuthzId {
        match self {
            Self::Slapd => AuthzId::Anonymous,
            Self::Ds389 => mapped.clone(),
        }
    }
}

/// A running server to run the scenarios against.
pub(crate) struct Target<'a> {
    /// Which server.
    pub server: Server,
    /// Its policy.
    pub policy: Policy,
    /// Its plain LDAP URL (StartTLS).
    pub ldap_url: String,
    /// Its LDAPS URL.
    pub ldaps_url: String,
    /// The PKI it trusts.
    pub pki: &'a Pki,
    /// The PKI's files.
    pub files: &'a PkiFiles,
    /// The server's log, for failure messages.
    pub log: &'a (dyn Fn() -> String + Sync),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Ldaps,
    StartTls,
}

/// What one attempt saw.
struct Seen {
    result: Result<(AuthzId, AuthzId, Option<String>), Error>,
    hints: Vec<Vec<u8>>,
    calls: usize,
    negotiated: Option<rustls::ProtocolVersion>,
}

fn identity(files: &PkiFiles, cert: Cert) -> Option<ClientCert> {
    let (crt, key) = match cert {
        CaA => (&files.alice_crt, &files.alice_key),
        CaB => (&files.bob_crt, &files.bob_key),
        IntermediateChain => (&files.carol_chain, &files.carol_key),
        LeafOnly => (&files.carol_crt, &files.carol_key),
        Untrusted => (&files.mallory_crt, &files.mallory_key),
        Declined => return None,
    };
    Some(ClientCert::from_pem_files(crt, key).expect("test certificate loads"))
}

/// What the error says was sent.
fn sent_text(cert: Cert) -> String {
    let people = |name: &str| format!("CN={name},OU=people,DC=example,DC=com");
    match cert {
        CaA => format!(
            "sent: {} (issued by {CA_A}, which the server named)",
            people("alice")
        ),
        CaB => format!(
            "sent: {} (issued by {CA_B}, which the server named)",
            people("bob")
        ),
        IntermediateChain => format!(
            "sent: {} (issued by CN=Test CA-A Intermediate,O=Example Test,DC=example,DC=com, \
             whose chain leads to {CA_A}, which the server named)",
            people("carol")
        ),
        LeafOnly => format!(
            "sent: {} (issued by CN=Test CA-A Intermediate,O=Example Test,DC=example,DC=com, \
             not among the CAs the server named)",
            people("carol")
        ),
        Untrusted => format!(
            "sent: {} (issued by CN=Untrusted CA,O=Evil Test, not among the CAs the server named)",
            people("mallory")
        ),
        Declined => "none was sent (the callback declined)".to_owned(),
    }
}

async fn attempt(target: &Target<'_>, mode: Mode, version: TlsVersion, cert: Cert) -> Seen {
    let chosen = identity(target.files, cert);
    let seen: Arc<Mutex<(Vec<Vec<u8>>, usize)>> = Arc::default();
    let record = seen.clone();
    let query = move |req: &CertRequest<'_>| {
        let mut r = record.lock().unwrap();
        r.0 = req
            .trusted_cas()
            .iter()
            .map(|ca| ca.der().to_vec())
            .collect();
        r.1 += 1;
        chosen.clone()
    };
    let config = ConnConfig::new()
        .ca_file(&target.files.ca_a)
        .client_cert_query(query)
        .tls_versions(&[version])
        .starttls(mode == Mode::StartTls)
        .connect_timeout(Some(Duration::from_secs(10)))
        .operation_timeout(Some(Duration::from_secs(10)));
    let url = match mode {
        Mode::Ldaps => &target.ldaps_url,
        Mode::StartTls => &target.ldap_url,
    };
    let mut negotiated = None;
    let result = async {
        let conn = LdapConn::connect(url, config).await?;
        negotiated = conn.tls_info().map(|info| info.version());
        let before = conn.whoami_identity().await?;
        conn.bind_external(None).await?;
        let after = conn.whoami_identity().await?;
        let text = conn.whoami().await?;
        Ok((before, after, text))
    }
    .await;
    let (hints, calls) = seen.lock().unwrap().clone();
    Seen {
        result,
        hints,
        calls,
        negotiated,
    }
}

/// Checks one attempt against the table; `Err` says how it differs.
fn check(target: &Target<'_>, row: &Row, version: TlsVersion, seen: &Seen) -> Result<(), String> {
    let server = target.server;
    let expect = match server {
        Server::Slapd => row.slapd,
        Server::Ds389 => row.ds389,
    };
    if seen.calls != 1 {
        return Err(format!("the callback ran {} times, not once", seen.calls));
    }
    if seen.hints != server.ca_hints(target.pki) {
        return Err(format!(
            "the CA names were not exactly {} in DER: {:?}",
            server.ca_names(),
            seen.hints
        ));
    }
    let want_version = match version {
        TlsVersion::Tls12 => rustls::ProtocolVersion::TLSv1_2,
        _ => rustls::ProtocolVersion::TLSv1_3,
    };
    if let Some(v) = seen.negotiated {
        if v != want_version {
            return Err(format!("negotiated {v:?}, not {want_version:?}"));
        }
    }
    match (expect, &seen.result) {
        (Bound(user), Ok((before, after, text))) => {
            let dn = format!("uid={user},ou=people,dc=example,dc=com");
            let mapped = AuthzId::Dn(Dn::parse(&dn).unwrap());
            let want_before = server.identity_before_bind(&mapped);
            if *before != want_before {
                return Err(format!(
                    "before the bind: {before:?}, expected {want_before:?}"
                ));
            }
            if *after != mapped {
                return Err(format!("bound as {after:?}, expected {mapped:?}"));
            }
            let want_text = server.whoami_text(&dn);
            if text.as_deref() != Some(want_text.as_str()) {
                return Err(format!("WhoAmI said {text:?}, expected {want_text:?}"));
            }
            Ok(())
        }
        (Rejected(refusal), Err(err)) => {
            if !matches!(err, Error::ClientCertRejected(_)) {
                return Err(format!("expected ClientCertRejected, got {err:?}"));
            }
            let msg = err.to_string();
            let trusts = format!("it trusts: {}", server.ca_names());
            let sent = sent_text(row.cert);
            match refusal {
                Closed => {
                    if !msg.contains("closed the connection")
                        || !msg.contains(&trusts)
                        || !msg.contains(&sent)
                    {
                        return Err(format!(
                            "the message does not say the server closed the connection, \
                             {trusts:?} and {sent:?}: {msg}"
                        ));
                    }
                }
                Alert(tls12, tls13) => {
                    let alert = if version == TlsVersion::Tls12 {
                        tls12
                    } else {
                        tls13
                    };
                    let want = format!(
                        "the server rejected the client certificate with alert {alert} after \
                         asking for one: {trusts}; {sent}"
                    );
                    if msg != want {
                        return Err(format!("message {msg:?}, expected {want:?}"));
                    }
                }
            }
            Ok(())
        }
        (BindFails(code, text), Err(err)) => {
            if err.result_code() != Some(code) || err.to_string() != text {
                return Err(format!("expected {code:?} {text:?}, got {err:?}: {err}"));
            }
            Ok(())
        }
        (want, got) => Err(format!(
            "expected {want:?}, got {}",
            match got {
                Ok((before, after, text)) => {
                    format!("before the bind {before}, after {after}, WhoAmI {text:?}")
                }
                Err(e) => format!("error {e:?}: {e}"),
            }
        )),
    }
}

/// Runs every row of [`TABLE`] for the target's policy in both modes and
/// TLS versions, and fails with every difference from the table at once.
pub(crate) async fn run(target: &Target<'_>) {
    let mut report = Vec::new();
    let mut failures = 0;
    for row in TABLE.iter().filter(|r| r.policy == target.policy) {
        for mode in [Mode::Ldaps, Mode::StartTls] {
            for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
                let seen = attempt(target, mode, version, row.cert).await;
                let case = format!(
                    "{:?} {:?} {mode:?} {version:?} {:?}",
                    target.server, target.policy, row.cert
                );
                let outcome = match &seen.result {
                    Ok((_, after, _)) => format!("bound as {after}"),
                    Err(e) => format!("{e}"),
                };
                match check(target, row, version, &seen) {
                    Ok(()) => report.push(format!("ok   {case}: {outcome}")),
                    Err(why) => {
                        failures += 1;
                        report.push(format!("FAIL {case}: {why}"));
                    }
                }
            }
        }
    }
    let report = report.join("\n");
    println!("{report}");
    assert!(
        failures == 0,
        "{failures} scenarios differ from the table:\n{report}\nserver log:\n{}",
        (target.log)()
    );
}
