//! The in-memory directory of a [`TestServer`](crate::testkit::TestServer):
//! entries in the order they were added, loaded from LDIF or built in code,
//! and the operations on them, with the access rules of the crate's slapd
//! test instances.
//!
//! Access: the root DN (default `cn=admin,dc=example,dc=com` / `secret`,
//! see [`Directory::root`]) may do anything. Everyone, anonymous included,
//! reads every entry, except `userPassword`, which only the entry itself
//! and the root DN read (and which anonymous simple binds compare). An
//! entry may modify itself and change its own password; adding,
//! deleting or renaming an entry needs the root DN or the parent entry.

mod entry;
mod filter;
mod ldif;
mod ops;
mod search;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;

pub use self::entry::Entry;
pub(crate) use self::entry::{canonical_name, normalize_dn};
pub use self::search::SearchOutcome;

use crate::proto::dn::Dn;
use crate::testkit::Error;

/// The suffix of [`Directory::example`].
pub const EXAMPLE_SUFFIX: &str = "dc=example,dc=com";

/// The entries of a test server, and who administers them.
///
/// ```
/// use tokio_ldap::testkit::{Directory, Entry};
///
/// let mut dir = Directory::from_ldif(
///     "dn: dc=example,dc=com\nobjectClass: domain\ndc: example\n\n\
///      dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n",
/// )?;
/// dir.insert(
///     Entry::new("uid=dave,ou=people,dc=example,dc=com")?
///         .with("objectClass", ["inetOrgPerson"])
///         .with("uid", ["dave"])
///         .with("userPassword", ["davepw"]),
/// )?;
/// assert_eq!(dir.len(), 3);
/// # Ok::<(), tokio_ldap::testkit::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Directory {
    entries: Vec<Entry>,
    root_dn: Dn,
    root_password: Vec<u8>,
}

impl Default for Directory {
    fn default() -> Self {
        Self::new()
    }
}

impl Directory {
    /// An empty directory whose root DN is `cn=admin,dc=example,dc=com`
    /// with the password `secret`.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
            root_dn: Dn::parse("cn=admin,dc=example,dc=com").unwrap_or_default(),
            root_password: b"secret".to_vec(),
        }
    }

    /// The entries of LDIF content records (see the module docs of the
    /// format), each parent before its children.
    pub fn from_ldif(ldif: &str) -> Result<Self, Error> {
        let mut dir = Self::new();
        dir.load_ldif(ldif)?;
        Ok(dir)
    }

    /// Adds the entries of LDIF content records.
    pub fn load_ldif(&mut self, ldif: &str) -> Result<(), Error> {
        for entry in ldif::parse(ldif)? {
            self.insert(entry)?;
        }
        Ok(())
    }

    /// The content of the crate's slapd test instances: `dc=example,dc=com`,
    /// `ou=people` and `ou=groups` under it, and `uid=alice`, `uid=bob`,
    /// `uid=carol` under `ou=people` (inetOrgPerson; `cn` "Alice Example",
    /// `sn` "Example", `mail` alice@example.com, `userPassword` alicepw,
    /// and so on).
    pub fn example() -> Self {
        let mut ldif = String::from(
            "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\n\
             dc: example\no: Example Test\n\n\
             dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: ou=groups,dc=example,dc=com\nobjectClass: organizationalUnit\nou: groups\n",
        );
        for (uid, cn) in [
            ("alice", "Alice Example"),
            ("bob", "Bob Example"),
            ("carol", "Carol Example"),
        ] {
            ldif.push_str(&format!(
                "\ndn: uid={uid},ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n\
                 uid: {uid}\ncn: {cn}\nsn: Example\nmail: {uid}@example.com\n\
                 userPassword: {uid}pw\n"
            ));
        }
        // The LDIF above is fixed and parses; an error would leave it empty.
        Self::from_ldif(&ldif).unwrap_or_default()
    }

    /// Sets the root DN (which may do anything, and need not exist as an
    /// entry) and its password.
    pub fn root(mut self, dn: &str, password: &str) -> Result<Self, Error> {
        self.root_dn = Dn::parse(dn).map_err(|e| Error::with(format!("root DN {dn:?}"), e))?;
        self.root_password = password.as_bytes().to_vec();
        Ok(self)
    }

    /// Adds an entry: its parent must exist unless the directory holds
    /// no entry above it (a suffix), and its DN must be new.
    pub fn insert(&mut self, entry: Entry) -> Result<(), Error> {
        if self.get(entry.dn()).is_some() {
            return Err(Error::new(format!(
                "{}: the entry exists already",
                entry.dn()
            )));
        }
        if let Some(parent) = entry.dn().parent() {
            let is_suffix = !self.entries.iter().any(|e| entry.dn().is_below(e.dn()));
            if !parent.is_root() && self.get(&parent).is_none() && !is_suffix {
                return Err(Error::new(format!(
                    "{}: the parent entry does not exist",
                    entry.dn()
                )));
            }
        }
        self.entries.push(entry);
        Ok(())
    }

    /// The entry named `dn` (names compare ignoring case).
    pub fn get(&self, dn: &Dn) -> Option<&Entry> {
        self.entries.iter().find(|e| e.dn().eq_ignore_case(dn))
    }

    /// The entry named by the RFC 4514 string `dn`.
    pub fn lookup(&self, dn: &str) -> Option<&Entry> {
        self.get(&Dn::parse(dn).ok()?)
    }

    /// Every entry, in the order added.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn root_dn(&self) -> &Dn {
        &self.root_dn
    }

    pub(crate) fn root_password(&self) -> &[u8] {
        &self.root_password
    }

    pub(crate) fn entries_mut(&mut self) -> &mut Vec<Entry> {
        &mut self.entries
    }

    pub(crate) fn position(&self, dn: &Dn) -> Option<usize> {
        self.entries.iter().position(|e| e.dn().eq_ignore_case(dn))
    }

    /// The deepest existing entry at or above `dn` (the `matchedDN` of a
    /// noSuchObject), as text; empty when none.
    pub(crate) fn matched(&self, dn: &Dn) -> String {
        let mut at = dn.parent();
        while let Some(candidate) = at {
            if candidate.is_root() {
                break;
            }
            if let Some(e) = self.get(&candidate) {
                return e.dn().to_string();
            }
            at = candidate.parent();
        }
        String::new()
    }
}

/// Descent with names compared ignoring case.
trait Below {
    fn is_below(&self, ancestor: &Dn) -> bool;
}

impl Below for Dn {
    fn is_below(&self, ancestor: &Dn) -> bool {
        let skip = self.rdns.len().saturating_sub(ancestor.rdns.len());
        self.rdns.len() > ancestor.rdns.len()
            && self
                .rdns
                .iter()
                .skip(skip)
                .zip(&ancestor.rdns)
                .all(|(a, b)| a.eq_ignore_case(b))
    }
}
