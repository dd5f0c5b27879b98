//! Comparing DNs the way a directory does: [`Dn::eq_ignore_case`], and
//! [`Dn::eq_normalized`] with the string preparation of RFC 4518 for the
//! common string attributes.

use crate::proto::dn::{type_key, AttributeTypeAndValue, Dn, DnValue, Rdn};

/// The attribute types whose values [`Dn::normalized`] prepares, by the
/// key [`type_key`] gives them (the OID for the names it knows, the
/// lower-cased name otherwise), with the matching rule they have in the
/// standard schema. All are string types whose equality ignores case.
const CASE_IGNORE: &[(&str, &str)] = &[
    // caseIgnoreMatch (RFC 4519)
    ("2.5.4.3", "cn"),
    ("2.5.4.4", "sn"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "c"),
    ("2.5.4.7", "l"),
    ("2.5.4.8", "st"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "o"),
    ("2.5.4.11", "ou"),
    ("2.5.4.12", "title"),
    ("2.5.4.42", "givenName"),
    ("0.9.2342.19200300.100.1.1", "uid"),
    ("description", "description"),
    ("2.5.4.13", "description"),
    ("businesscategory", "businessCategory"),
    ("2.5.4.15", "businessCategory"),
    ("initials", "initials"),
    ("2.5.4.43", "initials"),
    ("generationqualifier", "generationQualifier"),
    ("2.5.4.44", "generationQualifier"),
    ("postalcode", "postalCode"),
    ("2.5.4.17", "postalCode"),
    // caseIgnoreIA5Match (RFC 4519, RFC 4524, PKCS #9)
    ("0.9.2342.19200300.100.1.25", "dc"),
    ("mail", "mail"),
    ("rfc822mailbox", "mail"),
    ("0.9.2342.19200300.100.1.3", "mail"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
];

impl Dn {
    /// Compares like `==`, and also ignores the case of string values
    /// (Unicode lower-casing), the way `caseIgnoreMatch` attributes such as
    /// `cn`, `o` and `dc` compare. `#hex` values still compare exactly.
    ///
    /// ```
    /// use tokio_ldap::proto::dn::Dn;
    ///
    /// let a: Dn = "CN=Jane,DC=Example,DC=COM".parse()?;
    /// let b: Dn = "cn=jane,dc=example,dc=com".parse()?;
    /// assert_ne!(a, b);
    /// assert!(a.eq_ignore_case(&b));
    /// # Ok::<(), tokio_ldap::proto::dn::DnError>(())
    /// ```
    pub fn eq_ignore_case(&self, other: &Self) -> bool {
        self.rdns.len() == other.rdns.len()
            && self
                .rdns
                .iter()
                .zip(&other.rdns)
                .all(|(a, b)| a.eq_ignore_case(b))
    }

    /// Whether the two DNs name the same entry for a directory with the
    /// standard schema: `self.normalized() == other.normalized()`.
    ///
    /// ```
    /// use tokio_ldap::proto::dn::Dn;
    ///
    /// let a: Dn = r"CN=Jane\20\20Doe ,OU=People,DC=Example,DC=COM".parse()?;
    /// let b: Dn = "cn=jane doe,ou=people,dc=example,dc=com".parse()?;
    /// assert!(!a.eq_ignore_case(&b)); // the spaces differ
    /// assert!(a.eq_normalized(&b));
    /// // An attribute type it does not know compares exactly.
    /// let c: Dn = "x-id=A,dc=example,dc=com".parse()?;
    /// let d: Dn = "x-id=a,dc=example,dc=com".parse()?;
    /// assert!(!c.eq_normalized(&d));
    /// # Ok::<(), tokio_ldap::proto::dn::DnError>(())
    /// ```
    pub fn eq_normalized(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }

    /// This DN with the string values of the common string attributes
    /// prepared as RFC 4518 prepares them for `caseIgnoreMatch` and
    /// `caseIgnoreIA5Match`, so that `==` (and hashing) on the results
    /// compares as a directory does.
    ///
    /// **Which attributes:** `cn`, `sn`, `givenName`, `initials`,
    /// `generationQualifier`, `serialNumber`, `c`, `l`, `st`, `street`,
    /// `o`, `ou`, `title`, `description`, `businessCategory`, `postalCode`,
    /// `uid`, `dc`, `mail` and `emailAddress`, by name (any case) or OID.
    /// The values of every other type, and `#hex` values, are kept as they
    /// are and compare exactly, as with `==`.
    ///
    /// **What is done** (RFC 4518 §2): characters mapped to nothing are
    /// removed (soft hyphen, zero-width space, variation selectors, object
    /// replacement, the format characters RFC 4518 lists such as the
    /// bidirectional marks, and the control characters other than the ones
    /// below);
    /// tab, line feed, vertical tab, form feed, carriage return, U+0085 and
    /// the Unicode space separators become a space; letters are
    /// lower-cased (Unicode lower-casing, which is case folding for all but
    /// a few characters such as `ß`, which stays); then insignificant
    /// spaces (§2.6.1) are removed: leading and trailing spaces go, and
    /// every inner run of spaces becomes one space (the RFC's two spaces
    /// per run compare the same way).
    ///
    /// **Not covered:** Unicode normalization (NFKC, §2.3: a precomposed
    /// `é` and `e` with a combining accent differ), the prohibited
    /// characters of §2.4 (kept, not refused), the matching rules of other
    /// syntaxes (`telephoneNumberMatch`, `numericStringMatch`, the
    /// case-exact rules), and attribute types defined by a server's own
    /// schema.
    ///
    /// Attribute types are left as written; they already compare by OID
    /// (see [`Dn`]).
    pub fn normalized(&self) -> Self {
        Self {
            rdns: self
                .rdns
                .iter()
                .map(|rdn| Rdn {
                    avas: rdn.avas.iter().map(normalized_ava).collect(),
                })
                .collect(),
        }
    }
}

impl Rdn {
    /// Like `==`, but also ignoring the case of string values; see
    /// [`Dn::eq_ignore_case`].
    pub fn eq_ignore_case(&self, other: &Self) -> bool {
        let key = |ava: &AttributeTypeAndValue| {
            let value = match &ava.value {
                DnValue::String(s) => DnValue::String(s.to_lowercase()),
                v => v.clone(),
            };
            (type_key(&ava.attr_type).into_owned(), value)
        };
        let mut a: Vec<_> = self.avas.iter().map(key).collect();
        let mut b: Vec<_> = other.avas.iter().map(key).collect();
        a.sort();
        b.sort();
        a == b
    }
}

fn normalized_ava(ava: &AttributeTypeAndValue) -> AttributeTypeAndValue {
    let key = type_key(&ava.attr_type);
    let covered = CASE_IGNORE.iter().any(|(k, _)| *k == key);
    let value = match &ava.value {
        DnValue::String(s) if covered => DnValue::String(prepare_case_ignore(s)),
        v => v.clone(),
    };
    AttributeTypeAndValue {
        attr_type: ava.attr_type.clone(),
        value,
    }
}

/// RFC 4518 §2 for `caseIgnoreMatch`, without NFKC and prohibition (see
/// [`Dn::normalized`]).
pub(crate) fn prepare_case_ignore(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.chars() {
        if mapped_to_nothing(c) {
            continue;
        }
        if mapped_to_space(c) {
            // Only a space between two other characters is kept.
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// RFC 4518 §2.2: the characters mapped to nothing.
fn mapped_to_nothing(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{1806}'
            | '\u{034f}'
            | '\u{180b}'..='\u{180d}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{fffc}'
            | '\u{200b}'
            | '\u{0000}'..='\u{0008}'
            | '\u{000e}'..='\u{001f}'
            | '\u{007f}'..='\u{0084}'
            | '\u{0086}'..='\u{009f}'
            | '\u{06dd}'
            | '\u{070f}'
            | '\u{180e}'
            | '\u{200c}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2063}'
            | '\u{206a}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// RFC 4518 §2.2: the characters mapped to SPACE, and SPACE.
fn mapped_to_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{0009}'..='\u{000d}'
            | '\u{0085}'
            | '\u{00a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}
