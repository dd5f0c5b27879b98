//! The RFC 4515 filter parser, on any bytes (values need not be UTF-8): no
//! panic; printing then re-parsing gives the same filter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokio_ldap::proto::filter::Filter;

fuzz_target!(|data: &[u8]| {
    let Ok(f) = Filter::parse_bytes(data) else {
        return;
    };
    let printed = f.to_string();
    let again: Filter = printed.parse().expect("printed filter parses");
    assert_eq!(f, again, "{data:?} printed as {printed:?}");
});
