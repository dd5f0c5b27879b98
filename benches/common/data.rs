//! Bulk directory data for the search benchmarks: inetOrgPerson entries
//! of about 400 bytes each as sent (BER), loaded with slapadd through the
//! harness's `extra_ldif`.

use std::fmt::Write as _;

/// slapd.conf lines for the database section: the harness's 64 MiB map is
/// too small for 200,000 entries (the last `maxsize` line wins).
pub const BIG_DB_CONFIG: &str = "maxsize 4294967296";

/// The DN of the container `ou=NAME,dc=example,dc=com`.
pub fn container_dn(ou: &str) -> String {
    format!("ou={ou},dc=example,dc=com")
}

/// LDIF for the container `ou` and `n` entries under it.
pub fn bulk_ldif(ou: &str, n: usize) -> String {
    let filler = "Benchmark entry with a description long enough to make the whole \
                  entry about four hundred bytes on the wire, like a typical person.";
    let mut s = String::with_capacity(n * 420 + 100);
    let _ = writeln!(
        s,
        "dn: {}\nobjectClass: organizationalUnit\nou: {ou}\n",
        container_dn(ou)
    );
    for i in 0..n {
        let _ = writeln!(
            s,
            "dn: uid=u{i:07},{c}\nobjectClass: inetOrgPerson\nuid: u{i:07}\n\
             cn: User {i:07}\nsn: Surname{i:07}\ngivenName: Given{i:07}\n\
             mail: u{i:07}@example.com\ntelephoneNumber: +1 555 {i:07}\n\
             title: Engineer\ndescription: {filler} {i}\n",
            c = container_dn(ou)
        );
    }
    s
}
