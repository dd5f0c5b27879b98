//! Entry points for the fuzz targets in `fuzz/` (built only with
//! `--cfg fuzzing`, which cargo-fuzz sets, and for the unit tests, which
//! run the committed seeds through them).

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::conn::{Connection, Event, Settings};
use crate::proto::extended::{StartTls, WhoAmI};
use crate::proto::{
    BindAuth, BindRequest, ByteString, DerefAliases, Filter, MessageId, Password, ProtocolOp,
    Scope, SearchRequest,
};

/// The fast path for search entries in [`LdapMessage::decode_with_limits`]
/// against the general decoder, under the default limits and tight ones:
/// the same message, or the same error.
pub fn check_entry_fast_path(data: &[u8]) {
    use crate::ber::Limits;
    let frame = Bytes::copy_from_slice(data);
    for limits in [
        Limits::DEFAULT,
        Limits {
            max_len: 64,
            max_depth: 64,
        },
        Limits {
            max_len: 1 << 20,
            max_depth: 4,
        },
        Limits {
            max_len: 1 << 20,
            max_depth: 5,
        },
    ] {
        let fast = crate::proto::LdapMessage::decode_with_limits(frame.clone(), limits);
        let general = crate::proto::LdapMessage::decode_general(frame.clone(), limits);
        assert_eq!(
            fast, general,
            "fast and general decoders disagree under {limits:?}"
        );
    }
}

/// Submits a fixed set of requests, then feeds `data` as the server's
/// bytes, in chunks whose sizes come from the data itself; a size octet of
/// `0xfa` or more is an action of the client instead (see [`Action`]).
/// At the end the connection closes. Asserts that every operation ended
/// exactly once, and an abandoned one at most once.
pub fn drive_connection(data: &[u8]) {
    let now = Instant::now();
    let mut c = Connection::new(Settings {
        max_message_len: 64 * 1024,
        max_depth: 32,
    });
    let search = ProtocolOp::SearchRequest(SearchRequest {
        base: ByteString::from_static("dc=example,dc=com"),
        scope: Scope::Subtree,
        deref: DerefAliases::Never,
        size_limit: 0,
        time_limit: 0,
        types_only: false,
        filter: Filter::Present(crate::proto::filter::AttributeDescription::OBJECT_CLASS),
        attributes: Vec::new(),
    });
    let mut ops = Ops::default();
    for op in [
        search.clone(),
        ProtocolOp::DelRequest(ByteString::from_static("cn=x")),
        search,
        whoami(),
        ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: ByteString::new(),
            auth: BindAuth::Sasl {
                mechanism: ByteString::from_static("EXTERNAL"),
                credentials: Some(Password::new(Vec::new())),
            },
        }),
    ] {
        ops.submit(&mut c, op, now);
    }
    let mut buf = BytesMut::new();
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        rest = tail;
        if let Some(action) = Action::of(n) {
            match action {
                Action::Timeout => c.handle_timeout(now + Duration::from_secs(10)),
                Action::Abandon => ops.abandon_one(&mut c),
                Action::WhoAmI => ops.submit(&mut c, whoami(), now),
                Action::StartTls => ops.submit(&mut c, start_tls(), now),
                Action::Unbind => c.unbind(),
            }
            ops.record(&mut c, &mut buf);
            continue;
        }
        let take = usize::from(n).clamp(1, tail.len().max(1)).min(tail.len());
        let (chunk, after) = tail.split_at(take);
        buf.extend_from_slice(chunk);
        c.handle_input(&mut buf);
        ops.record(&mut c, &mut buf);
        rest = after;
    }
    c.handle_close(crate::Error::Closed("end of fuzz input".into()));
    ops.record(&mut c, &mut buf);
    ops.check();
}

/// What a size octet of `0xfa` or more asks the client to do.
#[derive(Clone, Copy)]
enum Action {
    /// `0xff`: ten seconds pass (every deadline, five seconds, expires).
    Timeout,
    /// `0xfe`: abandon the oldest operation still running.
    Abandon,
    /// `0xfd`: submit one more WhoAmI.
    WhoAmI,
    /// `0xfc`: submit a StartTLS request (refused while others are
    /// outstanding); on success, the handshake "completes" unless bytes
    /// followed the response, which the driver treats as an attack.
    StartTls,
    /// `0xfb` and `0xfa`: unbind.
    Unbind,
}

impl Action {
    fn of(n: u8) -> Option<Self> {
        Some(match n {
            0xff => Self::Timeout,
            0xfe => Self::Abandon,
            0xfd => Self::WhoAmI,
            0xfc => Self::StartTls,
            0xfa | 0xfb => Self::Unbind,
            _ => return None,
        })
    }
}

