//! A blocking facade: the async API driven by a tiny executor (`pollster`), for programs
//! without an async runtime. Use it with a blocking transport (`auth-http`'s `ureq`);
//! a transport that needs tokio (`reqwest`) must be used from the async API instead.
//!
//! [`TokenManager`] offers every method of the async [`crate::TokenManager`], with the
//! same arguments, minus the `async`:
//!
//! | async | blocking |
//! |---|---|
//! | `manager.token().await` | `manager.token()` |
//! | `manager.token_valid_for(d).await` | `manager.token_valid_for(d)` |
//! | `manager.force_refresh(stale).await` | `manager.force_refresh(stale)` |
//! | `manager.login(flow).await` | `manager.login(flow)` |
//! | `manager.stored().await` | `manager.stored()` |
//! | `manager.logout().await` | `manager.logout()` |
//! | `manager.can_renew(t)`, `key()`, `store()`, `context()` | the same |
//! | `AuthorizedClient::new(http, manager)` | `manager.client(http)` |
//!
//! ```
//! use std::sync::Arc;
//! use auth_core::{Credentials, FlowContext, Provider, Token, TokenKey, TokenStore};
//! use auth_flows::blocking::TokenManager;
//!
//! let store = Arc::new(auth_store::MemoryStore::new());
//! let key = TokenKey::new("my-api", "ana", "app-id");
//! let stored = Token::bearer("kept").expiring_at(std::time::SystemTime::now() + std::time::Duration::from_secs(3600));
//! pollster::block_on(store.save(&key, &stored))?;
//!
//! let ctx = FlowContext::new(Provider::new("my-api"), Credentials::default(), auth_http::default_backend()?);
//! let manager = TokenManager::new(auth_flows::TokenManager::new(key, store, ctx));
//! assert_eq!(manager.token()?.access_token.expose(), "kept"); // valid: no request
//! assert!(manager.logout()?);
//! assert!(manager.stored()?.is_none());
//! # Ok::<(), auth_core::Error>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use auth_core::{
    AuthFlow, Error, FlowContext, HttpBackend, HttpRequest, HttpResponse, Token, TokenKey,
    TokenStore,
};

/// [`crate::TokenManager`] with blocking methods.
///
/// ```no_run
/// # fn run(manager: auth_flows::TokenManager) -> Result<(), auth_core::Error> {
/// let manager = auth_flows::blocking::TokenManager::new(manager);
/// let token = manager.token()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TokenManager(Arc<crate::TokenManager>);

impl TokenManager {
    /// Wraps an async manager.
    ///
    /// ```
    /// # fn run(manager: auth_flows::TokenManager) {
    /// let blocking = auth_flows::blocking::TokenManager::new(manager);
    /// # let _ = blocking; }
    /// ```
    pub fn new(manager: crate::TokenManager) -> Self {
        TokenManager(Arc::new(manager))
    }

    /// Wraps an async manager that is shared with async code.
    ///
    /// ```
    /// # fn run(manager: std::sync::Arc<auth_flows::TokenManager>) {
    /// let blocking = auth_flows::blocking::TokenManager::from_shared(manager.clone());
    /// assert!(std::sync::Arc::ptr_eq(blocking.inner(), &manager));
    /// # }
    /// ```
    pub fn from_shared(manager: Arc<crate::TokenManager>) -> Self {
        TokenManager(manager)
    }

    /// The async manager inside.
    ///
    /// ```
    /// # fn run(manager: auth_flows::blocking::TokenManager) {
    /// let shared: std::sync::Arc<auth_flows::TokenManager> = manager.inner().clone();
    /// # let _ = shared; }
    /// ```
    pub fn inner(&self) -> &Arc<crate::TokenManager> {
        &self.0
    }

    /// The key this manager serves. See [`crate::TokenManager::key`].
    ///
    /// ```
    /// # fn run(manager: auth_flows::blocking::TokenManager) {
    /// println!("tokens of {}", manager.key().provider);
    /// # }
    /// ```
    pub fn key(&self) -> &TokenKey {
        self.0.key()
    }

