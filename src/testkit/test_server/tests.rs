//! The test server through the crate's own client: TLS client
//! authentication in every mode, binds, the directory over the wire,
//! faults, the record, and hostile input.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{
    CaNames, ClientAuth, ExternalMapping, Operation, Rejection, TestServer, TlsVersions, Transport,
};
use crate::proto::extended::WHO_AM_I;
use crate::proto::{LdapMessage, MessageId, ProtocolOp, ResultCode};
use crate::testkit::{Directory, TestPki};
use crate::{CertStore, ClientCert, ConnConfig, Error, LdapConn, OpOptions, Scope, Search};

const PEOPLE: &str = "uid={CN},ou=people,dc=example,dc=com";

fn pki() -> &'static TestPki {
    static PKI: std::sync::OnceLock<TestPki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| TestPki::new().unwrap())
}

fn config(server: &TestServer) -> ConnConfig {
    ConnConfig::new().root_certificate(server.ca_certificate().unwrap())
}

fn store(names: &[&str]) -> CertStore {
    names.iter().fold(CertStore::new(), |s, n| {
        s.with_named(*n, pki().client_cert(n).unwrap())
    })
}

async fn required(rejection: Rejection, versions: TlsVersions) -> TestServer {
    TestServer::builder(pki())
        .client_auth(ClientAuth::Required)
        .rejection(rejection)
        .tls_versions(versions)
        .external_mapping(ExternalMapping::Template(PEOPLE.to_owned()))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_store_picks_the_certificate_the_server_names_and_external_maps_it() {
    let server = required(Rejection::Alert, TlsVersions::Both).await;
    for (url, starttls) in [(server.ldaps_url(), false), (server.ldap_url(), true)] {
        let cfg = config(&server)
            .client_cert_query(store(&["mallory", "carol", "bob"]))
            .starttls(starttls);
        let conn = LdapConn::connect(&url, cfg).await.unwrap();
        let info = conn.tls_info().unwrap();
        let named: Vec<String> = info
            .trusted_cas()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            named,
            [
                "CN=Test CA-A,O=Example Test,DC=example,DC=com",
                "CN=Test CA-B,O=Example Test,DC=example,DC=com"
            ]
        );
        assert_eq!(
            info.client_cert_sent().unwrap().subject(),
            "CN=carol,OU=people,DC=example,DC=com"
        );
        conn.bind_external(None).await.unwrap();
        assert_eq!(
            conn.whoami().await.unwrap().as_deref(),
            Some("dn:uid=carol,ou=people,dc=example,dc=com")
        );
    }
    let records = server.connections();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].transport, Transport::Ldaps);
    assert_eq!(records[1].transport, Transport::Ldap);
    for r in &records {
        assert!(r.tls);
        assert_eq!(
            r.client_subject().as_deref(),
            Some("CN=carol,OU=people,DC=example,DC=com")
        );
        assert_eq!(
            r.identity.as_deref(),
            Some("dn:uid=carol,ou=people,dc=example,dc=com")
        );
        assert_eq!(
            r.client_chain.as_ref().unwrap().len(),
            2,
            "leaf and intermediate"
        );
    }
}

