//! [`RedisStore`]: tokens on a Redis server shared by many processes and machines,
//! encrypted at rest, with a leased renewal lock and compare-and-set writes.
//!
//! # Layout
//!
//! | key | type | holds |
//! |-----|------|-------|
//! | `PREFIX:{provider:account:client}:token` | hash | `rev` (the revision), `data` (the sealed token) |
//! | `PREFIX:{provider:account:client}:lock` | string | the holder's random value, with a lease |
//! | `PREFIX:{provider}:active` | string | the active account's name |
//!
//! `PREFIX` is `authctl` unless [`RedisStoreBuilder::prefix`] says otherwise. The parts are
//! percent-encoded, so `:`, `{`, `}` and glob characters in names cannot collide. The
//! `{…}` is a Redis Cluster hash tag: every key of one token lives in one slot, so each
//! script touches a single slot.
//!
//! # Encryption at rest
//!
//! `data` is `1 || nonce || XChaCha20-Poly1305(token JSON)`, with a random 24-byte nonce
//! per write and the Redis key name as associated data (a value copied to another key does
//! not decrypt). Without a [`StoreKey`] the store refuses to read or write tokens, and the
//! error says how to make a key; deleting, listing keys and the active account work
//! without one (they hold no secret). A value that does not decrypt is an error naming
//! the key, and is never overwritten by a plain [`save`](TokenStore::save).
//!
//! # Revisions and the lock
//!
//! Every write goes through one Lua script that checks the expected revision and stores a
//! new one (the server's clock in microseconds, and always above the previous), so a late
//! writer never overwrites a newer token, and a revision is not reused after a delete.
//! [`lock`](TokenStore::lock) is `SET lock random NX PX lease` (10 s by default), renewed
//! every third of the lease by a thread while the guard lives and released by
//! compare-and-delete; a holder that dies stops renewing, so the lock frees itself within
//! one lease.
//!
//! # Connections
//!
//! The blocking connection of the `redis` crate (no tokio), opened on first use and again
//! after it broke, with a 5 s connect/read/write timeout. With the `redis-tokio` feature, a
//! call made inside a tokio runtime uses the async multiplexed connection instead; outside
//! one, the blocking connection. `rediss://` is TLS (rustls with ring): the server's
//! certificate is checked against the system's root certificates, or, when the builder is
//! given a CA ([`RedisStoreBuilder::ca_file`], [`RedisStoreBuilder::ca_certificate_pem`]),
//! against that CA alone; both connections use the same configuration. The redis crate
//! builds its TLS configuration with rustls' process-wide crypto provider: when the program has not chosen one, rustls itself installs ring (the
//! only provider this crate compiles in) on the first `rediss://` connection.

mod ca;
mod conn;
mod lease;
mod names;
mod seal;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use auth_core::store::{StoreLock, Versioned};
use auth_core::{Error, Secret, Token, TokenKey, TokenStore, async_trait};
use rand::RngCore as _;

use ca::Ca;
use conn::{Conn, Place};
use names::Names;
pub use seal::StoreKey;

/// Writes `ARGV[2]` under `KEYS[1]` if its revision is `ARGV[1]` (`''`: nothing stored,
/// `'*'`: any), and returns the new revision, or nil when the revision differed.
const WRITE: &str = r"
local cur = redis.call('HGET', KEYS[1], 'rev')
if ARGV[1] ~= '*' then
  if ARGV[1] == '' then
    if cur then return false end
  elseif cur ~= ARGV[1] then
    return false
  end
end
local t = redis.call('TIME')
local rev = tonumber(t[1]) * 1000000 + tonumber(t[2])
if cur and tonumber(cur) >= rev then rev = tonumber(cur) + 1 end
redis.call('HSET', KEYS[1], 'rev', string.format('%d', rev), 'data', ARGV[2])
return rev
";

/// How often a plain save retries when another writer changes the key between its read
/// and its write.
const SAVE_ATTEMPTS: usize = 16;