    /// The store. See [`crate::TokenManager::store`].
    ///
    /// ```
    /// # fn run(manager: auth_flows::blocking::TokenManager) {
    /// println!("tokens kept in {}", manager.store().describe());
    /// # }
    /// ```
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        self.0.store()
    }

    /// The flow context (provider, credentials, transport, interaction). See
    /// [`crate::TokenManager::context`].
    ///
    /// ```
    /// # fn run(manager: auth_flows::blocking::TokenManager) {
    /// println!("provider {}", manager.context().provider.name);
    /// # }
    /// ```
    pub fn context(&self) -> &FlowContext {
        self.0.context()
    }

    /// Whether a fresh token can follow `token` without a person. See
    /// [`crate::TokenManager::can_renew`].
    ///
    /// ```
    /// # fn run(manager: auth_flows::blocking::TokenManager) {
    /// let stored = auth_core::Token::bearer("a").with_refresh_token("r");
    /// assert!(manager.can_renew(&stored));
    /// # }
    /// ```
    pub fn can_renew(&self, token: &Token) -> bool {
        self.0.can_renew(token)
    }

    /// A token valid for at least the leeway. See [`crate::TokenManager::token`].
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager) -> Result<(), auth_core::Error> {
    /// let token = manager.token()?;
    /// println!("Authorization: {}", token.authorization_header().expose());
    /// # Ok(()) }
    /// ```
    pub fn token(&self) -> Result<Token, Error> {
        pollster::block_on(self.0.token())
    }

    /// A token valid for at least `min_valid`. See [`crate::TokenManager::token_valid_for`].
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager) -> Result<(), auth_core::Error> {
    /// // a long upload: the token must outlive it
    /// let token = manager.token_valid_for(std::time::Duration::from_secs(600))?;
    /// # Ok(()) }
    /// ```
    pub fn token_valid_for(&self, min_valid: Duration) -> Result<Token, Error> {
        pollster::block_on(self.0.token_valid_for(min_valid))
    }

    /// Renews now, whatever the expiry says. `stale` is the token the server refused, if
    /// any: when another caller already replaced it, the replacement is returned instead
    /// of renewing twice. See [`crate::TokenManager::force_refresh`].
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager) -> Result<(), auth_core::Error> {
    /// let token = manager.token()?;
    /// // ... the API answered 401 with this token:
    /// let fresh = manager.force_refresh(Some(token))?;
    /// // a person asked for a new token, whatever the old one:
    /// let fresh = manager.force_refresh(None)?;
    /// # Ok(()) }
    /// ```
    pub fn force_refresh(&self, stale: Option<Token>) -> Result<Token, Error> {
        pollster::block_on(self.0.force_refresh(stale))
    }

    /// Runs `flow` (which may need a person) and saves its token. See
    /// [`crate::TokenManager::login`].
    ///
    /// ```no_run
    /// # #[cfg(feature = "password")]
    /// # fn run(manager: auth_flows::blocking::TokenManager) -> Result<(), auth_core::Error> {
    /// let token = manager.login(&auth_flows::PasswordFlow)?;
    /// # Ok(()) }
    /// ```
    pub fn login(&self, flow: &dyn AuthFlow) -> Result<Token, Error> {
        pollster::block_on(self.0.login(flow))
    }

    /// Records that a server refused `rejected`, so the next use renews it (nothing is
    /// logged out). See [`crate::TokenManager::reject`].
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager) -> Result<(), auth_core::Error> {
    /// let token = manager.token()?;
    /// // ... the server answered 401 to this token:
    /// manager.reject(&token.access_token)?;
    /// # Ok(()) }
    /// ```
    pub fn reject(&self, rejected: &auth_core::Secret) -> Result<bool, Error> {
        pollster::block_on(self.0.reject(rejected))
    }

    /// The stored token, without renewing it. See [`crate::TokenManager::stored`].
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager) -> Result<(), auth_core::Error> {
    /// match manager.stored()? {
    ///     Some(token) if manager.can_renew(&token) => println!("logged in"),
    ///     Some(_) => println!("the token expired; log in again"),
    ///     None => println!("not logged in"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stored(&self) -> Result<Option<Token>, Error> {
        pollster::block_on(self.0.stored())
    }

    /// Deletes the stored token; true when there was one. See
    /// [`crate::TokenManager::logout`].
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager) -> Result<(), auth_core::Error> {
    /// if !manager.logout()? {
    ///     println!("there was no token");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn logout(&self) -> Result<bool, Error> {
        pollster::block_on(self.0.logout())
    }

    /// An authorized client over `http` (see [`crate::AuthorizedClient`]).
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager, http: std::sync::Arc<dyn auth_core::HttpBackend>) -> Result<(), auth_core::Error> {
    /// let client = manager.client(http);
    /// let request = http::Request::get("https://api.example.com/me").body(Vec::new()).unwrap();
    /// let response = client.send(request)?;
    /// # Ok(()) }
    /// ```
    pub fn client(&self, http: Arc<dyn HttpBackend>) -> AuthorizedClient {
        AuthorizedClient(crate::AuthorizedClient::new(http, Arc::clone(&self.0)))
    }
}

/// [`crate::AuthorizedClient`] with a blocking `send`.
///
/// ```no_run
/// # fn run(client: auth_flows::blocking::AuthorizedClient) -> Result<(), auth_core::Error> {
/// let request = http::Request::get("https://api.example.com/me").body(Vec::new()).unwrap();
/// let response = client.send(request)?;
/// println!("{}", response.status());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AuthorizedClient(crate::AuthorizedClient);

impl AuthorizedClient {
    /// Also sends the token to `origins` (see [`crate::AuthorizedClient::allow_origins`]).
    ///
    /// ```no_run
    /// # fn run(manager: auth_flows::blocking::TokenManager, http: std::sync::Arc<dyn auth_core::HttpBackend>) -> Result<(), auth_core::Error> {
    /// let client = manager
    ///     .client(http)
    ///     .allow_origins(auth_core::AllowedOrigins::new().with_entry("files.example.com")?);
    /// # Ok(()) }
    /// ```
    pub fn allow_origins(self, origins: auth_core::AllowedOrigins) -> Self {
        AuthorizedClient(self.0.allow_origins(origins))
    }

    /// Sends an authorized request. See [`crate::AuthorizedClient`].
    ///
    /// ```no_run
    /// # fn run(client: auth_flows::blocking::AuthorizedClient) -> Result<(), auth_core::Error> {
    /// let request = http::Request::get("https://api.example.com/me").body(Vec::new()).unwrap();
    /// let response = client.send(request)?;
    /// # Ok(()) }
    /// ```
    pub fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        use auth_core::HttpBackend as _;
        pollster::block_on(self.0.send(request))
    }
}
