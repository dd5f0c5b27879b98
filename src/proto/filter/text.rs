//! The string form of filters (RFC 4515): parsing, printing, escaping.
