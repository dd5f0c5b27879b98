//! Certificates and CA files that change on disk: `CertStore::from_dir`
//! reading `NAME.crt`/`NAME.key` pairs and re-reading them when they change,
//! the CA file re-read the same way, and what is said when new files do not
//! load.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::version::TLS13;
use rustls::SignatureScheme;
use tempfile::TempDir;

use super::harness::*;
use super::pki::{pem, pki, Leaf};
use crate::error::Error;
use crate::tls::{CertRequest, CertStore, ClientCert, QueryClientCert, TlsSettings};

const SCHEMES: &[SignatureScheme] = &[SignatureScheme::ECDSA_NISTP256_SHA256];

/// A directory with `svc` holding alice's certificate and key.
fn dir_with_alice() -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    put(dir.path(), "svc", &pki().alice);
    dir
}

/// Writes `leaf` as `NAME.crt` and `NAME.key`.
fn put(dir: &Path, name: &str, leaf: &Leaf) {
    write(dir, &format!("{name}.crt"), &leaf.cert_pem());
    write(dir, &format!("{name}.key"), &leaf.key_pem());
}

/// Replaces the file `name` in `dir` by one with `text` (a new file, written
/// beside and renamed over, as rotation agents do).
fn write(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

/// The store's choice when the server names no CAs, as (subject, reason).
fn choose(store: &CertStore) -> (Option<String>, String) {
    let choice = store.choose(&CertRequest::new(&[], SCHEMES));
    (
        choice.cert().map(|c| c.subject().to_owned()),
        choice.reason().to_owned(),
    )
}

const ALICE: &str = "CN=alice,OU=people,DC=example,DC=com";
const BOB: &str = "CN=bob,OU=people,DC=example,DC=com";

fn config_message(err: Error) -> String {
    match err {
        Error::Config(message) => message,
        other => panic!("not a configuration error: {other:?}"),
    }
}

#[test]
fn from_dir_reads_the_pairs_in_name_order_and_leaves_other_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "zed", &pki().alice);
    put(dir.path(), "bob", &pki().bob);
    // A CA certificate without a key, and an unrelated file: no identities.
    write(dir.path(), "ca.crt", &pem("CERTIFICATE", &pki().ca_a.cert));
    write(dir.path(), "README", "not a certificate");
    // A key without a certificate: no identity either.
    write(dir.path(), "orphan.key", &pki().carol.key_pem());

    let store = CertStore::from_dir(dir.path()).expect("two pairs");
    assert_eq!(store.dir(), Some(dir.path()));
    assert_eq!(store.len(), 2);
    assert!(!store.is_empty());
    let subjects = store
        .iter()
        .map(|c| c.subject().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(subjects, [BOB, ALICE], "bob.* before zed.*");
    // Named by NAME in the reason: the first in NAME order.
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(BOB));
    assert_eq!(
        reason,
        "chose bob: the server named no CAs, so the first usable certificate"
    );
    // Nothing changed: a refresh reads nothing.
    assert!(!store.refresh());
    // As a chooser, the same certificate.
    let offered = store.query_client_cert(&CertRequest::new(&[], SCHEMES));
    assert_eq!(offered.as_ref().map(ClientCert::subject), Some(BOB));
    let debug = format!("{store:?}");
    assert!(
        debug.contains(&format!(
            "CertDir {{ path: {:?}, names: [\"bob\", \"zed\"], problems: [] }}",
            dir.path()
        )),
        "{debug}"
    );
}

#[test]
fn half_of_a_pair_gone_keeps_the_certificate_and_says_which_file() {
    let dir = dir_with_alice();
    let store = CertStore::from_dir(dir.path()).unwrap();
    let crt = dir.path().join("svc.crt");
    std::fs::remove_file(&crt).unwrap();
    assert!(store.refresh());
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(ALICE));
    assert!(
        reason.ends_with(&format!(
            "(not reloaded: svc: {} is missing; the certificate loaded before is kept)",
            crt.display()
        )),
        "{reason}"
    );
    // A new pair that never loaded, then half gone: still reported.
    write(dir.path(), "new.crt", &pki().bob.cert_pem());
    write(dir.path(), "new.key", "garbage");
    assert!(store.refresh());
    let new_crt = dir.path().join("new.crt");
    std::fs::remove_file(&new_crt).unwrap();
    assert!(store.refresh());
    let (_, reason) = choose(&store);
    assert!(
        reason.ends_with(&format!(
            "(not reloaded: new: {} is missing; svc: {} is missing; the certificate loaded before is kept)",
            new_crt.display(),
            crt.display()
        )),
        "{reason}"
    );
}

