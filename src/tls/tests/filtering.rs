//! `CertStore` filters like Windows: expired, not yet valid and
//! server-only certificates are skipped before issuers are matched, the one
//! valid longest is preferred, and every skip is explained.

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair};
use rustls::version::TLS13;
use rustls::SignatureScheme;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};

use super::harness::*;
use super::pki::pki;
use crate::tls::{CertRequest, CertStore, ClientCert, QueryClientCert, TrustedCa};

const EC: &[SignatureScheme] = &[SignatureScheme::ECDSA_NISTP256_SHA256];

/// A CA of its own and leaves with the validity and usages asked for.
struct Filter {
    ca_cert: rcgen::Certificate,
    ca_key: KeyPair,
}

/// 2030-06-01 00:00:00 UTC, inside every test certificate's validity
/// unless it says otherwise.
const NOW: u64 = 1_906_502_400;

impl Filter {
    fn new() -> Self {
        Self::named("Filter CA")
    }

    fn named(cn: &str) -> Self {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = params.self_signed(&ca_key).unwrap();
        Self { ca_cert, ca_key }
    }

    fn ca(&self) -> TrustedCa {
        let (_, cert) =
            <x509_parser::prelude::X509Certificate<'_> as x509_parser::prelude::FromDer<'_, _>>::from_der(
                self.ca_cert.der(),
            )
            .unwrap();
        TrustedCa::from_der(cert.subject().as_raw())
    }

    /// A leaf `cn` valid from year `from` to year `to` (1 January), with
    /// these extended key usages (none: no extension).
    fn leaf(&self, cn: &str, from: i32, to: i32, eku: &[ExtendedKeyUsagePurpose]) -> ClientCert {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(to, 1, 1);
        params.extended_key_usages = eku.to_vec();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca_cert, &self.ca_key).unwrap();
        ClientCert::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap()
    }
}

fn at(store: &CertStore, cas: &[TrustedCa]) -> crate::tls::Choice {
    store.choose_at(
        &CertRequest::new(cas, EC),
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(NOW)),
    )
}

