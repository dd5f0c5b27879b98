//! Typed controls.
