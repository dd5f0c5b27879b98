//! The top of `proto`: the `LDAPMessage` envelope, which carries one
//! protocol operation and its controls.

use bytes::Bytes;

use crate::ber::{Class, DecodeError, DecodeErrorKind, Limits, Reader, Tag, Writer};
use crate::proto::codec::{next_tag, read_message_id, Budget, Frame, MessageId};
use crate::proto::controls::{decode_controls, encode_controls, Control};
use crate::proto::op::{self, ProtocolOp};

/// One LDAP PDU: `LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0] OPTIONAL }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LdapMessage {
    /// The message ID.
    pub id: MessageId,
    /// The operation.
    pub op: ProtocolOp,
    /// Controls attached to the message (empty when absent).
    pub controls: Vec<Control>,
}

impl LdapMessage {
    /// A message without controls.
    pub fn new(id: MessageId, op: ProtocolOp) -> Self {
        Self {
            id,
            op,
            controls: Vec::new(),
        }
    }

    /// Decodes one complete PDU with [`Limits::DEFAULT`].
    ///
    /// Every string and value of the result is a slice of `frame`: nothing
    /// is copied except simple-bind passwords (which go into a
    /// [`Password`](crate::proto::Password) that is wiped on drop). Bytes
    /// after the message are an error.
    pub fn decode(frame: Bytes) -> Result<Self, DecodeError> {
        Self::decode_with_limits(frame, Limits::DEFAULT)
    }

    /// Decodes one complete PDU, with the given length and depth limits.
    pub fn decode_with_limits(frame: Bytes, limits: Limits) -> Result<Self, DecodeError> {
        // The bulk of a large search: entries in the usual shape (see
        // `fast_entry_parts`). A DN that is not UTF-8 goes the general way,
        // which reports it.
        if let Some((id, dn, list, len)) = op::fast_entry_parts(&frame, limits) {
            // (Nothing on this path allocates: no budget to keep.)
            let budget = Budget::for_len(0);
            let src = Frame(&frame, &budget);
            // (The offset only places an error, which the general way reports.)
            if let (Ok(dn), Some(at)) = (src.string(dn, 0), src.range_of(list)) {
                // The frame itself becomes the attribute list: narrowing it
                // in place spares a reference count up and one down.
                let mut list = frame;
                list.truncate(at.end);
                bytes::Buf::advance(&mut list, at.start);
                return Ok(Self {
                    id: MessageId(id),
                    op: ProtocolOp::SearchResultEntry(op::SearchResultEntry {
                        dn,
                        attributes: op::AttributeList::from_checked(list, len),
                    }),
                    controls: Vec::new(),
                });
            }
        }
        Self::decode_general(frame, limits)
    }

    /// [`decode_with_limits`](Self::decode_with_limits) without the fast
    /// path for search entries.
    pub(crate) fn decode_general(frame: Bytes, limits: Limits) -> Result<Self, DecodeError> {
        let budget = Budget::for_len(frame.len());
        Self::decode_budgeted(frame, limits, &budget)
    }

    /// [`decode_general`](Self::decode_general) charging the `Vec`s it
    /// fills to `budget` (which the tests read afterwards).
    pub(crate) fn decode_budgeted(
        frame: Bytes,
        limits: Limits,
        budget: &Budget,
    ) -> Result<Self, DecodeError> {
        let src = Frame(&frame, budget);
        let mut r = Reader::with_limits(&frame, limits);
        // LDAPMessage ::= SEQUENCE {
        //      messageID       MessageID,
        //      protocolOp      CHOICE { ... },
        //      controls       [0] Controls OPTIONAL }
        //
        // (Read without a closure, so that the operation, a large value, is
        // not moved through one more `Result`.)
        let tlv = r.element(Tag::SEQUENCE)?;
        let mut m = tlv.reader(&r)?;
        let id = read_message_id(&mut m, Tag::INTEGER)?;
        let op = ProtocolOp::decode(&mut m, src)?;
        let controls = match m.peek_tag()? {
            Some(CONTROLS) => m.sequence(CONTROLS, |r| decode_controls(r, src))?,
            _ => Vec::new(),
        };
        m.finish()?;
        r.finish()?;
        Ok(Self { id, op, controls })
    }

    /// Appends the encoding of this message to `out`: definite, minimal
    /// lengths; the controls field is left out when there are none.
    pub fn encode(&self, out: &mut Vec<u8>) {
        Writer::new(out).sequence(Tag::SEQUENCE, |w| {
            w.integer(Tag::INTEGER, i64::from(self.id.0));
            self.op.encode(w);
            if !self.controls.is_empty() {
                w.sequence(CONTROLS, |w| encode_controls(&self.controls, w));
            }
        });
    }

    /// The encoding of this message, in a new `Vec`.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads only the message ID and the tag of the protocol operation of
    /// a PDU, without decoding (or validating) the rest: enough to route a
    /// response to the operation waiting for it.
    ///
    /// The tag's class is always APPLICATION;
    /// [`ProtocolOp::name_of_tag`] names it.
    pub fn peek_id_and_tag(frame: &[u8]) -> Result<(MessageId, Tag), DecodeError> {
        let mut r = Reader::new(frame);
        let body = r.element(Tag::SEQUENCE)?;
        let mut r = body.reader(&r)?;
        let id = read_message_id(&mut r, Tag::INTEGER)?;
        let (tag, offset) = next_tag(&r)?;
        if tag.class != Class::Application {
            return Err(DecodeError::new(
                DecodeErrorKind::UnknownChoice {
                    field: "protocolOp",
                    found: tag,
                },
                offset,
            ));
        }
        Ok((id, tag))
    }
}

/// `controls [0] Controls` in `LDAPMessage`.
const CONTROLS: Tag = Tag::context(0).constructed();

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
