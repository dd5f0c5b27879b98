//! Tests of the test harness itself: the PKI and the slapd instances, checked
//! with the OpenSSL and OpenLDAP command-line tools only.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use x509_parser::prelude::FromDer as _;

use crate::support::pki::{KeyType, Pki};
use crate::support::slapd::{
    Slapd, SlapdOptions, TlsVersions, VerifyClient, ADMIN_DN, ADMIN_PW, BASE_DN, USERS,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

#[track_caller]
fn assert_whoami(out: &Output, expected: &str, slapd: &Slapd) {
    assert!(
        out.status.success() && text(&out.stdout).trim() == expected,
        "expected `{expected}`, got {}\nslapd log:\n{}",
        describe(out),
        slapd.log()
    );
}

#[track_caller]
fn assert_fails(out: &Output, what: &str) {
    assert!(
        !out.status.success(),
        "{what} unexpectedly succeeded: {}",
        describe(out)
    );
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl ({e}): run scripts/install-test-deps"))
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn verify(ca_file: &Path, untrusted: Option<&Path>, cert: &Path) -> Output {
    let mut args = vec!["verify", "-CAfile", path_str(ca_file)];
    if let Some(chain) = untrusted {
        args.extend(["-untrusted", path_str(chain)]);
    }
    args.push(path_str(cert));
    openssl(&args)
}

fn subject_rfc2253(cert: &Path) -> String {
    let out = openssl(&[
        "x509",
        "-noout",
        "-subject",
        "-issuer",
        "-nameopt",
        "RFC2253",
        "-in",
        path_str(cert),
    ]);
    assert!(out.status.success(), "openssl x509: {}", describe(&out));
    text(&out.stdout)
}

const OID_DC: &str = "0.9.2342.19200300.100.1.25";
const OID_O: &str = "2.5.4.10";
const OID_OU: &str = "2.5.4.11";
const OID_CN: &str = "2.5.4.3";

fn rdn_oids(name_der: &[u8]) -> Vec<String> {
    let (rest, name) = x509_parser::x509::X509Name::from_der(name_der).expect("DER Name");
    assert!(rest.is_empty());
    name.iter()
        .map(|rdn| {
            let attrs: Vec<_> = rdn.iter().collect();
            assert_eq!(attrs.len(), 1, "one attribute per RDN");
            attrs[0].attr_type().to_id_string()
        })
        .collect()
}

#[test]
fn pki_structure_and_openssl_verify() {
    let pki = Pki::ec();
    assert_eq!(pki.key_type, KeyType::Ec);

    // Issuer/subject links, byte for byte.
    assert_eq!(pki.alice.issuer_der, pki.ca_a.subject_der);
    assert_eq!(pki.server.issuer_der, pki.ca_a.subject_der);
    assert_eq!(pki.bob.issuer_der, pki.ca_b.subject_der);
    assert_eq!(pki.carol.issuer_der, pki.ca_a_int.subject_der);
    assert_eq!(pki.ca_a_int.issuer_der, pki.ca_a.subject_der);
    assert_eq!(pki.mallory.issuer_der, pki.ca_evil.subject_der);
    assert_eq!(pki.ca_a.issuer_der, pki.ca_a.subject_der);
    assert_eq!(pki.ca_a_subject_der(), pki.ca_a.subject_der.as_slice());
    assert_ne!(pki.ca_a_subject_der(), pki.ca_b_subject_der());
    // 91 bytes, `30 59 ...`: the same encoding as `openssl req -subj` gives.
    assert_eq!(pki.ca_a_subject_der().len(), 91);
    assert_eq!(pki.ca_a_subject_der()[..2], [0x30, 0x59]);

    // The stored subject is what x509-parser sees in the certificate.
    let (_, alice) = x509_parser::parse_x509_certificate(&pki.alice.cert_der).unwrap();
    assert_eq!(alice.issuer().as_raw(), pki.ca_a_subject_der());
    let (_, ca_a) = x509_parser::parse_x509_certificate(&pki.ca_a.cert_der).unwrap();
    assert_eq!(ca_a.subject().as_raw(), pki.ca_a_subject_der());
    let bc = ca_a
        .basic_constraints()
        .unwrap()
        .expect("CA A has basicConstraints");
    assert!(bc.critical && bc.value.ca);
    let ku = ca_a.key_usage().unwrap().expect("CA A has keyUsage");
    assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
    assert!(ca_a
        .get_extension_unique(&x509_parser::oid_registry::OID_X509_EXT_SUBJECT_KEY_IDENTIFIER)
        .unwrap()
        .is_some());
    let (_, int) = x509_parser::parse_x509_certificate(&pki.ca_a_int.cert_der).unwrap();
    let bc = int.basic_constraints().unwrap().unwrap().value;
    assert!(bc.ca);
    assert_eq!(bc.path_len_constraint, Some(0));

    // Most general RDN first, one attribute per RDN (as `openssl -subj` makes them).
    assert_eq!(
        rdn_oids(pki.ca_a_subject_der()),
        [OID_DC, OID_DC, OID_O, OID_CN]
    );
    assert_eq!(
        rdn_oids(&pki.alice.subject_der),
        [OID_DC, OID_DC, OID_OU, OID_CN]
    );
    assert_eq!(rdn_oids(&pki.ca_evil.subject_der), [OID_O, OID_CN]);
    assert_eq!(rdn_oids(&pki.server.subject_der), [OID_CN]);

    let dir = tempfile::tempdir().unwrap();
    let files = pki.write_to(dir.path()).expect("write the test PKI");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&files.server_key)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "server.key mode");
    }
    let bundle = std::fs::read_to_string(&files.ca_bundle).unwrap();
    assert_eq!(
        bundle,
        format!("{}{}", pki.ca_a.cert_pem, pki.ca_b.cert_pem)
    );

    assert_eq!(
        subject_rfc2253(&files.alice_crt),
        "subject=CN=alice,OU=people,DC=example,DC=com\n\
         issuer=CN=Test CA-A,O=Example Test,DC=example,DC=com\n"
    );

    // Byte-identical to the subject OpenSSL writes for the same `-subj`.
    let openssl_der = dir.path().join("openssl-ca-a.der");
    let out = openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        path_str(&files.alice_key),
        "-subj",
        "/DC=com/DC=example/O=Example Test/CN=Test CA-A",
        "-outform",
        "DER",
        "-out",
        path_str(&openssl_der),
    ]);
    assert!(out.status.success(), "openssl req: {}", describe(&out));
    let der = std::fs::read(&openssl_der).unwrap();
    let (_, theirs) = x509_parser::parse_x509_certificate(&der).unwrap();
    assert_eq!(theirs.subject().as_raw(), pki.ca_a_subject_der());

    for cert in [&files.alice_crt, &files.bob_crt, &files.server_crt] {
        let out = verify(&files.ca_bundle, None, cert);
        assert!(
            out.status.success(),
            "{}: {}",
            cert.display(),
            describe(&out)
        );
    }
    let out = verify(&files.ca_bundle, None, &files.mallory_crt);
    assert_fails(&out, "openssl verify of mallory against the bundle");
    let out = verify(&files.ca_bundle, None, &files.carol_crt);
    assert_fails(&out, "openssl verify of carol without the intermediate");
    let out = verify(&files.ca_a, Some(&files.ca_a_int), &files.carol_crt);
    assert!(
        out.status.success(),
        "carol via intermediate: {}",
        describe(&out)
    );
    let out = verify(&files.ca_evil, None, &files.mallory_crt);
    assert!(
        out.status.success(),
        "mallory under ca-evil: {}",
        describe(&out)
    );
}