#[test]
fn expired_not_yet_valid_and_server_only_are_skipped_with_reasons() {
    let f = Filter::new();
    let cas = [f.ca()];
    let store = CertStore::new()
        .with(f.leaf("old", 2020, 2025, &[]))
        .with(f.leaf("future", 2031, 2040, &[]))
        .with(f.leaf(
            "server-only",
            2020,
            2040,
            &[ExtendedKeyUsagePurpose::ServerAuth],
        ))
        .with(f.leaf("good", 2020, 2035, &[ExtendedKeyUsagePurpose::ClientAuth]));
    let choice = at(&store, &cas);
    assert_eq!(choice.cert().unwrap().common_name(), Some("good"));
    assert_eq!(
        choice.reason(),
        "chose good: issued by CN=Filter CA, which the server trusts (skipped \
         old: expired at Jan  1 00:00:00 2025 +00:00; \
         future: not valid before Jan  1 00:00:00 2031 +00:00; \
         server-only: its extended key usage excludes client authentication)"
    );

    // anyExtendedKeyUsage and a list with clientAuth among others are fine.
    let any = f.leaf("any", 2020, 2035, &[ExtendedKeyUsagePurpose::Any]);
    assert!(any.allows_client_auth());
    let both = f.leaf(
        "both",
        2020,
        2035,
        &[
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
    );
    assert!(both.allows_client_auth());
    assert!(!f
        .leaf("srv", 2020, 2035, &[ExtendedKeyUsagePurpose::ServerAuth])
        .allows_client_auth());
    assert_eq!(both.validity(), (1_577_836_800, 2_051_222_400));
}

#[test]
fn nothing_acceptable_declines_listing_every_reason() {
    let f = Filter::new();
    let cas = [f.ca()];
    let store = CertStore::new()
        .with(f.leaf("old", 2020, 2025, &[]))
        .with(f.leaf(
            "server-only",
            2020,
            2040,
            &[ExtendedKeyUsagePurpose::ServerAuth],
        ));
    let choice = at(&store, &cas);
    assert!(choice.cert().is_none());
    assert_eq!(
        choice.reason(),
        "no certificate was issued by a CA the server trusts (CN=Filter CA) (skipped \
         old: expired at Jan  1 00:00:00 2025 +00:00; \
         server-only: its extended key usage excludes client authentication)"
    );
    // With no CA list too.
    let choice = at(&store, &[]);
    assert!(choice.cert().is_none());
    assert!(
        choice.reason().starts_with(
            "the server named no CAs and no certificate is usable (skipped old: expired"
        ),
        "{}",
        choice.reason()
    );
    // The boundaries: valid at notBefore and at notAfter exactly.
    let edge = CertStore::new().with(f.leaf("edge", 2030, 2031, &[]));
    let secs = |s: u64| UnixTime::since_unix_epoch(std::time::Duration::from_secs(s));
    let request = CertRequest::new(&cas, EC);
    assert!(edge
        .choose_at(&request, secs(1_893_456_000))
        .cert()
        .is_some());
    assert!(edge
        .choose_at(&request, secs(1_893_455_999))
        .cert()
        .is_none());
    assert!(edge
        .choose_at(&request, secs(1_924_992_000))
        .cert()
        .is_some());
    assert!(edge
        .choose_at(&request, secs(1_924_992_001))
        .cert()
        .is_none());
}

#[test]
fn of_several_acceptable_the_one_valid_longest() {
    let f = Filter::new();
    let cas = [f.ca()];
    for order in [
        ["short", "long", "mid"],
        ["long", "mid", "short"],
        ["mid", "short", "long"],
    ] {
        let mut store = CertStore::new();
        for name in order {
            let to = match name {
                "short" => 2032,
                "mid" => 2036,
                _ => 2040,
            };
            store.push(f.leaf(name, 2020, to, &[]));
        }
        let choice = at(&store, &cas);
        assert_eq!(
            choice.cert().unwrap().common_name(),
            Some("long"),
            "{order:?}"
        );
        assert_eq!(
            choice.reason(),
            "chose long: issued by CN=Filter CA, which the server trusts, and valid longest of the 3 acceptable ones"
        );
    }
    // Equal lifetimes: the first in insertion order.
    let store = CertStore::new()
        .with(f.leaf("first", 2020, 2040, &[]))
        .with(f.leaf("second", 2020, 2040, &[]));
    assert_eq!(
        at(&store, &cas).cert().unwrap().common_name(),
        Some("first")
    );
    // A longer-lived certificate of an untrusted CA does not win.
    let other = Filter::named("Other CA");
    let store = CertStore::new()
        .with(other.leaf("untrusted", 2020, 2049, &[]))
        .with(f.leaf("trusted", 2020, 2031, &[]));
    assert_eq!(
        at(&store, &cas).cert().unwrap().common_name(),
        Some("trusted")
    );
}

/// The reasons reach `TlsInfo` after a real handshake, with the store
/// delegated to by a closure (which must not silently get nothing).
#[tokio::test]
async fn skipped_reasons_reach_tls_info() {
    let pki = pki();
    let f = Filter::new();
    let store = CertStore::new()
        .with(f.leaf("old", 2000, 2001, &[]))
        .with(pki.alice.client_cert());
    let auth = webpki(&[&pki.ca_a], Hints::Roots);
    let (addr, server) = serve_one(server_config(&auth, &[&TLS13]), After::Greet).await;
    let mut settings = trusting_ca_a();
    settings
        .set_client_cert_query(move |request: &CertRequest<'_>| store.query_client_cert(request));
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    assert!(client.error.is_none(), "{:?}", client.error);
    let server = server.await.unwrap().unwrap();
    assert_eq!(server.peer_chain.unwrap(), pki.alice.chain);

    // The same store as the chooser itself: the reason names the skip.
    let store = CertStore::new()
        .with(f.leaf("old", 2000, 2001, &[]))
        .with(pki.alice.client_cert());
    let (addr, _server) = serve_one(server_config(&auth, &[&TLS13]), After::Greet).await;
    let mut settings = trusting_ca_a();
    settings.set_client_cert_query(store);
    let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
    let info = client.info.unwrap();
    assert_eq!(
        info.client_cert_reason().unwrap(),
        "chose alice: issued by CN=Test CA-A,O=Example Test,DC=example,DC=com, which the server trusts (skipped old: expired at Jan  1 00:00:00 2001 +00:00)"
    );
}
