//! RFC 4515 filters evaluated against an entry, with RFC 4511's three
//! values (TRUE, FALSE, Undefined: `None` here).
//!
//! Equality and approximate match (which is equality here) use each
//! attribute's matching rule (`entry.rs`); substrings and ordering the same
//! normalized forms. Extensible match knows `caseIgnoreMatch` (2.5.13.2),
//! `caseExactMatch` (2.5.13.5), the attribute's own equality (no rule), and
//! `dnAttributes`; any other rule is Undefined, as for a server that does
//! not know it. An attribute the reader may not read (`userPassword` of
//! another entry) is Undefined.

use crate::proto::dn::DnValue;
use crate::proto::filter::{Ava, Filter, MatchingRuleAssertion, Substrings};
use crate::testkit::directory::entry::{
    canonical_name, normalize, order, syntax_of, Entry, Syntax,
};

/// Evaluates `filter` on `entry`; `readable` says whether the reader may
/// see an attribute (by canonical name).
pub(crate) fn evaluate(
    filter: &Filter,
    entry: &Entry,
    readable: &dyn Fn(&str) -> bool,
) -> Option<bool> {
    match filter {
        Filter::And(parts) => {
            let mut result = Some(true);
            for part in parts {
                match evaluate(part, entry, readable) {
                    Some(false) => return Some(false),
                    Some(true) => {}
                    None => result = None,
                }
            }
            result
        }
        Filter::Or(parts) => {
            let mut result = Some(false);
            for part in parts {
                match evaluate(part, entry, readable) {
                    Some(true) => return Some(true),
                    Some(false) => {}
                    None => result = None,
                }
            }
            result
        }
        Filter::Not(inner) => evaluate(inner, entry, readable).map(|b| !b),
        Filter::Equality(ava) | Filter::Approx(ava) => {
            values(entry, &ava.attribute, readable, |syntax, v| {
                normalize(syntax, v) == normalize(syntax, &ava.value)
            })
        }
        Filter::GreaterOrEqual(ava) => ordering(entry, ava, readable, |o| o.is_ge()),
        Filter::LessOrEqual(ava) => ordering(entry, ava, readable, |o| o.is_le()),
        Filter::Present(name) => {
            let key = canonical_name(name);
            if key == "objectclass" {
                return Some(true);
            }
            if !readable(&key) {
                return None;
            }
            Some(entry.get(name).is_some())
        }
        Filter::Substrings(sub) => values(entry, &sub.attribute, readable, |syntax, v| {
            substring_match(syntax, sub, v)
        }),
        Filter::Extensible(mra) => extensible(entry, mra, readable),
    }
}

/// Whether some value of `name` satisfies `test`; Undefined when it cannot
/// be read.
fn values(
    entry: &Entry,
    name: &str,
    readable: &dyn Fn(&str) -> bool,
    test: impl Fn(Syntax, &[u8]) -> bool,
) -> Option<bool> {
    let key = canonical_name(name);
    if !readable(&key) {
        return None;
    }
    let syntax = syntax_of(&key);
    Some(
        entry
            .get(name)
            .is_some_and(|a| a.values.iter().any(|v| test(syntax, v))),
    )
}

fn ordering(
    entry: &Entry,
    ava: &Ava,
    readable: &dyn Fn(&str) -> bool,
    accept: impl Fn(std::cmp::Ordering) -> bool,
) -> Option<bool> {
    values(entry, &ava.attribute, readable, |syntax, v| {
        accept(order(syntax, v, &ava.value))
    })
}

fn substring_match(syntax: Syntax, sub: &Substrings, value: &[u8]) -> bool {
    // Pieces are normalized one by one, without folding the spaces at
    // their edges into the value's.
    let norm = |piece: &[u8]| match syntax {
        Syntax::Octets => piece.to_vec(),
        _ => match std::str::from_utf8(piece) {
            Ok(s) => s.to_lowercase().into_bytes(),
            Err(_) => piece.to_ascii_lowercase(),
        },
    };
    let value = normalize(syntax, value);
    let mut rest: &[u8] = &value;
    if let Some(initial) = &sub.initial {
        let initial = norm(initial);
        let Some(after) = rest.strip_prefix(initial.as_slice()) else {
            return false;
        };
        rest = after;
    }
    let final_ = sub.final_.as_ref().map(|f| norm(f));
    for any in &sub.any {
        let any = norm(any);
        if any.is_empty() {
            continue;
        }
        let Some(at) = rest.windows(any.len()).position(|w| w == any.as_slice()) else {
            return false;
        };
        rest = rest.get(at + any.len()..).unwrap_or_default();
    }
    match final_ {
        Some(f) => rest.ends_with(&f),
        None => true,
    }
}

/// How an extensible match compares: by the attribute's own rule, or by a
/// named case rule.
#[derive(Clone, Copy)]
enum Rule {
    Own,
    CaseIgnore,
    CaseExact,
}

fn extensible(
    entry: &Entry,
    mra: &MatchingRuleAssertion,
    readable: &dyn Fn(&str) -> bool,
) -> Option<bool> {
    let rule = match mra.rule.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Rule::Own,
        Some("caseignorematch" | "2.5.13.2") => Rule::CaseIgnore,
        Some("caseexactmatch" | "2.5.13.5") => Rule::CaseExact,
        Some(_) => return None,
    };
    let matches = |name: &str, value: &[u8]| -> bool {
        let syntax = match rule {
            Rule::Own => syntax_of(&canonical_name(name)),
            Rule::CaseIgnore => Syntax::CaseIgnore,
            Rule::CaseExact => Syntax::Octets,
        };
        normalize(syntax, value) == normalize(syntax, &mra.value)
    };
    let wanted = mra.attribute.as_deref().map(canonical_name);
    let mut result = Some(false);
    for attr in entry.attributes() {
        let key = canonical_name(&attr.name);
        if wanted.as_ref().is_some_and(|w| *w != key) {
            continue;
        }
        if !readable(&key) {
            if wanted.is_some() {
                result = None;
            }
            continue;
        }
        if attr.values.iter().any(|v| matches(&attr.name, v)) {
            return Some(true);
        }
    }
    if mra.dn_attributes {
        for ava in entry.dn().rdns.iter().flat_map(|r| &r.avas) {
            let key = canonical_name(&ava.attr_type);
            if wanted.as_ref().is_some_and(|w| *w != key) {
                continue;
            }
            if let DnValue::String(s) = &ava.value {
                if matches(&ava.attr_type, s.as_bytes()) {
                    return Some(true);
                }
            }
        }
    }
    result
}
