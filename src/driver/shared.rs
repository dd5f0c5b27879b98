//! What the driver and the handles of a connection both see.

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use tokio::sync::Semaphore;

use crate::driver::router::Notifier;
use crate::tls::TlsInfo;
use crate::transport::PhaseCell;
use crate::Error;

/// The default of [`ConnConfig::max_write_buffer`](crate::ConnConfig::max_write_buffer).
pub(crate) const DEFAULT_WRITE_BUFFER: usize = 4 * 1024 * 1024;

/// State shared between the driver and the handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) tls_info: Mutex<Option<TlsInfo>>,
    pub(crate) secure: AtomicBool,
    pub(crate) closed_with: Mutex<Option<Error>>,
    /// Set as soon as the connection is over (before the socket is shut
    /// down and `closed_with` is filled in): what
    /// [`LdapConn::is_closed`](crate::LdapConn::is_closed) reads.
    pub(crate) closing: AtomicBool,
    /// How far the connect got (the driver marks the start of the TLS
    /// handshake after StartTLS), for naming what a connect timeout
    /// stopped.
    pub(crate) phase: PhaseCell,
    /// Room for requests not yet written to the socket, in bytes: a handle
    /// takes a request's size before handing it to the driver, the driver
    /// gives it back as the bytes are written (or dropped). Closed when
    /// the connection ends.
    pub(crate) write_budget: Semaphore,
    /// The size of the budget.
    pub(crate) write_limit: usize,
    /// The listeners of unsolicited notifications.
    pub(crate) notifier: Notifier,
}

impl Shared {
    /// Shared state with a write budget of `write_limit` bytes.
    pub(crate) fn new(write_limit: usize) -> Self {
        let write_limit = write_limit.clamp(1, u32::MAX as usize);
        Self {
            tls_info: Mutex::default(),
            secure: AtomicBool::default(),
            closed_with: Mutex::default(),
            closing: AtomicBool::default(),
            phase: PhaseCell::default(),
            write_budget: Semaphore::new(write_limit),
            write_limit,
            notifier: Notifier::default(),
        }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Self::new(DEFAULT_WRITE_BUFFER)
    }
}
