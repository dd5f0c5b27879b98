//! PEM loading through `rustls-pki-types` (`PemObject`), with errors that
//! name the file and say what was wrong.

use std::path::Path;

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::Error;

/// Reads a whole file, naming it in the error.
pub(crate) fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|e| Error::Config(format!("cannot read {what} {}: {e}", path.display())))
}

/// Every certificate in `pem`, in order. `source` names where the bytes came
/// from (a file name, or a phrase) for the error message.
pub(crate) fn certs_from_pem(
    pem: &[u8],
    source: &str,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("bad PEM in {source}: {}", describe(&e))))?;
    if certs.is_empty() {
        return Err(Error::Config(format!("no certificate found in {source}")));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in `pem`.
pub(crate) fn key_from_pem(pem: &[u8], source: &str) -> Result<PrivateKeyDer<'static>, Error> {
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => {
            Err(Error::Config(format!("no private key found in {source}")))
        }
        Err(e) => Err(Error::Config(format!(
            "bad PEM in {source}: {}",
            describe(&e)
        ))),
    }
}

fn describe(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line".to_owned(),
        pem::Error::IllegalSectionStart { .. } => "a malformed BEGIN line".to_owned(),
        pem::Error::Base64Decode(_) => "invalid base64".to_owned(),
        pem::Error::NoItemsFound => "nothing found".to_owned(),
        other => other.to_string(),
    }
}
