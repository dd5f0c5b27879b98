//! The connection state machine fed arbitrary server bytes after a
//! scripted set of requests: no panic, and every pending operation ends
//! in a result or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tokio_ldap::fuzzing::drive_connection(data);
});