#[test]
fn demand_ec_identities_and_binds() {
    let slapd = Slapd::start_default();
    let ldaps = slapd.ldaps_url();
    let ldap = slapd.ldap_url();
    eprintln!("demand/EC instance ready in {:?}", slapd.startup_time());

    for user in ["alice", "bob", "carol"] {
        let expected = format!("dn:uid={user},ou=people,dc=example,dc=com");
        let out = slapd.whoami_with_cert(&ldaps, user, &[]);
        assert_whoami(&out, &expected, &slapd);
        let out = slapd.whoami_with_cert(&ldap, user, &["-ZZ"]);
        assert_whoami(&out, &expected, &slapd);
    }

    let out = slapd.whoami_with_cert(&ldaps, "mallory", &[]);
    assert_fails(&out, "EXTERNAL with mallory's cert (untrusted CA)");

    // carol without her intermediate: slapd cannot build the chain.
    let out = slapd
        .tool_command("ldapwhoami")
        .env("LDAPTLS_CERT", &slapd.files().carol_crt)
        .env("LDAPTLS_KEY", &slapd.files().carol_key)
        .args(["-Q", "-Y", "EXTERNAL", "-H", &ldaps])
        .output()
        .unwrap();
    assert_fails(&out, "EXTERNAL with carol's leaf only");

    // No certificate at all under demand.
    let out = slapd.ldap_tool_output("ldapwhoami", &["-x", "-H", &ldaps], None);
    assert_fails(&out, "ldaps without a client certificate under demand");

    // ldapi EXTERNAL maps the test process's uid to the rootdn.
    let ldapi = slapd.ldapi_url();
    let out = slapd.ldap_tool_output("ldapwhoami", &["-Q", "-Y", "EXTERNAL", "-H", &ldapi], None);
    assert_whoami(&out, &format!("dn:{ADMIN_DN}"), &slapd);

    // Simple binds over plain LDAP (TLSVerifyClient does not apply without TLS).
    let who = slapd.ldap_tool(
        "ldapwhoami",
        &["-x", "-H", &ldap, "-D", ADMIN_DN, "-w", ADMIN_PW],
    );
    assert_eq!(who.trim(), format!("dn:{ADMIN_DN}"));
    let alice = &USERS[0];
    let who = slapd.ldap_tool(
        "ldapwhoami",
        &["-x", "-H", &ldap, "-D", alice.dn, "-w", alice.password],
    );
    assert_eq!(who.trim(), format!("dn:{}", alice.dn));
    let out = slapd.ldap_tool_output(
        "ldapwhoami",
        &["-x", "-H", &ldap, "-D", alice.dn, "-w", "wrong"],
        None,
    );
    assert_fails(&out, "simple bind with a wrong password");

    // The preloaded entries.
    let found = slapd.ldap_tool(
        "ldapsearch",
        &[
            "-x",
            "-LLL",
            "-o",
            "ldif_wrap=no",
            "-H",
            &ldap,
            "-b",
            BASE_DN,
            "(objectClass=inetOrgPerson)",
            "uid",
            "mail",
        ],
    );
    for user in USERS {
        assert!(found.contains(&format!("dn: {}\n", user.dn)), "{found}");
        assert!(found.contains(&format!("mail: {}\n", user.mail)), "{found}");
    }
    assert_eq!(found.matches("dn: ").count(), USERS.len(), "{found}");

    // EXTERNAL identity also usable for a search over ldaps.
    let out = slapd
        .tool_command("ldapsearch")
        .env("LDAPTLS_CERT", &slapd.files().bob_crt)
        .env("LDAPTLS_KEY", &slapd.files().bob_key)
        .args([
            "-Q",
            "-Y",
            "EXTERNAL",
            "-LLL",
            "-H",
            &ldaps,
            "-b",
            "ou=groups,dc=example,dc=com",
            "-s",
            "base",
            "dn",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out.stdout).trim(), "dn: ou=groups,dc=example,dc=com");
}

