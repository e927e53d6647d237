//! [`TokenManager`]: the token lifecycle. Load, check, refresh or re-run a flow, save.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::store::{StoreLock, Versioned, is_unsupported};
use auth_core::{AuthFlow, Error, FlowContext, Secret, Token, TokenKey, TokenKind, TokenStore};

/// The default leeway: a token that expires within a minute is renewed first.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// How long a renewal waits by default for another process's renewal of the same key
/// ([`TokenManager::with_lock_wait`]): 30 s, longer than a slow token endpoint takes.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(30);

/// Answers "give me a valid token" for one [`TokenKey`].
///
/// [`TokenManager::token`]:
/// 1. returns the cached or stored token if it is valid beyond the leeway (60 s);
/// 2. otherwise renews it: refresh with the refresh token, or for a JWT a new exchange
///    with the OAuth token it came from (refreshing that first if needed);
/// 3. otherwise runs the configured flow if it needs no person (password, client
///    credentials) and the credentials allow it;
/// 4. otherwise fails with [`Error::LoginRequired`] (or the server's `invalid_grant`),
///    for which [`Error::needs_login`] is true.
///
/// Every new token is saved before it is handed out. Concurrent callers share one
/// renewal: the first takes a lock, the others wait and then find the fresh token, so
/// 1,000 callers on an expired token make one token request.
///
/// **Across processes.** A renewal (a refresh, a JWT exchange, an unattended re-login)
/// also holds the store's renewal lock for the key ([`TokenStore::lock`], waiting at most
/// [`DEFAULT_LOCK_WAIT`], see [`with_lock_wait`](TokenManager::with_lock_wait)). Having
/// it, the manager reads the store again: when another process has already renewed the
/// token, that token is used and no request is sent. Otherwise it renews and saves with
/// compare-and-set against the revision it read ([`TokenStore::save_if`]); if another
/// writer got in first, the newer stored token is used. When the server answers
/// `invalid_grant`, the store is read again before a login is asked for, since another
/// process may have rotated the refresh token meanwhile. A store that implements neither
/// locking nor revisions (the trait's defaults) gets in-process single flight only, with
/// a tracing warning.
///
/// The whole picture, for a service using client credentials:
///
/// ```no_run
/// # #[cfg(feature = "client-credentials")]
/// # async fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>, store: std::sync::Arc<dyn auth_core::TokenStore>) -> Result<(), auth_core::Error> {
/// use std::sync::Arc;
/// use auth_core::{Credentials, Endpoint, FlowContext, Provider, TokenKey};
/// use auth_flows::{ClientCredentialsFlow, TokenManager};
///
/// let provider = Provider::new("my-api").with_endpoint(Endpoint::Token, "https://auth.example.com/token")?;
/// let credentials = Credentials { client_id: Some("id".into()), client_secret: Some("secret".into()), ..Default::default() };
/// let manager = TokenManager::new(TokenKey::new("my-api", "default", "id"), store, FlowContext::new(provider, credentials, http))
///     .with_flow(Arc::new(ClientCredentialsFlow));
/// let token = manager.token().await?; // stored, refreshed, or obtained as needed
/// # Ok(()) }
/// ```
///
/// A person's login, then renewals without them (a password grant whose token is
/// exchanged for a JWT, as the `inaturalist` preset does):
///
/// ```no_run
/// # #[cfg(all(feature = "password", feature = "jwt"))]
/// # async fn run(store: std::sync::Arc<dyn auth_core::TokenStore>, ctx: auth_core::FlowContext) -> Result<(), auth_core::Error> {
/// use std::sync::Arc;
/// use auth_core::TokenKey;
/// use auth_flows::{PasswordFlow, TokenManager};
///
/// let manager = TokenManager::new(TokenKey::new("my-api", "ana", "app-id"), store, ctx)
///     .with_flow(Arc::new(PasswordFlow))
///     .with_jwt(true);
/// let token = manager.token().await?;
/// println!("Authorization: {}", token.authorization_header().expose());
/// # Ok(()) }
/// ```
pub struct TokenManager {
    key: TokenKey,
    store: Arc<dyn TokenStore>,
    ctx: FlowContext,
    flow: Option<Arc<dyn AuthFlow>>,
    jwt: bool,
    leeway: Duration,
    lock_wait: Duration,
    cache: Mutex<Option<Token>>,
    renewal: futures_util::lock::Mutex<()>,
    /// How long the last token this manager obtained lived when it arrived: the server's
    /// token lifetime, as far as known.
    lifetime: Mutex<Option<Duration>>,
    /// Whether the "store cannot lock" warning was given.
    warned_no_lock: AtomicBool,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("key", &self.key)
            .field("store", &self.dyn_store().describe())
            .field("flow", &self.flow.as_ref().map(|f| f.name()))
            .field("jwt", &self.jwt)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager for `key`, keeping tokens in `store`, talking to the provider in `ctx`.
    pub fn new(key: TokenKey, store: Arc<dyn TokenStore>, ctx: FlowContext) -> Self {
        TokenManager {
            key,
            store,
            ctx,
            flow: None,
            jwt: false,
            leeway: DEFAULT_LEEWAY,
            lock_wait: DEFAULT_LOCK_WAIT,
            cache: Mutex::new(None),
            renewal: futures_util::lock::Mutex::new(()),
            lifetime: Mutex::new(None),
            warned_no_lock: AtomicBool::new(false),
        }
    }

