//! TLS client-certificate negotiation, end to end.
//!
//! Connects to an LDAP server, shows the CAs it names when it asks for a
//! client certificate, picks one of several certificates by issuer, binds
//! with SASL EXTERNAL and prints the identity the server mapped it to.
//!
//! ```sh
//! # With nothing installed: an in-process test server (tokio_ldap::testkit)
//! # that trusts two CAs, and a test PKI with three identities to choose from.
//! cargo run --example negotiate
//!
//! # Against your server: a CA file and a directory of NAME.crt + NAME.key pairs.
//! cargo run --example negotiate -- --url ldaps://ldap.example.com --ca ca.pem --certs ./certs
//! cargo run --example negotiate -- --url ldap://ldap.example.com --starttls --ca ca.pem --certs ./certs
//!
//! # The same demo against a throwaway OpenLDAP slapd on loopback (Unix;
//! # scripts/demo installs slapd first).
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

use tokio_ldap::testkit::{ClientAuth, ExternalMapping, TestPki, TestServer};
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
        "usage: negotiate                  (in-process test server, nothing to install)\n       \
         negotiate --url URL --ca CA.pem --certs DIR [--starttls]\n       \
         negotiate --demo [--server slapd|389ds]   (a throwaway real server, Unix)\n\n\
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
    let own_server = a.url.is_some() || a.certs.is_some() || a.ca.is_some() || a.starttls;
    (!own_server || (a.url.is_some() && a.certs.is_some() && !a.demo)).then_some(a)
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

/// How the example answers the server's request for a certificate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Offer {
    /// The store's choice: the first identity issued by a CA the server
    /// named, or none.
    Store,
    /// The first identity, whatever the server named (to show a rejection).
    First,
}

