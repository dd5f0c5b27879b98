//! An entry of the in-memory directory, and how its values compare: the
//! attribute names and their aliases, and the matching rule each usual
//! attribute has in OpenLDAP's core, cosine, inetorgperson and nis schemas.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::proto::dn::{Dn, DnValue};
use crate::proto::Attribute;
use crate::testkit::Error;

/// How the values of an attribute compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// `caseIgnoreMatch` (and `caseIgnoreIA5Match`): case and insignificant
    /// spaces ignored. The default for any attribute not listed.
    CaseIgnore,
    /// `octetStringMatch`: byte for byte (`userPassword`, certificates,
    /// photos).
    Octets,
    /// `integerMatch` / `integerOrderingMatch`.
    Integer,
    /// `telephoneNumberMatch`: spaces and hyphens ignored too.
    Telephone,
    /// `distinguishedNameMatch`.
    DistinguishedName,
}

/// The short name of an attribute, lower-cased, with its aliases resolved
/// (`commonName` is `cn`), and without options (`;binary`).
pub(crate) fn canonical_name(name: &str) -> String {
    let base = name.split(';').next().unwrap_or(name).to_ascii_lowercase();
    let short = match base.as_str() {
        "commonname" | "2.5.4.3" => "cn",
        "surname" | "2.5.4.4" => "sn",
        "userid" | "0.9.2342.19200300.100.1.1" => "uid",
        "rfc822mailbox" => "mail",
        "organizationname" | "2.5.4.10" => "o",
        "organizationalunitname" | "2.5.4.11" => "ou",
        "localityname" | "2.5.4.7" => "l",
        "countryname" | "2.5.4.6" => "c",
        "domaincomponent" | "0.9.2342.19200300.100.1.25" => "dc",
        "objectclass" | "2.5.4.0" => "objectclass",
        "userpassword" | "2.5.4.35" => "userpassword",
        other => return other.to_owned(),
    };
    short.to_owned()
}

/// The syntax of an attribute by its canonical name.
pub(crate) fn syntax_of(canonical: &str) -> Syntax {
    match canonical {
        "userpassword"
        | "usercertificate"
        | "cacertificate"
        | "jpegphoto"
        | "photo"
        | "audio"
        | "usersmimecertificate"
        | "userpkcs12" => Syntax::Octets,
        "uidnumber" | "gidnumber" => Syntax::Integer,
        "telephonenumber" | "facsimiletelephonenumber" | "mobile" | "homephone" | "pager" => {
            Syntax::Telephone
        }
        "member" | "uniquemember" | "manager" | "owner" | "seealso" | "secretary"
        | "roleoccupant" | "distinguishedname" => Syntax::DistinguishedName,
        _ => Syntax::CaseIgnore,
    }
}

/// The form of a value that equality compares, for `syntax`. Case-ignoring
/// forms drop leading and trailing spaces and fold inner runs of spaces.
pub(crate) fn normalize(syntax: Syntax, value: &[u8]) -> Vec<u8> {
    match syntax {
        Syntax::Octets => value.to_vec(),
        Syntax::CaseIgnore | Syntax::Integer => fold_spaces(&lower(value)),
        Syntax::Telephone => lower(value)
            .into_iter()
            .filter(|b| *b != b' ' && *b != b'-')
            .collect(),
        Syntax::DistinguishedName => match std::str::from_utf8(value).map(Dn::parse) {
            Ok(Ok(dn)) => normalize_dn(&dn).into_bytes(),
            _ => fold_spaces(&lower(value)),
        },
    }
}

/// A DN in one spelling: short lower-case types, lower-case string values.
pub(crate) fn normalize_dn(dn: &Dn) -> String {
    let mut out = Dn::default();
    for rdn in &dn.rdns {
        let mut rdn = rdn.clone();
        for ava in &mut rdn.avas {
            ava.attr_type = canonical_name(&ava.attr_type);
            if let DnValue::String(s) = &ava.value {
                let folded = fold_spaces(&lower(s.as_bytes()));
                ava.value = DnValue::String(String::from_utf8_lossy(&folded).into_owned());
            }
        }
        rdn.avas
            .sort_by_key(|a| (a.attr_type.clone(), a.value.clone()));
        out.rdns.push(rdn);
    }
    out.to_string()
}

fn lower(value: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(value) {
        Ok(s) => s.to_lowercase().into_bytes(),
        Err(_) => value.to_ascii_lowercase(),
    }
}

