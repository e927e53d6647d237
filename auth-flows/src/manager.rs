//! [`TokenManager`]: the token lifecycle. Load, check, refresh or re-run a flow, save.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::{AuthFlow, Error, FlowContext, Token, TokenKey, TokenKind, TokenStore};

/// The default leeway: a token that expires within a minute is renewed first.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

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
/// Every new token is saved. Concurrent callers share one renewal: the first takes a lock,
/// the others wait and then find the fresh token, so 1,000 callers on an expired token
/// make one token request.
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
    cache: Mutex<Option<Token>>,
    renewal: futures_util::lock::Mutex<()>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("key", &self.key)
            .field("store", &self.store.describe())
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
            cache: Mutex::new(None),
            renewal: futures_util::lock::Mutex::new(()),
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
    #[tracing::instrument(name = "token", skip_all, fields(op = "token", profile = %self.key.provider, account = %self.key.account, client_id = %self.key.client_id))]
    pub async fn token_valid_for(&self, min_valid: Duration) -> Result<Token, Error> {
        if let Some(token) = self.cached(min_valid) {
            tracing::trace!("cached token is valid");
            return Ok(token);
        }
        let (_guard, waited) = self.lock_renewal().await;
        // Another caller may have renewed it while we waited; another process may have
        // saved a newer one.
        if let Some(token) = self.cached(min_valid) {
            tracing::debug!(waited, "got the token another caller renewed");
            return Ok(token);
        }
        let stored = self.load().await?;
        if let Some(token) = &stored
            && !token.is_expired(SystemTime::now(), min_valid)
        {
            tracing::debug!("stored token is valid");
            self.remember(token.clone());
            return Ok(token.clone());
        }
        self.renew_locked(stored).await
    }

    /// Renews now, whatever the expiry says: after a 401, or when a person asks for a fresh token.
    /// When `stale` is given and the stored token is already a different one (another
    /// caller renewed it), that one is returned instead of renewing twice.
    #[tracing::instrument(name = "token", skip_all, fields(op = "force_refresh", profile = %self.key.provider, account = %self.key.account, client_id = %self.key.client_id))]
    pub async fn force_refresh(&self, stale: Option<Token>) -> Result<Token, Error> {
        let (_guard, waited) = self.lock_renewal().await;
        let stored = self.load().await?;
        if let (Some(stale), Some(current)) = (&stale, &stored)
            && current.access_token != stale.access_token
            && !current.is_expired(SystemTime::now(), self.leeway)
        {
            tracing::debug!(waited, "got the token another caller renewed");
            self.remember(current.clone());
            return Ok(current.clone());
        }
        self.renew_locked(stored).await
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

    /// The stored token, without renewing it.
    pub async fn stored(&self) -> Result<Option<Token>, Error> {
        self.load().await
    }

    /// Deletes the stored token; true when there was one.
    pub async fn logout(&self) -> Result<bool, Error> {
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let result = self.store.delete(&self.key).await;
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
    /// `save` or `logout`.
    async fn load(&self) -> Result<Option<Token>, Error> {
        let result = self.store.load(&self.key).await;
        self.trace_store("load", result.as_ref().map(|token| Some(token.is_some())));
        result
    }

    /// One event per store access (debug; a failure at warn): the store's description,
    /// the key's storage id, whether a token was there (load, delete), the error. Never
    /// the token.
    fn trace_store(&self, op: &'static str, found: Result<Option<bool>, &Error>) {
        match found {
            Ok(found) => tracing::debug!(
                op,
                store = %self.store.describe(),
                key = %self.key.storage_id(),
                found,
                "token store"
            ),
            Err(error) => tracing::warn!(
                op,
                store = %self.store.describe(),
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

    fn remember(&self, token: Token) {
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some(token);
    }

    async fn save(&self, token: &Token) -> Result<(), Error> {
        let result = self.store.save(&self.key, token).await;
        self.trace_store("save", result.as_ref().map(|()| None));
        result?;
        self.remember(token.clone());
        Ok(())
    }

    /// Called with the renewal lock held.
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
        self.save(&token).await?;
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