    /// The flow run when there is no usable token. Only flows that need no person are
    /// run by [`TokenManager::token`]; [`TokenManager::login`] runs any flow.
    pub fn with_flow(mut self, flow: Arc<dyn AuthFlow>) -> Self {
        self.flow = Some(flow);
        self
    }

    /// Exchange every new OAuth token for a JWT at the provider's `jwt_url`: the same step
    /// as wrapping every flow in `WithJwt` (feature `jwt`).
    ///
    /// ```
    /// # fn run(key: auth_core::TokenKey, store: std::sync::Arc<dyn auth_core::TokenStore>, ctx: auth_core::FlowContext) {
    /// let manager = auth_flows::TokenManager::new(key, store, ctx).with_jwt(true);
    /// # let _ = manager; }
    /// ```
    pub fn with_jwt(mut self, jwt: bool) -> Self {
        self.jwt = jwt;
        self
    }

    /// How long before expiry a token is renewed (default 60 s).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long a renewal waits for the store's renewal lock, held by another process
    /// renewing the same key, before failing with an error that says the lock is busy
    /// (default [`DEFAULT_LOCK_WAIT`]). A holder that dies releases the lock at once
    /// (file and keyring stores) or when its lease ends (a shared store).
    ///
    /// ```
    /// # fn run(key: auth_core::TokenKey, store: std::sync::Arc<dyn auth_core::TokenStore>, ctx: auth_core::FlowContext) {
    /// let manager = auth_flows::TokenManager::new(key, store, ctx)
    ///     .with_lock_wait(std::time::Duration::from_secs(5));
    /// # let _ = manager; }
    /// ```
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The key this manager serves.
    pub fn key(&self) -> &TokenKey {
        &self.key
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    /// The flow context (provider, credentials, transport, interaction).
    pub fn context(&self) -> &FlowContext {
        &self.ctx
    }

    /// Whether this manager can get a fresh token after `token` without a person: `token`
    /// is [`renewable`] (with this manager's leeway), or a flow that needs no person is
    /// configured (password, client credentials).
    ///
    /// ```
    /// # fn run(manager: auth_flows::TokenManager) {
    /// let stored = auth_core::Token::bearer("a").with_refresh_token("r");
    /// assert!(manager.can_renew(&stored));
    /// # }
    /// ```
    pub fn can_renew(&self, token: &Token) -> bool {
        renewable(token, SystemTime::now(), self.leeway) || self.unattended_flow().is_some()
    }

    /// A token valid for at least the leeway. See the type's documentation.
    pub async fn token(&self) -> Result<Token, Error> {
        self.token_valid_for(self.leeway).await
    }

    /// A token valid for at least `min_valid`.
    ///
    /// When `min_valid` is longer than the server lets its tokens live (asking for an
    /// hour of a server that issues 10-minute tokens), no token can ever satisfy it. The
    /// manager then renews **once** for all concurrent callers, in this process and,
    /// through the store's lock, in others, and returns the fresh token, valid for less
    /// than asked, with a tracing warning that the server's tokens live shorter than
    /// `min_valid`. From then on it asks at most for the lifetime the server gives, less
    /// the leeway, so later callers get that token too (with the same warning) until it is
    /// within the leeway of that lifetime: never one request per caller.
    pub async fn token_valid_for(&self, min_valid: Duration) -> Result<Token, Error> {
        // The hot path: a cached token costs two uncontended mutexes and no span.
        if let Some(token) = self.cached(self.within_lifetime(min_valid, false)) {
            tracing::trace!("cached token is valid");
            return Ok(token);
        }
        self.token_past_cache(min_valid).await
    }

    /// [`token_valid_for`](TokenManager::token_valid_for) once the cache could not answer.
    #[tracing::instrument(name = "token", skip_all, fields(op = "token", profile = %self.key.provider, account = %self.key.account, client_id = %self.key.client_id))]
    async fn token_past_cache(&self, min_valid: Duration) -> Result<Token, Error> {
        let (_guard, waited) = self.lock_renewal().await;
        // Another caller may have renewed it while we waited (and learned how long the
        // server's tokens live); another process may have saved a newer one.
        let asked = min_valid;
        let min_valid = self.within_lifetime(asked, true);
        if let Some(token) = self.cached(min_valid) {
            tracing::debug!(waited, "got the token another caller renewed");
            return Ok(token);
        }
        let stored = self.load_versioned().await?;
        if let Some(stored) = &stored
            && !stored.token.is_expired(SystemTime::now(), min_valid)
        {
            tracing::debug!("stored token is valid");
            self.remember(&stored.token);
            return Ok(stored.token.clone());
        }
        let stale = stored.map(|v| v.token);
        let token = self.renew_shared(stale).await?;
        warn_if_short(&token, asked);
        Ok(token)
    }

    /// `min_valid`, capped at the server's token lifetime less the leeway once a renewal
    /// showed it to be shorter; `warn`s when it caps.
    fn within_lifetime(&self, min_valid: Duration, warn: bool) -> Duration {
        let lifetime = *self.lifetime.lock().unwrap_or_else(|p| p.into_inner());
        match lifetime {
            Some(lifetime) if lifetime < min_valid => {
                let cap = lifetime
                    .saturating_sub(self.leeway)
                    .max(self.leeway.min(lifetime));
                if warn {
                    warn_short(min_valid, lifetime);
                }
                cap
            }
            _ => min_valid,
        }
    }

    /// Renews now, whatever the expiry says: after a 401, or when a person asks for a fresh token.
    /// When `stale` is given and the stored token is already a different one (another
    /// caller renewed it), that one is returned instead of renewing twice.
    #[tracing::instrument(name = "token", skip_all, fields(op = "force_refresh", profile = %self.key.provider, account = %self.key.account, client_id = %self.key.client_id))]
    pub async fn force_refresh(&self, stale: Option<Token>) -> Result<Token, Error> {
        let (_guard, _) = self.lock_renewal().await;
        let stale = match stale {
            Some(stale) => Some(stale),
            // Without a token to compare against, the stored one is the stale one.
            None => self.load().await?,
        };
        self.renew_shared(stale).await
    }

    /// Runs `flow` (which may need a person), exchanges for a JWT when configured, saves
    /// and returns the token.
    #[tracing::instrument(name = "token", skip_all, fields(op = "login", flow = flow.name(), profile = %self.key.provider, account = %self.key.account, client_id = %self.key.client_id))]
    pub async fn login(&self, flow: &dyn AuthFlow) -> Result<Token, Error> {
        let (_guard, _) = self.lock_renewal().await;
        let token = self.finish(flow.authenticate(&self.ctx).await?).await?;
        self.save(&token).await?;
        Ok(token)
    }

    /// Records that a server refused `rejected` (a 401 seen by a program that only
    /// borrowed the token, such as git through its credential helper): when it is still
    /// the stored token, it is saved as expired, so the next
    /// [`token`](TokenManager::token), in this process or another, renews it. Its refresh
    /// token and its account stay: nothing is logged out. Holds the same locks as a
    /// renewal. Returns whether the stored token was marked (false when the store already
    /// holds another token, or none).
    ///
    /// ```no_run
    /// # async fn run(manager: auth_flows::TokenManager) -> Result<(), auth_core::Error> {
    /// let token = manager.token().await?;
    /// // ... the server answered 401 to this token:
    /// manager.reject(&token.access_token).await?;
    /// let fresh = manager.token().await?; // renewed, without a login
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(name = "token", skip_all, fields(op = "reject", profile = %self.key.provider, account = %self.key.account, client_id = %self.key.client_id))]
    pub async fn reject(&self, rejected: &Secret) -> Result<bool, Error> {
        let (_guard, _) = self.lock_renewal().await;
        let _store_lock = self.store_lock().await?;
        {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.as_ref().is_some_and(|t| t.access_token == *rejected) {
                *cache = None;
            }
        }
        let Some(current) = self.load_versioned().await? else {
            return Ok(false);
        };
        if current.token.access_token != *rejected {
            tracing::debug!("the refused token is no longer the stored one");
            return Ok(false);
        }
        let mut token = current.token;
        let now = SystemTime::now();
        token.expires_at = Some(now.checked_sub(Duration::from_secs(1)).unwrap_or(now));
        let marked = self.save_if(&token, Some(current.revision)).await?;
        tracing::info!(
            marked,
            "the server refused the token; the next use renews it"
        );
        Ok(marked)
    }

