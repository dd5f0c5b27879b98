//! DER-encoded X.501 `Name`s: their RFC 4514 text (through the crate's DN
//! type), and [`TrustedCa`], a CA name as a server sends it.

use std::fmt;
use std::sync::OnceLock;

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

/// `A; B; C` (DNs contain commas, so the list uses semicolons).
pub(crate) fn ca_list(cas: &[TrustedCa]) -> String {
    cas.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `it trusts: A; B` or `it named no CAs`.
pub(crate) fn trusts(cas: &[TrustedCa]) -> String {
    if cas.is_empty() {
        "it named no CAs".to_owned()
    } else {
        format!("it trusts: {}", ca_list(cas))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// DER TLV with a short or long definite length.
    pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend_from_slice(&[0x81, len as u8]);
        } else {
            out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    pub(crate) const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    pub(crate) const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
    pub(crate) const OID_OU: &[u8] = &[0x55, 0x04, 0x0b];
    pub(crate) const OID_DC: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];

    /// One attribute: (OID, string tag, value).
    pub(crate) type Atv<'a> = (&'a [u8], u8, &'a [u8]);

    /// A `Name` from RDNs in DER order, each RDN a list of attributes.
    pub(crate) fn name(rdns: &[&[Atv<'_>]]) -> Vec<u8> {
        let mut seq = Vec::new();
        for rdn in rdns {
            let mut set = Vec::new();
            for (oid, tag, value) in *rdn {
                let mut atv = tlv(0x06, oid);
                atv.extend(tlv(*tag, value));
                set.extend(tlv(0x30, &atv));
            }
            seq.extend(tlv(0x31, &set));
        }
        tlv(0x30, &seq)
    }

    #[test]
    fn most_specific_first() {
        let der = name(&[
            &[(OID_DC, 0x16, b"com")],
            &[(OID_DC, 0x16, b"example")],
            &[(OID_O, 0x0c, b"Example Test")],
            &[(OID_CN, 0x0c, b"Test CA-A")],
        ]);
        assert_eq!(
            rfc4514_from_der(&der).as_deref(),
            Some("CN=Test CA-A,O=Example Test,DC=example,DC=com")
        );
    }

    #[test]
    fn escaping_and_multi_valued() {
        let der = name(&[
            &[(OID_O, 0x0c, b"a,b+c\"d;<e>\\")],
            &[(OID_OU, 0x13, b"people"), (OID_CN, 0x0c, " #x ".as_bytes())],
            &[(OID_CN, 0x0c, "Jos\u{e9}".as_bytes())],
        ]);
        assert_eq!(
            rfc4514_from_der(&der).as_deref(),
            Some("CN=Jos\u{e9},OU=people+CN=\\ #x\\ ,O=a\\,b\\+c\\\"d\\;\\<e\\>\\\\")
        );
        let der = name(&[&[(OID_CN, 0x0c, b"#lead")]]);
        assert_eq!(rfc4514_from_der(&der).as_deref(), Some("CN=\\#lead"));
    }

    #[test]
    fn unknown_type_and_bad_strings_are_hex() {
        // emailAddress 1.2.840.113549.1.9.1 as IA5String.
        let email: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];
        let der = name(&[&[(email, 0x16, b"a@b")], &[(OID_CN, 0x0c, &[0xff, 0xfe])]]);
        assert_eq!(
            rfc4514_from_der(&der).as_deref(),
            Some("CN=#0C02FFFE,1.2.840.113549.1.9.1=#1603614062")
        );
        let der = name(&[&[(OID_CN, 0x1e, &[0x00, 0x41, 0x00, 0x42])]]);
        assert_eq!(rfc4514_from_der(&der).as_deref(), Some("CN=AB"));
    }

    #[test]
    fn not_a_name() {
        assert_eq!(rfc4514_from_der(&[0xff, 0x00, 0x01]), None);
        assert_eq!(rfc4514_from_der(&[]), None);
        let mut der = name(&[&[(OID_CN, 0x0c, b"x")]]);
        der.push(0);
        assert_eq!(rfc4514_from_der(&der), None);
        assert_eq!(rfc4514_from_der(&[0x30, 0x00]).as_deref(), Some(""));
        assert_eq!(hex_string(&[0xff, 0x00, 0x01]), "#ff0001");
    }
}
