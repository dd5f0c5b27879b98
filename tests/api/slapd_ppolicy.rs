//! Password policy (draft-behera) against slapd's ppolicy overlay: an
//! account whose password has expired, one in its grace logins and one
//! about to expire; the bind result, or the bind error, carries the typed
//! control.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio_ldap::controls::{
    PasswordPolicyError, PasswordPolicyRequest, PasswordPolicyResponse, PasswordPolicyWarning,
};
use tokio_ldap::{ConnConfig, Error, LdapConn, OpOptions, ResultCode};

use crate::support::slapd::{Slapd, SlapdOptions};

const POLICIES: &str = "ou=policies,dc=example,dc=com";
const PASSWORD: &str = "userpw";
/// pwdChangedTime of every account: 2020-01-01T00:00:00Z.
const CHANGED: u64 = 1_577_836_800;
/// How long before expiry the "soon" account is set up.
const SOON: u64 = 600;

fn account(uid: &str, policy: Option<&str>) -> String {
    let mut ldif = format!(
        "dn: uid={uid},ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: {uid}\n\
         cn: {uid}\nsn: {uid}\nuserPassword: {PASSWORD}\npwdChangedTime: 20200101000000Z\n"
    );
    if let Some(p) = policy {
        ldif.push_str(&format!("pwdPolicySubentry: cn={p},{POLICIES}\n"));
    }
    ldif
}

fn policy(name: &str, lines: &str) -> String {
    format!(
        "dn: cn={name},{POLICIES}\nobjectClass: pwdPolicy\nobjectClass: device\ncn: {name}\n\
         pwdAttribute: userPassword\n{lines}"
    )
}

/// slapd with three policies: `default` (maximum age one hour, no grace:
/// every account's password, changed in 2020, has expired), `grace`
/// (three grace logins) and `soon` (a maximum age that ends [`SOON`]
/// seconds from now, with a warning for the last half hour).
fn ppolicy_slapd() -> Slapd {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let soon_age = now - CHANGED + SOON;
    let ldif = [
        format!("dn: {POLICIES}\nobjectClass: organizationalUnit\nou: policies\n"),
        policy("default", "pwdMaxAge: 3600\n"),
        policy("grace", "pwdMaxAge: 3600\npwdGraceAuthNLimit: 3\n"),
        policy(
            "soon",
            &format!("pwdMaxAge: {soon_age}\npwdExpireWarning: 1800\n"),
        ),
        account("expired", None),
        account("grace", Some("grace")),
        account("soon", Some("soon")),
    ]
    .join("\n");
    Slapd::start(SlapdOptions {
        ppolicy_default: Some(format!("cn=default,{POLICIES}")),
        extra_ldif: ldif,
        ..Default::default()
    })
}

fn dn(uid: &str) -> String {
    format!("uid={uid},ou=people,dc=example,dc=com")
}

async fn connect(slapd: &Slapd) -> LdapConn {
    // Passwords over loopback in clear: the policy, not TLS, is under test.
    let config = ConnConfig::new().allow_insecure_password(true);
    LdapConn::connect(&slapd.ldap_url(), config).await.unwrap()
}

#[tokio::test]
async fn ppolicy_expired_password_refuses_the_bind_with_the_error_control() {
    let slapd = ppolicy_slapd();
    let conn = connect(&slapd).await;
    let err = conn
        .with(OpOptions::new().control(PasswordPolicyRequest))
        .detailed()
        .bind_simple(&dn("expired"), PASSWORD)
        .await
        .unwrap_err();
    let Error::Ldap(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.result().code, ResultCode::INVALID_CREDENTIALS);
    assert_eq!(err.to_string(), "bind failed: invalidCredentials (49)");
    let policy = e
        .control::<PasswordPolicyResponse>()
        .expect("a password policy control on the refused bind")
        .unwrap();
    assert_eq!(
        policy,
        PasswordPolicyResponse::new(None, Some(PasswordPolicyError::PasswordExpired))
    );
    // Without the request, the same refusal comes without the control.
    let err = conn
        .bind_simple(&dn("expired"), PASSWORD)
        .await
        .unwrap_err();
    let Error::Ldap(e) = &err else {
        panic!("{err:?}")
    };
    assert!(e.control::<PasswordPolicyResponse>().is_none());
    // ldapwhoami reads the same from the server.
    let out = slapd.ldap_tool_output(
        "ldapwhoami",
        &[
            "-x",
            "-H",
            &slapd.ldap_url(),
            "-D",
            &dn("expired"),
            "-w",
            PASSWORD,
            "-e",
            "ppolicy",
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Password expired"), "{stderr}");
}

#[tokio::test]
async fn ppolicy_grace_logins_and_expiry_warnings_come_with_the_bind_result() {
    let slapd = ppolicy_slapd();
    let conn = connect(&slapd).await;
    let with_request = || conn.with(OpOptions::new().control(PasswordPolicyRequest));

    // Each bind uses one of the three grace logins.
    for remaining in [2, 1, 0] {
        let response = with_request()
            .detailed()
            .bind_simple(&dn("grace"), PASSWORD)
            .await
            .unwrap();
        assert_eq!(response.result().code, ResultCode::SUCCESS);
        let policy = response
            .control::<PasswordPolicyResponse>()
            .expect("a password policy control")
            .unwrap();
        assert_eq!(
            policy,
            PasswordPolicyResponse::new(
                Some(PasswordPolicyWarning::GraceAuthNsRemaining(remaining)),
                None
            )
        );
    }
    // Then the password has expired for good.
    let err = with_request()
        .detailed()
        .bind_simple(&dn("grace"), PASSWORD)
        .await
        .unwrap_err();
    let Error::Ldap(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.result().code, ResultCode::INVALID_CREDENTIALS);
    assert_eq!(
        e.control::<PasswordPolicyResponse>()
            .unwrap()
            .unwrap()
            .error,
        Some(PasswordPolicyError::PasswordExpired)
    );

    // About to expire: the warning says in how many seconds.
    let response = with_request()
        .detailed()
        .bind_simple(&dn("soon"), PASSWORD)
        .await
        .unwrap();
    let policy = response
        .control::<PasswordPolicyResponse>()
        .expect("a password policy control")
        .unwrap();
    assert_eq!(policy.error, None);
    match policy.warning {
        Some(PasswordPolicyWarning::TimeBeforeExpiration(secs)) => {
            assert!((SOON - 120..=SOON).contains(&u64::from(secs)), "{secs}")
        }
        other => panic!("expected timeBeforeExpiration, got {other:?}"),
    }
    // The raw bytes, as a cross-check of the decoder: SEQUENCE { [0] { [0] INTEGER } }.
    let raw = response
        .controls()
        .iter()
        .find(|c| c.oid == PasswordPolicyResponse::OID)
        .and_then(|c| c.value.clone())
        .unwrap();
    assert_eq!(&raw[..2], [0x30, raw.len() as u8 - 2]);
    assert_eq!(&raw[2..5], [0xa0, raw.len() as u8 - 4, 0x80]);
}