    /// The stored token, without renewing it.
    pub async fn stored(&self) -> Result<Option<Token>, Error> {
        self.load().await
    }

    /// Deletes the stored token; true when there was one.
    pub async fn logout(&self) -> Result<bool, Error> {
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let result = self.dyn_store().delete(&self.key).await;
        self.trace_store("delete", result.as_ref().map(|deleted| Some(*deleted)));
        result
    }

    /// The renewal lock, and whether this caller had to wait for another caller's renewal
    /// (single flight: the waiter then finds the fresh token).
    async fn lock_renewal(&self) -> (futures_util::lock::MutexGuard<'_, ()>, bool) {
        if let Some(guard) = self.renewal.try_lock() {
            return (guard, false);
        }
        tracing::debug!("waiting for another caller's renewal");
        let guard = self.renewal.lock().await;
        tracing::debug!("the other caller's renewal is over");
        (guard, true)
    }

    /// The stored token, traced: every store access of the manager goes through `load`,
    /// `load_versioned`, `store_token` or `logout`.
    async fn load(&self) -> Result<Option<Token>, Error> {
        let result = self.dyn_store().load(&self.key).await;
        self.trace_store("load", result.as_ref().map(|token| Some(token.is_some())));
        result
    }

    /// The store, called as the trait object it is (through the `Arc`, each call would
    /// box one future more).
    fn dyn_store(&self) -> &dyn TokenStore {
        self.store.as_ref()
    }

