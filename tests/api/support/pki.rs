//! The test PKI: the crate's own (`tokio_ldap::testkit::pki`), whose module
//! docs give the layout. slapd gets it as files ([`Pki::write_to`]).

pub use tokio_ldap::testkit::pki::{Entity, KeyType, Pki, PkiFiles};
