//! TLS client-certificate negotiation, end to end.
//!
//! Connects to an LDAP server, shows the CAs it names when it asks for a
//! client certificate, picks one of several certificates by issuer, binds
//! with SASL EXTERNAL and prints the identity the server mapped it to.
//!
//! ```sh
//! # Against your server: a CA file and a directory of NAME.crt + NAME.key pairs.
//! cargo run --example negotiate -- --url ldaps://ldap.example.com --ca ca.pem --certs ./certs
//! cargo run --example negotiate -- --url ldap://ldap.example.com --starttls --ca ca.pem --certs ./certs
//!
//! # The demo: starts a throwaway OpenLDAP slapd on loopback that trusts two
//! # CAs, with four client certificates to choose from (scripts/demo).
//! cargo run --example negotiate -- --demo
//! # The same against a throwaway 389 Directory Server (needs root;
//! # scripts/demo --server 389ds).
//! cargo run --example negotiate -- --demo --server 389ds
//! ```
//!
//! The identity is compared as a typed [`AuthzId`]: slapd answers WhoAmI
//! with `dn:uid=...`, 389-DS with `dn: uid=...`, the same identity.

#[path = "../tests/api/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tokio_ldap::{AuthzId, CertRequest, CertStore, ClientCert, ConnConfig, LdapConn};

struct Args {
    url: Option<String>,
    ca: Option<PathBuf>,
    certs: Option<PathBuf>,
    starttls: bool,
    demo: bool,
    server: Server,
}

/// The server the demo starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    Slapd,
    Ds389,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: negotiate --url URL --ca CA.pem --certs DIR [--starttls]\n       negotiate --demo [--server slapd|389ds]\n\n\
         DIR holds NAME.crt (certificate, with its chain) and NAME.key pairs."
    );
    ExitCode::from(2)
}

fn parse_args() -> Option<Args> {
    let mut a = Args {
        url: None,
        ca: None,
        certs: None,
        starttls: false,
        demo: false,
        server: Server::Slapd,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--url" => a.url = Some(it.next()?),
            "--ca" => a.ca = Some(it.next()?.into()),
            "--certs" => a.certs = Some(it.next()?.into()),
            "--starttls" => a.starttls = true,
            "--demo" => a.demo = true,
            "--server" => {
                a.server = match it.next()?.as_str() {
                    "slapd" => Server::Slapd,
                    "389ds" => Server::Ds389,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    (a.demo || (a.url.is_some() && a.certs.is_some())).then_some(a)
}

/// Loads every `NAME.crt` + `NAME.key` pair of `dir`, sorted by name.
fn load_identities(dir: &Path) -> Result<Vec<(String, ClientCert)>, String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "crt" && p.with_extension("key").exists())
                .then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let cert = ClientCert::from_pem_files(
            dir.join(format!("{name}.crt")),
            dir.join(format!("{name}.key")),
        )
        .map_err(|e| format!("{name}: {e}"))?;
        out.push((name, cert));
    }
    if out.is_empty() {
        return Err(format!("no NAME.crt + NAME.key pairs in {}", dir.display()));
    }
    Ok(out)
}

async fn negotiate(
    url: &str,
    ca: Option<&Path>,
    certs: &Path,
    starttls: bool,
    expected: Option<&AuthzId>,
) -> Result<(), String> {
    let ids = load_identities(certs)?;
    println!("Identities to choose from:");
    for (name, cert) in &ids {
        println!(
            "  {name:<10} {}  (issuer {})",
            cert.subject(),
            cert.issuer()
        );
    }
    let store = ids.iter().fold(CertStore::new(), |s, (n, c)| {
        s.with_named(n.clone(), c.clone())
    });
    let candidates = ids.clone();
    let chooser = move |req: &CertRequest<'_>| {
        println!(
            "\nThe server asked for a client certificate ({}, {:?}). It trusts:",
            req.server_name(),
            req.mode()
        );
        if req.trusted_cas().is_empty() {
            println!("  (no CA names: any certificate)");
        }
        for ca in req.trusted_cas() {
            println!("  - {ca}");
        }
        println!("Candidates:");
        for (name, cert) in &candidates {
            match req.trusted_cas().iter().find(|ca| cert.issued_by(ca)) {
                Some(ca) => println!("  {name:<10} chain issued by {ca}: acceptable"),
                None => println!(
                    "  {name:<10} no certificate of its chain was issued by a CA the server named"
                ),
            }
        }
        let choice = store.choose(req);
        println!("Decision: {}", choice.reason());
        choice.into_cert()
    };
    let mut config = ConnConfig::new()
        .client_cert_query(chooser)
        .starttls(starttls);
    if let Some(ca) = ca {
        config = config.ca_file(ca);
    } else {
        config = config.system_roots(true);
    }
    let conn = LdapConn::connect(url, config)
        .await
        .map_err(|e| format!("connect to {url}: {e}"))?;
    if let Some(info) = conn.tls_info() {
        println!("\nTLS: {:?}, {:?}", info.version(), info.cipher_suite());
        match info.client_cert_sent() {
            Some(sent) => println!("Sent: {}", sent.subject()),
            None => println!("Sent: no client certificate"),
        }
    }
    conn.bind_external(None)
        .await
        .map_err(|e| format!("EXTERNAL bind: {e}"))?;
    let who = conn
        .whoami_identity()
        .await
        .map_err(|e| format!("WhoAmI: {e}"))?;
    match &who {
        AuthzId::Anonymous => {
            println!("EXTERNAL bind: ok; the server maps us to no one (anonymous)")
        }
        who => println!("EXTERNAL bind: ok; the server maps us to {who}"),
    }
    // Compare identities as AuthzIds, never as WhoAmI's text.
    if let Some(expected) = expected {
        let ok = who.eq_ignore_case(expected);
        println!("Expected {expected}: {}", if ok { "yes" } else { "NO" });
        if !ok {
            return Err(format!("bound as {who}, expected {expected}"));
        }
    }
    conn.unbind().await.map_err(|e| e.to_string())
}