    /// Saves `token` (without compare-and-set), traced.
    async fn store_token(&self, token: &Token) -> Result<(), Error> {
        let result = self.dyn_store().save(&self.key, token).await;
        self.trace_store("save", result.as_ref().map(|()| None));
        result
    }

    /// One event per store access (debug; a failure at warn): the store's description,
    /// the key's storage id, whether a token was there (load, delete), the error. Never
    /// the token.
    fn trace_store(&self, op: &'static str, found: Result<Option<bool>, &Error>) {
        match found {
            Ok(found) => tracing::debug!(
                op,
                store = %self.dyn_store().describe(),
                key = %self.key.storage_id(),
                found,
                "token store"
            ),
            Err(error) => tracing::warn!(
                op,
                store = %self.dyn_store().describe(),
                key = %self.key.storage_id(),
                error = %error,
                "token store failed"
            ),
        }
    }

    fn cached(&self, min_valid: Duration) -> Option<Token> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .as_ref()
            .filter(|t| !t.is_expired(SystemTime::now(), min_valid))
            .cloned()
    }

    fn remember(&self, token: &Token) {
        // copied into the cached token's own buffers when there is one
        match &mut *self.cache.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(cached) => cached.clone_from(token),
            empty => *empty = Some(token.clone()),
        }
    }

    async fn save(&self, token: &Token) -> Result<(), Error> {
        self.store_token(token).await?;
        self.remember(token);
        Ok(())
    }

    /// The stored token with its revision; a store without revisions gives revision 0
    /// (and is then saved to without compare-and-set).
    async fn load_versioned(&self) -> Result<Option<Versioned>, Error> {
        match self.dyn_store().load_versioned(&self.key).await {
            Err(e) if is_unsupported(&e) => Ok(self
                .load()
                .await?
                .map(|token| Versioned { token, revision: 0 })),
            other => {
                self.trace_store("load", other.as_ref().map(|v| Some(v.is_some())));
                other
            }
        }
    }

    /// The store's renewal lock, or `None` for a store that cannot lock.
    async fn store_lock(&self) -> Result<Option<StoreLock>, Error> {
        match self.dyn_store().lock(&self.key, self.lock_wait).await {
            Ok(lock) => Ok(Some(lock)),
            Err(e) if is_unsupported(&e) => {
                if !self.warned_no_lock.swap(true, Ordering::SeqCst) {
                    tracing::warn!(
                        store = %self.dyn_store().describe(),
                        "this token store cannot lock, so renewals are single-flight only \
                         within this process; programs sharing the store may refresh at once"
                    );
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// `current` when it is a token other than `stale`, valid beyond the leeway: another
    /// process renewed it.
    fn renewed_elsewhere(
        &self,
        stale: Option<&Token>,
        current: Option<&Versioned>,
    ) -> Option<Token> {
        let current = &current?.token;
        let differs = stale.is_none_or(|s| s.access_token != current.access_token);
        (differs && !current.is_expired(SystemTime::now(), self.leeway)).then(|| current.clone())
    }

    /// Saves `token` if the stored revision is still `revision` (compare-and-set); a store
    /// without compare-and-set saves it plainly. True when it was saved.
    async fn save_if(&self, token: &Token, revision: Option<u64>) -> Result<bool, Error> {
        match self.dyn_store().save_if(&self.key, token, revision).await {
            Err(e) if is_unsupported(&e) => {
                self.store_token(token).await?;
                Ok(true)
            }
            other => {
                self.trace_store("save", other.as_ref().map(|saved| Some(saved.is_some())));
                Ok(other?.is_some())
            }
        }
    }

    /// Renews the token after `stale`, called with the in-process renewal lock held:
    /// takes the store's lock, reads again, renews only when nobody else did, saves with
    /// compare-and-set, then hands the token out.
    async fn renew_shared(&self, stale: Option<Token>) -> Result<Token, Error> {
        let _store_lock = self.store_lock().await?;
        let current = self.load_versioned().await?;
        if let Some(token) = self.renewed_elsewhere(stale.as_ref(), current.as_ref()) {
            tracing::debug!(key = %self.key, "another holder renewed the token; no request sent");
            self.remember(&token);
            return Ok(token);
        }
        let revision = current.as_ref().map(|v| v.revision);
        let token = match self.renew_locked(current.map(|v| v.token)).await {
            Ok(token) => token,
            Err(e) if e.needs_login() => {
                // Another process may have rotated the refresh token meanwhile.
                let again = self.load_versioned().await?;
                return match self.renewed_elsewhere(stale.as_ref(), again.as_ref()) {
                    Some(token) => {
                        self.remember(&token);
                        Ok(token)
                    }
                    None => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        let saved = self.save_if(&token, revision).await?;
        if let Some(lifetime) = token.remaining(SystemTime::now()) {
            *self.lifetime.lock().unwrap_or_else(|p| p.into_inner()) = Some(lifetime);
        }
        if !saved {
            // A late writer never overwrites a newer token: use the one stored.
            if let Some(newer) = self.load_versioned().await?
                && !newer.token.is_expired(SystemTime::now(), self.leeway)
            {
                self.remember(&newer.token);
                return Ok(newer.token);
            }
            self.store_token(&token).await?;
        }
        self.remember(&token);
        Ok(token)
    }

    /// Renews (or re-runs an unattended flow) without saving. Called with the renewal
    /// locks held.
    #[tracing::instrument(name = "renewal", skip_all, fields(stored = stored.is_some()))]
    async fn renew_locked(&self, stored: Option<Token>) -> Result<Token, Error> {
        let renewed = match &stored {
            Some(token) => self.renew(token).await,
            None => Err(Error::LoginRequired {
                profile: self.ctx.provider.name.clone(),
            }),
        };
        let token = match renewed {
            Ok(token) => token,
            Err(e) if e.needs_login() => match self.unattended_flow() {
                Some(flow) => {
                    tracing::info!(flow = flow.name(), "renewal runs the flow");
                    match flow.authenticate(&self.ctx).await {
                        Ok(token) => self.finish(token).await?,
                        Err(Error::MissingCredentials { .. }) => return Err(e),
                        Err(other) => return Err(other),
                    }
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        };
        tracing::info!(
            expires_in_s = token
                .expires_at
                .and_then(|at| at.duration_since(SystemTime::now()).ok())
                .map(|d| d.as_secs()),
            "token renewed"
        );
        Ok(token)
    }

    fn unattended_flow(&self) -> Option<&Arc<dyn AuthFlow>> {
        self.flow.as_ref().filter(|f| !f.needs_person())
    }

    /// Renews a token without a person, as [`renewal`] says.
    async fn renew(&self, token: &Token) -> Result<Token, Error> {
        let ctx = &self.ctx;
        let how = renewal(token, SystemTime::now(), self.leeway);
        tracing::debug!(how = how.name(), "renewing the token");
        match how {
            Renewal::Keep => Ok(token.clone()),
            Renewal::Refresh => {
                crate::refresh(&ctx.provider, &ctx.credentials, &ctx.http, token).await
            }
            #[cfg(feature = "jwt")]
            Renewal::Exchange {
                source,
                refresh_first,
            } => crate::jwt::renew_from_source(ctx, source, refresh_first).await,
            #[cfg(not(feature = "jwt"))]
            Renewal::Exchange { .. } => Err(no_jwt_feature()),
            Renewal::Login => Err(Error::LoginRequired {
                profile: ctx.provider.name.clone(),
            }),
        }
    }

    /// The JWT step after a flow, when configured.
    async fn finish(&self, token: Token) -> Result<Token, Error> {
        if !self.jwt {
            return Ok(token);
        }
        #[cfg(feature = "jwt")]
        return crate::jwt::to_jwt(&self.ctx, token).await;
        #[cfg(not(feature = "jwt"))]
        match token.kind {
            TokenKind::Jwt { .. } | TokenKind::OAuth1 { .. } => Ok(token),
            _ => Err(no_jwt_feature()),
        }
    }
}

/// Warns when `token`, just renewed, lives shorter than `min_valid`.
fn warn_if_short(token: &Token, min_valid: Duration) {
    if let Some(left) = token.remaining(SystemTime::now())
        && left < min_valid
    {
        warn_short(min_valid, left);
    }
}

fn warn_short(asked: Duration, lifetime: Duration) {
    tracing::warn!(
        asked_secs = asked.as_secs(),
        lifetime_secs = lifetime.as_secs(),
        "the server's tokens live shorter than asked: a fresh token is valid for {} s, {} s \
         were asked; returning it",
        lifetime.as_secs(),
        asked.as_secs()
    );
}

#[cfg(not(feature = "jwt"))]
fn no_jwt_feature() -> Error {
    Error::config("JWT exchange needs auth-flows' `jwt` feature")
}

/// How a token is renewed without a person: the one answer [`renewable`],
/// [`TokenManager::can_renew`] and the manager's renewal share.
enum Renewal<'a> {
    /// Nothing to renew: an OAuth 1 token credential does not expire.
    Keep,
    /// A refresh with the token's refresh token.
    Refresh,
    /// A new JWT from the token it was minted from, refreshed first when it has expired.
    #[cfg_attr(not(feature = "jwt"), allow(dead_code))]
    Exchange {
        source: &'a Token,
        refresh_first: bool,
    },
    /// Only a person can get a new token.
    Login,
}

impl Renewal<'_> {
    /// The name recorded in tracing.
    fn name(&self) -> &'static str {
        match self {
            Renewal::Keep => "keep",
            Renewal::Refresh => "refresh",
            Renewal::Exchange { .. } => "exchange",
            Renewal::Login => "login",
        }
    }
}

fn renewal(token: &Token, now: SystemTime, leeway: Duration) -> Renewal<'_> {
    match &token.kind {
        TokenKind::OAuth1 { .. } => Renewal::Keep,
        TokenKind::Jwt {
            source: Some(source),
        } => {
            let refresh_first = source.is_expired(now, leeway);
            if refresh_first && source.refresh_token.is_none() {
                Renewal::Login
            } else {
                Renewal::Exchange {
                    source,
                    refresh_first,
                }
            }
        }
        _ if token.refresh_token.is_some() => Renewal::Refresh,
        _ => Renewal::Login,
    }
}

/// Whether a fresh token can be had from `token` without a person, at `now`: it has a
/// refresh token, or it is a JWT whose source token is still valid beyond `leeway` or
/// has a refresh token itself. (An OAuth 1 token credential does not expire and is not
/// renewed: `false`.) A token manager may also re-run a flow that needs no person; see
/// [`TokenManager::can_renew`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::Token;
/// use auth_flows::{DEFAULT_LEEWAY, renewable};
///
/// let now = SystemTime::now();
/// assert!(renewable(&Token::bearer("a").with_refresh_token("r"), now, DEFAULT_LEEWAY));
/// assert!(!renewable(&Token::bearer("a"), now, DEFAULT_LEEWAY));
/// ```
pub fn renewable(token: &Token, now: SystemTime, leeway: Duration) -> bool {
    matches!(
        renewal(token, now, leeway),
        Renewal::Refresh | Renewal::Exchange { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt_from(source: Token) -> Token {
        let mut jwt = Token::bearer("jwt");
        jwt.kind = TokenKind::Jwt {
            source: Some(Box::new(source)),
        };
        jwt
    }

    #[test]
    fn renewable_follows_the_source_of_a_jwt() {
        let now = SystemTime::now();
        let hour = Duration::from_secs(3600);
        let lee = DEFAULT_LEEWAY;
        let valid = Token::bearer("o").expiring_at(now + hour);
        let expired = Token::bearer("o").expiring_at(now - hour);
        assert!(renewable(&jwt_from(valid.clone()), now, lee));
        assert!(!renewable(&jwt_from(expired.clone()), now, lee));
        assert!(renewable(
            &jwt_from(expired.with_refresh_token("r")),
            now,
            lee
        ));
        // a source valid for less than the leeway counts as expired
        let soon = Token::bearer("o").expiring_at(now + Duration::from_secs(10));
        assert!(!renewable(&jwt_from(soon), now, lee));
        assert!(!renewable(&Token::oauth1("t", "s"), now, lee));
        let mut bare_jwt = Token::bearer("j").with_refresh_token("r");
        bare_jwt.kind = TokenKind::Jwt { source: None };
        assert!(renewable(&bare_jwt, now, lee));
    }
}
