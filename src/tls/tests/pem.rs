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
