//! The RFC 4516 URL parser: no panic; printing then re-parsing gives the
//! same URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokio_ldap::proto::url::LdapUrl;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = LdapUrl::parse_list(s);
    let Ok(url) = s.parse::<LdapUrl>() else {
        return;
    };
    let printed = url.to_string();
    let again: LdapUrl = printed.parse().expect("printed URL parses");
    assert_eq!(url, again, "{s:?} printed as {printed:?}");
});
