//! [`AuthorizedClient`]: an [`HttpBackend`] that adds the token and keeps it fresh, through
//! the [`BearerHook`].

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use auth_core::http::{Hop, HopHook, HopHooks};
use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, Secret, Token, TokenKind};

use crate::dpop::{DpopHook, DpopKey, DpopNonces};
use crate::manager::TokenManager;

/// A per-hop hook that adds an `Authorization` header (for example `Bearer <token>`) to
/// each hop that is still on the request's original origin and carries no
/// `Authorization` of its own. Backends run it on every redirect hop and retry, so the
/// token never reaches another origin, not even after a chain comes back.
///
/// ```
/// use auth_core::http::{Hop, HopHook, Method};
/// use auth_core::Secret;
/// use auth_flows::BearerHook;
///
/// let hook = BearerHook::new(Secret::new("Bearer abc123"));
/// let mut url: auth_core::Url = "https://api.example/me".parse().unwrap();
/// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
/// hook.on_hop(&mut Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true)).unwrap();
/// assert_eq!(headers["authorization"], "Bearer abc123");
///
/// // A hop to another origin gets nothing.
/// let mut elsewhere = http::HeaderMap::new();
/// hook.on_hop(&mut Hop::new(&Method::GET, &mut url, &mut elsewhere, &mut body, false)).unwrap();
/// assert!(elsewhere.get("authorization").is_none());
/// assert!(!format!("{hook:?}").contains("abc123"));
/// ```
#[derive(Clone)]
pub struct BearerHook {
    authorization: Secret,
}

impl BearerHook {
    /// A hook sending this whole `Authorization` value (see
    /// [`Token::authorization_header`]).
    ///
    /// ```
    /// let hook = auth_flows::BearerHook::new(auth_core::Secret::new("Bearer t"));
    /// # let _ = hook;
    /// ```
    pub fn new(authorization: Secret) -> Self {
        BearerHook { authorization }
    }
}

impl fmt::Debug for BearerHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerHook").finish_non_exhaustive()
    }
}

impl HopHook for BearerHook {
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        if !hop.is_same_origin() || hop.headers().contains_key(http::header::AUTHORIZATION) {
            return Ok(());
        }
        let mut value = http::HeaderValue::from_str(self.authorization.expose()).map_err(|_| {
            Error::config(
                "the stored token contains characters not allowed in a header; log in again",
            )
        })?;
        value.set_sensitive(true);
        hop.headers_mut().insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}

/// Wraps a transport: every request gets `Authorization: Bearer <token>` (unless it has
/// an `Authorization` header already), the token is renewed before it expires, and a 401
/// answer makes it renew once and retry once. A DPoP-bound token is sent as
/// `Authorization: DPoP <token>` with a proof of its key on every hop
/// ([`DpopHook`](crate::dpop::DpopHook)), and a server's nonce demand is met once.
///
/// The token travels as a [`BearerHook`] on the request, so the transport's policy
/// applies unchanged (redirects, retries) and the token is only sent to the request's
/// own origin. Requests keep their extensions, and are marked with the provider's
/// transport settings ([`Provider::mark_request`](auth_core::Provider::mark_request)).
///
/// ```no_run
/// # async fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>, manager: std::sync::Arc<auth_flows::TokenManager>) -> Result<(), auth_core::Error> {
/// use auth_core::HttpBackend;
/// let client = auth_flows::AuthorizedClient::new(http, manager);
/// let me = client.send(http::Request::get("https://api.inaturalist.org/v1/users/me").body(Vec::new()).unwrap()).await?;
/// println!("{}", me.status());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthorizedClient {
    http: Arc<dyn HttpBackend>,
    manager: Arc<TokenManager>,
    nonces: DpopNonces,
}

impl fmt::Debug for AuthorizedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedClient")
            .field("manager", &self.manager)
            .finish_non_exhaustive()
    }
}

impl AuthorizedClient {
    /// Authorizes requests sent through `http` with the tokens of `manager`.
    pub fn new(http: Arc<dyn HttpBackend>, manager: Arc<TokenManager>) -> Self {
        AuthorizedClient {
            http,
            manager,
            nonces: DpopNonces::default(),
        }
    }

    /// The token manager.
    pub fn manager(&self) -> &Arc<TokenManager> {
        &self.manager
    }
}

/// Sends `request` with `token`, as a per-hop hook: a DPoP-bound token (`token_type`
/// DPoP) as `Authorization: DPoP` with a proof signed by its key on every hop (and one
/// more attempt when the server asks for a nonce), any other as its `Authorization`
/// value ([`BearerHook`]).
pub(crate) async fn send_with_token(
    http: &dyn HttpBackend,
    mut request: HttpRequest,
    token: &Token,
    nonces: &DpopNonces,
) -> Result<HttpResponse, Error> {
    if token.is_dpop() {
        let stored = token.dpop_key.as_ref().ok_or_else(|| {
            Error::config("the DPoP-bound token has no key stored with it; log in again")
        })?;
        let hook = DpopHook::new(DpopKey::from_secret(stored)?, nonces.clone())
            .with_access_token(token.access_token.clone());
        return crate::dpop::send_with_proof(http, request, &hook).await;
    }
    HopHooks::push(
        &mut request,
        Arc::new(BearerHook::new(token.authorization_header())),
    );
    http.send(request).await
}

#[async_trait]
impl HttpBackend for AuthorizedClient {
    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        let token = self.manager.token().await?;
        if matches!(token.kind, TokenKind::OAuth1 { .. }) {
            return Err(Error::config(
                "an OAuth 1 token signs requests; use the OAuth 1 signing client for this profile",
            ));
        }
        self.manager.context().provider.mark_request(&mut request);
        if request.headers().contains_key(http::header::AUTHORIZATION) {
            // The caller's own credentials: sent as they are, no renewal on 401.
            return self.http.send(request).await;
        }
        let again = request.clone();
        let response = send_with_token(self.http.as_ref(), request, &token, &self.nonces).await?;
        if response.status() != http::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let fresh = self.manager.force_refresh(Some(token)).await?;
        send_with_token(self.http.as_ref(), again, &fresh, &self.nonces).await
    }
}
