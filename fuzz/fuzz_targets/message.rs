//! `LdapMessage::decode` on arbitrary bytes: no panic; and whatever
//! decodes re-encodes to bytes that decode to the same value. The same for
//! the typed controls, extended operations and Sync Info messages found in
//! a decoded message.
//! And the decoder's fast path for search entries agrees with the general
//! one.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tokio_ldap::proto::controls::{
    Assertion, AuthzIdRequest, AuthzIdResponse, DontUseCopy, EntryChangeNotification, ManageDsaIt,
    PagedResults, PasswordPolicyRequest, PasswordPolicyResponse, PersistentSearch, PostRead,
    PreRead, ProxiedAuthz, ReadEntry, RelaxRules, SortRequest, SortResponse, Subentries, SyncDone,
    SyncInfo, SyncRequest, SyncState, TreeDelete, VlvRequest, VlvResponse,
};
use tokio_ldap::proto::extended::{NoticeOfDisconnection, PasswordModify, StartTls, WhoAmI};
use tokio_ldap::proto::{LdapMessage, ProtocolOp};

/// Every typed control that parses from `$c` prints back to a control that
/// parses to the same value.
macro_rules! typed_controls {
    ($c:expr, $($t:ty),*) => {$(
        if let Ok(v) = <$t>::from_control($c) {
            let again = <$t>::from_control(&v.to_control())
                .unwrap_or_else(|e| panic!("printed {} does not parse: {e}", stringify!($t)));
            assert_eq!(v, again);
        }
    )*};
}

fuzz_target!(|data: &[u8]| {
    tokio_ldap::fuzzing::check_entry_fast_path(data);
    let Ok(msg) = LdapMessage::decode(Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut out = Vec::new();
    msg.encode(&mut out);
    let again = LdapMessage::decode(Bytes::from(out)).expect("re-encoded message decodes");
    assert_eq!(msg, again);

    for c in &msg.controls {
        typed_controls!(
            c,
            PagedResults,
            SortRequest,
            SortResponse,
            ProxiedAuthz,
            ManageDsaIt,
            Assertion,
            PreRead,
            PostRead,
            ReadEntry,
            PasswordPolicyRequest,
            PasswordPolicyResponse,
            SyncRequest,
            SyncState,
            SyncDone,
            PersistentSearch,
            EntryChangeNotification,
            VlvRequest,
            VlvResponse,
            TreeDelete,
            RelaxRules,
            DontUseCopy,
            Subentries,
            AuthzIdRequest,
            AuthzIdResponse
        );
    }
    match &msg.op {
        ProtocolOp::ExtendedRequest(req) => {
            if let Ok(p) = PasswordModify::from_request(req) {
                let again = PasswordModify::from_request(&p.to_request())
                    .expect("printed PasswordModify parses");
                assert_eq!(p, again);
            }
        }
        ProtocolOp::ExtendedResponse(resp) => {
            let _ = StartTls::parse_response(resp);
            let _ = WhoAmI::parse_response(resp);
            let _ = PasswordModify::parse_response(resp);
            if let Some(notice) = NoticeOfDisconnection::from_message(&msg) {
                assert_eq!(
                    NoticeOfDisconnection::from_message(&notice.to_message()),
                    Some(notice)
                );
            }
        }
        ProtocolOp::IntermediateResponse(ir) => {
            if let Ok(info) = SyncInfo::from_intermediate(ir) {
                let again = SyncInfo::from_intermediate(&info.to_intermediate())
                    .expect("printed SyncInfo parses");
                assert_eq!(info, again);
            }
        }
        _ => {}
    }
});