#[tokio::test]
async fn the_test_chooses_the_ca_names() {
    let evil = pki().subject_der("ca-evil").unwrap();
    for (names, want) in [
        (
            CaNames::Explicit(vec![evil.clone()]),
            vec!["CN=Untrusted CA,O=Evil Test".to_owned()],
        ),
        (CaNames::Explicit(vec![]), vec![]),
        (CaNames::None, vec![]),
    ] {
        for versions in [TlsVersions::Tls12, TlsVersions::Tls13] {
            let server = TestServer::builder(pki())
                .client_auth(ClientAuth::Optional)
                .ca_names(names.clone())
                .tls_versions(versions)
                .start()
                .await
                .unwrap();
            let cfg = config(&server).client_cert_query(|_: &crate::CertRequest<'_>| None);
            let conn = LdapConn::connect(&server.ldaps_url(), cfg).await.unwrap();
            let info = conn.tls_info().unwrap();
            let got: Vec<String> = info
                .trusted_cas()
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, want, "{names:?} {versions:?}");
            // Declined: anonymous, and EXTERNAL has nothing to map.
            assert_eq!(conn.whoami().await.unwrap(), None);
            let e = conn.bind_external(None).await.unwrap_err();
            assert_eq!(e.result_code(), Some(ResultCode::AUTH_METHOD_NOT_SUPPORTED));
            assert!(
                e.to_string().contains("SASL(-4): no mechanism available"),
                "{e}"
            );
        }
    }
    // No client authentication: no CertificateRequest at all.
    let server = TestServer::builder(pki()).start().await.unwrap();
    let conn = LdapConn::connect(&server.ldaps_url(), config(&server))
        .await
        .unwrap();
    assert!(conn.tls_info().unwrap().trusted_cas().is_none());
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_by_alert_or_by_closing() {
    for versions in [TlsVersions::Tls12, TlsVersions::Tls13] {
        let server = required(Rejection::Alert, versions).await;
        let cfg = config(&server).client_cert(pki().client_cert("mallory").unwrap());
        let outcome = match LdapConn::connect(&server.ldaps_url(), cfg).await {
            Ok(conn) => conn.whoami().await.map(|_| ()),
            Err(e) => Err(e),
        };
        let e = outcome.unwrap_err();
        assert!(
            matches!(e, Error::ClientCertRejected(_)),
            "{versions:?}: {e:?}"
        );
        // (Under TLS 1.2 the alert ends the handshake; under TLS 1.3 it
        // comes after, and the message says so.)
        let text = e.to_string();
        assert!(text.starts_with("the server rejected the "), "{text}");
        assert!(text.contains("with alert UnknownCA"), "{text}");
        assert!(text.contains("sent: CN=mallory,OU=people,DC=example,DC=com (issued by CN=Untrusted CA,O=Evil Test, not among the CAs the server named)"), "{text}");
        assert!(server.connections()[0]
            .rejected
            .as_deref()
            .unwrap()
            .starts_with("TLS handshake failed"));

        let server = required(Rejection::CloseAfterHandshake, versions).await;
        let cfg = config(&server).client_cert(pki().client_cert("mallory").unwrap());
        let outcome = match LdapConn::connect(&server.ldaps_url(), cfg).await {
            Ok(conn) => conn.bind_external(None).await,
            Err(e) => Err(e),
        };
        let e = outcome.unwrap_err();
        assert!(
            matches!(e, Error::ClientCertRejected(_) | Error::Closed(_)),
            "{versions:?}: {e:?}"
        );
        let why = server.connections()[0].rejected.clone().unwrap();
        assert!(why.starts_with("client certificate refused: "), "{why}");
    }
}

#[tokio::test]
async fn the_awkward_certificates_are_refused() {
    let server = required(Rejection::Alert, TlsVersions::Both).await;
    for (name, alert) in [
        ("expired", "CertificateExpired"),
        ("not-yet-valid", "CertificateExpired"),
        ("no-client-auth", "UnsupportedCertificate"),
        ("self-signed", "UnknownCA"),
    ] {
        let cfg = config(&server).client_cert(pki().client_cert(name).unwrap());
        // Under TLS 1.3 the client's connect completes before the server
        // checks; the alert comes with the first read.
        let outcome = match LdapConn::connect(&server.ldaps_url(), cfg).await {
            Ok(conn) => conn.whoami().await.map(|_| ()),
            Err(e) => Err(e),
        };
        let e = outcome.unwrap_err();
        assert!(matches!(e, Error::ClientCertRejected(_)), "{name}: {e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with("the server rejected the "),
            "{name}: {text}"
        );
        assert!(
            text.contains(&format!("with alert {alert}")),
            "{name}: {text}"
        );
        assert!(
            text.contains(&format!("sent: CN={name},OU=people")),
            "{name}: {text}"
        );
    }
    // The template takes the CN, lower-cased and escaped.
    let zoe = pki().client_cert("zoe").unwrap();
    let conn = LdapConn::connect(&server.ldaps_url(), config(&server).client_cert(zoe))
        .await
        .unwrap();
    conn.bind_external(None).await.unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:uid=zo\u{eb} smith\\+jones\\, jr. \\<zsj\\>,ou=people,dc=example,dc=com")
    );
    // A template naming what the subject lacks: no identity.
    let by_uid = TestServer::builder(pki())
        .client_auth(ClientAuth::Required)
        .external_mapping(ExternalMapping::Template(
            "uid={UID},dc=example,dc=com".to_owned(),
        ))
        .start()
        .await
        .unwrap();
    let alice = pki().client_cert("alice").unwrap();
    let conn = LdapConn::connect(&by_uid.ldaps_url(), config(&by_uid).client_cert(alice))
        .await
        .unwrap();
    let e = conn.bind_external(None).await.unwrap_err();
    assert_eq!(e.result_code(), Some(ResultCode::INVALID_CREDENTIALS));
    assert_eq!(
        e.to_string(),
        "bind failed: invalidCredentials (49): the subject CN=alice,OU=people,DC=example,DC=com has no UID \
         (the server refused to map the client certificate sent during the TLS handshake to an identity: \
         CN=alice,OU=people,DC=example,DC=com (issued by CN=Test CA-A,O=Example Test,DC=example,DC=com))"
    );
    let subject_as_is = TestServer::builder(pki())
        .client_auth(ClientAuth::Required)
        .start()
        .await
        .unwrap();
    let zoe = pki().client_cert("zoe").unwrap();
    let conn = LdapConn::connect(
        &subject_as_is.ldaps_url(),
        config(&subject_as_is).client_cert(zoe),
    )
    .await
    .unwrap();
    conn.bind_external(None).await.unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:cn=zo\u{eb} smith\\+jones\\, jr. \\<zsj\\>,ou=people,dc=example,dc=com")
    );
}

