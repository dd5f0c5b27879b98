//! Unit tests of the router: no socket, no driver.