/// Tokens on a shared Redis server. See the [module docs](self) for the layout, the
/// encryption and the lock.
///
/// `Debug`, [`describe`](TokenStore::describe) and every error show the URL without its
/// password.
///
/// ```no_run
/// use auth_core::{Secret, Token, TokenKey, TokenStore};
/// use auth_store::{RedisStore, StoreKey};
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379/0")
///     .password(Secret::new("from-the-environment"))
///     .key(StoreKey::from_base64(&Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="))?)
///     .build()?;
/// assert_eq!(store.describe(), "redis redis://127.0.0.1:6379/0 (encrypted)");
/// let key = TokenKey::new("work", "ana", "app-1");
/// pollster::block_on(store.save(&key, &Token::bearer("abc")))?;
/// # Ok::<(), auth_core::Error>(())
/// ```
pub struct RedisStore {
    conn: Conn,
    names: Names,
    key: Option<StoreKey>,
    lease: Duration,
    missing_key_hint: String,
}

/// Builds a [`RedisStore`]: [`RedisStore::builder`].
///
/// ```
/// let builder = auth_store::RedisStore::builder("redis://:hunter2@127.0.0.1/0");
/// assert!(!format!("{builder:?}").contains("hunter2"));
/// ```
pub struct RedisStoreBuilder {
    url: String,
    password: Option<Secret>,
    key: Option<StoreKey>,
    prefix: String,
    lease: Duration,
    timeout: Duration,
    missing_key_hint: String,
    ca: Option<Ca>,
    ca_hint: String,
}

impl std::fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &without_password(&self.url))
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("prefix", &self.prefix)
            .field("lease", &self.lease)
            .field("ca", &self.ca.as_ref().map(Ca::source))
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// The password, when it is not in the URL (it replaces one that is).
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("redis://127.0.0.1/").password(auth_core::Secret::new("pw"));
    /// # drop(b);
    /// ```
    pub fn password(mut self, password: Secret) -> Self {
        self.password = Some(password);
        self
    }

    /// The key that encrypts tokens at rest; without one, tokens are neither read nor
    /// written.
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("redis://127.0.0.1/").key(auth_store::StoreKey::from_bytes([1; 32]));
    /// # drop(b);
    /// ```
    pub fn key(mut self, key: StoreKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The first part of every key name (`authctl` by default), to keep programs or
    /// environments apart on one server.
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("redis://127.0.0.1/").prefix("staging");
    /// # drop(b);
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How a person gives this program the key, added to the error of a store without
    /// one (the default says to pass it to [`key`](RedisStoreBuilder::key)).
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("redis://127.0.0.1/")
    ///     .missing_key_hint("put it in MYAPP_STORE_KEY");
    /// # drop(b);
    /// ```
    pub fn missing_key_hint(mut self, hint: impl Into<String>) -> Self {
        self.missing_key_hint = hint.into();
        self
    }

    /// The lock's lease (10 s by default, at least 30 ms), renewed every third of it while
    /// the lock is held: how long a dead holder blocks the others at most.
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("redis://127.0.0.1/").lease(std::time::Duration::from_secs(5));
    /// # drop(b);
    /// ```
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// The connect, read and write timeout of each call (5 s by default).
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("redis://127.0.0.1/").timeout(std::time::Duration::from_secs(2));
    /// # drop(b);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Trusts the CA certificate(s) in the PEM file at `path` for a `rediss://` server,
    /// instead of the system's root certificates: for a server whose certificate a private
    /// CA signed. The file is read by [`build`](RedisStoreBuilder::build), which fails
    /// when it cannot be read, holds no certificate, or the URL is not `rediss://`.
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("rediss://redis.internal:6380/0").ca_file("/etc/redis/ca.pem");
    /// # drop(b);
    /// ```
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca = Some(Ca::File(path.into()));
        self
    }

    /// How a person gives this program a CA, added to the error for a server certificate
    /// the system's roots do not trust (the default says to pass it to
    /// [`ca_file`](RedisStoreBuilder::ca_file)).
    ///
    /// ```
    /// let b = auth_store::RedisStore::builder("rediss://127.0.0.1/")
    ///     .untrusted_certificate_hint("name its PEM file in MYAPP_REDIS_CA");
    /// # drop(b);
    /// ```
    pub fn untrusted_certificate_hint(mut self, hint: impl Into<String>) -> Self {
        self.ca_hint = hint.into();
        self
    }

    /// Like [`ca_file`](RedisStoreBuilder::ca_file), with the PEM text itself.
    ///
    /// ```
    /// let err = auth_store::RedisStore::builder("rediss://127.0.0.1:6380/0")
    ///     .ca_certificate_pem("not a certificate")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("holds no PEM certificate"));
    /// ```
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca = Some(Ca::Pem(pem.into()));
        self
    }

    /// The store. Nothing is connected yet; an invalid URL is an error that does not
    /// repeat it (it may hold a password).
    ///
    /// ```
    /// assert!(auth_store::RedisStore::builder("http://:pw@x/").build().is_err());
    /// ```
    pub fn build(self) -> Result<RedisStore, Error> {
        let shown = without_password(&self.url);
        let invalid = |why: String| {
            Error::store(
                "redis",
                format!("the Redis URL {shown} is not usable: {why}"),
                "write it as redis://[user[:password]@]host[:port][/db], or rediss:// for TLS",
            )
        };
        let info = redis::IntoConnectionInfo::into_connection_info(self.url.as_str())
            .map_err(|e| invalid(format!("{:?}", e.kind())))?;
        let url_password = info.redis_settings().password().map(Secret::new);
        let info = match &self.password {
            Some(p) => {
                let settings = info.redis_settings().clone().set_password(p.expose());
                info.set_redis_settings(settings)
            }
            None => info,
        };
        let ca_source = self.ca.as_ref().map(Ca::source);
        let client = Ca::client(self.ca, info, &invalid)?;
        let place = Place {
            shown,
            password: self.password.or(url_password),
            ca: ca_source,
            ca_hint: self.ca_hint,
        };
        Ok(RedisStore {
            conn: Conn::new(client, place, self.timeout),
            names: Names {
                prefix: self.prefix,
            },
            key: self.key,
            lease: self.lease,
            missing_key_hint: self.missing_key_hint,
        })
    }
}

