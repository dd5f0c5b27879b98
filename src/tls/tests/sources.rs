//! The async certificate source's step, without a server: what it is
//! asked, what it returns, and how each failure reads.

use std::fmt;
use std::time::Duration;

use super::pki::pki;
use crate::error::Error;
use crate::tls::source::fetch;
use crate::tls::{ClientCert, SourceRequest};

fn expect_source_error(result: Result<Vec<ClientCert>, Error>) -> String {
    match result {
        Err(e @ Error::ClientCertSource(_)) => e.to_string(),
        other => panic!("expected Error::ClientCertSource, got {other:?}"),
    }
}

#[tokio::test]
async fn the_source_is_asked_for_the_url_and_its_candidates_come_back() {
    let source = |request: &SourceRequest<'_>| {
        let url = request.url().to_owned();
        async move {
            assert_eq!(url, "ldaps://ldap.example.com");
            Ok::<_, Error>(vec![pki().alice.client_cert(), pki().bob.client_cert()])
        }
    };
    let certs = fetch(&source, "ldaps://ldap.example.com", None)
        .await
        .unwrap();
    let subjects = certs.iter().map(ClientCert::subject).collect::<Vec<_>>();
    assert_eq!(
        subjects,
        [
            "CN=alice,OU=people,DC=example,DC=com",
            "CN=bob,OU=people,DC=example,DC=com"
        ]
    );
    assert_eq!(SourceRequest::new("ldap://x").url(), "ldap://x");
}

#[derive(Debug)]
struct Outer(std::io::Error);

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot reach the vault")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[tokio::test]
async fn an_error_reads_with_its_sources() {
    let source = |_: &SourceRequest<'_>| async {
        Err::<Vec<ClientCert>, _>(Outer(std::io::Error::other("connection refused")))
    };
    assert_eq!(
        expect_source_error(fetch(&source, "ldaps://h", Some(Duration::from_secs(5))).await),
        "the client certificate source failed: cannot reach the vault: connection refused"
    );
}

#[tokio::test(start_paused = true)]
async fn no_answer_within_the_timeout() {
    let source = |_: &SourceRequest<'_>| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, Error>(Vec::new())
    };
    assert_eq!(
        expect_source_error(fetch(&source, "ldaps://h", Some(Duration::from_secs(7))).await),
        "the client certificate source gave no answer within 7s (the connect timeout)"
    );
    // Slow but within the limit is fine.
    let slow = |_: &SourceRequest<'_>| async {
        tokio::time::sleep(Duration::from_secs(6)).await;
        Ok::<_, Error>(vec![pki().alice.client_cert()])
    };
    let certs = fetch(&slow, "ldaps://h", Some(Duration::from_secs(7)))
        .await
        .unwrap();
    assert_eq!(certs.len(), 1);
}

#[tokio::test]
async fn a_panic_reads_as_one() {
    let source = |_: &SourceRequest<'_>| async {
        tokio::task::yield_now().await;
        if true {
            panic!("the sidecar answered garbage");
        }
        Ok::<_, Error>(Vec::new())
    };
    assert_eq!(
        expect_source_error(fetch(&source, "ldaps://h", None).await),
        "the client certificate source panicked: the sidecar answered garbage"
    );
}
