//! The filter model: [`Filter`] and the assertions it is made of.

use bytes::Bytes;

use crate::proto::filter::attr::{AttributeDescription, MatchingRuleId, NameError};

/// A search filter.
///
/// Its attribute descriptions and matching rules are
/// [`AttributeDescription`]s and [`MatchingRuleId`]s, checked when they
/// are made, so every `Filter` prints (with `Display`) as itself: a name
/// from user input cannot change the filter's structure.
///
/// ```
/// use tokio_ldap::proto::filter::{Ava, Filter};
///
/// let f = Filter::And(vec![
///     Filter::present("objectClass")?,
///     Filter::Equality(Ava::new("uid", "j*)(uid=x")?),
/// ]);
/// assert_eq!(f.to_string(), r"(&(objectClass=*)(uid=j\2a\29\28uid=x))");
/// assert!(Ava::new("a=1)(b", "2").is_err());
/// # Ok::<(), tokio_ldap::proto::filter::NameError>(())
/// ```
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
    Present(AttributeDescription),
    /// `approxMatch [8]`: `(attr~=value)`.
    Approx(Ava),
    /// `extensibleMatch [9]`: `(attr:dn:rule:=value)`.
    Extensible(MatchingRuleAssertion),
}

impl Filter {
    /// `(attribute=*)`, after checking `attribute` (see
    /// [`AttributeDescription::new`]).
    pub fn present(attribute: impl AsRef<str>) -> Result<Self, NameError> {
        Ok(Self::Present(AttributeDescription::new(attribute)?))
    }

    /// `(attribute=value)`, after checking `attribute` (see
    /// [`AttributeDescription::new`]).
    pub fn equality(
        attribute: impl AsRef<str>,
        value: impl AsRef<[u8]>,
    ) -> Result<Self, NameError> {
        Ok(Self::Equality(Ava::new(attribute, value)?))
    }
}

/// `AttributeValueAssertion`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ava {
    /// The attribute description.
    pub attribute: AttributeDescription,
    /// The assertion value (unescaped).
    pub value: Bytes,
}

impl Ava {
    /// The assertion that `attribute` has `value`; fails when `attribute`
    /// is not an attribute description (see [`AttributeDescription::new`]).
    pub fn new(attribute: impl AsRef<str>, value: impl AsRef<[u8]>) -> Result<Self, NameError> {
        Ok(Self {
            attribute: AttributeDescription::new(attribute)?,
            value: Bytes::copy_from_slice(value.as_ref()),
        })
    }
}

/// `SubstringFilter`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Substrings {
    /// The attribute description.
    pub attribute: AttributeDescription,
    /// `initial`: what the value starts with.
    pub initial: Option<Bytes>,
    /// `any`: what it contains, in order.
    pub any: Vec<Bytes>,
    /// `final`: what it ends with.
    pub final_: Option<Bytes>,
}

impl Substrings {
    /// A substrings assertion on `attribute` with no parts yet (set
    /// `initial`, `any` and `final_`); fails when `attribute` is not an
    /// attribute description (see [`AttributeDescription::new`]).
    ///
    /// Leave out empty parts: servers refuse an empty substring (slapd
    /// answers invalidAttributeSyntax), and [`Filter::parse`] refuses
    /// `(cn=a**b)` for that reason.
    pub fn new(attribute: impl AsRef<str>) -> Result<Self, NameError> {
        Ok(Self {
            attribute: AttributeDescription::new(attribute)?,
            initial: None,
            any: Vec::new(),
            final_: None,
        })
    }
}

/// `MatchingRuleAssertion`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchingRuleAssertion {
    /// `matchingRule [1]`.
    pub rule: Option<MatchingRuleId>,
    /// `type [2]`.
    pub attribute: Option<AttributeDescription>,
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