#[tokio::test]
async fn simple_binds_searches_and_writes_over_starttls() {
    let server = TestServer::builder(pki()).start().await.unwrap();
    let conn = LdapConn::connect(&server.ldap_url(), config(&server).starttls(true))
        .await
        .unwrap();
    let e = conn
        .bind_simple("uid=alice,ou=people,dc=example,dc=com", "nope")
        .await
        .unwrap_err();
    assert_eq!(e.result_code(), Some(ResultCode::INVALID_CREDENTIALS));
    conn.bind_simple("uid=alice,ou=people,dc=example,dc=com", "alicepw")
        .await
        .unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:uid=alice,ou=people,dc=example,dc=com")
    );
    let found = conn
        .search_all(
            Search::new("dc=example,dc=com")
                .scope(Scope::Subtree)
                .filter("(|(uid=bob)(cn=carol*))")
                .attributes(["mail"]),
        )
        .await
        .unwrap();
    let dns: Vec<&str> = found.entries.iter().map(|e| e.dn.as_ref()).collect();
    assert_eq!(
        dns,
        [
            "uid=bob,ou=people,dc=example,dc=com",
            "uid=carol,ou=people,dc=example,dc=com"
        ]
    );
    assert_eq!(found.entries[0].first_str("mail"), Some("bob@example.com"));
    let paged = conn
        .search_paged(
            Search::new("dc=example,dc=com").filter("(objectClass=*)"),
            2,
        )
        .await
        .unwrap();
    assert_eq!(paged.entries.len(), 6);
    let searches = server.connections()[0]
        .requests
        .iter()
        .filter(|m| matches!(m.op, ProtocolOp::SearchRequest(_)))
        .count();
    assert_eq!(searches, 1 + 3, "one plain search, then three pages of two");
    assert!(conn
        .compare(
            "uid=alice,ou=people,dc=example,dc=com",
            "mail",
            "ALICE@example.com"
        )
        .await
        .unwrap());
    let e = conn
        .delete("uid=bob,ou=people,dc=example,dc=com")
        .await
        .unwrap_err();
    assert_eq!(
        e.result_code(),
        Some(ResultCode::INSUFFICIENT_ACCESS_RIGHTS)
    );
    assert!(server
        .directory()
        .lookup("uid=bob,ou=people,dc=example,dc=com")
        .is_some());
    let record = &server.connections()[0];
    assert!(record.tls);
    assert!(
        matches!(record.requests[0].op, ProtocolOp::ExtendedRequest(_)),
        "StartTLS first"
    );
}