/// The demo runs slapd or 389-DS through the test harness, which is
/// Unix-only.
#[cfg(not(unix))]
async fn demo(_server: Server) -> Result<(), String> {
    Err("--demo starts a throwaway server, which needs Unix; use --url against a server".to_owned())
}

#[cfg(unix)]
async fn demo(server: Server) -> Result<(), String> {
    use support::ds389::{ClientAuth, Ds389};
    use support::slapd::{Slapd, SlapdOptions, VerifyClient};

    let slapd;
    let (ldap_url, ldaps_url, files, dir) = match server {
        Server::Slapd => {
            println!("Starting a throwaway OpenLDAP slapd on 127.0.0.1 (TLSVerifyClient demand,");
            println!(
                "trusting Test CA-A and Test CA-B; EXTERNAL maps cn=NAME,ou=people,... to uid=NAME)..."
            );
            slapd = Slapd::start(SlapdOptions {
                verify_client: VerifyClient::Demand,
                ..Default::default()
            });
            let dir = slapd.dir().join("identities");
            (slapd.ldap_url(), slapd.ldaps_url(), slapd.files(), dir)
        }
        Server::Ds389 => {
            println!("Creating a throwaway 389 Directory Server on 127.0.0.1 (nsSSLClientAuth");
            println!(
                "required, Test CA-A and Test CA-B trusted with CT,,; certmap finds uid=NAME by the CN)..."
            );
            let ds = Ds389::shared(ClientAuth::Required);
            println!("{} ready in {:?}", ds.version(), ds.creation_time());
            let dir = ds.files().dir.join("identities");
            (ds.ldap_url(), ds.ldaps_url(), ds.files(), dir)
        }
    };
    // The identities: mallory (untrusted CA), carol (via an intermediate
    // of CA-A, chain included), bob (CA-B). The store tries them in name
    // order and takes the first one a CA the server named has issued.
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for (name, crt, key) in [
        ("1-mallory", &files.mallory_crt, &files.mallory_key),
        ("2-carol", &files.carol_chain, &files.carol_key),
        ("3-bob", &files.bob_crt, &files.bob_key),
    ] {
        std::fs::copy(crt, dir.join(format!("{name}.crt"))).map_err(|e| e.to_string())?;
        std::fs::copy(key, dir.join(format!("{name}.key"))).map_err(|e| e.to_string())?;
    }
    let carol: AuthzId = "dn:uid=carol,ou=people,dc=example,dc=com"
        .parse()
        .map_err(|e| format!("{e}"))?;
    println!("\n=== LDAPS: {ldaps_url} ===");
    negotiate(&ldaps_url, Some(&files.ca_a), &dir, false, Some(&carol)).await?;
    println!("\n=== StartTLS: {ldap_url} ===");
    negotiate(&ldap_url, Some(&files.ca_a), &dir, true, Some(&carol)).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(args) = parse_args() else {
        return usage();
    };
    let res = if args.demo {
        demo(args.server).await
    } else {
        let (Some(url), Some(certs)) = (args.url.as_deref(), args.certs.as_deref()) else {
            return usage();
        };
        negotiate(url, args.ca.as_deref(), certs, args.starttls, None).await
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
