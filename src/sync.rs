//! Locking shared state: the bottom of the crate, below every layer.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the guard if a thread panicked while holding
/// it.
///
/// Every mutex of the crate guards plain values (a handshake record, the
/// negotiated `TlsInfo`, why the connection closed, the prepared TLS
/// config) that are written whole or field by field and hold no invariant
/// across fields, and no application code runs under any of them; so a
/// poisoned lock hides nothing, and failing instead would turn one panic
/// into many.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_poisoned_lock_still_locks() {
        let shared = Arc::new(Mutex::new(1));
        let poisoner = Arc::clone(&shared);
        let joined = std::thread::spawn(move || {
            let mut guard = lock(&poisoner);
            *guard = 2;
            panic!("poisoning the lock");
        })
        .join();
        assert!(joined.is_err());
        assert!(shared.is_poisoned());
        *lock(&shared) += 1;
        assert_eq!(*lock(&shared), 3);
    }
}
