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