#[tokio::test]
async fn faults_are_injected_and_cleared() {
    let server = TestServer::builder(pki()).start().await.unwrap();
    let cfg = || config(&server).allow_insecure_password(true);
    server.fail(Operation::Bind, ResultCode::BUSY);
    let conn = LdapConn::connect(&server.ldap_url(), cfg()).await.unwrap();
    let e = conn
        .bind_simple("uid=alice,ou=people,dc=example,dc=com", "alicepw")
        .await
        .unwrap_err();
    assert_eq!(e.result_code(), Some(ResultCode::BUSY));
    assert_eq!(
        e.to_string(),
        "bind failed: busy (51): injected by the test"
    );
    server.clear_faults();
    conn.bind_simple("uid=alice,ou=people,dc=example,dc=com", "alicepw")
        .await
        .unwrap();

    // Bytes instead of a response: a search result with another id.
    let stray = LdapMessage::new(
        MessageId(999),
        ProtocolOp::SearchResultDone(crate::proto::LdapResult::new(ResultCode::SUCCESS)),
    )
    .to_vec();
    server.respond_with_bytes(Operation::Extended(WHO_AM_I.to_owned()), stray);
    let e = conn.whoami().await.unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    server.clear_faults();

    server.drop_after(1);
    let conn = LdapConn::connect(&server.ldap_url(), cfg()).await.unwrap();
    assert_eq!(conn.whoami().await.unwrap(), None);
    let e = conn.whoami().await.unwrap_err();
    assert!(matches!(e, Error::Closed(_) | Error::Io(_)), "{e:?}");
    assert_eq!(
        server
            .connections()
            .last()
            .unwrap()
            .closed_because
            .as_deref(),
        Some("fault: dropped at message 2")
    );
    server.clear_faults();

    server.delay_responses(Duration::from_secs(30));
    let conn = LdapConn::connect(&server.ldap_url(), cfg()).await.unwrap();
    let e = conn
        .with(OpOptions::new().timeout(Duration::from_millis(50)))
        .whoami()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                phase: crate::Phase::Operation,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "the operation timed out after 50ms");
}

#[cfg(unix)]
#[tokio::test]
async fn ldapi_external_is_the_root_dn() {
    let server = TestServer::builder(pki()).start().await.unwrap();
    let conn = LdapConn::connect(&server.ldapi_url(), ConnConfig::new())
        .await
        .unwrap();
    conn.bind_external(None).await.unwrap();
    assert_eq!(
        conn.whoami().await.unwrap().as_deref(),
        Some("dn:cn=admin,dc=example,dc=com")
    );
    conn.delete("uid=bob,ou=people,dc=example,dc=com")
        .await
        .unwrap();
    assert!(server
        .directory()
        .lookup("uid=bob,ou=people,dc=example,dc=com")
        .is_none());
    assert_eq!(server.connections()[0].transport, Transport::Ldapi);
}

/// Sends `bytes` on a raw connection; returns what the server sent back
/// before it closed.
async fn raw(server: &TestServer, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = tokio::net::TcpStream::connect(server.ldap_addr())
        .await
        .unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .unwrap();
    out
}

fn notice_message(bytes: &[u8]) -> String {
    let m = LdapMessage::decode(bytes::Bytes::copy_from_slice(bytes)).unwrap();
    assert_eq!(m.id, MessageId(0));
    let ProtocolOp::ExtendedResponse(r) = m.op else {
        panic!("{m:?}")
    };
    assert_eq!(r.result.code, ResultCode::PROTOCOL_ERROR);
    r.result.message.to_string()
}

