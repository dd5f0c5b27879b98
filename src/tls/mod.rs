//! Temporary stand-in for the TLS layer.
#![allow(missing_docs, dead_code, unreachable_pub, clippy::all)]
use std::sync::{Arc, Mutex};
use crate::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode { Ldaps, StartTls }
#[derive(Clone, Default)]
pub(crate) struct TlsSettings;
impl TlsSettings { pub(crate) fn prepare(&self) -> Result<PreparedTls, Error> { Ok(PreparedTls) } }
pub(crate) struct PreparedTls;
#[derive(Default, Debug)]
pub(crate) struct HandshakeRecord { pub(crate) callback_panic: Option<String> }
impl PreparedTls {
    pub(crate) fn client_config(&self, _url: &str, _server_name: &str, _mode: TlsMode) -> Result<(Arc<rustls::ClientConfig>, Arc<Mutex<HandshakeRecord>>), Error> { Err(Error::Config("stub".into())) }
}
#[derive(Clone, Debug)]
pub struct TlsInfo;
impl TlsInfo { pub(crate) fn from_handshake(_c: &rustls::ClientConnection, _r: &HandshakeRecord) -> Self { TlsInfo } }
pub(crate) fn handshake_error(e: std::io::Error, _r: &HandshakeRecord) -> Error { e.into() }
pub(crate) fn closed_after_handshake(_r: &HandshakeRecord) -> Option<Error> { None }
