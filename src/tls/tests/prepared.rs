//! Roots and verifier are prepared once per settings, shared by clones, and
//! made again only after a change.

use std::sync::Arc;

use rustls_pki_types::ServerName;

use super::pki::{pem, pki};
use crate::error::Error;
use crate::tls::{server_name, TlsSettings, TlsVersion};

#[test]
fn a_ca_file_is_read_once_per_change_and_shared_by_clones() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("ca.pem");
    let write_ca = || std::fs::write(&path, pem("CERTIFICATE", &pki().ca_a.cert)).expect("write");
    write_ca();
    let mut settings = TlsSettings::new();
    settings.add_ca_file(&path);
    let clone = settings.clone();

    let first = settings.prepared().expect("prepared");
    // Unchanged: neither the settings nor a clone taken before reads it again.
    assert!(Arc::ptr_eq(&first, &settings.prepared().expect("cached")));
    assert!(Arc::ptr_eq(&first, &clone.prepared().expect("cached")));
    std::fs::remove_file(&path).expect("remove the CA file");
    // Gone: the roots read before are kept, the reason told, once for the
    // settings and their clone.
    let kept = settings.prepared().expect("the old roots");
    assert!(!Arc::ptr_eq(&first, &kept));
    assert!(Arc::ptr_eq(&kept, &clone.prepared().expect("kept")));
    let text = format!("{kept:?}");
    assert!(
        text.contains(&format!(
            "(not reloaded: cannot read CA file {}: ",
            path.display()
        )) && text.contains("; the roots loaded before are kept)"),
        "{text}"
    );

    // A changed clone prepares anew, and says the file is gone.
    let mut changed = settings.clone();
    changed.set_versions(&[TlsVersion::Tls13]);
    let err = changed.prepared().expect_err("the CA file is gone");
    let text = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(
        text.contains("cannot read CA file") && text.contains("ca.pem"),
        "{text}"
    );

    // A failure is not kept: with the file back, the next try works.
    write_ca();
    let again = changed
        .prepared()
        .expect("prepared after the file came back");
    assert!(!Arc::ptr_eq(&first, &again));
    assert!(Arc::ptr_eq(&again, &changed.prepared().expect("cached")));
    // The original settings read the file again too.
    let reread = settings.prepared().expect("read again");
    assert!(!Arc::ptr_eq(&kept, &reread));
    assert!(!format!("{reread:?}").contains("not reloaded"));
}

#[test]
fn server_names() {
    assert!(matches!(
        server_name("localhost"),
        Ok(ServerName::DnsName(_))
    ));
    assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
    assert!(matches!(
        server_name("127.0.0.1"),
        Ok(ServerName::IpAddress(_))
    ));
    let e = server_name("bad name").unwrap_err().to_string();
    assert!(
        e.contains("\"bad name\" is not a valid TLS server name"),
        "{e}"
    );
}

#[test]
fn settings_debug_shows_no_secrets() {
    let mut settings = TlsSettings::default();
    settings.add_ca_file("/etc/ca.pem");
    let text = format!("{settings:?}");
    assert!(
        text.contains("/etc/ca.pem") && text.contains("client_cert: false"),
        "{text}"
    );
}

#[test]
fn prepared_debug_names_the_verifier_policy() {
    let mut settings = TlsSettings::default();
    settings.add_root_certificate(pki().ca_a.cert.clone());
    settings.add_pin([1; 32]);
    settings.add_pin([2; 32]);
    settings.set_server_cert_hook(|_: &crate::tls::ServerCertInfo<'_>| Ok::<(), String>(()));
    let text = format!("{:?}", settings.prepare().unwrap());
    assert!(
        text.contains("verifier: ServerVerifier { base: WebPki(")
            && text.contains("hook: Some(Checks), pins: 2"),
        "{text}"
    );
}

/// The rustls config is built once per prepared settings and shared by
/// every connection, while each connection's handshake still runs the
/// query and fills in its own record (through the connection's resolver,
/// in scope while its handshake is polled).
#[tokio::test]
async fn one_rustls_config_serves_every_connection_each_with_its_own_query_and_record() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rustls::version::TLS13;

    use super::harness::{connect, serve_one, server_config, trusting_ca_a, webpki, After, Hints};
    use crate::tls::record::CertOutcome;
    use crate::tls::{CertRequest, TlsMode};

    let pki = pki();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let alice = pki.alice.client_cert();
    let mut settings = trusting_ca_a();
    settings.set_client_cert_query(move |_: &CertRequest<'_>| {
        counted.fetch_add(1, Ordering::SeqCst);
        Some(alice.clone())
    });
    let prepared = settings.prepared().expect("prepared");

    let first = prepared
        .client_config("ldaps://localhost:1", "localhost", TlsMode::Ldaps)
        .expect("config");
    let second = prepared
        .client_config("ldaps://localhost:2", "localhost", TlsMode::Ldaps)
        .expect("config");
    assert!(Arc::ptr_eq(&first.config, &second.config), "config rebuilt");
    assert!(!Arc::ptr_eq(&first.record, &second.record), "record shared");

    let auth = webpki(&[&pki.ca_a, &pki.ca_b], Hints::Roots);
    for round in 1..=2 {
        let (addr, server) = serve_one(server_config(&auth, &[&TLS13]), After::Greet).await;
        let client = connect(&prepared, addr, "localhost").await;
        assert!(client.error.is_none(), "round {round}: {:?}", client.error);
        assert!(
            client.record.cert_requested,
            "round {round}: no request recorded"
        );
        assert!(
            matches!(&client.record.outcome, CertOutcome::Sent { cert, .. } if cert.subject().contains("alice")),
            "round {round}: {:?}",
            client.record.outcome
        );
        assert_eq!(client.record.trusted_cas.len(), 2, "round {round}");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            round,
            "the query ran once per connection"
        );
        let seen = server.await.expect("server task").expect("server side");
        assert!(
            seen.peer_chain.is_some(),
            "round {round}: no certificate sent"
        );
    }
}
