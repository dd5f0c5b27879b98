//! The filter model: [`Filter`] and the assertions it is made of.

use bytes::Bytes;
use bytestring::ByteString;

/// A search filter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Filter {
    /// `and [0] SET OF Filter`; `(&)` is the absolute true filter (RFC 4526).
    And(Vec<Self>),
    /// `or [1] SET OF Filter`; `(|)` is the absolute false filter.
    Or(Vec<Self>),
    /// `not [2] Filter`.
    Not(Box<Self>),
    /// `equalityMatch [3]`: `(attr=value)`.
    Equality(Ava),
    /// `substrings [4]`: `(attr=ini*any*fin)`.
    Substrings(Substrings),
    /// `greaterOrEqual [5]`: `(attr>=value)`.
    GreaterOrEqual(Ava),
    /// `lessOrEqual [6]`: `(attr<=value)`.
    LessOrEqual(Ava),
    /// `present [7]`: `(attr=*)`.
    Present(ByteString),
    /// `approxMatch [8]`: `(attr~=value)`.
    Approx(Ava),
    /// `extensibleMatch [9]`: `(attr:dn:rule:=value)`.
    Extensible(MatchingRuleAssertion),
}

/// `AttributeValueAssertion`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ava {
    /// The attribute description.
    pub attribute: ByteString,
    /// The assertion value (unescaped).
    pub value: Bytes,
}

impl Ava {
    /// The assertion that `attribute` has `value`.
    pub fn new(attribute: impl Into<ByteString>, value: impl AsRef<[u8]>) -> Self {
        Self {
            attribute: attribute.into(),
            value: Bytes::copy_from_slice(value.as_ref()),
        }
    }
}

/// `SubstringFilter`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Substrings {
    /// The attribute description.
    pub attribute: ByteString,
    /// `initial`: what the value starts with.
    pub initial: Option<Bytes>,
    /// `any`: what it contains, in order.
    pub any: Vec<Bytes>,
    /// `final`: what it ends with.
    pub final_: Option<Bytes>,
}

impl Substrings {
    /// A substrings assertion on `attribute` with no parts yet (set
    /// `initial`, `any` and `final_`).
    pub fn new(attribute: impl Into<ByteString>) -> Self {
        Self {
            attribute: attribute.into(),
            initial: None,
            any: Vec::new(),
            final_: None,
        }
    }
}

/// `MatchingRuleAssertion`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchingRuleAssertion {
    /// `matchingRule [1]`.
    pub rule: Option<ByteString>,
    /// `type [2]`.
    pub attribute: Option<ByteString>,
    /// `matchValue [3]`.
    pub value: Bytes,
    /// `dnAttributes [4]`.
    pub dn_attributes: bool,
}

impl MatchingRuleAssertion {
    /// An extensible match of `value` with neither rule nor attribute
    /// named yet (set `rule`, `attribute` and `dn_attributes`).
    pub fn new(value: impl AsRef<[u8]>) -> Self {
        Self {
            rule: None,
            attribute: None,
            value: Bytes::copy_from_slice(value.as_ref()),
            dn_attributes: false,
        }
    }
}