/// `url` with its password (if any) replaced by nothing; text that is not a URL is not
/// shown at all.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(None);
            }
            u.to_string()
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.conn.place.shown)
            .field("prefix", &self.names.prefix)
            .field("encrypted", &self.key.is_some())
            .field("lease", &self.lease)
            .finish()
    }
}

impl RedisStore {
    /// A builder for a store at `url` (`redis://[user[:password]@]host[:port][/db]`,
    /// `rediss://` for TLS).
    ///
    /// ```
    /// let store = auth_store::RedisStore::builder("redis://127.0.0.1:6379/2").build().unwrap();
    /// assert_eq!(store.url(), "redis://127.0.0.1:6379/2");
    /// ```
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            password: None,
            key: None,
            prefix: "authctl".into(),
            lease: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            missing_key_hint: "then give it to the store (`RedisStoreBuilder::key`)".into(),
            ca: None,
            ca_hint: "give the store that CA's certificate (`RedisStoreBuilder::ca_file`)".into(),
        }
    }

    /// The URL without its password, as every message shows it.
    ///
    /// ```
    /// let store = auth_store::RedisStore::builder("redis://:pw@127.0.0.1/").build().unwrap();
    /// assert_eq!(store.url(), "redis://127.0.0.1/");
    /// ```
    pub fn url(&self) -> &str {
        &self.conn.place.shown
    }

    /// The lock's lease.
    ///
    /// ```
    /// let store = auth_store::RedisStore::builder("redis://127.0.0.1/").build().unwrap();
    /// assert_eq!(store.lease(), std::time::Duration::from_secs(10));
    /// ```
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Sends `PING`: a quick check that the server answers (and takes the password).
    ///
    /// ```no_run
    /// let store = auth_store::RedisStore::builder("redis://127.0.0.1/").build().unwrap();
    /// pollster::block_on(store.ping())?;
    /// # Ok::<(), auth_core::Error>(())
    /// ```
    pub async fn ping(&self) -> Result<(), Error> {
        self.conn
            .query::<String>(&redis::cmd("PING"))
            .await
            .map(drop)
    }

    fn key_for(&self, what: &str) -> Result<&StoreKey, Error> {
        self.key.as_ref().ok_or_else(|| {
            Error::store(
                "redis",
                format!(
                    "refusing to {what} a token at {} without an encryption key: tokens on a \
                     shared server are kept encrypted",
                    self.conn.place.shown
                ),
                format!(
                    "the key is 32 random bytes in base64; {}; {}",
                    seal::MAKE_A_KEY,
                    self.missing_key_hint
                ),
            )
        })
    }

    /// The stored revision and sealed value of `key`.
    async fn raw(&self, name: &str) -> Result<(Option<u64>, Option<Vec<u8>>), Error> {
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(name).arg("rev").arg("data");
        self.conn.query(&cmd).await
    }

    async fn write(
        &self,
        name: &str,
        token: &Token,
        expected: Option<Option<u64>>,
    ) -> Result<Option<u64>, Error> {
        let sealed = seal::seal(self.key_for("write")?, name, token)?;
        let expected = match expected {
            None => "*".to_owned(),
            Some(None) => String::new(),
            Some(Some(rev)) => rev.to_string(),
        };
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(WRITE).arg(1).arg(name).arg(expected).arg(sealed);
        self.conn.query(&cmd).await
    }
}

