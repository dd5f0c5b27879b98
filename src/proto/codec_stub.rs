// Temporary: replaced by the real codec.
#![allow(missing_docs, clippy::all)]
use bytes::Bytes;
use crate::ber::{DecodeError, DecodeErrorKind};
use crate::proto::LdapMessage;
impl LdapMessage {
    pub fn decode(_frame: Bytes) -> Result<LdapMessage, DecodeError> {
        Err(DecodeError::new(DecodeErrorKind::BadInteger, 0))
    }
    pub fn encode(&self, _out: &mut Vec<u8>) {}
}
impl LdapMessage {
    pub fn decode_with_limits(frame: Bytes, _l: crate::ber::Limits) -> Result<LdapMessage, DecodeError> { Self::decode(frame) }
}
pub mod extended {
    pub const START_TLS: &str = "1.3.6.1.4.1.1466.20037";
    pub const NOTICE_OF_DISCONNECTION: &str = "1.3.6.1.4.1.1466.20036";
    pub const WHO_AM_I: &str = "1.3.6.1.4.1.4203.1.11.3";
}
