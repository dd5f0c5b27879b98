//! Search: the base and scope, the filter, the size limit, the attribute
//! selection, types-only, the paged-results control, and the root DSE.

use bytes::Bytes;
use bytestring::ByteString;

use crate::proto::controls::{oid, Control, PagedResults};
use crate::proto::dn::Dn;
use crate::proto::extended::{PASSWORD_MODIFY, START_TLS, WHO_AM_I};
use crate::proto::{
    Attribute, AttributeList, LdapResult, ResultCode, Scope, SearchRequest, SearchResultEntry,
};
use crate::testkit::directory::entry::{canonical_name, Entry};
use crate::testkit::directory::filter::evaluate;
use crate::testkit::directory::{Below, Directory};

/// What a search found: the entries to send, in order, then the result and
/// its controls.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    /// The entries, as sent.
    pub entries: Vec<SearchResultEntry>,
    /// The SearchResultDone.
    pub result: LdapResult,
    /// The controls of the SearchResultDone (the paged-results cookie).
    pub controls: Vec<Control>,
}

impl SearchOutcome {
    fn failed(code: ResultCode, matched: String, message: &str) -> Self {
        let mut result = LdapResult::new(code);
        result.matched_dn = matched.into();
        result.message = message.into();
        Self {
            entries: Vec::new(),
            result,
            controls: Vec::new(),
        }
    }
}

/// Whether `who` may read the attribute `key` (canonical) of `entry`.
pub(crate) fn readable(dir: &Directory, who: Option<&Dn>, entry: &Entry, key: &str) -> bool {
    key != "userpassword"
        || who.is_some_and(|w| w.eq_ignore_case(dir.root_dn()) || w.eq_ignore_case(entry.dn()))
}

impl Directory {
    /// Runs `request` (with its `controls`) as `who` (`None`: anonymous).
    pub fn search(
        &self,
        request: &SearchRequest,
        controls: &[Control],
        who: Option<&Dn>,
    ) -> SearchOutcome {
        let paged = match controls.iter().find(|c| c.oid == oid::PAGED_RESULTS) {
            None => None,
            Some(c) => match PagedResults::from_control(c) {
                Ok(p) => Some(p),
                Err(e) => {
                    return SearchOutcome::failed(
                        ResultCode::PROTOCOL_ERROR,
                        String::new(),
                        &format!("paged results control: {e}"),
                    )
                }
            },
        };
        let base = match Dn::parse(&request.base) {
            Ok(dn) => dn,
            Err(e) => {
                return SearchOutcome::failed(
                    ResultCode::INVALID_DN_SYNTAX,
                    String::new(),
                    &format!("invalid DN: {e}"),
                )
            }
        };
        if base.is_root() && request.scope == Scope::Base {
            return self.root_dse(request);
        }
        if self.get(&base).is_none() {
            return SearchOutcome::failed(ResultCode::NO_SUCH_OBJECT, self.matched(&base), "");
        }
        let in_scope = |dn: &Dn| match request.scope {
            Scope::Base => dn.eq_ignore_case(&base),
            Scope::OneLevel => dn.parent().is_some_and(|p| p.eq_ignore_case(&base)),
            Scope::Subtree => dn.eq_ignore_case(&base) || dn.is_below(&base),
            Scope::Subordinate => dn.is_below(&base),
        };
        let found: Vec<&Entry> = self
            .entries()
            .iter()
            .filter(|e| in_scope(e.dn()))
            .filter(|e| {
                let can_read = |key: &str| readable(self, who, e, key);
                evaluate(&request.filter, e, &can_read) == Some(true)
            })
            .collect();

        let mut result = LdapResult::new(ResultCode::SUCCESS);
        let mut out_controls = Vec::new();
        let selected: &[&Entry] = match &paged {
            Some(p) => {
                let start = if p.cookie.is_empty() {
                    0
                } else {
                    match std::str::from_utf8(&p.cookie)
                        .ok()
                        .and_then(|s| s.parse::<usize>().ok())
                    {
                        Some(n) if n <= found.len() => n,
                        _ => {
                            return SearchOutcome::failed(
                                ResultCode::UNWILLING_TO_PERFORM,
                                String::new(),
                                "paged results cookie is invalid",
                            )
                        }
                    }
                };
                let size = usize::try_from(p.size).unwrap_or(0);
                let end = if size == 0 {
                    start
                } else {
                    start.saturating_add(size).min(found.len())
                };
                let cookie = if end < found.len() && size > 0 {
                    Bytes::from(end.to_string())
                } else {
                    Bytes::new()
                };
                out_controls.push(PagedResults { size: 0, cookie }.to_control());
                found.get(start..end).unwrap_or_default()
            }
            None => {
                let limit = usize::try_from(request.size_limit).unwrap_or(0);
                if limit > 0 && found.len() > limit {
                    result.code = ResultCode::SIZE_LIMIT_EXCEEDED;
                    found.get(..limit).unwrap_or_default()
                } else {
                    &found
                }
            }
        };
        let entries = selected
            .iter()
            .map(|e| self.project(e, request, who))
            .collect();
        SearchOutcome {
            entries,
            result,
            controls: out_controls,
        }
    }

