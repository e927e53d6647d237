//! A private `redis-server` for the Redis store tests and the Redis bench: Debian's package
//! (installed when missing), started by `auth_testkit::RedisServer` on a free port of
//! 127.0.0.1 without persistence, in plain text or TLS only (with a self-signed certificate
//! that `openssl` makes), and stopped by its PID when dropped.

use crate::util::{Workspace, ensure_debian_packages};

/// A running `redis-server`. Dropping it stops the server.
pub(crate) struct RedisServer(auth_testkit::RedisServer);

impl RedisServer {
    /// Installs `redis-server` when missing, starts it and waits until it answers.
    pub(crate) fn start(ws: &Workspace) -> Result<RedisServer, String> {
        ensure_debian_packages(&ws.sh, &[("redis-server", "redis-server")])?;
        auth_testkit::RedisServer::start().map(RedisServer)
    }

    /// Like [`start`](RedisServer::start), a server that speaks only TLS.
    pub(crate) fn start_tls(ws: &Workspace) -> Result<RedisServer, String> {
        ensure_debian_packages(
            &ws.sh,
            &[("redis-server", "redis-server"), ("openssl", "openssl")],
        )?;
        auth_testkit::RedisServer::start_tls().map(RedisServer)
    }

    /// The URL of database 0.
    pub(crate) fn url(&self) -> String {
        self.0.url()
    }

    /// The environment of the tests that use it: the plain server's URL, or the TLS
    /// server's URL and the certificate to trust.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        match self.0.ca_file() {
            None => vec![("AUTHCTL_TEST_REDIS_URL", self.url())],
            Some(ca) => vec![
                ("AUTHCTL_TEST_REDIS_TLS_URL", self.url()),
                ("AUTHCTL_TEST_REDIS_CA_FILE", ca.display().to_string()),
            ],
        }
    }
}
