//! 389-DS client-certificate tests (filled in next).