/// The operations submitted, and how often each ended.
#[derive(Default)]
struct Ops {
    live: Vec<MessageId>,
    abandoned: Vec<MessageId>,
    all: Vec<MessageId>,
    ended: std::collections::HashMap<MessageId, u32>,
}

impl Ops {
    fn submit(&mut self, c: &mut Connection, op: ProtocolOp, now: Instant) {
        if let Ok(id) = c.submit(op, Vec::new(), now, Some(Duration::from_secs(5))) {
            self.live.push(id);
            self.all.push(id);
        }
    }

    fn abandon_one(&mut self, c: &mut Connection) {
        if let Some(pos) = self.live.iter().position(|id| !self.ended.contains_key(id)) {
            let id = self.live.remove(pos);
            c.abandon(id);
            self.abandoned.push(id);
        }
    }

    /// Takes every event and the bytes to send, as the driver does.
    fn record(&mut self, c: &mut Connection, buf: &mut BytesMut) {
        while let Some(ev) = c.poll_event() {
            match ev {
                Event::Done(id, _) => *self.ended.entry(id).or_insert(0) += 1,
                Event::StartTlsReady if buf.is_empty() => c.tls_established(),
                Event::StartTlsReady => c.handle_close(crate::Error::Closed(
                    "bytes after the StartTLS response".into(),
                )),
                _ => {}
            }
        }
        let mut out = Vec::new();
        c.poll_transmit(&mut out);
    }

    fn check(&self) {
        for id in &self.all {
            let n = self.ended.get(id).copied().unwrap_or(0);
            if self.abandoned.contains(id) {
                assert!(n <= 1, "abandoned operation {id} ended {n} times");
            } else {
                assert_eq!(n, 1, "operation {id} ended {n} times");
            }
        }
    }
}

fn whoami() -> ProtocolOp {
    ProtocolOp::ExtendedRequest(WhoAmI::request())
}