    /// The entry as sent: the selected, readable attributes.
    fn project(
        &self,
        entry: &Entry,
        request: &SearchRequest,
        who: Option<&Dn>,
    ) -> SearchResultEntry {
        let names: Vec<String> = request
            .attributes
            .iter()
            .map(|a| canonical_name(a))
            .collect();
        let all_user = names.is_empty() || names.iter().any(|n| n == "*");
        let attributes = entry
            .attributes()
            .iter()
            .filter(|a| {
                let key = canonical_name(&a.name);
                (all_user || names.contains(&key)) && readable(self, who, entry, &key)
            })
            .map(|a| Attribute {
                name: a.name.clone(),
                values: if request.types_only {
                    Vec::new()
                } else {
                    a.values.clone()
                },
            })
            .collect();
        SearchResultEntry {
            dn: ByteString::from(entry.dn().to_string()),
            attributes: AttributeList::new(attributes),
        }
    }

    /// The root DSE: `objectClass` as a user attribute; the naming
    /// contexts and what the server supports as operational attributes
    /// (asked for by name or with `+`).
    fn root_dse(&self, request: &SearchRequest) -> SearchOutcome {
        let mut dse = Entry {
            dn: Dn::root(),
            attributes: Vec::new(),
        }
        .with("objectClass", ["top", "OpenLDAProotDSE"]);
        let names: Vec<String> = request
            .attributes
            .iter()
            .map(|a| canonical_name(a))
            .collect();
        let operational = names.iter().any(|n| n == "+");
        let contexts: Vec<String> = self
            .entries()
            .iter()
            .filter(|e| !self.entries().iter().any(|p| e.dn().is_below(p.dn())))
            .map(|e| e.dn().to_string())
            .collect();
        let extra: [(&str, Vec<String>); 5] = [
            ("namingContexts", contexts),
            ("supportedLDAPVersion", vec!["3".to_owned()]),
            (
                "supportedExtension",
                [START_TLS, WHO_AM_I, PASSWORD_MODIFY]
                    .map(str::to_owned)
                    .to_vec(),
            ),
            ("supportedControl", vec![oid::PAGED_RESULTS.to_owned()]),
            ("supportedSASLMechanisms", vec!["EXTERNAL".to_owned()]),
        ];
        for (name, values) in extra {
            if operational || names.contains(&canonical_name(name)) {
                dse = dse.with(name, values);
            }
        }
        let keep_oc = names.is_empty() || names.iter().any(|n| n == "*" || n == "objectclass");
        if !keep_oc {
            dse.remove_attribute("objectClass");
        }
        let filter_ok = evaluate(&request.filter, &dse, &|_| true) == Some(true);
        let attributes = dse
            .attributes()
            .iter()
            .map(|a| Attribute {
                name: a.name.clone(),
                values: if request.types_only {
                    Vec::new()
                } else {
                    a.values.clone()
                },
            })
            .collect();
        SearchOutcome {
            entries: filter_ok
                .then(|| SearchResultEntry {
                    dn: ByteString::new(),
                    attributes: AttributeList::new(attributes),
                })
                .into_iter()
                .collect(),
            result: LdapResult::new(ResultCode::SUCCESS),
            controls: Vec::new(),
        }
    }
}