fn fold_spaces(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for word in value.split(|b| *b == b' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(word);
    }
    out
}

/// Orders two values of `syntax`: integers by value, the rest by their
/// normalized bytes.
pub(crate) fn order(syntax: Syntax, a: &[u8], b: &[u8]) -> Ordering {
    if syntax == Syntax::Integer {
        let int = |v: &[u8]| std::str::from_utf8(v).ok()?.trim().parse::<i128>().ok();
        if let (Some(a), Some(b)) = (int(a), int(b)) {
            return a.cmp(&b);
        }
    }
    normalize(syntax, a).cmp(&normalize(syntax, b))
}

/// One entry of a [`Directory`](super::Directory): its DN and attributes.
///
/// ```
/// use tokio_ldap::testkit::Entry;
///
/// let alice = Entry::new("uid=alice,ou=people,dc=example,dc=com")?
///     .with("objectClass", ["inetOrgPerson"])
///     .with("cn", ["Alice Example"])
///     .with("userPassword", ["alicepw"]);
/// assert_eq!(alice.first_str("CN"), Some("Alice Example"));
/// # Ok::<(), tokio_ldap::testkit::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub(crate) dn: Dn,
    pub(crate) attributes: Vec<Attribute>,
}

impl Entry {
    /// An entry named `dn` (RFC 4514), with no attributes yet.
    pub fn new(dn: &str) -> Result<Self, Error> {
        let dn = Dn::parse(dn).map_err(|e| Error::with(format!("DN {dn:?}"), e))?;
        Ok(Self {
            dn,
            attributes: Vec::new(),
        })
    }

    /// Adds `values` to the attribute `name` (created if missing; values it
    /// holds already are not added twice).
    pub fn with<V: AsRef<[u8]>>(mut self, name: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.add_values(
            name,
            values
                .into_iter()
                .map(|v| Bytes::copy_from_slice(v.as_ref())),
        );
        self
    }

    /// The DN.
    pub fn dn(&self) -> &Dn {
        &self.dn
    }

    /// Every attribute, in the order they were added.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// The attribute `name` (any case, or an alias such as `commonName`).
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        let key = canonical_name(name);
        self.attributes
            .iter()
            .find(|a| canonical_name(&a.name) == key)
    }

    /// The first value of `name`, if it is UTF-8.
    pub fn first_str(&self, name: &str) -> Option<&str> {
        let value = self.get(name)?.values.first()?;
        std::str::from_utf8(value).ok()
    }

    /// Whether the attribute `name` holds `value` (by its matching rule).
    pub fn has_value(&self, name: &str, value: &[u8]) -> bool {
        let syntax = syntax_of(&canonical_name(name));
        let want = normalize(syntax, value);
        self.get(name)
            .is_some_and(|a| a.values.iter().any(|v| normalize(syntax, v) == want))
    }

    /// Adds values, skipping those already held; returns how many were new.
    pub(crate) fn add_values(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = Bytes>,
    ) -> usize {
        let mut added = 0;
        for value in values {
            if self.has_value(name, &value) {
                continue;
            }
            let key = canonical_name(name);
            match self
                .attributes
                .iter_mut()
                .find(|a| canonical_name(&a.name) == key)
            {
                Some(attr) => attr.values.push(value),
                None => self.attributes.push(Attribute {
                    name: name.into(),
                    values: vec![value],
                }),
            }
            added += 1;
        }
        added
    }

    /// Removes `value` from `name` (the attribute goes when empty); whether
    /// it was there.
    pub(crate) fn remove_value(&mut self, name: &str, value: &[u8]) -> bool {
        let key = canonical_name(name);
        let syntax = syntax_of(&key);
        let want = normalize(syntax, value);
        let Some(attr) = self
            .attributes
            .iter_mut()
            .find(|a| canonical_name(&a.name) == key)
        else {
            return false;
        };
        let before = attr.values.len();
        attr.values.retain(|v| normalize(syntax, v) != want);
        let removed = attr.values.len() != before;
        self.attributes.retain(|a| !a.values.is_empty());
        removed
    }

    /// Removes the attribute `name`; whether it was there.
    pub(crate) fn remove_attribute(&mut self, name: &str) -> bool {
        let key = canonical_name(name);
        let before = self.attributes.len();
        self.attributes.retain(|a| canonical_name(&a.name) != key);
        before != self.attributes.len()
    }
}
