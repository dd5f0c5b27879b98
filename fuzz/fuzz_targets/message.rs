//! `LdapMessage::decode` on arbitrary bytes: no panic; and whatever
//! decodes re-encodes to bytes that decode to the same value.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tokio_ldap::proto::LdapMessage;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = LdapMessage::decode(Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut out = Vec::new();
    msg.encode(&mut out);
    let again = LdapMessage::decode(Bytes::from(out)).expect("re-encoded message decodes");
    assert_eq!(msg, again);
});
