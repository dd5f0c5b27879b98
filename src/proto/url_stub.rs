// Temporary stand-in for the URL parser.
#![allow(missing_docs, dead_code, unreachable_pub, clippy::all)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme { Ldap, Ldaps, Ldapi }
#[derive(Clone, Debug)]
pub struct LdapUrl { pub scheme: Scheme, pub host: String, pub port: Option<u16>, pub socket_path: Option<String> }
impl LdapUrl {
    pub fn parse_list(s: &str) -> Result<Vec<LdapUrl>, String> { Err(s.to_string()) }
    pub fn port_or_default(&self) -> u16 { 389 }
}
