use core::fmt;

use bytestring::ByteString;

use crate::ber::{DecodeError, DecodeErrorKind, Reader, Tag, Writer};
use crate::proto::codec::{
    read_int_in, read_string, read_strings, write_strings, Frame, LDAP_DN, LDAP_STRING,
};

/// An LDAP `resultCode` (RFC 4511 §4.1.9, Appendix A).
///
/// An open newtype: every code of RFC 4511 has a named constant, and codes
/// that are not named here (vendor codes from Active Directory or 389-DS,
/// codes from later RFCs) are carried unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResultCode(pub u32);

macro_rules! result_codes {
    ($($name:ident = $n:expr, $text:literal;)*) => {
        impl ResultCode {
            $(
                #[doc = concat!("`", $text, " (", stringify!($n), ")`")]
                pub const $name: Self = Self($n);
            )*

            /// The RFC name of the code, e.g. `"noSuchObject"`, if it has one here.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($n => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

result_codes! {
    SUCCESS = 0, "success";
    OPERATIONS_ERROR = 1, "operationsError";
    PROTOCOL_ERROR = 2, "protocolError";
    TIME_LIMIT_EXCEEDED = 3, "timeLimitExceeded";
    SIZE_LIMIT_EXCEEDED = 4, "sizeLimitExceeded";
    COMPARE_FALSE = 5, "compareFalse";
    COMPARE_TRUE = 6, "compareTrue";
    AUTH_METHOD_NOT_SUPPORTED = 7, "authMethodNotSupported";
    STRONGER_AUTH_REQUIRED = 8, "strongerAuthRequired";
    REFERRAL = 10, "referral";
    ADMIN_LIMIT_EXCEEDED = 11, "adminLimitExceeded";
    UNAVAILABLE_CRITICAL_EXTENSION = 12, "unavailableCriticalExtension";
    CONFIDENTIALITY_REQUIRED = 13, "confidentialityRequired";
    SASL_BIND_IN_PROGRESS = 14, "saslBindInProgress";
    NO_SUCH_ATTRIBUTE = 16, "noSuchAttribute";
    UNDEFINED_ATTRIBUTE_TYPE = 17, "undefinedAttributeType";
    INAPPROPRIATE_MATCHING = 18, "inappropriateMatching";
    CONSTRAINT_VIOLATION = 19, "constraintViolation";
    ATTRIBUTE_OR_VALUE_EXISTS = 20, "attributeOrValueExists";
    INVALID_ATTRIBUTE_SYNTAX = 21, "invalidAttributeSyntax";
    NO_SUCH_OBJECT = 32, "noSuchObject";
    ALIAS_PROBLEM = 33, "aliasProblem";
    INVALID_DN_SYNTAX = 34, "invalidDNSyntax";
    ALIAS_DEREFERENCING_PROBLEM = 36, "aliasDereferencingProblem";
    INAPPROPRIATE_AUTHENTICATION = 48, "inappropriateAuthentication";
    INVALID_CREDENTIALS = 49, "invalidCredentials";
    INSUFFICIENT_ACCESS_RIGHTS = 50, "insufficientAccessRights";
    BUSY = 51, "busy";
    UNAVAILABLE = 52, "unavailable";
    UNWILLING_TO_PERFORM = 53, "unwillingToPerform";
    LOOP_DETECT = 54, "loopDetect";
    NAMING_VIOLATION = 64, "namingViolation";
    OBJECT_CLASS_VIOLATION = 65, "objectClassViolation";
    NOT_ALLOWED_ON_NON_LEAF = 66, "notAllowedOnNonLeaf";
    NOT_ALLOWED_ON_RDN = 67, "notAllowedOnRDN";
    ENTRY_ALREADY_EXISTS = 68, "entryAlreadyExists";
    OBJECT_CLASS_MODS_PROHIBITED = 69, "objectClassModsProhibited";
    AFFECTS_MULTIPLE_DSAS = 71, "affectsMultipleDSAs";
    OTHER = 80, "other";
    CANCELED = 118, "canceled";
    NO_SUCH_OPERATION = 119, "noSuchOperation";
    TOO_LATE = 120, "tooLate";
    CANNOT_CANCEL = 121, "cannotCancel";
    ASSERTION_FAILED = 122, "assertionFailed";
    AUTHORIZATION_DENIED = 123, "authorizationDenied";
}

impl ResultCode {
    /// Whether this code means the operation did what was asked
    /// (`success`, `compareFalse`, `compareTrue`).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Self::SUCCESS | Self::COMPARE_FALSE | Self::COMPARE_TRUE
        )
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "resultCode {}", self.0),
        }
    }
}

