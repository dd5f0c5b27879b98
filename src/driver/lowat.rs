//! The receive low-water mark of a TCP socket (`SO_RCVLOWAT`): the one
//! place in the crate with `unsafe` code, because no safe crate of the
//! field (`socket2`, `rustix`, `nix`) exposes the option.
//!
//! While a search streams, the driver raises the mark so that the kernel
//! reports the socket readable only once a batch of bytes has arrived
//! (one wake-up and one read per batch instead of one per segment the
//! server writes), and lowers it again to collect the tail of a result
//! (see `io.rs`). The mark changes when the kernel reports readiness,
//! never what a read returns: a read still takes whatever is there.
//!
//! Linux, Android, the BSDs and macOS honour the option in `epoll` and
//! `kqueue`; elsewhere [`set_recv_lowat`] reports it unsupported and the
//! driver reads as it always did.

use std::io;

use tokio::net::TcpStream;

/// Sets the receive low-water mark of `tcp` to `bytes` (at least 1).
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly",
    target_os = "macos",
    target_os = "ios"
))]
pub(super) fn set_recv_lowat(tcp: &TcpStream, bytes: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let value = libc::c_int::try_from(bytes.max(1)).unwrap_or(libc::c_int::MAX);
    let len = libc::socklen_t::try_from(size_of::<libc::c_int>())
        .map_err(|_| io::Error::other("the size of a C int does not fit in socklen_t"))?;
    // SAFETY: `as_raw_fd` is the open socket that `tcp` owns, and `tcp` is
    // borrowed for the whole call, so the descriptor cannot be closed or
    // reused meanwhile. `optval` points to `value`, a live, initialised
    // `c_int` on this stack frame, and `optlen` is exactly its size, which
    // is what SO_RCVLOWAT reads; the kernel does not keep the pointer.
    let rc = unsafe {
        libc::setsockopt(
            tcp.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            std::ptr::from_ref(&value).cast::<libc::c_void>(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere the option is not used: the driver reads as it always did.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly",
    target_os = "macos",
    target_os = "ios"
)))]
pub(super) fn set_recv_lowat(_tcp: &TcpStream, _bytes: usize) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SO_RCVLOWAT is not used on this platform",
    ))
}
