//! LDAP requests encoded by hand, and a reader of the result code of a
//! response: the floor loops, which do an LDAP client's exchanges with no
//! client library, are written with them.

use std::net::SocketAddr;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// A TCP connection to `addr` (TCP_NODELAY) and a full TLS handshake on
/// it, as every floor loop starts.
pub async fn tls_connect(connector: &TlsConnector, addr: SocketAddr) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    connector
        .connect(ServerName::from(addr.ip()), tcp)
        .await
        .expect("handshake")
}

/// A SASL EXTERNAL bind request, message 1. It carries empty credentials
/// (without them slapd asks for some: saslBindInProgress).
pub const BIND_EXTERNAL: &[u8] =
    b"\x30\x18\x02\x01\x01\x60\x13\x02\x01\x03\x04\x00\xa3\x0c\x04\x08EXTERNAL\x04\x00";
/// A WhoAmI extended request (RFC 4532), message 2.
pub const WHOAMI: &[u8] = b"\x30\x1e\x02\x01\x02\x77\x19\x80\x171.3.6.1.4.1.4203.1.11.3";
/// An unbind request, message 3.
pub const UNBIND: &[u8] = b"\x30\x05\x02\x01\x03\x42\x00";

/// Reads one LDAP message into `buf` and returns its result code (a
/// BindResponse or ExtendedResponse: SEQUENCE, messageID, [APPLICATION n],
/// then the ENUMERATED resultCode).
pub async fn read_result_code<R: tokio::io::AsyncRead + Unpin>(r: &mut R, buf: &mut Vec<u8>) -> u8 {
    use tokio::io::AsyncReadExt;
    buf.clear();
    while tlv_end(buf, 0).is_none_or(|end| buf.len() < end) {
        let mut chunk = [0u8; 256];
        let got = r.read(&mut chunk).await.expect("read");
        assert!(got > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..got]);
    }
    let id = content_start(buf, 0).expect("the message's header");
    let op = id + 2 + usize::from(buf[id + 1]);
    let body = content_start(buf, op).expect("the response's header");
    assert_eq!(buf[body], 0x0a, "a resultCode");
    buf[body + 2]
}

/// Where the content of the TLV at `at` starts, if its header is in `buf`.
fn content_start(buf: &[u8], at: usize) -> Option<usize> {
    let first = *buf.get(at + 1)?;
    if first < 0x80 {
        return Some(at + 2);
    }
    let n = usize::from(first & 0x7f);
    (buf.len() >= at + 2 + n).then_some(at + 2 + n)
}

/// Where the TLV at `at` ends, if its header is in `buf`.
fn tlv_end(buf: &[u8], at: usize) -> Option<usize> {
    let start = content_start(buf, at)?;
    let first = buf[at + 1];
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        buf[at + 2..start]
            .iter()
            .fold(0usize, |l, b| (l << 8) | usize::from(*b))
    };
    Some(start + len)
}
