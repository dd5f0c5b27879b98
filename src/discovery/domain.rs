//! The domain that a host-less LDAP URL names through its DN.

use crate::proto::dn::{Dn, DnValue};
use crate::proto::url::{LdapUrl, Scheme};

/// The attribute types of a domain component: the name RFC 4519 gives it,
/// its long name, and its OID.
const DC_TYPES: [&str; 3] = ["dc", "domainComponent", "0.9.2342.19200300.100.1.25"];

/// The domain to look up SRV records for, for a URL that names no host and
/// whose DN ends in `dc` components: `ldap:///dc=example,dc=com` and
/// `ldaps:///ou=people,dc=example,dc=com` give `example.com`. `None` for a
/// URL with a host, an `ldapi://` URL, or a DN with no `dc` component at
/// its end.
///
/// The domain is made as OpenLDAP's `ldap_dn2domain` makes it for the
/// tools (`ldapsearch -H ldap:///dc=example,dc=com`): the DN's RDNs are
/// read from the most specific on; each single-valued `dc` RDN adds a
/// label, and any other RDN (another attribute, a multi-valued RDN, a
/// `#`-hex value) starts the domain afresh. So the labels are the `dc`
/// RDNs after the last RDN that is not one: `dc=a,ou=x,dc=example,dc=com`
/// gives `example.com`, `dc=example,dc=com,o=x` gives none.
pub(crate) fn srv_domain(url: &LdapUrl) -> Option<String> {
    if !matches!(url.scheme(), Scheme::Ldap | Scheme::Ldaps) || !url.host().is_empty() {
        return None;
    }
    let dn = Dn::parse(url.dn()).ok()?;
    let mut labels: Vec<&str> = Vec::new();
    for rdn in &dn.rdns {
        match rdn.avas.as_slice() {
            [ava] if is_dc(&ava.attr_type) => match &ava.value {
                DnValue::String(label) if !label.is_empty() => labels.push(label),
                _ => labels.clear(),
            },
            _ => labels.clear(),
        }
    }
    if labels.is_empty() {
        return None;
    }
    Some(labels.join("."))
}

fn is_dc(attr_type: &str) -> bool {
    DC_TYPES.iter().any(|t| t.eq_ignore_ascii_case(attr_type))
}
