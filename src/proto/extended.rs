//! Typed extended operations.
