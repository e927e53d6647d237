//! A blocking facade: the async API driven by a tiny executor (`pollster`), for programs
//! without an async runtime. Use it with a blocking transport (`auth-http`'s `ureq`);
//! a transport that needs tokio (`reqwest`) must be used from the async API instead.

use std::sync::Arc;
use std::time::Duration;

use auth_core::{AuthFlow, Error, HttpBackend, HttpRequest, HttpResponse, Token};

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
    pub fn new(manager: crate::TokenManager) -> Self {
        TokenManager(Arc::new(manager))
    }

    /// The async manager inside.
    pub fn inner(&self) -> &Arc<crate::TokenManager> {
        &self.0
    }

    /// See [`crate::TokenManager::token`].
    pub fn token(&self) -> Result<Token, Error> {
        pollster::block_on(self.0.token())
    }

    /// See [`crate::TokenManager::token_valid_for`].
    pub fn token_valid_for(&self, min_valid: Duration) -> Result<Token, Error> {
        pollster::block_on(self.0.token_valid_for(min_valid))
    }

    /// See [`crate::TokenManager::force_refresh`].
    pub fn force_refresh(&self) -> Result<Token, Error> {
        pollster::block_on(self.0.force_refresh(None))
    }

    /// See [`crate::TokenManager::login`].
    pub fn login(&self, flow: &dyn AuthFlow) -> Result<Token, Error> {
        pollster::block_on(self.0.login(flow))
    }

    /// See [`crate::TokenManager::logout`].
    pub fn logout(&self) -> Result<bool, Error> {
        pollster::block_on(self.0.logout())
    }

    /// An authorized client over `http` (see [`crate::AuthorizedClient`]).
    pub fn client(&self, http: Arc<dyn HttpBackend>) -> AuthorizedClient {
        AuthorizedClient(crate::AuthorizedClient::new(http, Arc::clone(&self.0)))
    }
}

/// [`crate::AuthorizedClient`] with a blocking `send`.
#[derive(Clone, Debug)]
pub struct AuthorizedClient(crate::AuthorizedClient);

impl AuthorizedClient {
    /// Sends an authorized request. See [`crate::AuthorizedClient`].
    pub fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        use auth_core::HttpBackend as _;
        pollster::block_on(self.0.send(request))
    }
}
