//! The RFC 4514 DN parser: no panic; printing then re-parsing gives the
//! same DN. Also the DER Name path used for certificate hints.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokio_ldap::proto::dn::Dn;

fuzz_target!(|data: &[u8]| {
    if let Ok(dn) = Dn::from_der_name(data) {
        let _ = dn.to_string();
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(dn) = s.parse::<Dn>() else { return };
    let printed = dn.to_string();
    let again: Dn = printed.parse().expect("printed DN parses");
    assert_eq!(dn, again, "{s:?} printed as {printed:?}");
});
