//! Streams every entry of a big subtree with one client, so that the
//! client's peak RSS can be measured from outside (`/usr/bin/time -v`);
//! `scripts/bench-rss` runs the whole measurement.
//!
//! ```sh
//! # A throwaway slapd holding N entries under ou=rss; writes the client's
//! # arguments to ARGFILE and runs until STOPFILE is removed.
//! search_rss serve N ARGFILE STOPFILE
//! # One client (ours or ldap3) streaming them, over LDAPS + SASL EXTERNAL.
//! /usr/bin/time -v search_rss ours|ldap3 URL CA CERT KEY BASE
//! ```
//!
//! The client also prints its own peak RSS (`VmHWM` of /proc/self/status).

#[path = "../tests/api/support/mod.rs"]
mod support;

// Its items are `pub` for the benches, which include it as a submodule.
#[path = "../benches/common/data.rs"]
#[allow(dead_code, unreachable_pub)]
mod data;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_ldap::{CertStore, ClientCert, ConnConfig, LdapConn, Search, SearchItem};

fn usage() -> ExitCode {
    eprintln!(
        "usage: search_rss serve N ARGFILE STOPFILE\n       search_rss ours|ldap3 URL CA CERT KEY BASE"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") if args.len() == 4 => {
            let Ok(n) = args[1].parse() else {
                return usage();
            };
            serve(n, Path::new(&args[2]), Path::new(&args[3]))
        }
        Some(client @ ("ours" | "ldap3")) if args.len() == 6 => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let [url, ca, cert, key, base] = [1, 2, 3, 4, 5].map(|i| args[i].as_str());
            let t0 = Instant::now();
            let entries = if client == "ours" {
                rt.block_on(ours(url, ca, cert, key, base))
            } else {
                rt.block_on(ldap3(url, ca, cert, key, base))
            };
            let wall = t0.elapsed();
            println!(
                "{client}: {entries} entries in {wall:.2?} ({:.0}/s), peak RSS (VmHWM) {}",
                entries as f64 / wall.as_secs_f64(),
                vm_hwm()
            );
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}

/// `serve` runs slapd through the test harness, which is Unix-only.
#[cfg(not(unix))]
fn serve(_n: usize, _argfile: &Path, _stopfile: &Path) -> ExitCode {
    eprintln!("error: serve starts a throwaway slapd, which needs Unix");
    ExitCode::FAILURE
}

#[cfg(unix)]
fn serve(n: usize, argfile: &Path, stopfile: &Path) -> ExitCode {
    use support::slapd::{Slapd, SlapdOptions};
    let slapd = Slapd::start(SlapdOptions {
        extra_config: data::BIG_DB_CONFIG.to_owned(),
        extra_ldif: data::bulk_ldif("rss", n),
        ..Default::default()
    });
    let f = slapd.files();
    let line = format!(
        "{} {} {} {} {}\n",
        slapd.ldaps_url(),
        f.ca_a.display(),
        f.alice_crt.display(),
        f.alice_key.display(),
        data::container_dn("rss")
    );
    std::fs::write(argfile, line).expect("write the argument file");
    while stopfile.exists() {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    ExitCode::SUCCESS
}

async fn ours(url: &str, ca: &str, cert: &str, key: &str, base: &str) -> u64 {
    let cert = ClientCert::from_pem_files(cert, key).expect("client certificate");
    let config = ConnConfig::new()
        .ca_file(ca)
        .client_cert_query(CertStore::new().with(cert));
    let conn = LdapConn::connect(url, config).await.expect("connect");
    conn.bind_external(None).await.expect("EXTERNAL bind");
    let mut stream = conn
        .search(Search::new(base).attributes(["*"]))
        .await
        .expect("search");
    let mut entries = 0;
    while let Some(item) = stream.next_item().await.expect("search item") {
        if let SearchItem::Entry(_) = item {
            entries += 1;
        }
    }
    drop(stream);
    conn.unbind().await.expect("unbind");
    entries
}

async fn ldap3(url: &str, ca: &str, cert: &str, key: &str, base: &str) -> u64 {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).expect("CA file") {
        roots.add(c.expect("CA certificate")).expect("root");
    }
    let chain = CertificateDer::pem_file_iter(cert)
        .expect("certificate file")
        .collect::<Result<Vec<_>, _>>()
        .expect("certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("key");
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .expect("client certificate");
    config.resumption = Resumption::disabled();
    // TCP_NODELAY through ldap3's own socket hook (it never sets it).
    let addr = url.trim_start_matches("ldaps://");
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    let settings = ldap3::LdapConnSettings::new()
        .set_config(Arc::new(config))
        .set_std_stream(ldap3::StdStream::Tcp(tcp.into_std().expect("std")));
    let (conn, mut ldap) = ldap3::LdapConnAsync::with_settings(settings, url)
        .await
        .expect("ldap3 connect");
    tokio::spawn(async move {
        let _ = conn.drive().await;
    });
    ldap.sasl_external_bind()
        .await
        .expect("bind")
        .success()
        .expect("EXTERNAL bind");
    let mut stream = ldap
        .streaming_search(base, ldap3::Scope::Subtree, "(objectClass=*)", vec!["*"])
        .await
        .expect("search");
    let mut entries = 0;
    while let Some(_entry) = stream.next().await.expect("entry") {
        entries += 1;
    }
    stream.finish().await.success().expect("search result");
    ldap.unbind().await.expect("unbind");
    entries
}

/// `VmHWM` (peak resident set size) from /proc/self/status.
fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