#[tokio::test]
async fn hostile_clients_get_a_notice_and_a_closed_connection() {
    let server = TestServer::builder(pki())
        .directory(Directory::example())
        .start()
        .await
        .unwrap();
    // Garbage.
    let out = raw(&server, b"\xff\xff\xff\xff garbage").await;
    assert!(notice_message(&out).starts_with("the client sent an invalid message: "));
    // A length of 4 GiB: refused before anything is buffered.
    let out = raw(&server, &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02]).await;
    assert!(
        notice_message(&out).contains("the client sent an invalid message"),
        "{}",
        notice_message(&out)
    );
    // A filter nested 10 000 deep.
    let mut filter = Vec::new();
    for _ in 0..10_000 {
        filter.extend_from_slice(&[0xa2, 0x84]);
    }
    let depth: Vec<u8> = {
        // (!(!(!...(objectClass=*)))) built inside out with 4-byte lengths.
        let mut inner = vec![0x87, 0x0b];
        inner.extend_from_slice(b"objectClass");
        for _ in 0..10_000 {
            let len = u32::try_from(inner.len()).unwrap().to_be_bytes();
            let mut outer = vec![0xa2, 0x84];
            outer.extend_from_slice(&len);
            outer.extend_from_slice(&inner);
            inner = outer;
        }
        let mut body = vec![0x02, 0x01, 0x01, 0x63, 0x84];
        let mut search = vec![
            0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
            0x01, 0x01, 0x00,
        ];
        search.extend_from_slice(&inner);
        search.extend_from_slice(&[0x30, 0x00]);
        body.extend_from_slice(&u32::try_from(search.len()).unwrap().to_be_bytes());
        body.extend_from_slice(&search);
        let mut message = vec![0x30, 0x84];
        message.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        message.extend_from_slice(&body);
        message
    };
    let out = raw(&server, &depth).await;
    assert!(
        notice_message(&out).contains("the client sent an invalid message"),
        "{}",
        notice_message(&out)
    );
    // The server still serves.
    let conn = LdapConn::connect(&server.ldap_url(), ConnConfig::new())
        .await
        .unwrap();
    assert_eq!(conn.whoami().await.unwrap(), None);
    let closed: Vec<_> = server
        .connections()
        .iter()
        .filter_map(|r| r.closed_because.clone())
        .collect();
    assert_eq!(closed.len(), 3, "{closed:?}");
}

#[tokio::test]
async fn a_wrong_key_fails_before_any_connection() {
    let e = pki().client_cert("wrong-key").unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    let e = TestServer::builder(pki())
        .trust(&[])
        .client_auth(ClientAuth::Optional)
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "client authentication needs at least one trusted CA (TestServerBuilder::trust)"
    );
    let e = TestServer::builder(pki())
        .server_cert("nobody")
        .start()
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "no entity \"nobody\" in the test PKI");
    let _: Option<ClientCert> = None;
}

/// The fuzz target's entry point on its seeds (each a series of whole
/// requests) and on hostile shapes.
#[test]
fn the_fuzz_entry_point_survives_its_seeds_and_hostile_shapes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/server");
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        // Each seed decodes as a series of requests.
        let mut buf = bytes::BytesMut::from(&bytes[1..]);
        let mut ops = 0;
        while let Ok(Some(frame)) = super::session::next_frame(&mut buf, 1 << 20) {
            LdapMessage::decode(frame).unwrap();
            ops += 1;
        }
        assert!(ops >= 2 && buf.is_empty(), "{entry:?}", entry = dir);
        super::fuzz_requests(&bytes);
        seeds += 1;
    }
    assert_eq!(seeds, 3);
    super::fuzz_requests(&[]);
    super::fuzz_requests(&[0, 0x30, 0x84, 0xff, 0xff, 0xff, 0xff]);
    super::fuzz_requests(&[7, 0xff, 0x00]);
}
