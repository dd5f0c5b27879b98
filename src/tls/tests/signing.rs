//! Keys held elsewhere: `ClientCert::from_signing_key` with a signer that
//! wraps a software key, counts its signatures, and can be told to fail or
//! to wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::sign::{Signer, SigningKey};
use rustls::version::{TLS12, TLS13};
use rustls::{SignatureAlgorithm, SignatureScheme};

use super::harness::*;
use super::pki::{pki, Leaf};
use crate::error::Error;
use crate::tls::provider::default_provider;
use crate::tls::ClientCert;

/// What the test signer does when asked to sign.
pub(crate) enum Mode {
    /// Sign with the software key.
    Sign,
    /// Fail, as a removed token would.
    Fail,
    /// Wait until told to go on (or 10 s, then fail), then sign.
    WaitFor(Mutex<mpsc::Receiver<()>>, tokio::sync::Notify),
}

/// An HSM-like key: the software key of a test leaf behind the
/// `SigningKey` trait, counting its signatures.
pub(crate) struct TestSigner {
    key: Arc<dyn SigningKey>,
    mode: Arc<Mode>,
    signed: Arc<AtomicUsize>,
    /// Reveal the public key (as an HSM may), or only the algorithm.
    reveal: Option<Vec<u8>>,
    /// Claim this algorithm instead of the key's.
    claim: Option<SignatureAlgorithm>,
}

impl std::fmt::Debug for TestSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestSigner").finish_non_exhaustive()
    }
}

impl TestSigner {
    pub(crate) fn new(leaf: &Leaf, mode: Mode) -> Self {
        let key = default_provider()
            .key_provider
            .load_private_key(leaf.key_der())
            .unwrap();
        Self {
            key,
            mode: Arc::new(mode),
            signed: Arc::default(),
            reveal: None,
            claim: None,
        }
    }

    pub(crate) fn counter(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.signed)
    }
}

impl SigningKey for TestSigner {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let inner = self.key.choose_scheme(offered)?;
        Some(Box::new(TestSign {
            inner,
            mode: Arc::clone(&self.mode),
            signed: Arc::clone(&self.signed),
        }))
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        self.reveal
            .as_ref()
            .map(|spki| SubjectPublicKeyInfoDer::from(spki.as_slice()))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.claim.unwrap_or_else(|| self.key.algorithm())
    }
}

#[derive(Debug)]
struct TestSign {
    inner: Box<dyn Signer>,
    mode: Arc<Mode>,
    signed: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mode")
    }
}

impl Signer for TestSign {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        self.signed.fetch_add(1, Ordering::SeqCst);
        match &*self.mode {
            Mode::Sign => self.inner.sign(message),
            Mode::Fail => Err(rustls::Error::General("the token was removed".into())),
            Mode::WaitFor(go, started) => {
                started.notify_one();
                match go.lock().unwrap().recv_timeout(Duration::from_secs(10)) {
                    Ok(()) => self.inner.sign(message),
                    Err(_) => Err(rustls::Error::General(
                        "nobody told the signer to go on: the runtime was blocked".into(),
                    )),
                }
            }
        }
    }

    fn scheme(&self) -> SignatureScheme {
        self.inner.scheme()
    }
}

fn external(leaf: &Leaf, signer: TestSigner) -> ClientCert {
    ClientCert::from_signing_key(leaf.chain.clone(), Arc::new(signer)).unwrap()
}

