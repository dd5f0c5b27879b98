//! RFC 4514 text of DER names and [`TrustedCa`], with the DER builders for
//! names that the other tests use too.

use crate::tls::name::{ca_list, hex_string, rfc4514_from_der, TrustedCa};

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

#[test]
fn trusted_ca_display() {
    let ca = TrustedCa::from_der(name(&[&[(OID_CN, 0x0c, b"CA")]]));
    assert_eq!(ca.to_string(), "CN=CA");
    assert_eq!(ca.name(), Some("CN=CA"));
    assert_eq!(format!("{ca:?}"), "TrustedCa(CN=CA)");
    let bad = TrustedCa::from_der(vec![0xff, 0x00, 0x01]);
    assert_eq!(bad.to_string(), "#ff0001");
    assert_eq!(bad.name(), None);
    assert_eq!(bad.der(), &[0xff, 0x00, 0x01]);
    assert_eq!(ca_list(&[ca, bad]), "CN=CA; #ff0001");
}

/// Unicode line breaks, bidirectional controls and C0/C1 controls in a CA
/// name the server sent are shown as RFC 4514 `\XX` escapes of their UTF-8
/// octets: a hostile name can neither forge a log line nor reverse the
/// text shown after it.
#[test]
fn trusted_ca_display_escapes_line_breaks_and_bidi_controls() {
    let cases: &[(&str, &str)] = &[
        ("Evil\u{2028}Line", r"CN=Evil\E2\80\A8Line"),
        ("Evil\u{2029}Para", r"CN=Evil\E2\80\A9Para"),
        ("Next\u{85}Line", r"CN=Next\C2\85Line"),
        ("Rev\u{202e}esrever", r"CN=Rev\E2\80\AEesrever"),
        (
            "\u{202a}\u{202b}\u{202c}\u{202d}",
            r"CN=\E2\80\AA\E2\80\AB\E2\80\AC\E2\80\AD",
        ),
        (
            "\u{2066}\u{2067}\u{2068}\u{2069}",
            r"CN=\E2\81\A6\E2\81\A7\E2\81\A8\E2\81\A9",
        ),
        ("C1\u{9b}csi", r"CN=C1\C2\9Bcsi"),
        ("nl\ncr\r", r"CN=nl\0Acr\0D"),
        ("Ünïcödé CA", "CN=Ünïcödé CA"),
    ];
    for (cn, shown) in cases {
        let ca = TrustedCa::from_der(name(&[&[(OID_CN, 0x0c, cn.as_bytes())]]));
        assert_eq!(ca.to_string(), *shown, "{cn:?}");
        assert_eq!(ca.name(), Some(*shown), "{cn:?}");
        assert_eq!(format!("{ca:?}"), format!("TrustedCa({shown})"));
        assert!(!ca.to_string().chars().any(|c| c.is_control()));
    }
}

/// A CA list shows at most `ErrorText::MAX_CAS_SHOWN` names: exactly that
/// many are all shown with nothing after them, one more is counted.
#[test]
fn ca_lists_show_sixteen_names_then_count_the_rest() {
    let max = crate::error::ErrorText::MAX_CAS_SHOWN;
    let cas = |n: usize| -> Vec<TrustedCa> {
        (0..n)
            .map(|i| {
                let cn = format!("CA{i}");
                TrustedCa::from_der(name(&[&[(OID_CN, 0x0c, cn.as_bytes())]]))
            })
            .collect()
    };
    let all: Vec<String> = (0..max).map(|i| format!("CN=CA{i}")).collect();
    assert_eq!(ca_list(&cas(max)), all.join("; "));
    assert_eq!(
        ca_list(&cas(max + 1)),
        format!("{}; and 1 more", all.join("; "))
    );
    assert_eq!(
        ca_list(&cas(max + 5)),
        format!("{}; and 5 more", all.join("; "))
    );
    assert_eq!(ca_list(&[]), "");
}
