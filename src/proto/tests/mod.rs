//! What the unit tests of `proto` share: golden byte vectors and decode
//! errors of whole messages.

use bytes::Bytes;

use crate::ber::DecodeError;
use crate::proto::LdapMessage;

/// Decodes `bytes`, checks it equals `want`, and that `want` encodes
/// back to exactly `bytes`.
///
/// With `TOKIO_LDAP_GOLDEN_DUMP=path` set, the vectors are also
/// appended to `path` as hex lines, for checking with another codec
/// (see `tests/lber_diff.rs` and the module docs of `proto::op`).
pub(crate) fn golden(bytes: &[u8], want: &LdapMessage) {
    if let Some(path) = std::env::var_os("TOKIO_LDAP_GOLDEN_DUMP") {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        std::io::Write::write_all(&mut f, format!("{hex}\n").as_bytes()).unwrap();
    }
    let got = LdapMessage::decode(Bytes::copy_from_slice(bytes))
        .unwrap_or_else(|e| panic!("{e} in {bytes:02x?}"));
    assert_eq!(&got, want);
    assert_eq!(want.to_vec(), bytes, "encoding of {want:?}");
    let (id, tag) = LdapMessage::peek_id_and_tag(bytes).unwrap();
    assert_eq!((id, tag), (want.id, want.op.tag()));
}

/// Decodes `bytes` and returns the error.
pub(crate) fn decode_err(bytes: &[u8]) -> DecodeError {
    LdapMessage::decode(Bytes::copy_from_slice(bytes)).unwrap_err()
}

mod budget;
