//! The request handling of `tokio_ldap::testkit::TestServer` on arbitrary
//! client bytes: framing, limits, decoding and every operation on the
//! in-memory directory, without IO. No panic, and every answer the server
//! gives encodes to a message that decodes. The first byte chooses the
//! session (bit 0 TLS, bit 1 a client certificate, bit 2 an ldapi peer);
//! the rest is what the client sends.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tokio_ldap::testkit::test_server::fuzz_requests(data);
});
