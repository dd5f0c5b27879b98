//! Controls that are a flag: ManageDsaIT (RFC 3296), the authorization
//! identity request (RFC 3829 §3), tree delete, relax rules and
//! don't-use-copy have no value; subentries (RFC 3672) has one BOOLEAN.
//!
//! ```text
//! -- subentries, RFC 3672 §3
//! controlValue ::= BOOLEAN   -- visibility
//! ```

use crate::ber::{DecodeError, DecodeErrorKind, Tag};
use crate::proto::controls::generic::{check_oid, decode_value, encode_value, Control};
use crate::proto::controls::oid;

/// A control without a value: its OID, its criticality, and an error text
/// for a value that should not be there.
macro_rules! valueless {
    ($(#[$doc:meta])* $t:ident, $oid:expr, $critical:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $t;

        impl $t {
            /// The control's OID.
            pub const OID: &'static str = $oid;

            /// The wire form, without a value.
            pub fn to_control(&self) -> Control {
                Control::new(Self::OID, None).with_criticality($critical)
            }

            /// Parses the wire form: the control has no value.
            pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
                check_oid(control, Self::OID)?;
                if control.value.is_some() {
                    return Err(DecodeError::new(DecodeErrorKind::InvalidValue($what), 0));
                }
                Ok(Self)
            }
        }
    };
}

valueless!(
    /// ManageDsaIT (RFC 3296): treat referral objects as ordinary entries.
    /// Non-critical; no value (§3: "The control's value is absent").
    ManageDsaIt,
    oid::MANAGE_DSA_IT,
    false,
    "ManageDsaIT has no value"
);

valueless!(
    /// Authorization identity request (RFC 3829 §3), on a bind: ask for the
    /// identity in an [`AuthzIdResponse`](super::AuthzIdResponse) on the
    /// bind result. Non-critical; no value.
    AuthzIdRequest,
    oid::AUTHZ_ID_REQUEST,
    false,
    "the authorization identity request has no value"
);

valueless!(
    /// Tree delete (Active Directory, `LDAP_SERVER_TREE_DELETE_OID`): a
    /// delete removes the entry and everything below it. Critical, so a
    /// server without it refuses instead of answering `notAllowedOnNonLeaf`.
    /// OpenLDAP's slapd 2.5 does not support it.
    TreeDelete,
    oid::TREE_DELETE,
    true,
    "tree delete has no value"
);

valueless!(
    /// Relax rules (draft-zeilenga-ldap-relax, OpenLDAP's OID): an update
    /// may break some schema and structure rules (e.g. set
    /// `NO-USER-MODIFICATION` attributes a server allows relaxing).
    /// Critical, as the draft requires.
    RelaxRules,
    oid::RELAX_RULES,
    true,
    "relax rules has no value"
);

valueless!(
    /// Don't use copy (RFC 6171): read from the authoritative server, not
    /// a shadow copy. Critical, as RFC 6171 §3 requires.
    DontUseCopy,
    oid::DONT_USE_COPY,
    true,
    "don't-use-copy has no value"
);

/// Subentries (RFC 3672 §3): on a search, `visible: true` returns only
/// subentries, `false` only ordinary entries (without the control, a
/// search returns only ordinary entries, except at base scope).
/// Non-critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Subentries {
    /// `visibility`.
    pub visible: bool,
}

impl Subentries {
    /// The control's OID.
    pub const OID: &'static str = oid::SUBENTRIES;

    /// Subentries visible (`true`) or not.
    pub fn new(visible: bool) -> Self {
        Self { visible }
    }

    /// The wire form, non-critical: the value is a BER BOOLEAN.
    pub fn to_control(&self) -> Control {
        let value = encode_value(|w| w.boolean(Tag::BOOLEAN, self.visible));
        Control::new(Self::OID, Some(value))
    }

    /// Parses the wire form.
    pub fn from_control(control: &Control) -> Result<Self, DecodeError> {
        check_oid(control, Self::OID)?;
        decode_value(control, Self::OID, |r, _| {
            Ok(Self {
                visible: r.boolean(Tag::BOOLEAN)?,
            })
        })
    }
}