#[test]
fn rsa_instance() {
    let slapd = Slapd::start(SlapdOptions {
        key: KeyType::Rsa,
        ..SlapdOptions::default()
    });
    eprintln!(
        "RSA instance (incl. PKI on first use) ready in {:?}",
        slapd.startup_time()
    );
    assert_eq!(slapd.pki().key_type, KeyType::Rsa);
    let out = openssl(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        path_str(&slapd.files().server_crt),
    ]);
    assert!(
        text(&out.stdout).contains("rsaEncryption"),
        "{}",
        describe(&out)
    );
    let out = verify(&slapd.files().ca_bundle, None, &slapd.files().alice_crt);
    assert!(out.status.success(), "{}", describe(&out));

    let out = slapd.whoami_with_cert(&slapd.ldaps_url(), "alice", &[]);
    assert_whoami(&out, "dn:uid=alice,ou=people,dc=example,dc=com", &slapd);
    let out = slapd.whoami_with_cert(&slapd.ldap_url(), "carol", &["-ZZ"]);
    assert_whoami(&out, "dn:uid=carol,ou=people,dc=example,dc=com", &slapd);
    let out = slapd.whoami_with_cert(&slapd.ldaps_url(), "mallory", &[]);
    assert_fails(&out, "RSA mallory");
}

