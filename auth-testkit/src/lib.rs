//! Test suites that every implementation of a trait in this workspace runs, the way one
//! test set runs per provider: a store or a backend is done when its suite passes.
//!
//! - [`http_backend_tests!`] emits the `HttpBackend` suite ([`http`]) as one named
//!   `#[test]` per case;
//! - [`token_store`] runs the `TokenStore` suite;
//! - [`LoopbackHttp`] is a recording test transport running the real HTTP policy;
//! - [`StrictTokenServer`] is a token endpoint that rotates refresh tokens and revokes a
//!   grant whose refresh token is used twice;
//! - [`RecordingServer`] records every request head, for tests of where a token goes;
//! - [`RedisServer`] is a private `redis-server` that a test can stop and restart;
//! - [`hostile`] holds `proptest` strategies for what a hostile peer sends, for every
//!   parser's property tests.
//!
//! The suites panic with a message naming the broken rule, like `assert!`, so they run
//! inside `#[test]` functions.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod hostile;
pub mod http;
mod loopback_http;
mod recording_server;
mod redis_server;
mod store;
mod strict_server;
mod trace;

pub use loopback_http::{LoopbackHttp, SentRequest};
pub use recording_server::{RecordingServer, respond};
pub use redis_server::RedisServer;
pub use store::token_store;
pub use strict_server::{StrictConfig, StrictTokenServer};
pub use trace::TraceCapture;

/// What [`token_store_tests!`] expands to needs; not an API.
#[doc(hidden)]
pub mod __store {
    pub use crate::store::cases;
    pub use pollster::block_on;
}
