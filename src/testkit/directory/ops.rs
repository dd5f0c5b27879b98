//! The operations that read one entry or change the tree: simple bind,
//! compare, add, modify, delete, modify DN and password modify. Each
//! returns the `LDAPResult` to send, with the codes slapd returns.

use bytes::Bytes;

use crate::proto::dn::{Dn, DnValue};
use crate::proto::extended::PasswordModify;
use crate::proto::{
    AddRequest, CompareRequest, LdapResult, ModifyDnRequest, ModifyOp, ModifyRequest, Password,
    ResultCode,
};
use crate::testkit::directory::entry::{canonical_name, Entry};
use crate::testkit::directory::search::readable;
use crate::testkit::directory::{Below, Directory};

fn result(code: ResultCode, message: &str) -> LdapResult {
    let mut r = LdapResult::new(code);
    r.message = message.into();
    r
}

fn parse_dn(text: &str) -> Result<Dn, LdapResult> {
    Dn::parse(text).map_err(|e| result(ResultCode::INVALID_DN_SYNTAX, &format!("invalid DN: {e}")))
}

impl Directory {
    fn no_such_object(&self, dn: &Dn) -> LdapResult {
        let mut r = LdapResult::new(ResultCode::NO_SUCH_OBJECT);
        r.matched_dn = self.matched(dn).into();
        r
    }

    fn is_root_dn(&self, who: Option<&Dn>) -> bool {
        who.is_some_and(|w| w.eq_ignore_case(self.root_dn()))
    }

    /// May `who` add, delete or rename below `parent`?
    fn may_change_children(&self, who: Option<&Dn>, parent: &Dn) -> bool {
        self.is_root_dn(who) || who.is_some_and(|w| !parent.is_root() && w.eq_ignore_case(parent))
    }

    /// A simple bind: `Ok(None)` for anonymous (empty name and password),
    /// `Ok(Some(dn))` when the password is the root DN's or one of the
    /// entry's `userPassword` values (compared as stored, in clear).
    pub fn bind_simple(&self, name: &str, password: &[u8]) -> Result<Option<Dn>, LdapResult> {
        if name.is_empty() && password.is_empty() {
            return Ok(None);
        }
        if password.is_empty() {
            return Err(result(
                ResultCode::UNWILLING_TO_PERFORM,
                "unauthenticated bind (DN with no password) disallowed",
            ));
        }
        let invalid = || LdapResult::new(ResultCode::INVALID_CREDENTIALS);
        let dn =
            Dn::parse(name).map_err(|_| result(ResultCode::INVALID_DN_SYNTAX, "invalid DN"))?;
        if dn.eq_ignore_case(self.root_dn()) {
            return if password == self.root_password() {
                Ok(Some(self.root_dn().clone()))
            } else {
                Err(invalid())
            };
        }
        let entry = self.get(&dn).ok_or_else(invalid)?;
        let ok = entry
            .get("userPassword")
            .is_some_and(|a| a.values.iter().any(|v| v.as_ref() == password));
        if ok {
            Ok(Some(entry.dn().clone()))
        } else {
            Err(invalid())
        }
    }

    /// Compare: compareTrue or compareFalse; noSuchAttribute when the entry
    /// has no such attribute.
    pub fn compare(&self, request: &CompareRequest, who: Option<&Dn>) -> LdapResult {
        let dn = match parse_dn(&request.entry) {
            Ok(dn) => dn,
            Err(r) => return r,
        };
        let Some(entry) = self.get(&dn) else {
            return self.no_such_object(&dn);
        };
        let key = canonical_name(&request.attribute);
        if !readable(self, who, entry, &key) {
            return LdapResult::new(ResultCode::INSUFFICIENT_ACCESS_RIGHTS);
        }
        if entry.get(&request.attribute).is_none() {
            return LdapResult::new(ResultCode::NO_SUCH_ATTRIBUTE);
        }
        LdapResult::new(if entry.has_value(&request.attribute, &request.value) {
            ResultCode::COMPARE_TRUE
        } else {
            ResultCode::COMPARE_FALSE
        })
    }