#[test]
fn tls12_only_instance() {
    let slapd = Slapd::start(SlapdOptions {
        tls: TlsVersions::Tls12Only,
        ..SlapdOptions::default()
    });
    let out = slapd.whoami_with_cert(&slapd.ldaps_url(), "alice", &[]);
    assert_whoami(&out, "dn:uid=alice,ou=people,dc=example,dc=com", &slapd);
    let out = slapd.whoami_with_cert(&slapd.ldap_url(), "bob", &["-ZZ"]);
    assert_whoami(&out, "dn:uid=bob,ou=people,dc=example,dc=com", &slapd);

    let s_client = |version: &str| {
        openssl(&[
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", slapd.ldaps_port()),
            version,
            "-CAfile",
            path_str(&slapd.files().ca_a),
            "-cert",
            path_str(&slapd.files().alice_crt),
            "-key",
            path_str(&slapd.files().alice_key),
        ])
    };
    let out = s_client("-tls1_2");
    assert!(
        out.status.success() && text(&out.stdout).contains("Protocol  : TLSv1.2"),
        "{}",
        describe(&out)
    );
    // A client that insists on TLS 1.3 cannot connect (slapd just closes).
    let out = s_client("-tls1_3");
    assert!(
        !out.status.success() && !text(&out.stdout).contains("TLSv1.3"),
        "TLS 1.3 handshake with a TLS 1.2-only slapd: {}",
        describe(&out)
    );
}

/// The CertificateRequest names CA A then CA B (the order of ca-bundle.crt)
/// on TLS 1.2 and 1.3, ldaps and StartTLS.
#[test]
fn certificate_request_names_both_cas_in_order() {
    let slapd = Slapd::start_default();
    let ca_a = path_str(&slapd.files().ca_a).to_owned();
    let expected = "Acceptable client certificate CA names\n\
                    DC = com, DC = example, O = Example Test, CN = Test CA-A\n\
                    DC = com, DC = example, O = Example Test, CN = Test CA-B\n";
    let ldaps = format!("127.0.0.1:{}", slapd.ldaps_port());
    let ldap = format!("127.0.0.1:{}", slapd.ldap_port());
    for version in ["-tls1_2", "-tls1_3"] {
        for starttls in [false, true] {
            let mut args = vec!["s_client", version, "-CAfile", &ca_a, "-connect"];
            if starttls {
                args.extend([ldap.as_str(), "-starttls", "ldap"]);
            } else {
                args.push(&ldaps);
            }
            let out = openssl(&args);
            assert!(
                text(&out.stdout).contains(expected),
                "s_client {args:?}: {}",
                describe(&out)
            );
        }
    }
}

