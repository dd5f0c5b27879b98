//! The RFC 4515 filter parser: no panic; printing then re-parsing gives
//! the same filter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokio_ldap::proto::filter::Filter;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(f) = s.parse::<Filter>() else { return };
    let printed = f.to_string();
    let again: Filter = printed.parse().expect("printed filter parses");
    assert_eq!(f, again, "{s:?} printed as {printed:?}");
});