#[test]
fn from_dir_with_in_memory_certificates_offers_both() {
    let dir = dir_with_alice();
    let store = CertStore::from_dir(dir.path())
        .unwrap()
        .with_named("static", pki().bob.client_cert());
    assert_eq!(store.len(), 2);
    let subjects = store
        .iter()
        .map(|c| c.subject().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(subjects, [BOB, ALICE], "in-memory ones first");
    // A CA list naming CA-A: the directory's svc (alice) is chosen.
    let cas = [crate::tls::TrustedCa::from_der(pki().ca_a.name.clone())];
    let choice = store.choose(&CertRequest::new(&cas, SCHEMES));
    assert_eq!(choice.cert().map(ClientCert::subject), Some(ALICE));
    assert!(
        choice
            .reason()
            .starts_with("chose svc: issued by CN=Test CA-A"),
        "{}",
        choice.reason()
    );
}

#[test]
fn from_dir_errors_name_the_directory_or_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let text = config_message(CertStore::from_dir(&missing).unwrap_err());
    assert!(
        text.starts_with(&format!(
            "cannot read the certificate directory {}: ",
            missing.display()
        )),
        "{text}"
    );

    let text = config_message(CertStore::from_dir(dir.path()).unwrap_err());
    assert_eq!(
        text,
        format!(
            "found no client certificate in {}: each is a NAME.crt (the chain, end-entity first) with its NAME.key",
            dir.path().display()
        )
    );

    // A key that is not the certificate's.
    write(dir.path(), "svc.crt", &pki().alice.cert_pem());
    write(dir.path(), "svc.key", &pki().bob.key_pem());
    let text = config_message(CertStore::from_dir(dir.path()).unwrap_err());
    let (crt, key) = (dir.path().join("svc.crt"), dir.path().join("svc.key"));
    assert_eq!(
        text,
        format!(
            "svc: the private key in {} does not match the certificate in {}",
            key.display(),
            crt.display()
        )
    );
}

#[test]
fn replaced_files_are_read_at_the_next_refresh() {
    let dir = dir_with_alice();
    let store = CertStore::from_dir(dir.path()).unwrap();
    let clone = store.clone();
    assert_eq!(choose(&store).0.as_deref(), Some(ALICE));

    put(dir.path(), "svc", &pki().bob);
    // Not before the refresh: nothing watches the files in between.
    assert_eq!(choose(&store).0.as_deref(), Some(ALICE));
    assert!(clone.refresh(), "the files changed");
    // Clones share the directory.
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(BOB));
    assert_eq!(
        reason,
        "chose svc: the server named no CAs, so the first usable certificate"
    );
    assert!(!store.refresh(), "read once");

    // A new pair is added, a pair whose both files are gone is dropped.
    put(dir.path(), "alice", &pki().alice);
    assert!(store.refresh());
    assert_eq!(store.len(), 2);
    std::fs::remove_file(dir.path().join("svc.crt")).unwrap();
    std::fs::remove_file(dir.path().join("svc.key")).unwrap();
    assert!(store.refresh());
    assert_eq!(
        store
            .iter()
            .map(|c| c.subject().to_owned())
            .collect::<Vec<_>>(),
        [ALICE]
    );
    assert_eq!(
        choose(&store).1,
        "chose alice: the server named no CAs, so the first usable certificate"
    );
}

