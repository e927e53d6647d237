//! A private `redis-server` for the Redis store tests and the Redis bench: Debian's package
//! (installed when missing), started by `auth_testkit::RedisServer` on a free port of
//! 127.0.0.1 without persistence, and stopped by its PID when dropped.

use crate::util::{Workspace, ensure_debian_packages};

/// A running `redis-server`. Dropping it stops the server.
pub(crate) struct RedisServer(auth_testkit::RedisServer);

impl RedisServer {
    /// Installs `redis-server` when missing, starts it and waits until it answers.
    pub(crate) fn start(ws: &Workspace) -> Result<RedisServer, String> {
        ensure_debian_packages(&ws.sh, &[("redis-server", "redis-server")])?;
        auth_testkit::RedisServer::start().map(RedisServer)
    }

    /// The URL of database 0.
    pub(crate) fn url(&self) -> String {
        self.0.url()
    }

    /// The environment of the tests that use it.
    pub(crate) fn env(&self) -> [(&'static str, String); 1] {
        [("AUTHCTL_TEST_REDIS_URL", self.url())]
    }
}
