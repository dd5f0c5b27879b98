//! OIDs of controls, typed here or not.

/// Simple paged results, RFC 2696.
pub const PAGED_RESULTS: &str = "1.2.840.113556.1.4.319";
/// Server-side sort request, RFC 2891.
pub const SORT_REQUEST: &str = "1.2.840.113556.1.4.473";
/// Server-side sort response, RFC 2891.
pub const SORT_RESPONSE: &str = "1.2.840.113556.1.4.474";
/// Proxied authorization v2, RFC 4370.
pub const PROXIED_AUTHZ: &str = "2.16.840.1.113730.3.4.18";
/// ManageDsaIT, RFC 3296.
pub const MANAGE_DSA_IT: &str = "2.16.840.1.113730.3.4.2";
/// Assertion, RFC 4528.
pub const ASSERTION: &str = "1.3.6.1.1.12";
/// Pre-read, RFC 4527.
pub const PRE_READ: &str = "1.3.6.1.1.13.1";
/// Post-read, RFC 4527.
pub const POST_READ: &str = "1.3.6.1.1.13.2";
/// Authorization identity request, RFC 3829.
pub const AUTHZ_ID_REQUEST: &str = "2.16.840.1.113730.3.4.16";
/// Authorization identity response, RFC 3829.
pub const AUTHZ_ID_RESPONSE: &str = "2.16.840.1.113730.3.4.15";
/// Virtual list view request (draft-ietf-ldapext-ldapv3-vlv).
pub const VLV_REQUEST: &str = "2.16.840.1.113730.3.4.9";
/// Virtual list view response (draft-ietf-ldapext-ldapv3-vlv).
pub const VLV_RESPONSE: &str = "2.16.840.1.113730.3.4.10";
/// Subentries, RFC 3672.
pub const SUBENTRIES: &str = "1.3.6.1.4.1.4203.1.10.1";
/// Content synchronization request, RFC 4533.
pub const SYNC_REQUEST: &str = "1.3.6.1.4.1.4203.1.9.1.1";
/// Don't use copy, RFC 6171.
pub const DONT_USE_COPY: &str = "1.3.6.1.1.22";
/// Password policy (draft-behera-ldap-password-policy).
pub const PASSWORD_POLICY: &str = "1.3.6.1.4.1.42.2.27.8.5.1";
/// Tree delete (Active Directory).
pub const TREE_DELETE: &str = "1.2.840.113556.1.4.805";
/// Content synchronization state, RFC 4533.
pub const SYNC_STATE: &str = "1.3.6.1.4.1.4203.1.9.1.2";
/// Content synchronization done, RFC 4533.
pub const SYNC_DONE: &str = "1.3.6.1.4.1.4203.1.9.1.3";
/// Content synchronization info (an intermediate response's name), RFC 4533.
pub const SYNC_INFO: &str = "1.3.6.1.4.1.4203.1.9.1.4";
/// Persistent search (draft-ietf-ldapext-psearch).
pub const PERSISTENT_SEARCH: &str = "2.16.840.1.113730.3.4.3";
/// Entry change notification (draft-ietf-ldapext-psearch).
pub const ENTRY_CHANGE_NOTIFICATION: &str = "2.16.840.1.113730.3.4.7";
/// Relax rules (draft-zeilenga-ldap-relax; OpenLDAP's experimental OID).
pub const RELAX_RULES: &str = "1.3.6.1.4.1.4203.666.5.12";