    /// Add: the parent must exist, the DN must be new, the RDN's values
    /// are added to the entry if missing.
    pub fn add(&mut self, request: &AddRequest, who: Option<&Dn>) -> LdapResult {
        let dn = match parse_dn(&request.entry) {
            Ok(dn) => dn,
            Err(r) => return r,
        };
        let parent = dn.parent().unwrap_or_default();
        if self.get(&dn).is_some() {
            return LdapResult::new(ResultCode::ENTRY_ALREADY_EXISTS);
        }
        if !parent.is_root() && self.get(&parent).is_none() {
            return self.no_such_object(&dn);
        }
        if !self.may_change_children(who, &parent) {
            return result(
                ResultCode::INSUFFICIENT_ACCESS_RIGHTS,
                "no write access to parent",
            );
        }
        if request
            .attributes
            .iter()
            .all(|a| canonical_name(&a.name) != "objectclass")
        {
            return result(
                ResultCode::OBJECT_CLASS_VIOLATION,
                "no objectClass attribute",
            );
        }
        let mut entry = Entry {
            dn: dn.clone(),
            attributes: Vec::new(),
        };
        for attr in &request.attributes {
            entry.add_values(&attr.name, attr.values.iter().cloned());
        }
        for ava in dn.rdn().map(|r| r.avas.as_slice()).unwrap_or_default() {
            if let DnValue::String(v) = &ava.value {
                entry.add_values(&ava.attr_type, [Bytes::copy_from_slice(v.as_bytes())]);
            }
        }
        self.entries_mut().push(entry);
        LdapResult::new(ResultCode::SUCCESS)
    }

    /// Delete: a leaf only.
    pub fn delete(&mut self, dn: &str, who: Option<&Dn>) -> LdapResult {
        let dn = match parse_dn(dn) {
            Ok(dn) => dn,
            Err(r) => return r,
        };
        let Some(at) = self.position(&dn) else {
            return self.no_such_object(&dn);
        };
        if !self.may_change_children(who, &dn.parent().unwrap_or_default()) {
            return LdapResult::new(ResultCode::INSUFFICIENT_ACCESS_RIGHTS);
        }
        if self.entries().iter().any(|e| e.dn().is_below(&dn)) {
            return result(
                ResultCode::NOT_ALLOWED_ON_NON_LEAF,
                "subordinate objects must be deleted first",
            );
        }
        self.entries_mut().remove(at);
        LdapResult::new(ResultCode::SUCCESS)
    }

    /// Modify: all changes or none.
    pub fn modify(&mut self, request: &ModifyRequest, who: Option<&Dn>) -> LdapResult {
        let dn = match parse_dn(&request.object) {
            Ok(dn) => dn,
            Err(r) => return r,
        };
        let Some(at) = self.position(&dn) else {
            return self.no_such_object(&dn);
        };
        if !(self.is_root_dn(who) || who.is_some_and(|w| w.eq_ignore_case(&dn))) {
            return LdapResult::new(ResultCode::INSUFFICIENT_ACCESS_RIGHTS);
        }
        let Some(original) = self.entries().get(at) else {
            return self.no_such_object(&dn);
        };
        let mut entry = original.clone();
        for change in &request.changes {
            let name = change.attribute.name.as_ref();
            let values = &change.attribute.values;
            match change.op {
                ModifyOp::Add => {
                    if values.is_empty() {
                        return result(
                            ResultCode::PROTOCOL_ERROR,
                            &format!("modify/add: {name}: no values given"),
                        );
                    }
                    if values.iter().any(|v| entry.has_value(name, v)) {
                        return result(
                            ResultCode::ATTRIBUTE_OR_VALUE_EXISTS,
                            &format!("modify/add: {name}: value #0 already exists"),
                        );
                    }
                    entry.add_values(name, values.iter().cloned());
                }
                ModifyOp::Delete => {
                    if values.is_empty() {
                        if !entry.remove_attribute(name) {
                            return result(
                                ResultCode::NO_SUCH_ATTRIBUTE,
                                &format!("modify/delete: {name}: no such attribute"),
                            );
                        }
                    } else {
                        for v in values {
                            if !entry.remove_value(name, v) {
                                return result(
                                    ResultCode::NO_SUCH_ATTRIBUTE,
                                    &format!("modify/delete: {name}: no such value"),
                                );
                            }
                        }
                    }
                }
                ModifyOp::Replace => {
                    entry.remove_attribute(name);
                    entry.add_values(name, values.iter().cloned());
                }
                _ => return result(ResultCode::PROTOCOL_ERROR, "unknown modify operation"),
            }
        }
        // The RDN's values stay.
        for ava in dn.rdn().map(|r| r.avas.as_slice()).unwrap_or_default() {
            if let DnValue::String(v) = &ava.value {
                if !entry.has_value(&ava.attr_type, v.as_bytes()) {
                    return result(
                        ResultCode::NOT_ALLOWED_ON_RDN,
                        "value of naming attribute is not present in entry",
                    );
                }
            }
        }
        if let Some(slot) = self.entries_mut().get_mut(at) {
            *slot = entry;
        }
        LdapResult::new(ResultCode::SUCCESS)
    }