fn start_tls() -> ProtocolOp {
    ProtocolOp::ExtendedRequest(StartTls::request())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::LdapMessage;

    /// An entry message, built from arbitrary names and values.
    fn entry_message(id: i32, dn: &str, attrs: &[(String, Vec<Vec<u8>>)]) -> Vec<u8> {
        let entry = crate::proto::SearchResultEntry::new(
            dn.to_owned(),
            attrs
                .iter()
                .map(|(n, vs)| crate::proto::Attribute::new(n, vs.iter()))
                .collect(),
        );
        LdapMessage::new(MessageId(id), ProtocolOp::SearchResultEntry(entry)).to_vec()
    }

    proptest::proptest! {
        /// The fast path for entries and the general decoder agree on
        /// entries, and on entries with bytes changed anywhere.
        #[test]
        fn entry_fast_path_agrees_with_the_general_decoder(
            id in 0i32..=i32::MAX,
            dn in "[ -~]{0,40}",
            attrs in proptest::collection::vec(
                ("[a-zA-Z][a-zA-Z0-9;-]{0,12}", proptest::collection::vec(
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), 0..4)),
                0..6),
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), 1u8..=255), 0..3),
            cut in proptest::prelude::any::<usize>(),
        ) {
            let mut bytes = entry_message(id, &dn, &attrs);
            proptest::prop_assert!(
                crate::proto::fast_entry_parts(&bytes, crate::ber::Limits::DEFAULT).is_some()
            );
            check_entry_fast_path(&bytes);
            for (at, x) in flips {
                let n = bytes.len();
                bytes[at % n] ^= x;
                check_entry_fast_path(&bytes);
            }
            check_entry_fast_path(&bytes[..cut % (bytes.len() + 1)]);
        }
    }

    /// Lengths in the long forms servers also use (Active Directory's
    /// `84 00 00 00 xx`), a message ID with a redundant leading zero, a DN
    /// that is not UTF-8, and controls after the entry: the fast path takes
    /// what it can and the general decoder agrees.
    #[test]
    fn entry_fast_path_on_unusual_encodings() {
        let attrs = vec![("cn".to_owned(), vec![b"a".to_vec()])];
        let plain = entry_message(7, "cn=a", &attrs);
        // Re-encode every length of the plain message as 84 00 00 00 xx.
        // (Every tag here is one octet: the one at the element's offset.)
        fn long_forms(input: &[u8], r: &mut crate::ber::Reader<'_>, out: &mut Vec<u8>) {
            while !r.is_empty() {
                let tlv = r.tlv().expect("valid");
                out.push(input[tlv.offset]);
                let mut inner = Vec::new();
                if tlv.tag.constructed {
                    long_forms(input, &mut tlv.reader(r).expect("valid"), &mut inner);
                } else {
                    inner.extend_from_slice(tlv.value);
                }
                out.push(0x84);
                out.extend_from_slice(&u32::try_from(inner.len()).expect("small").to_be_bytes());
                out.extend_from_slice(&inner);
            }
        }
        let fast = |bytes: &[u8]| {
            crate::proto::fast_entry_parts(bytes, crate::ber::Limits::DEFAULT).is_some()
        };
        assert!(fast(&plain), "the usual shape takes the fast path");
        let mut ad = Vec::new();
        long_forms(&plain, &mut crate::ber::Reader::new(&plain), &mut ad);
        assert!(fast(&ad), "so do four-octet lengths");
        let decoded = LdapMessage::decode(Bytes::from(ad.clone())).expect("AD form decodes");
        assert_eq!(decoded.id, MessageId(7));
        check_entry_fast_path(&ad);

        let mut padded_id = plain.clone();
        // 30 LL 02 01 07 -> 30 LL+1 02 02 00 07
        padded_id.splice(2..5, [0x02, 0x02, 0x00, 0x07]);
        padded_id[1] += 1;
        assert_eq!(
            LdapMessage::decode(Bytes::from(padded_id.clone()))
                .expect("decodes")
                .id,
            MessageId(7)
        );
        assert!(fast(&padded_id));
        check_entry_fast_path(&padded_id);

        let mut latin1 = entry_message(7, "cn=x", &attrs);
        let at = latin1.windows(4).position(|w| w == b"cn=x").expect("dn");
        latin1[at + 3] = 0xe9;
        let err = LdapMessage::decode(Bytes::from(latin1.clone())).expect_err("not UTF-8");
        assert!(err.to_string().contains("UTF-8"), "{err}");
        check_entry_fast_path(&latin1);

        let with_control = LdapMessage {
            controls: vec![crate::proto::Control::new("1.2.3", None)],
            ..LdapMessage::decode(Bytes::from(plain)).expect("decodes")
        };
        assert!(!fast(&with_control.to_vec()), "controls go the general way");
        check_entry_fast_path(&with_control.to_vec());
    }

    /// Every committed seed of the `connection` target holds the target's
    /// invariants (the fuzz smoke runs them too, but only where cargo-fuzz
    /// is installed).
    #[test]
    fn connection_seeds_keep_the_invariants() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/connection");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("fuzz/seeds/connection") {
            let path = entry.expect("seed").path();
            drive_connection(&std::fs::read(&path).expect("seed bytes"));
            n += 1;
        }
        assert!(n >= 17, "only {n} seeds in {}", dir.display());
    }

    /// The scripted StartTLS exchange upgrades the connection, and a WhoAmI
    /// submitted afterwards goes out at once; bytes right after the
    /// StartTLS response close the connection instead.
    #[test]
    fn start_tls_actions_reach_the_upgrade() {
        let now = Instant::now();
        let mut c = Connection::new(Settings::default());
        let mut ops = Ops::default();
        let mut buf = BytesMut::new();
        ops.submit(&mut c, start_tls(), now);
        let mut response = Vec::new();
        LdapMessage {
            id: MessageId(1),
            op: ProtocolOp::ExtendedResponse(StartTls::response(crate::proto::LdapResult::new(
                crate::proto::ResultCode::SUCCESS,
            ))),
            controls: Vec::new(),
        }
        .encode(&mut response);
        buf.extend_from_slice(&response);
        c.handle_input(&mut buf);
        ops.record(&mut c, &mut buf);
        assert!(!c.is_upgrading() && !c.is_closed(), "upgraded and open");
        ops.submit(&mut c, whoami(), now);
        assert_eq!(ops.all, vec![MessageId(1), MessageId(2)]);
        let mut out = Vec::new();
        c.poll_transmit(&mut out);
        let sent = LdapMessage::decode(Bytes::from(out)).expect("one message");
        assert_eq!(sent.id, MessageId(2));
        assert!(matches!(sent.op, ProtocolOp::ExtendedRequest(_)));

        // The same response with a WhoAmI response glued to it.
        let mut c = Connection::new(Settings::default());
        let mut ops = Ops::default();
        ops.submit(&mut c, start_tls(), now);
        buf.clear();
        buf.extend_from_slice(&response);
        buf.extend_from_slice(&response);
        c.handle_input(&mut buf);
        ops.record(&mut c, &mut buf);
        assert!(c.is_closed(), "bytes after the StartTLS response close it");
        ops.check();
    }
}
