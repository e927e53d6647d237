//! Middleware for the HTTP clients programs already have: [`ReqwestAuth`] for a
//! `reqwest-middleware` client (feature `reqwest-middleware`) and [`UreqAuth`] for a ureq 3
//! agent (feature `ureq-middleware`, no tokio). The program keeps its own client and all
//! its settings (TLS, proxies, timeouts, other middleware); the adapter only:
//!
//! - adds `Authorization` with a token of the [`TokenManager`] to requests for an allowed
//!   origin ([`AllowedOrigins`]: the provider's API origin plus the origins given with
//!   `allow_origins`) that carry no `Authorization` of their own; other requests pass
//!   through untouched;
//! - renews the token before it expires (the manager does, shared with every other user of
//!   the manager and, through the store's lock, other processes);
//! - on a 401 to the token (from the origin it was sent to, which is allowed), renews once
//!   and retries once; a second 401 is returned to the caller. A 401 from another origin
//!   (after a redirect) renews nothing.
//!
//! Both clients drop `Authorization` when a redirect leaves the origin (reqwest always;
//! ureq with its default `RedirectAuthHeaders::Never`, or `SameHost`), so a redirect never
//! carries the token elsewhere.

use std::sync::Arc;

use auth_core::http::same_origin;
use auth_core::{AllowedOrigins, Error, Token, Url};

use crate::authorized::{bearer_token, header_value};
use crate::manager::TokenManager;

#[cfg(feature = "reqwest-middleware")]
mod for_reqwest;
#[cfg(feature = "ureq-middleware")]
mod for_ureq;

#[cfg(feature = "reqwest-middleware")]
pub use for_reqwest::ReqwestAuth;
#[cfg(feature = "ureq-middleware")]
pub use for_ureq::UreqAuth;

/// The part both adapters share: which requests get the token, the header, and when an
/// answer rejects the token.
#[derive(Clone)]
struct Authorizer {
    manager: Arc<TokenManager>,
    origins: Arc<AllowedOrigins>,
}

impl Authorizer {
    fn new(manager: Arc<TokenManager>) -> Self {
        let origins = Arc::new(AllowedOrigins::for_provider(&manager.context().provider));
        Authorizer { manager, origins }
    }

    fn allow(&mut self, origins: &AllowedOrigins) {
        Arc::make_mut(&mut self.origins).extend(origins);
    }

    /// True when a request to `url` with these headers gets the token.
    fn wants(&self, url: &Url, headers: &http::HeaderMap) -> bool {
        self.origins.allows(url) && !headers.contains_key(http::header::AUTHORIZATION)
    }

    /// A valid token (renewed first when it is about to expire) and its header.
    async fn token(&self) -> Result<(Token, http::HeaderValue), Error> {
        let token = bearer_token(&self.manager).await?;
        let header = header_value(&token.authorization_header())?;
        Ok((token, header))
    }

    /// True when the answer from `answered_by` to a request sent with the token to
    /// `sent_to` rejects the token: a 401 from the same, allowed, origin.
    fn rejected(&self, sent_to: &Url, status: http::StatusCode, answered_by: &Url) -> bool {
        status == http::StatusCode::UNAUTHORIZED
            && same_origin(sent_to, answered_by)
            && self.origins.allows(answered_by)
    }

    /// A new token in place of the rejected one, and its header.
    async fn renew(&self, rejected: Token) -> Result<http::HeaderValue, Error> {
        let fresh = self.manager.force_refresh(Some(rejected)).await?;
        header_value(&fresh.authorization_header())
    }
}
