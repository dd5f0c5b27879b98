//! Controls (RFC 4511 §4.1.11): the wire form, [`Control`], and the typed
//! controls tokio-ldap can build and parse.
//!
//! Every typed control has the same shape:
//!
//! * `T::OID`, its OID (also listed, with others, in [`oid`]);
//! * `impl From<T> for Control` and `T::to_control(&self)`: the wire form,
//!   with the criticality given in `T`'s documentation (change it with
//!   [`Control::with_criticality`]);
//! * `T::from_control(&Control) -> Result<T, DecodeError>` and
//!   `impl TryFrom<&Control> for T`: parses the wire form, failing on
//!   another OID or a malformed value. Parsed values are slices of the
//!   control's value (no copies).
//! * `impl` [`TypedControl`] `for T`: what a response's controls are looked
//!   up by (`response.control::<T>()`, on a
//!   [`Response`](crate::Response), an [`LdapError`](crate::LdapError), a
//!   [`SearchDone`](crate::SearchDone) or [`SearchResults`](crate::SearchResults)).
//!
//! Controls without a type here stay raw [`Control`]s.
//!
//! ```
//! use tokio_ldap::proto::controls::{Control, PagedResults};
//!
//! let request: Control = PagedResults::new(500, Vec::new()).into();
//! assert_eq!(request.oid, PagedResults::OID);
//! // ... and on the SearchResultDone:
//! let response = request.clone();
//! let paged = PagedResults::from_control(&response)?;
//! assert!(paged.cookie.is_empty()); // no more pages
//! # Ok::<(), tokio_ldap::ber::DecodeError>(())
//! ```
//!
//! The files: `generic.rs` (the wire form [`Control`] and the `Controls`
//! list), [`oid`], and one file per typed control family: `paged.rs`
//! (RFC 2696), `sort.rs` (RFC 2891), `authz.rs` (RFC 4370),
//! `assertion.rs` (RFC 4528),
//! `read_entry.rs` (RFC 4527), `ppolicy.rs` (password policy),
//! `sync.rs` (RFC 4533 controls) and `sync_info.rs` (its intermediate
//! message), `psearch.rs` (persistent search), `vlv.rs` (virtual list
//! view), `authz_id.rs` (the RFC 3829 response) and `flags.rs` (the
//! controls without a value: ManageDsaIT (RFC 3296), the RFC 3829
//! request, tree delete, relax rules, don't-use-copy; and subentries).

use crate::ber::DecodeError;

mod assertion;
mod authz;
mod authz_id;
mod flags;
mod generic;
pub mod oid;
mod paged;
mod ppolicy;
mod psearch;
mod read_entry;
mod sort;
mod sync;
mod sync_info;
mod vlv;

pub use assertion::Assertion;
pub use authz::ProxiedAuthz;
pub use authz_id::AuthzIdResponse;
pub use flags::{AuthzIdRequest, DontUseCopy, ManageDsaIt, RelaxRules, Subentries, TreeDelete};
pub(crate) use generic::{decode_controls, encode_controls};
pub use generic::{Control, TypedControl};
pub use paged::PagedResults;
pub use ppolicy::{
    PasswordPolicyError, PasswordPolicyRequest, PasswordPolicyResponse, PasswordPolicyWarning,
};
pub use psearch::{ChangeType, ChangeTypes, EntryChangeNotification, PersistentSearch};
pub use read_entry::{PostRead, PreRead, ReadEntry};
pub use sort::{SortKey, SortRequest, SortResponse};
pub use sync::{SyncDone, SyncMode, SyncRequest, SyncState, SyncStateKind, SyncUuid};
pub use sync_info::SyncInfo;
pub use vlv::{VlvRequest, VlvResponse, VlvTarget};

/// `From<T> for Control`, `From<&T> for Control`, `TryFrom<&Control>
/// for T` and [`TypedControl`], for every typed control `T`. A type with
/// no `OID` of its own, or answering to several, is listed as
/// `T => [OID, OTHER_OIDS...]`.
macro_rules! conversions {
    ($($t:ty $(=> [$oid:expr $(, $more:expr)*])?),* $(,)?) => {$(
        impl From<$t> for Control {
            fn from(c: $t) -> Self {
                c.to_control()
            }
        }

        impl From<&$t> for Control {
            fn from(c: &$t) -> Self {
                c.to_control()
            }
        }

        impl TryFrom<&Control> for $t {
            type Error = DecodeError;

            fn try_from(c: &Control) -> Result<Self, DecodeError> {
                Self::from_control(c)
            }
        }

        impl TypedControl for $t {
            const OID: &'static str = conversions!(@oid $t $(, $oid)?);

            fn has_oid(oid: &str) -> bool {
                oid == Self::OID $($(|| oid == $more)*)?
            }

            fn from_control(c: &Control) -> Result<Self, DecodeError> {
                <$t>::from_control(c)
            }
        }
    )*};
    (@oid $t:ty) => { <$t>::OID };
    (@oid $t:ty, $oid:expr) => { $oid };
}

conversions!(
    PagedResults,
    SortRequest,
    SortResponse,
    ProxiedAuthz,
    ManageDsaIt,
    Assertion,
    PreRead,
    PostRead,
    ReadEntry => [oid::POST_READ, oid::PRE_READ],
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