#[test]
fn a_file_that_does_not_load_keeps_the_old_certificate_and_says_why() {
    let dir = dir_with_alice();
    let store = CertStore::from_dir(dir.path()).unwrap();
    let crt = dir.path().join("svc.crt");
    let key = dir.path().join("svc.key");

    let warnings = capture_warnings(|| {
        write(dir.path(), "svc.crt", "half written");
        assert!(store.refresh());
        // The same broken file: not read again, not warned again.
        assert!(!store.refresh());
    });
    let problem = format!(
        "svc: no certificate found in {}; the certificate loaded before is kept",
        crt.display()
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0], problem);
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(ALICE), "the old certificate");
    assert_eq!(
        reason,
        format!(
            "chose svc: the server named no CAs, so the first usable certificate (not reloaded: {problem})"
        )
    );

    // Half a rotation: bob's certificate with alice's key.
    write(dir.path(), "svc.crt", &pki().bob.cert_pem());
    assert!(store.refresh());
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(ALICE));
    assert!(
        reason.ends_with(&format!(
            "(not reloaded: svc: the private key in {} does not match the certificate in {}; the certificate loaded before is kept)",
            key.display(),
            crt.display()
        )),
        "{reason}"
    );

    // A key that went missing.
    std::fs::remove_file(&key).unwrap();
    assert!(store.refresh());
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(ALICE));
    assert!(
        reason.ends_with(&format!(
            "(not reloaded: svc: {} is missing; the certificate loaded before is kept)",
            key.display()
        )),
        "{reason}"
    );

    // The rotation completes: bob, and no complaint left.
    write(dir.path(), "svc.key", &pki().bob.key_pem());
    assert!(store.refresh());
    assert_eq!(
        choose(&store),
        (
            Some(BOB.to_owned()),
            "chose svc: the server named no CAs, so the first usable certificate".to_owned()
        )
    );
}

#[test]
fn a_new_pair_that_does_not_load_is_reported_without_a_certificate() {
    let dir = dir_with_alice();
    let store = CertStore::from_dir(dir.path()).unwrap();
    write(dir.path(), "new.crt", &pki().bob.cert_pem());
    write(
        dir.path(),
        "new.key",
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
    );
    assert!(store.refresh());
    assert_eq!(store.len(), 1);
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(ALICE));
    let key = dir.path().join("new.key");
    assert!(
        reason.contains(&format!("(not reloaded: new: bad PEM in {}", key.display()))
            && !reason.contains("loaded before"),
        "{reason}"
    );
}

#[test]
fn an_unreadable_directory_keeps_every_certificate() {
    let dir = dir_with_alice();
    let store = CertStore::from_dir(dir.path()).unwrap();
    let moved = dir.path().with_extension("moved");
    std::fs::rename(dir.path(), &moved).unwrap();
    let warnings = capture_warnings(|| {
        assert!(store.refresh());
        assert!(!store.refresh(), "said once");
    });
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let (chosen, reason) = choose(&store);
    assert_eq!(chosen.as_deref(), Some(ALICE));
    let prefix = format!(
        "chose svc: the server named no CAs, so the first usable certificate (not reloaded: cannot read the certificate directory {}: ",
        dir.path().display()
    );
    assert!(
        reason.starts_with(&prefix)
            && reason.ends_with("; the certificates loaded before are kept)"),
        "{reason}"
    );
    assert!(
        warnings[0].starts_with("cannot read the certificate directory ")
            && reason.contains(&warnings[0]),
        "{warnings:?}"
    );
    std::fs::rename(&moved, dir.path()).unwrap();
    assert!(store.refresh(), "readable again");
    assert!(!choose(&store).1.contains("not reloaded"));
}

#[test]
fn a_store_without_a_directory_has_nothing_to_refresh() {
    let store = CertStore::new().with(pki().alice.client_cert());
    assert!(!store.refresh());
    assert_eq!(store.dir(), None);
    assert!(CertStore::new().is_empty());
    assert_eq!(CertStore::new().len(), 0);
}

#[test]
fn settings_refresh_a_watched_store_before_each_connect() {
    let dir = dir_with_alice();
    let store = CertStore::from_dir(dir.path()).unwrap();
    let mut settings = trusting_ca_a();
    settings.set_client_cert_query(store.clone());
    settings.prepared().unwrap();
    put(dir.path(), "svc", &pki().bob);
    // `prepared` (what each connect calls) looked at the directory: the
    // store's clone sees bob without a refresh of its own.
    settings.prepared().unwrap();
    assert!(!store.refresh(), "already read by prepared");
    assert_eq!(choose(&store).0.as_deref(), Some(BOB));

    // Replaced by a single certificate: the store is no longer watched.
    put(dir.path(), "svc", &pki().alice);
    settings.set_client_cert(pki().carol.client_cert());
    settings.prepared().unwrap();
    assert!(store.refresh(), "nobody read the new files");
}

