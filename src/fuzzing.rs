//! Entry points for the fuzz targets in `fuzz/` (built only with
//! `--cfg fuzzing`, which cargo-fuzz sets).

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::conn::{Connection, Event, Settings};
use crate::proto::{
    BindAuth, BindRequest, ByteString, DerefAliases, ExtendedRequest, Filter, MessageId,
    ProtocolOp, Scope, SearchRequest,
};

/// Submits a fixed set of requests, feeds `data` as the server's bytes (in
/// chunks whose sizes come from the data itself), then closes; asserts that
/// every operation ended exactly once.
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
        filter: Filter::Present(ByteString::from_static("objectClass")),
        attributes: Vec::new(),
    });
    let mut ids: Vec<MessageId> = Vec::new();
    for op in [
        search.clone(),
        ProtocolOp::DelRequest(ByteString::from_static("cn=x")),
        search,
        ProtocolOp::ExtendedRequest(ExtendedRequest {
            name: ByteString::from_static("1.3.6.1.4.1.4203.1.11.3"),
            value: None,
        }),
        ProtocolOp::BindRequest(BindRequest {
            version: 3,
            name: ByteString::new(),
            auth: BindAuth::Sasl {
                mechanism: ByteString::from_static("EXTERNAL"),
                credentials: Some(Bytes::new()),
            },
        }),
    ] {
        if let Ok(id) = c.submit(op, Vec::new(), now, Some(Duration::from_secs(5))) {
            ids.push(id);
        }
    }
    let mut ended = std::collections::HashMap::new();
    let mut record = |c: &mut Connection| {
        while let Some(ev) = c.poll_event() {
            if let Event::Done(id, _) = ev {
                *ended.entry(id).or_insert(0) += 1;
            }
        }
        let mut out = Vec::new();
        c.poll_transmit(&mut out);
    };
    let mut buf = BytesMut::new();
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let take = usize::from(n).min(tail.len()).max(1).min(tail.len());
        let (chunk, after) = tail.split_at(take);
        buf.extend_from_slice(chunk);
        c.handle_input(&mut buf);
        record(&mut c);
        if n == 0xff {
            c.handle_timeout(now + Duration::from_secs(10));
        }
        rest = after;
        if rest.is_empty() {
            break;
        }
    }
    c.handle_close(crate::Error::Closed("end of fuzz input".into()));
    record(&mut c);
    for id in ids {
        assert_eq!(
            ended.get(&id).copied().unwrap_or(0),
            1,
            "operation {id} ended {:?} times",
            ended.get(&id)
        );
    }
}
