//! The connection to Redis: the blocking one (always), the tokio one (feature
//! `redis-tokio`, used when the caller runs inside a tokio runtime), and the one mapping
//! from Redis errors to [`Error`], which names Redis and the URL without its password.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use auth_core::{Error, Secret};
use redis::{Cmd, ConnectionLike as _, FromRedisValue, RedisError};

/// What every error needs to say where it happened, without a secret.
#[derive(Clone)]
pub(crate) struct Place {
    /// The URL without its password.
    pub(crate) shown: String,
    /// The password, to scrub it from any message that might echo it.
    pub(crate) password: Option<Secret>,
    /// Where the CA the store trusts for TLS comes from, when it was given one.
    pub(crate) ca: Option<String>,
    /// How a person gives the store a CA, added to the error for an untrusted certificate.
    pub(crate) ca_hint: String,
}

impl Place {
    /// The store error for a failed Redis call.
    pub(crate) fn error(&self, e: &RedisError) -> Error {
        let detail = self.scrub(&e.to_string());
        let shown = &self.shown;
        if is_untrusted_certificate(e) {
            let hint = match &self.ca {
                Some(ca) => format!(
                    "check that {ca} is the CA that signed the server's certificate, and that \
                     the certificate is for the host of the URL"
                ),
                None => format!(
                    "the store trusts the system's root certificates; if a private CA signed \
                     the server's certificate, {}",
                    self.ca_hint
                ),
            };
            Error::store(
                "redis",
                format!("the TLS certificate of Redis at {shown} is not trusted: {detail}"),
                hint,
            )
        } else if e.is_io_error()
            || e.is_connection_refusal()
            || e.is_timeout()
            || e.is_connection_dropped()
        {
            Error::store(
                "redis",
                format!("cannot reach Redis at {shown}: {detail}"),
                "check that the Redis server is running and reachable at that address, and that \
                 the URL, password and TLS setting are right; this store never falls back to \
                 another one",
            )
        } else if e.kind() == redis::ErrorKind::AuthenticationFailed {
            Error::store(
                "redis",
                format!("Redis at {shown} refused the credentials: {detail}"),
                "check the user name and password for this Redis server",
            )
        } else {
            Error::store(
                "redis",
                format!("Redis at {shown} answered with an error: {detail}"),
                "check that the server is Redis 6.2 or newer (or a compatible one) and that this \
                 user may run GET, SET, HSET, HMGET, DEL, SCAN and EVAL",
            )
        }
    }

    fn scrub(&self, text: &str) -> String {
        match &self.password {
            Some(p) if !p.is_empty() => text.replace(p.expose(), "***"),
            _ => text.to_owned(),
        }
    }
}

/// Whether the TLS handshake failed on the server's certificate: rustls' error, inside the
/// I/O error that the redis crate keeps behind an `Arc`.
fn is_untrusted_certificate(e: &RedisError) -> bool {
    type Shared = std::sync::Arc<dyn std::error::Error + Send + Sync>;
    let Some(source) = std::error::Error::source(e) else {
        return false;
    };
    let inner: &(dyn std::error::Error + 'static) = match source.downcast_ref::<Shared>() {
        Some(shared) => &**shared,
        None => source,
    };
    let rustls = inner
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    matches!(rustls, Some(rustls::Error::InvalidCertificate(_)))
}

/// One blocking connection, opened on first use and again after it broke.
pub(crate) struct SyncLink {
    client: redis::Client,
    timeout: Duration,
    conn: Option<redis::Connection>,
}

impl SyncLink {
    pub(crate) fn new(client: redis::Client, timeout: Duration) -> Self {
        SyncLink {
            client,
            timeout,
            conn: None,
        }
    }

    /// Runs `cmd`; a broken connection is dropped so the next call opens a new one.
    pub(crate) fn query<T: FromRedisValue>(&mut self, cmd: &Cmd) -> Result<T, RedisError> {
        let conn = match &mut self.conn {
            Some(c) if c.is_open() => c,
            slot => {
                let c = self.client.get_connection_with_timeout(self.timeout)?;
                c.set_read_timeout(Some(self.timeout))?;
                c.set_write_timeout(Some(self.timeout))?;
                slot.insert(c)
            }
        };
        let answer = cmd.query(conn);
        if let Err(e) = &answer
            && (e.is_unrecoverable_error() || e.is_io_error() || e.is_timeout())
        {
            self.conn = None;
        }
        answer
    }
}

/// The store's connections.
pub(crate) struct Conn {
    pub(crate) place: Place,
    client: redis::Client,
    timeout: Duration,
    sync: Mutex<SyncLink>,
    #[cfg(feature = "redis-tokio")]
    tokio: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
}

impl Conn {
    pub(crate) fn new(client: redis::Client, place: Place, timeout: Duration) -> Self {
        Conn {
            place,
            sync: Mutex::new(SyncLink::new(client.clone(), timeout)),
            client,
            timeout,
            #[cfg(feature = "redis-tokio")]
            tokio: tokio::sync::Mutex::new(None),
        }
    }

    /// A blocking link of its own, for a thread that outlives one call (the lease keeper).
    pub(crate) fn link(&self) -> SyncLink {
        SyncLink::new(self.client.clone(), self.timeout)
    }

    /// Runs `cmd`: over the async connection inside a tokio runtime (feature
    /// `redis-tokio`), else over the blocking one.
    pub(crate) async fn query<T: FromRedisValue + Send>(&self, cmd: &Cmd) -> Result<T, Error> {
        #[cfg(feature = "redis-tokio")]
        if tokio::runtime::Handle::try_current().is_ok() {
            return self.query_async(cmd).await;
        }
        self.sync
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .query(cmd)
            .map_err(|e| self.place.error(&e))
    }

    /// Waits `pause`, without blocking a tokio runtime's thread when there is one.
    pub(crate) async fn pause(&self, pause: Duration) {
        #[cfg(feature = "redis-tokio")]
        if tokio::runtime::Handle::try_current().is_ok() {
            return tokio::time::sleep(pause).await;
        }
        std::thread::sleep(pause);
    }

    /// The multiplexed connection is bound to the runtime that opened it; when that
    /// runtime is gone its first use fails as dropped, so a dropped cached connection is
    /// replaced and the command sent once more (it never reached the server).
    #[cfg(feature = "redis-tokio")]
    async fn query_async<T: FromRedisValue + Send>(&self, cmd: &Cmd) -> Result<T, Error> {
        let fail = |e: RedisError| self.place.error(&e);
        let (mut conn, cached) = {
            let mut slot = self.tokio.lock().await;
            match slot.as_ref() {
                Some(c) => (c.clone(), true),
                None => {
                    let c = self.open_async().await.map_err(fail)?;
                    *slot = Some(c.clone());
                    (c, false)
                }
            }
        };
        match cmd.query_async(&mut conn).await {
            Err(e) if cached && e.is_connection_dropped() => {
                let mut fresh = self.open_async().await.map_err(fail)?;
                *self.tokio.lock().await = Some(fresh.clone());
                cmd.query_async(&mut fresh).await.map_err(fail)
            }
            Err(e) => {
                if e.is_unrecoverable_error() || e.is_io_error() {
                    *self.tokio.lock().await = None;
                }
                Err(fail(e))
            }
            Ok(v) => Ok(v),
        }
    }

    #[cfg(feature = "redis-tokio")]
    async fn open_async(&self) -> Result<redis::aio::MultiplexedConnection, RedisError> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }
}
