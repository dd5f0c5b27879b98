//! DER-encoded X.501 `Name`s: their RFC 4514 text (through the crate's DN
//! type), and [`TrustedCa`], a CA name as a server sends it.

use std::fmt;
use std::sync::OnceLock;

use crate::error::ErrorText;
use crate::proto::Dn;

/// The RFC 4514 string of a DER `Name` (outer SEQUENCE included), most
/// specific RDN first, e.g. `CN=Test CA-A,O=Example Test,DC=example,DC=com`.
///
/// Returns `None` when the bytes are not exactly one DER `Name`.
pub(crate) fn rfc4514_from_der(der: &[u8]) -> Option<String> {
    if der.first() != Some(&0x30) {
        return None;
    }
    Dn::from_der_name(der).ok().map(|dn| dn.to_string())
}

/// `#` followed by the lowercase hex of `bytes`.
pub(crate) fn hex_string(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(1 + 2 * bytes.len());
    out.push('#');
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A certificate authority the server named in its CertificateRequest.
///
/// [`der`](Self::der) is the DER `Name` exactly as the server sent it (outer
/// SEQUENCE included), which is byte for byte the CA certificate's subject.
/// `Display` gives the RFC 4514 string, most specific part first, e.g.
/// `CN=Test CA-A,O=Example Test,DC=example,DC=com`; a name that does not
/// parse is displayed as `#` followed by the hex of its bytes.
#[derive(Clone)]
pub struct TrustedCa {
    der: Vec<u8>,
    /// The RFC 4514 form, rendered on first use: most handshakes only
    /// compare DER bytes (`ClientCert::issued_by`), so the text is built
    /// only for messages, logs and `Display`.
    text: OnceLock<Option<String>>,
}

impl PartialEq for TrustedCa {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for TrustedCa {}

impl std::hash::Hash for TrustedCa {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.der.hash(state);
    }
}

impl TrustedCa {
    /// A CA name from its DER encoding (a `Name`, outer SEQUENCE included).
    /// Any bytes are accepted, as from the server.
    pub fn from_der(der: impl Into<Vec<u8>>) -> Self {
        Self {
            der: der.into(),
            text: OnceLock::new(),
        }
    }

    /// The DER `Name` as sent, outer SEQUENCE included.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The RFC 4514 string, or `None` if the bytes are not a DER `Name`.
    pub fn name(&self) -> Option<&str> {
        self.text
            .get_or_init(|| rfc4514_from_der(&self.der))
            .as_deref()
    }
}

impl fmt::Display for TrustedCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(text) => f.write_str(text),
            None => f.write_str(&hex_string(&self.der)),
        }
    }
}

impl fmt::Debug for TrustedCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustedCa({self})")
    }
}

/// `A; B; C` (DNs contain commas, so the list uses semicolons): the first
/// [`ErrorText::MAX_CAS_SHOWN`] names, then `and N more`.
pub(crate) fn ca_list(cas: &[TrustedCa]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (i, ca) in cas.iter().take(ErrorText::MAX_CAS_SHOWN).enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{ca}");
    }
    if let Some(more) = cas
        .len()
        .checked_sub(ErrorText::MAX_CAS_SHOWN)
        .filter(|n| *n > 0)
    {
        let _ = write!(out, "; and {more} more");
    }
    out
}

/// `it trusts: A; B` or `it named no CAs`.
pub(crate) fn trusts(cas: &[TrustedCa]) -> String {
    if cas.is_empty() {
        "it named no CAs".to_owned()
    } else {
        format!("it trusts: {}", ca_list(cas))
    }
}