/// Several instances at once, in different modes; each keeps its own ports
/// and directory, and dropping one leaves the others alone.
#[test]
fn parallel_instances_and_verify_modes() {
    let started = Instant::now();
    let modes = [VerifyClient::Demand, VerifyClient::Try, VerifyClient::Never];
    let instances: Vec<Slapd> = std::thread::scope(|s| {
        let handles: Vec<_> = modes
            .iter()
            .map(|&verify_client| {
                s.spawn(move || {
                    Slapd::start(SlapdOptions {
                        verify_client,
                        ..SlapdOptions::default()
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    eprintln!("3 instances in parallel ready in {:?}", started.elapsed());

    let mut ports: Vec<u16> = instances
        .iter()
        .flat_map(|i| [i.ldap_port(), i.ldaps_port()])
        .collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 6, "distinct ports");
    assert_ne!(instances[0].dir(), instances[1].dir());

    let [demand, try_, never]: [Slapd; 3] = instances.try_into().unwrap();
    let alice = "dn:uid=alice,ou=people,dc=example,dc=com";

    for slapd in [&demand, &try_] {
        let out = slapd.whoami_with_cert(&slapd.ldaps_url(), "alice", &[]);
        assert_whoami(&out, alice, slapd);
    }
    // try: no certificate is fine for TLS (anonymous), an untrusted one is not.
    let out = try_.ldap_tool_output("ldapwhoami", &["-x", "-H", &try_.ldaps_url()], None);
    assert_whoami(&out, "anonymous", &try_);
    let out = try_.ldap_tool_output(
        "ldapwhoami",
        &["-Q", "-Y", "EXTERNAL", "-H", &try_.ldaps_url()],
        None,
    );
    assert_fails(&out, "EXTERNAL without a certificate under try");
    // never: TLS works, but no certificate is requested, so no EXTERNAL.
    let out = never.ldap_tool_output("ldapwhoami", &["-x", "-H", &never.ldaps_url()], None);
    assert_whoami(&out, "anonymous", &never);
    let out = never.whoami_with_cert(&never.ldaps_url(), "alice", &[]);
    assert_fails(&out, "EXTERNAL under TLSVerifyClient never");

    // Stopping one instance leaves the others running; its directory goes away.
    let dir = demand.dir().to_path_buf();
    let pid = demand.pid();
    let stop = Instant::now();
    drop(demand);
    eprintln!("instance stopped in {:?}", stop.elapsed());
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "slapd pid {pid} still running"
    );
    let out = try_.whoami_with_cert(&try_.ldaps_url(), "bob", &[]);
    assert_whoami(&out, "dn:uid=bob,ou=people,dc=example,dc=com", &try_);
}

/// extra_ldif / extra_config / extra_global_config, unlimited size limit, and
/// adding and modifying entries through the admin helpers.
#[test]
fn extra_data_config_and_admin_writes() {
    const BULK: usize = 1200; // more than slapd's default size limit (500)
    let mut ldif =
        String::from("dn: ou=bulk,dc=example,dc=com\nobjectClass: organizationalUnit\nou: bulk\n");
    for i in 0..BULK {
        let _ = write!(
            ldif,
            "\ndn: cn=item{i:04},ou=bulk,dc=example,dc=com\nobjectClass: device\ncn: item{i:04}\n"
        );
    }
    let slapd = Slapd::start(SlapdOptions {
        extra_ldif: ldif,
        // Takes precedence over the default `access to * by * read`.
        extra_config:
            "access to dn.subtree=\"ou=bulk,dc=example,dc=com\"\n    by users read\n    by * none\n"
                .to_owned(),
        extra_global_config: "idletimeout 300\n".to_owned(),
        ..SlapdOptions::default()
    });
    let conf = std::fs::read_to_string(slapd.conf_path()).unwrap();
    assert!(conf.contains("\nidletimeout 300\n"), "{conf}");
    let ldap = slapd.ldap_url();
    let alice = &USERS[0];

    let search = |bind: &[&str]| {
        let mut args = vec!["-x", "-LLL", "-H", ldap.as_str()];
        args.extend_from_slice(bind);
        args.extend([
            "-b",
            "ou=bulk,dc=example,dc=com",
            "(objectClass=device)",
            "1.1",
        ]);
        slapd.ldap_tool("ldapsearch", &args).matches("dn: ").count()
    };
    assert_eq!(search(&["-D", alice.dn, "-w", alice.password]), BULK);
    // Anonymous users are denied even the base entry: noSuchObject (32).
    let out = slapd.ldap_tool_output(
        "ldapsearch",
        &[
            "-x",
            "-LLL",
            "-H",
            &ldap,
            "-b",
            "ou=bulk,dc=example,dc=com",
            "1.1",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(32), "{}", describe(&out));
    assert!(!text(&out.stdout).contains("dn: "), "{}", describe(&out));

    slapd.add_ldif(
        "dn: cn=devs,ou=groups,dc=example,dc=com\n\
         objectClass: groupOfNames\n\
         cn: devs\n\
         member: uid=alice,ou=people,dc=example,dc=com\n",
    );
    slapd.modify_ldif(
        "dn: uid=alice,ou=people,dc=example,dc=com\n\
         changetype: modify\n\
         replace: mail\n\
         mail: alice@new.example.com\n",
    );
    let out = slapd.ldap_tool(
        "ldapsearch",
        &[
            "-x",
            "-LLL",
            "-H",
            &ldap,
            "-b",
            BASE_DN,
            "(|(cn=devs)(uid=alice))",
            "member",
            "mail",
        ],
    );
    assert!(out.contains("dn: cn=devs,ou=groups,dc=example,dc=com\nmember: uid=alice,ou=people,dc=example,dc=com\n"), "{out}");
    assert!(out.contains("mail: alice@new.example.com\n"), "{out}");
}

/// A configuration slapd rejects makes `start` panic with slapd's own words.
#[test]
#[should_panic(expected = "unknown directive <no-such-directive>")]
fn rejected_config_fails_loudly() {
    Slapd::start(SlapdOptions {
        extra_config: "no-such-directive yes\n".to_owned(),
        ..SlapdOptions::default()
    });
}