#[async_trait]
impl TokenStore for RedisStore {
    fn describe(&self) -> String {
        let how = if self.key.is_some() {
            "encrypted"
        } else {
            "no encryption key"
        };
        format!("redis {} ({how})", self.conn.place.shown)
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.load_versioned(key).await?.map(|v| v.token))
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        let name = self.names.token(key);
        let store_key = self.key_for("write")?;
        for _ in 0..SAVE_ATTEMPTS {
            let (rev, data) = self.raw(&name).await?;
            // Never overwrite a value this key cannot read: it may be another key's
            // good token (a machine with the wrong key must not destroy it).
            if let Some(data) = &data {
                seal::open(store_key, &name, data)?;
            }
            let expected = if data.is_some() { rev } else { None };
            if self.write(&name, token, Some(expected)).await?.is_some() {
                return Ok(());
            }
        }
        Err(Error::store(
            "redis",
            format!("{name} kept changing while this save ran; nothing was written"),
            "try again",
        ))
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.names.token(key));
        Ok(self.conn.query::<u64>(&cmd).await? > 0)
    }

    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        let pattern = self.names.token_pattern(provider);
        let mut found = BTreeSet::new();
        let mut cursor = 0u64;
        loop {
            let mut cmd = redis::cmd("SCAN");
            cmd.arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000);
            let (next, names): (u64, Vec<String>) = self.conn.query(&cmd).await?;
            found.extend(
                names
                    .iter()
                    .filter_map(|n| self.names.parse_token(n))
                    .filter(|k| k.provider == provider),
            );
            if next == 0 {
                return Ok(found.into_iter().collect());
            }
            cursor = next;
        }
    }

    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        let store_key = self.key_for("read")?;
        let name = self.names.token(key);
        match self.raw(&name).await? {
            (Some(revision), Some(data)) => Ok(Some(Versioned {
                token: seal::open(store_key, &name, &data)?,
                revision,
            })),
            _ => Ok(None),
        }
    }

    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        self.write(&self.names.token(key), token, Some(expected))
            .await
    }

    async fn lock(&self, key: &TokenKey, wait: Duration) -> Result<StoreLock, Error> {
        let name = self.names.lock(key);
        let mut value = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut value);
        let value: String = value.iter().map(|b| format!("{b:02x}")).collect();
        let start = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            let taken: Option<String> = self
                .conn
                .query(&lease::acquire(&name, &value, self.lease))
                .await?;
            if taken.is_some() {
                return match lease::Held::keep(
                    self.conn.link(),
                    name.clone(),
                    value.clone(),
                    self.lease,
                ) {
                    Ok(held) => Ok(StoreLock::new(format!("redis lock {name}"), held)),
                    Err(e) => {
                        let _ = self.conn.query::<i64>(&lease::release(&name, &value)).await;
                        Err(Error::store(
                            "redis",
                            format!("cannot start the thread that renews the lock {name}: {e}"),
                            "",
                        ))
                    }
                };
            }
            let left = wait.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(Error::store(
                    "redis",
                    format!(
                        "the renewal lock {name} at {} is held by another process or machine; \
                         gave up after {} ms",
                        self.conn.place.shown,
                        wait.as_millis()
                    ),
                    format!(
                        "try again; a holder that died frees it within {} s",
                        self.lease.as_secs_f32()
                    ),
                ));
            }
            self.conn.pause(pause.min(left)).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.names.active(provider));
        self.conn.query(&cmd).await
    }

    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        let cmd = match account {
            Some(account) => {
                let mut cmd = redis::cmd("SET");
                cmd.arg(self.names.active(provider)).arg(account);
                cmd
            }
            None => {
                let mut cmd = redis::cmd("DEL");
                cmd.arg(self.names.active(provider));
                cmd
            }
        };
        let _: redis::Value = self.conn.query(&cmd).await?;
        Ok(())
    }
}
