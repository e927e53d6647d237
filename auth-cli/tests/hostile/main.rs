//! What a hostile server, web page or local user can send, one test per attack.
//!
//! Each module covers one kind of attacker input. In every case authctl keeps working or
//! fails clearly: it never panics, never prints a secret and never loses a stored token.

mod api;
#[path = "../common/mod.rs"]
mod common;
mod files;
mod git_credential;
mod loopback;
mod output;