async fn negotiate(
    url: &str,
    ca: Option<&Path>,
    certs: &Path,
    starttls: bool,
    offer: Offer,
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
        if offer == Offer::First {
            let (name, cert) = candidates.first()?;
            println!("Decision: {name}, sent whatever the server named (to see it refused)");
            return Some(cert.clone());
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

/// The scenarios, against a server at `ldaps` and `ldap` (for StartTLS)
/// that demands a certificate from CA-A or CA-B and maps
/// `CN=<name>,OU=people,DC=example,DC=com` to `uid=<name>,ou=people,...`:
/// the choice over LDAPS and over StartTLS, then a declined and a rejected
/// certificate. `files` gives each identity's `(certificate, key)` files.
async fn scenarios(
    ldaps: &str,
    ldap: &str,
    ca: &Path,
    files: &[(&str, PathBuf, PathBuf)],
    dir: &Path,
) -> Result<(), String> {
    let identities = |sub: &str, names: &[&str]| -> Result<PathBuf, String> {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
        for (name, crt, key) in files.iter().filter(|(n, _, _)| names.contains(n)) {
            // Numbered so the store tries them in this order.
            let at = names.iter().position(|n| n == name).unwrap_or(0) + 1;
            std::fs::copy(crt, d.join(format!("{at}-{name}.crt"))).map_err(|e| e.to_string())?;
            std::fs::copy(key, d.join(format!("{at}-{name}.key"))).map_err(|e| e.to_string())?;
        }
        Ok(d)
    };
    // mallory (an untrusted CA), carol (an intermediate of CA-A, chain
    // included), bob (CA-B): the store takes the first one a named CA issued.
    let three = identities("three", &["mallory", "carol", "bob"])?;
    let carol: AuthzId = "dn:uid=carol,ou=people,dc=example,dc=com"
        .parse()
        .map_err(|e| format!("{e}"))?;
    println!("\n=== LDAPS: {ldaps} ===");
    negotiate(ldaps, Some(ca), &three, false, Offer::Store, Some(&carol)).await?;
    println!("\n=== StartTLS: {ldap} ===");
    negotiate(ldap, Some(ca), &three, true, Offer::Store, Some(&carol)).await?;

    let alone = identities("mallory", &["mallory"])?;
    println!("\n=== Declined: only mallory, whom no named CA issued ===");
    match negotiate(ldaps, Some(ca), &alone, false, Offer::Store, None).await {
        Ok(()) => return Err("the server let an anonymous client in".to_owned()),
        Err(e) => println!("As expected, the server refused the handshake:\n  {e}"),
    }
    println!("\n=== Rejected: mallory sent anyway ===");
    match negotiate(ldaps, Some(ca), &alone, false, Offer::First, None).await {
        Ok(()) => return Err("the server accepted an untrusted certificate".to_owned()),
        Err(e) => println!("As expected, the server rejected the certificate:\n  {e}"),
    }
    Ok(())
}

/// The default: everything in this process. A test PKI (CA-A with an
/// intermediate, CA-B, an untrusted CA) and a `TestServer` that trusts
/// CA-A and CA-B; nothing to install, on any OS.
async fn in_process() -> Result<(), String> {
    let pki = TestPki::new().map_err(|e| format!("test PKI: {e}"))?;
    let server = TestServer::builder(&pki)
        .trust(&["ca-a", "ca-b"])
        .client_auth(ClientAuth::Required)
        .external_mapping(ExternalMapping::Template(
            "uid={CN},ou=people,dc=example,dc=com".to_owned(),
        ))
        .start()
        .await
        .map_err(|e| format!("test server: {e}"))?;
    println!("An in-process LDAP test server (tokio_ldap::testkit::TestServer) on 127.0.0.1:");
    println!("it demands a client certificate issued by Test CA-A or Test CA-B, and SASL");
    println!("EXTERNAL maps CN=NAME,OU=people,... to uid=NAME,ou=people,dc=example,dc=com.");
    let dir = std::env::temp_dir().join(format!("tokio-ldap-negotiate-{}", std::process::id()));
    let files = pki
        .write_identities(&dir.join("all"), &["mallory", "carol", "bob"])
        .map_err(|e| e.to_string())?;
    let ca = dir.join("ca-a.pem");
    pki.write_cas(&ca, &["ca-a"]).map_err(|e| e.to_string())?;
    let files: Vec<(&str, PathBuf, PathBuf)> = ["mallory", "carol", "bob"]
        .into_iter()
        .zip(files)
        .map(|(n, (c, k))| (n, c, k))
        .collect();
    let outcome = scenarios(&server.ldaps_url(), &server.ldap_url(), &ca, &files, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

/// The demo runs slapd or 389-DS through the test harness, which is
/// Unix-only.
#[cfg(not(unix))]
async fn demo(_server: Server) -> Result<(), String> {
    Err(
        "--demo starts a throwaway server, which needs Unix; run without arguments for the \
         in-process server, or use --url against a server"
            .to_owned(),
    )
}

#[cfg(unix)]
async fn demo(server: Server) -> Result<(), String> {
    use support::ds389::{ClientAuth as DsClientAuth, Ds389};
    use support::slapd::{Slapd, SlapdOptions, VerifyClient};

    let slapd;
    let (ldap_url, ldaps_url, f, dir) = match server {
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
            let ds = Ds389::shared(DsClientAuth::Required);
            println!("{} ready in {:?}", ds.version(), ds.creation_time());
            let dir = ds.files().dir.join("identities");
            (ds.ldap_url(), ds.ldaps_url(), ds.files(), dir)
        }
    };
    let files = [
        ("mallory", f.mallory_crt.clone(), f.mallory_key.clone()),
        ("carol", f.carol_chain.clone(), f.carol_key.clone()),
        ("bob", f.bob_crt.clone(), f.bob_key.clone()),
    ];
    scenarios(&ldaps_url, &ldap_url, &f.ca_a, &files, &dir).await
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(args) = parse_args() else {
        return usage();
    };
    let res = match (args.demo, args.url.as_deref(), args.certs.as_deref()) {
        (true, _, _) => demo(args.server).await,
        (false, Some(url), Some(certs)) => {
            negotiate(
                url,
                args.ca.as_deref(),
                certs,
                args.starttls,
                Offer::Store,
                None,
            )
            .await
        }
        (false, None, None) => in_process().await,
        _ => return usage(),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