#[tokio::test]
async fn signing_key_signs_in_the_handshake() {
    let pki = pki();
    for v in [&TLS12, &TLS13] {
        let signer = TestSigner::new(&pki.alice, Mode::Sign);
        let signed = signer.counter();
        let cert = external(&pki.alice, signer);
        assert_eq!(cert.subject(), "CN=alice,OU=people,DC=example,DC=com");
        let auth = webpki(&[&pki.ca_a], Hints::Roots);
        let (addr, server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert(cert);
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        assert!(client.error.is_none(), "{:?}", client.error);
        assert!(matches!(&client.read, Some(Ok(g)) if g == GREETING));
        let server = server.await.unwrap().unwrap();
        assert_eq!(server.peer_chain.unwrap(), pki.alice.chain);
        assert_eq!(signed.load(Ordering::SeqCst), 1, "{v:?}");
    }
}

#[tokio::test]
async fn failing_signing_key_fails_the_handshake_saying_so() {
    let pki = pki();
    for v in [&TLS12, &TLS13] {
        let signer = TestSigner::new(&pki.alice, Mode::Fail);
        let signed = signer.counter();
        let auth = webpki(&[&pki.ca_a], Hints::Roots);
        let (addr, _server) = serve_one(server_config(&auth, &[v]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert(external(&pki.alice, signer));
        let client = connect(&settings.prepare().unwrap(), addr, "localhost").await;
        let err = client.error.expect("the handshake must fail");
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains(
                "the client key of CN=alice,OU=people,DC=example,DC=com failed to sign the handshake: unexpected error: the token was removed"
            ),
            "{text}"
        );
        assert_eq!(signed.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn from_signing_key_checks_the_chain_and_the_key() {
    let pki = pki();
    let err = |r: Result<ClientCert, Error>| {
        let e = r.unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        e.to_string()
    };
    let signer = || Arc::new(TestSigner::new(&pki.alice, Mode::Sign));
    assert_eq!(
        err(ClientCert::from_signing_key(Vec::new(), signer())),
        "configuration error: no certificate found in the certificate chain"
    );
    let e = err(ClientCert::from_signing_key(
        vec![b"junk".to_vec().into()],
        signer(),
    ));
    assert!(
        e.starts_with("configuration error: certificate 1 in the certificate chain does not parse"),
        "{e}"
    );

    // A key that reveals its public key: it must be the certificate's.
    let mut bob_key = TestSigner::new(&pki.bob, Mode::Sign);
    bob_key.reveal = Some(bob_spki(&pki.bob));
    assert_eq!(
        err(ClientCert::from_signing_key(
            pki.alice.chain.clone(),
            Arc::new(bob_key)
        )),
        "configuration error: the signing key does not match the certificate CN=alice,OU=people,DC=example,DC=com"
    );
    let mut alice_key = TestSigner::new(&pki.alice, Mode::Sign);
    alice_key.reveal = Some(bob_spki(&pki.alice));
    assert!(ClientCert::from_signing_key(pki.alice.chain.clone(), Arc::new(alice_key)).is_ok());

    // A key that reveals only its algorithm: it must be the certificate's.
    let mut rsa_claim = TestSigner::new(&pki.alice, Mode::Sign);
    rsa_claim.claim = Some(SignatureAlgorithm::RSA);
    assert_eq!(
        err(ClientCert::from_signing_key(
            pki.alice.chain.clone(),
            Arc::new(rsa_claim)
        )),
        "configuration error: the signing key is RSA but the key of the certificate CN=alice,OU=people,DC=example,DC=com is ECDSA"
    );
    let mut ed_claim = TestSigner::new(&pki.alice, Mode::Sign);
    ed_claim.claim = Some(SignatureAlgorithm::ED25519);
    let e = err(ClientCert::from_signing_key(
        pki.alice.chain.clone(),
        Arc::new(ed_claim),
    ));
    assert!(e.contains("the signing key is ED25519 but"), "{e}");
}

/// A key that reveals only its algorithm, against leaves of every kind the
/// test PKIs hold (ECDSA, RSA).
#[test]
fn the_key_algorithm_must_match_the_leaf() {
    let rsa = crate::testkit::pki::Pki::rsa();
    let rsa_alice = rsa.entity("alice").unwrap();
    let ec_alice = &pki().alice;
    let claiming = |claim: SignatureAlgorithm| {
        let mut key = TestSigner::new(ec_alice, Mode::Sign);
        key.claim = Some(claim);
        Arc::new(key)
    };
    let check = |chain: &[rustls_pki_types::CertificateDer<'static>], claim| {
        ClientCert::from_signing_key(chain.to_vec(), claiming(claim)).map(|_| ())
    };
    assert!(check(&rsa_alice.chain, SignatureAlgorithm::RSA).is_ok());
    assert!(check(&ec_alice.chain, SignatureAlgorithm::ECDSA).is_ok());
    for (chain, claim, kind) in [
        (&rsa_alice.chain, SignatureAlgorithm::ECDSA, "RSA"),
        (&rsa_alice.chain, SignatureAlgorithm::ED25519, "RSA"),
        (&ec_alice.chain, SignatureAlgorithm::ED448, "ECDSA"),
        (&ec_alice.chain, SignatureAlgorithm::RSA, "ECDSA"),
    ] {
        match check(chain, claim) {
            Err(Error::Config(message)) => assert_eq!(
                message,
                format!(
                    "the signing key is {claim:?} but the key of the certificate CN=alice,OU=people,DC=example,DC=com is {kind}"
                )
            ),
            other => panic!("{claim:?} on a {kind} leaf: {other:?}"),
        }
    }
}

/// The DER SubjectPublicKeyInfo of a leaf's certificate.
fn bob_spki(leaf: &Leaf) -> Vec<u8> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(&leaf.chain[0]).unwrap();
    cert.public_key().raw.to_vec()
}

/// A signer that blocks its thread until another task of the same runtime
/// tells it to go on. The runtime has one worker thread, which the
/// handshake's task occupies while it signs: the other task can run only
/// because the signature is made under `block_in_place`. Without it the
/// signer waits in vain for 10 s and fails.
#[test]
fn slow_signing_key_leaves_the_runtimes_other_tasks_running() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pki = pki();
        let (go, wait) = mpsc::channel();
        let signer = TestSigner::new(
            &pki.alice,
            Mode::WaitFor(Mutex::new(wait), tokio::sync::Notify::new()),
        );
        let mode = Arc::clone(&signer.mode);
        let signed = signer.counter();
        let auth = webpki(&[&pki.ca_a], Hints::Roots);
        let (addr, _server) = serve_one(server_config(&auth, &[&TLS13]), After::Greet).await;
        let mut settings = trusting_ca_a();
        settings.set_client_cert(external(&pki.alice, signer));
        let prepared = settings.prepare().unwrap();
        let client = tokio::spawn(async move { connect(&prepared, addr, "localhost").await });
        let helper = tokio::spawn(async move {
            if let Mode::WaitFor(_, started) = &*mode {
                started.notified().await;
            }
            go.send(()).unwrap();
        });
        let client = client.await.unwrap();
        assert!(client.error.is_none(), "{:?}", client.error);
        assert!(matches!(&client.read, Some(Ok(g)) if g == GREETING));
        // Signed once, so the helper was woken and has run or will.
        assert_eq!(signed.load(Ordering::SeqCst), 1);
        tokio::time::timeout(Duration::from_secs(10), helper)
            .await
            .expect("the helper finishes once the signer started")
            .unwrap();
    });
}
