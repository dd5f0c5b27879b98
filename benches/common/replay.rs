//! A replaying search server: the client-bound view of the search loop.
//!
//! It answers a SearchRequest for `ou=NAME,dc=example,dc=com` with a
//! result encoded once, before the benchmark starts (N entries shaped like
//! the slapd data of [`super::data`], then SearchResultDone), written to the
//! TLS stream as fast as the socket takes it. It does no directory work, so
//! what limits a loop against it is the client, TLS and the loopback.
//! Beside it, [`floor_variant`] is the physical floor: a bare tokio-rustls
//! reader that sends the same request and only decrypts and discards the
//! same bytes.
//!
//! The server runs on its own thread (named with
//! [`SERVER_THREAD_PREFIX`]), with a current-thread runtime, so that its
//! CPU is not counted as the client's. It requires and verifies a client
//! certificate (CA A or CA B), like the responder.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use tokio_ldap::ber::{frame_len, Tag, Writer};
use tokio_ldap::proto::{LdapMessage, ProtocolOp};
use tokio_ldap::testkit::pki::Pki;

use super::data::container_dn;
use super::{Variant, SERVER_THREAD_PREFIX};

/// Results by (base DN, message ID), encoded on first use, for IDs up to 4:
/// the ID is 1 for a search sent first on a new connection, so one
/// encoding serves every loop that connects per search.
type Cache = Mutex<HashMap<(String, i32), Arc<Vec<u8>>>>;

/// A running replay server; it lives as long as the process.
#[derive(Clone)]
pub struct Replay {
    /// The LDAPS listener.
    pub addr: SocketAddr,
    sizes: Arc<HashMap<String, usize>>,
    cache: Arc<Cache>,
}