#[tokio::test]
async fn a_rotated_certificate_is_sent_on_the_next_connection() {
    let dir = dir_with_alice();
    let mut settings = trusting_ca_a();
    settings.set_client_cert_query(CertStore::from_dir(dir.path()).unwrap());
    let auth = webpki(&[&pki().ca_a, &pki().ca_b], Hints::Roots);
    let mut sent = Vec::new();
    for step in 0..3 {
        match step {
            1 => put(dir.path(), "svc", &pki().bob),
            2 => write(dir.path(), "svc.key", "garbage"),
            _ => {}
        }
        let (addr, server) = serve_one(server_config(&auth, &[&TLS13]), After::Greet).await;
        let client = connect(&settings.prepared().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        server.await.unwrap().unwrap();
        let info = client.info.unwrap();
        let subject = info.client_cert_sent().unwrap().subject().to_owned();
        sent.push((subject, info.client_cert_reason().unwrap().to_owned()));
    }
    assert_eq!(sent[0].0, ALICE);
    assert_eq!(sent[1].0, BOB);
    assert_eq!(sent[2].0, BOB, "the broken key keeps bob");
    let key = dir.path().join("svc.key");
    assert_eq!(
        sent[2].1,
        format!(
            "chose svc: issued by CN=Test CA-B,O=Example Test,DC=example,DC=com, which the server trusts (not reloaded: svc: no private key found in {}; the certificate loaded before is kept)",
            key.display()
        )
    );
}

#[tokio::test]
async fn a_changed_ca_file_is_read_again_and_a_broken_one_keeps_the_old_roots() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    let ca = |leaf: &super::pki::Ca| pem("CERTIFICATE", &leaf.cert);
    write(dir.path(), "ca.pem", &ca(&pki().ca_b));
    let mut settings = TlsSettings::new();
    settings.add_ca_file(&path);
    let handshake = |settings: TlsSettings| async move {
        let config = server_config(&ClientAuth::Off, &[&TLS13]);
        let (addr, _server) = serve_one(config, After::Greet).await;
        connect(&settings.prepared().unwrap(), addr, "localhost").await
    };

    // CA-B did not issue the server's certificate.
    let first = settings.prepared().unwrap();
    let client = handshake(settings.clone()).await;
    let err = client.error.expect("untrusted").to_string();
    assert!(
        err.contains(&format!("(trusted roots: {})", path.display())),
        "{err}"
    );

    // Now CA-A: read again at the next connect.
    write(dir.path(), "ca.pem", &ca(&pki().ca_a));
    let client = handshake(settings.clone()).await;
    assert!(client.error.is_none(), "{:?}", client.error);
    let second = settings.prepared().unwrap();
    assert!(!Arc::ptr_eq(&first, &second));
    assert!(
        Arc::ptr_eq(&second, &settings.prepared().unwrap()),
        "read once"
    );
    assert_eq!(
        client.info.unwrap().trusted_roots(),
        path.display().to_string()
    );

    // A broken file: CA-A stays trusted, and the reason is told.
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let subscriber = Warnings(Arc::clone(&warnings));
    write(dir.path(), "ca.pem", "-----BEGIN CERTIFICATE-----\n");
    let kept = tracing::subscriber::with_default(subscriber, || settings.prepared().unwrap());
    assert!(
        Arc::ptr_eq(&kept, &settings.prepared().unwrap()),
        "tried once"
    );
    let client = handshake(settings.clone()).await;
    assert!(client.error.is_none(), "{:?}", client.error);
    let why = format!("bad PEM in {}: ", path.display());
    let roots = client.info.unwrap().trusted_roots().to_owned();
    assert!(
        roots.starts_with(&format!("{} (not reloaded: {why}", path.display()))
            && roots.ends_with("; the roots loaded before are kept)"),
        "{roots}"
    );
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(&format!("the CA files were not reloaded: {why}")),
        "{warnings:?}"
    );

    // Fixed: read again, the complaint is gone.
    write(dir.path(), "ca.pem", &ca(&pki().ca_a));
    let client = handshake(settings.clone()).await;
    assert_eq!(
        client.info.unwrap().trusted_roots(),
        path.display().to_string()
    );
}

/// Runs `f` and returns the messages of the WARN events it logged.
fn capture_warnings(f: impl FnOnce()) -> Vec<String> {
    let warnings = Arc::new(Mutex::new(Vec::new()));
    tracing::subscriber::with_default(Warnings(Arc::clone(&warnings)), f);
    let taken = warnings.lock().unwrap().clone();
    taken
}

/// Keeps the message of each WARN event.
struct Warnings(Arc<Mutex<Vec<String>>>);

/// The `message` field of an event.
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

impl tracing::Subscriber for Warnings {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.lock().unwrap().push(message.0);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}
