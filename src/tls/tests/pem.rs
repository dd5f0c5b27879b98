//! PEM loading: the errors name the file or source.

use std::path::Path;

use crate::tls::pem::{certs_from_pem, key_from_pem, read_file};

#[test]
fn errors_name_the_source() {
    let e = certs_from_pem(b"hello", "alice.crt").unwrap_err();
    assert_eq!(
        e.to_string(),
        "configuration error: no certificate found in alice.crt"
    );
    let e = key_from_pem(b"", "alice.key").unwrap_err();
    assert_eq!(
        e.to_string(),
        "configuration error: no private key found in alice.key"
    );
    let bad = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let e = certs_from_pem(bad, "x.pem").unwrap_err();
    assert!(e.to_string().contains("bad PEM in x.pem"), "{e}");
    let e = read_file(Path::new("/nonexistent/ca.pem"), "CA file").unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot read CA file /nonexistent/ca.pem"),
        "{e}"
    );
}

/// Each kind of malformed PEM is said in words, for certificates and keys.
#[test]
fn malformed_pem_is_described() {
    let cases: [(&[u8], &str); 2] = [
        (
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            "invalid base64",
        ),
        (
            b"-----BEGIN CERTIFICATE-----\nAAAA\n",
            "a section has no END line",
        ),
    ];
    for (pem, said) in cases {
        let e = certs_from_pem(pem, "x.pem").unwrap_err();
        assert!(matches!(e, crate::Error::Config(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("configuration error: bad PEM in x.pem: {said}")
        );
    }
    let e = key_from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n", "x.key").unwrap_err();
    assert!(matches!(e, crate::Error::Config(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "configuration error: bad PEM in x.key: a section has no END line"
    );
}