impl Replay {
    /// Starts the server for the subtrees `sizes` (`(ou, entries)`), and
    /// encodes each result once for message ID 1.
    pub fn start(pki: &Pki, sizes: &[(&str, usize)]) -> Self {
        let config = tokio_ldap::testkit::responder::server_config(pki).expect("server config");
        let acceptor = TlsAcceptor::from(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let replay = Self {
            addr,
            sizes: Arc::new(sizes.iter().map(|&(ou, n)| (container_dn(ou), n)).collect()),
            cache: Arc::default(),
        };
        for &(ou, _) in sizes {
            replay.result(&container_dn(ou), 1);
        }
        let server = replay.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("replay runtime");
        std::thread::Builder::new()
            .name(format!("{SERVER_THREAD_PREFIX}-replay"))
            .spawn(move || {
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("listener");
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        let _ = tcp.set_nodelay(true);
                        let (acceptor, server) = (acceptor.clone(), server.clone());
                        tokio::spawn(async move {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                let _ = server.session(tls).await;
                            }
                        });
                    }
                });
            })
            .expect("replay thread");
        replay
    }

    /// `ldaps://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("ldaps://{}", self.addr)
    }

    /// The encoded result for a search of `base` with message ID `id`
    /// (empty when `base` is unknown: only a SearchResultDone).
    fn result(&self, base: &str, id: i32) -> Arc<Vec<u8>> {
        let n = self.sizes.get(base).copied().unwrap_or(0);
        if id > 4 {
            // A long-lived connection (small results): encoded each time,
            // not kept.
            return Arc::new(encode_result(base, n, id));
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((base.to_owned(), id))
            .or_insert_with(|| Arc::new(encode_result(base, n, id)))
            .clone()
    }

    /// The bytes of the result for `ou` with message ID 1.
    pub fn result_len(&self, ou: &str) -> usize {
        self.result(&container_dn(ou), 1).len()
    }

    /// Answers searches (and binds, with success) until unbind or EOF.
    async fn session<S: AsyncRead + AsyncWrite + Unpin>(&self, mut io: S) -> std::io::Result<()> {
        let mut buf = BytesMut::with_capacity(4096);
        loop {
            while let Ok(Some(len)) = frame_len(&buf, 1 << 20) {
                if len > buf.len() {
                    break;
                }
                let frame = buf.split_to(len).freeze();
                let Ok(msg) = LdapMessage::decode(frame) else {
                    return Ok(());
                };
                match msg.op {
                    ProtocolOp::SearchRequest(req) => {
                        let result = self.result(&req.base, msg.id.get());
                        io.write_all(&result).await?;
                        io.flush().await?;
                    }
                    ProtocolOp::BindRequest(_) => {
                        let mut out = Vec::new();
                        Writer::new(&mut out).sequence(Tag::SEQUENCE, |w| {
                            w.integer(Tag::INTEGER, msg.id.get().into());
                            w.sequence(Tag::application(1).constructed(), |w| {
                                w.integer(Tag::ENUMERATED, 0);
                                w.octet_string(Tag::OCTET_STRING, b"");
                                w.octet_string(Tag::OCTET_STRING, b"");
                            });
                        });
                        io.write_all(&out).await?;
                        io.flush().await?;
                    }
                    ProtocolOp::UnbindRequest => return io.shutdown().await,
                    _ => {}
                }
            }
            buf.reserve(4096);
            if io.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
    }
}

/// One SearchResultEntry per entry of `ou=...` (the attributes slapd
/// returns for the bulk data with `*`), then a SearchResultDone.
fn encode_result(base: &str, n: usize, id: i32) -> Vec<u8> {
    let filler = "Benchmark entry with a description long enough to make the whole \
                  entry about four hundred bytes on the wire, like a typical person.";
    let mut out = Vec::with_capacity(n * 420 + 64);
    let mut w = Writer::new(&mut out);
    for i in 0..n {
        let attrs: [(&str, String); 9] = [
            ("objectClass", "inetOrgPerson".to_owned()),
            ("uid", format!("u{i:07}")),
            ("cn", format!("User {i:07}")),
            ("sn", format!("Surname{i:07}")),
            ("givenName", format!("Given{i:07}")),
            ("mail", format!("u{i:07}@example.com")),
            ("telephoneNumber", format!("+1 555 {i:07}")),
            ("title", "Engineer".to_owned()),
            ("description", format!("{filler} {i}")),
        ];
        let dn = format!("uid=u{i:07},{base}");
        w.sequence(Tag::SEQUENCE, |w| {
            w.integer(Tag::INTEGER, id.into());
            w.sequence(Tag::application(4).constructed(), |w| {
                w.octet_string(Tag::OCTET_STRING, dn.as_bytes());
                w.sequence(Tag::SEQUENCE, |w| {
                    for (name, value) in &attrs {
                        w.sequence(Tag::SEQUENCE, |w| {
                            w.octet_string(Tag::OCTET_STRING, name.as_bytes());
                            w.sequence(Tag::SET, |w| {
                                w.octet_string(Tag::OCTET_STRING, value.as_bytes());
                            });
                        });
                    }
                });
            });
        });
    }
    w.sequence(Tag::SEQUENCE, |w| {
        w.integer(Tag::INTEGER, id.into());
        w.sequence(Tag::application(5).constructed(), |w| {
            w.integer(Tag::ENUMERATED, 0);
            w.octet_string(Tag::OCTET_STRING, b"");
            w.octet_string(Tag::OCTET_STRING, b"");
        });
    });
    out
}

/// The SearchRequest the floor sends (message ID 1, subtree, `(objectClass=*)`,
/// all user attributes), as our client sends it.
fn search_request(base: &str) -> Vec<u8> {
    let mut out = Vec::new();
    Writer::new(&mut out).sequence(Tag::SEQUENCE, |w| {
        w.integer(Tag::INTEGER, 1);
        w.sequence(Tag::application(3).constructed(), |w| {
            w.octet_string(Tag::OCTET_STRING, base.as_bytes());
            w.integer(Tag::ENUMERATED, 2);
            w.integer(Tag::ENUMERATED, 0);
            w.integer(Tag::INTEGER, 0);
            w.integer(Tag::INTEGER, 0);
            w.boolean(Tag::BOOLEAN, false);
            w.octet_string(Tag::context(7), b"objectClass");
            w.sequence(Tag::SEQUENCE, |w| w.octet_string(Tag::OCTET_STRING, b"*"));
        });
    });
    out
}

/// The floor: connect (TCP_NODELAY), TLS handshake sending alice's
/// certificate, send the search, then read and discard (decrypting) until
/// the whole result has arrived; returns the entries, for per-entry
/// figures comparable with the clients'.
pub fn floor_variant(
    replay: &Replay,
    ou: &str,
    entries: u64,
    config: Arc<ClientConfig>,
) -> Variant {
    let addr = replay.addr;
    let total = replay.result_len(ou);
    let request = Arc::new(search_request(&container_dn(ou)));
    Variant::new("bare rustls decrypt+discard", move |n| {
        let connector = TlsConnector::from(config.clone());
        let request = request.clone();
        async move {
            let mut buf = BytesMut::with_capacity(64 * 1024);
            for _ in 0..n {
                let mut tls = super::raw::tls_connect(&connector, addr).await;
                tls.write_all(&request).await.expect("send the search");
                let mut got = 0;
                while got < total {
                    buf.clear();
                    buf.reserve(64 * 1024);
                    let k = tls.read_buf(&mut buf).await.expect("read");
                    assert!(k > 0, "the replay server closed early");
                    got += k;
                }
                drop(tls);
            }
            n * entries
        }
    })
}
