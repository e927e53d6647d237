//! The `HttpBackend` suite against an outside transport: `LoopbackHttp` implements only
//! `auth_http::policy::SendOnce` over a plain `TcpStream` (plain HTTP/1.1 to loopback
//! addresses, no TLS) and gets the whole policy from `auth_http::policy::PolicyBackend`.

use std::sync::Arc;

use auth_core::{HttpBackend, HttpConfig};
use auth_testkit::LoopbackHttp;

fn make(config: HttpConfig) -> Arc<dyn HttpBackend> {
    Arc::new(LoopbackHttp::with_config(config))
}

auth_testkit::http_backend_tests!(make);
