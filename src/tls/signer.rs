//! Keys that live elsewhere: the wrapper around an application's
//! [`SigningKey`] (an HSM, a PKCS#11 token, a TPM, a cloud KMS) that names
//! a signing failure and keeps a slow signer from stalling the runtime.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::sign::{Signer, SigningKey};
use rustls::{OtherError, SignatureAlgorithm, SignatureScheme};
use tokio::runtime::{Handle, RuntimeFlavor};

/// The error a failing external key becomes inside the handshake: it
/// travels as `rustls::Error::Other`, and the connect error names it.
#[derive(Debug)]
pub(crate) struct KeyFailedToSign {
    /// The certificate whose key failed, for the message.
    pub(crate) subject: String,
    /// The signer's own error.
    pub(crate) cause: rustls::Error,
}

impl fmt::Display for KeyFailedToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the client key of {} failed to sign the handshake: {}",
            self.subject, self.cause
        )
    }
}

impl StdError for KeyFailedToSign {}

/// An application's key, wrapped: every signature runs through
/// [`sign_off_runtime`], and a failure becomes a [`KeyFailedToSign`].
#[derive(Debug)]
pub(crate) struct ExternalKey {
    pub(crate) key: Arc<dyn SigningKey>,
    pub(crate) subject: String,
}

impl SigningKey for ExternalKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let signer = self.key.choose_scheme(offered)?;
        Some(Box::new(ExternalSigner {
            signer,
            subject: self.subject.clone(),
        }))
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        self.key.public_key()
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.key.algorithm()
    }
}

#[derive(Debug)]
struct ExternalSigner {
    signer: Box<dyn Signer>,
    subject: String,
}

impl Signer for ExternalSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        sign_off_runtime(|| self.signer.sign(message)).map_err(|cause| {
            rustls::Error::Other(OtherError(Arc::new(KeyFailedToSign {
                subject: self.subject.clone(),
                cause,
            })))
        })
    }

    fn scheme(&self) -> SignatureScheme {
        self.signer.scheme()
    }
}

/// Runs a signature that may block (a round trip to a token or a KMS).
///
/// rustls signs synchronously, inside the poll of the handshake. On a
/// multi-threaded tokio runtime the call goes through
/// `tokio::task::block_in_place`: the worker thread hands its other tasks
/// to another worker before it blocks, so they keep running. On a
/// current-thread runtime (or outside tokio) there is no other thread to
/// hand them to, and the signature runs in place: a slow signer there
/// stalls that runtime for as long as it takes.
pub(crate) fn sign_off_runtime<T>(sign: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(sign)
        }
        _ => sign(),
    }
}