impl fmt::Debug for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `LDAPResult` (RFC 4511 §4.1.9).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LdapResult {
    /// `resultCode`.
    pub code: ResultCode,
    /// `matchedDN`.
    pub matched_dn: ByteString,
    /// `diagnosticMessage`.
    pub message: ByteString,
    /// `referral [3]`: the URIs, empty when absent.
    pub referrals: Vec<ByteString>,
}

impl LdapResult {
    /// The same result with `message` as its `diagnosticMessage`.
    #[must_use]
    pub fn with_message(self, message: impl Into<ByteString>) -> Self {
        Self {
            message: message.into(),
            ..self
        }
    }

    /// The same result with `matched_dn` as its `matchedDN`.
    #[must_use]
    pub fn with_matched_dn(self, matched_dn: impl Into<ByteString>) -> Self {
        Self {
            matched_dn: matched_dn.into(),
            ..self
        }
    }

    /// The same result with these `referral` URIs.
    #[must_use]
    pub fn with_referrals<S: Into<ByteString>>(self, uris: impl IntoIterator<Item = S>) -> Self {
        Self {
            referrals: uris.into_iter().map(Into::into).collect(),
            ..self
        }
    }
}

impl LdapResult {
    /// A result with `code` and empty matched DN and message.
    pub fn new(code: ResultCode) -> Self {
        Self {
            code,
            matched_dn: ByteString::new(),
            message: ByteString::new(),
            referrals: Vec::new(),
        }
    }
}

impl LdapResult {
    /// Reads the components of an `LDAPResult` from the contents of the
    /// enclosing SEQUENCE (which the caller has entered: the result is
    /// tagged `[APPLICATION n]` implicitly, or its components are part of a
    /// larger response).
    pub(crate) fn decode_components(
        r: &mut Reader<'_>,
        src: Frame<'_>,
    ) -> Result<Self, DecodeError> {
        // LDAPResult ::= SEQUENCE {
        //      resultCode         ENUMERATED { success (0), ... },
        //      matchedDN          LDAPDN,
        //      diagnosticMessage  LDAPString,
        //      referral           [3] Referral OPTIONAL }
        let code = ResultCode(read_int_in(
            r,
            Tag::ENUMERATED,
            "resultCode",
            0..=i64::from(u32::MAX),
        )?);
        let matched_dn = read_string(r, src, Tag::OCTET_STRING, LDAP_DN)?;
        let message = read_string(r, src, Tag::OCTET_STRING, LDAP_STRING)?;
        let referrals = match r.peek_tag()? {
            Some(REFERRAL) => r.sequence(REFERRAL, |r| read_uris(r, src, "Referral"))?,
            _ => Vec::new(),
        };
        Ok(Self {
            code,
            matched_dn,
            message,
            referrals,
        })
    }

    /// Writes the components of this result (without an enclosing tag).
    pub(crate) fn encode_components(&self, w: &mut Writer<'_>) {
        w.integer(Tag::ENUMERATED, i64::from(self.code.0));
        w.octet_string(Tag::OCTET_STRING, self.matched_dn.as_bytes());
        w.octet_string(Tag::OCTET_STRING, self.message.as_bytes());
        if !self.referrals.is_empty() {
            w.sequence(REFERRAL, |w| {
                write_strings(w, Tag::OCTET_STRING, &self.referrals)
            });
        }
    }
}

/// `referral [3] Referral` in `LDAPResult`.
const REFERRAL: Tag = Tag::context(3).constructed();

/// Reads `SEQUENCE SIZE (1..MAX) OF uri URI` (a `Referral` or a
/// `SearchResultReference`); `what` names it in the error for an empty one.
pub(crate) fn read_uris(
    r: &mut Reader<'_>,
    src: Frame<'_>,
    what: &'static str,
) -> Result<Vec<ByteString>, DecodeError> {
    // URI ::= LDAPString     -- limited to characters permitted in URIs
    if r.is_empty() {
        let kind = match what {
            "Referral" => "Referral must hold at least one URI",
            _ => "SearchResultReference must hold at least one URI",
        };
        return Err(r.error(DecodeErrorKind::InvalidValue(kind)));
    }
    read_strings(r, src, Tag::OCTET_STRING, what, LDAP_STRING)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
