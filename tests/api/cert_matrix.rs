//! The client-certificate scenarios against slapd and 389-DS (filled in next).
