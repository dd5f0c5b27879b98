//! Unit tests of the pool: backoff, strategies, status, builder errors.
