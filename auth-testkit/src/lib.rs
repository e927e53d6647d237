//! Test suites that every implementation of a trait in this workspace runs, the way one
//! test set runs per provider: a store or a backend is done when its suite passes.
//!
//! The suites panic with a message naming the broken rule, like `assert!`, so they are
//! called from `#[test]` functions.

mod http;
mod loopback_http;
mod store;

pub use http::http_backend;
pub use loopback_http::{LoopbackHttp, SentRequest};
pub use store::token_store;

/// What [`token_store_tests!`] expands to needs; not an API.
#[doc(hidden)]
pub mod __store {
    pub use crate::store::cases;
    pub use pollster::block_on;
}
