//! What the driver and the handles of a connection both see.

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use crate::tls::TlsInfo;
use crate::transport::PhaseCell;
use crate::Error;

/// State shared between the driver and the handles.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) tls_info: Mutex<Option<TlsInfo>>,
    pub(crate) secure: AtomicBool,
    pub(crate) closed_with: Mutex<Option<Error>>,
    /// How far the connect got (the driver marks the start of the TLS
    /// handshake after StartTLS), for naming what a connect timeout
    /// stopped.
    pub(crate) phase: PhaseCell,
}