    /// Modify DN of a leaf: a new RDN, optionally a new parent, and the old
    /// RDN's values kept or deleted.
    pub fn modify_dn(&mut self, request: &ModifyDnRequest, who: Option<&Dn>) -> LdapResult {
        let dn = match parse_dn(&request.entry) {
            Ok(dn) => dn,
            Err(r) => return r,
        };
        let new_rdn = match parse_dn(&request.new_rdn) {
            Ok(r) if r.rdns.len() == 1 => r,
            Ok(_) => return result(ResultCode::INVALID_DN_SYNTAX, "new RDN is not one RDN"),
            Err(r) => return r,
        };
        let Some(at) = self.position(&dn) else {
            return self.no_such_object(&dn);
        };
        let old_parent = dn.parent().unwrap_or_default();
        let parent = match &request.new_superior {
            Some(s) => match parse_dn(s) {
                Ok(p) => p,
                Err(r) => return r,
            },
            None => old_parent.clone(),
        };
        if !parent.is_root() && self.get(&parent).is_none() {
            return self.no_such_object(&parent);
        }
        if !self.may_change_children(who, &old_parent) || !self.may_change_children(who, &parent) {
            return LdapResult::new(ResultCode::INSUFFICIENT_ACCESS_RIGHTS);
        }
        if self.entries().iter().any(|e| e.dn().is_below(&dn)) {
            return LdapResult::new(ResultCode::NOT_ALLOWED_ON_NON_LEAF);
        }
        let mut target = new_rdn.clone();
        target.rdns.extend(parent.rdns.iter().cloned());
        if self.get(&target).is_some() && !target.eq_ignore_case(&dn) {
            return LdapResult::new(ResultCode::ENTRY_ALREADY_EXISTS);
        }
        let Some(mut entry) = self.entries().get(at).cloned() else {
            return self.no_such_object(&dn);
        };
        if request.delete_old_rdn {
            for ava in dn.rdn().map(|r| r.avas.as_slice()).unwrap_or_default() {
                if let DnValue::String(v) = &ava.value {
                    entry.remove_value(&ava.attr_type, v.as_bytes());
                }
            }
        }
        for ava in new_rdn.rdn().map(|r| r.avas.as_slice()).unwrap_or_default() {
            if let DnValue::String(v) = &ava.value {
                entry.add_values(&ava.attr_type, [Bytes::copy_from_slice(v.as_bytes())]);
            }
        }
        entry.dn = target;
        if let Some(slot) = self.entries_mut().get_mut(at) {
            *slot = entry;
        }
        LdapResult::new(ResultCode::SUCCESS)
    }

    /// Password modify (RFC 3062) as `who`: the user is `userIdentity` (a
    /// DN, or `dn:` and a DN) or else `who`; the old password, when given,
    /// must match; without a new password one is generated and returned.
    pub fn password_modify(
        &mut self,
        request: &PasswordModify,
        who: Option<&Dn>,
    ) -> Result<Option<Password>, LdapResult> {
        let target = match &request.user_identity {
            Some(id) => {
                let text = std::str::from_utf8(id).map_err(|_| {
                    result(ResultCode::INVALID_DN_SYNTAX, "userIdentity is not UTF-8")
                })?;
                parse_dn(text.strip_prefix("dn:").unwrap_or(text))?
            }
            None => match who {
                Some(w) => w.clone(),
                None => {
                    return Err(result(
                        ResultCode::UNWILLING_TO_PERFORM,
                        "only authenticated users may change passwords",
                    ))
                }
            },
        };
        let at = self
            .position(&target)
            .ok_or_else(|| self.no_such_object(&target))?;
        if !(self.is_root_dn(who) || who.is_some_and(|w| w.eq_ignore_case(&target))) {
            return Err(LdapResult::new(ResultCode::INSUFFICIENT_ACCESS_RIGHTS));
        }
        let entry = self
            .entries_mut()
            .get_mut(at)
            .ok_or_else(|| LdapResult::new(ResultCode::OTHER))?;
        if let Some(old) = &request.old_password {
            if !entry.has_value("userPassword", old.expose()) {
                return Err(result(
                    ResultCode::UNWILLING_TO_PERFORM,
                    "unwilling to verify old password",
                ));
            }
        }
        let (new, generated) = match &request.new_password {
            Some(p) => (p.expose().to_vec(), None),
            None => {
                let made = format!("gen-{}-{}", at, entry.attributes().len());
                (made.clone().into_bytes(), Some(Password::new(made)))
            }
        };
        entry.remove_attribute("userPassword");
        entry.add_values("userPassword", [Bytes::from(new)]);
        Ok(generated)
    }
}
