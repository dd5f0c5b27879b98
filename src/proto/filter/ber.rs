//! BER encoding and decoding of filters (RFC 4511 §4.5.1.7).
