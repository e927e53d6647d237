//! [`AuthorizedClient`]: an [`HttpBackend`] that adds the token and keeps it fresh, through
//! the [`BearerHook`].

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use auth_core::hooks::TokenPlacement;
use auth_core::http::{Hop, HopHook, HopHooks};
use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, Secret, Token, TokenKind};

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
    attach: Attach,
}

/// What the hook attaches, and where.
#[derive(Clone)]
enum Attach {
    /// The whole `Authorization` value.
    Header(Secret),
    /// The bare token as a query parameter of this name.
    Query(String, Secret),
    /// The bare token as a form field of this name (else the query parameter).
    Body(String, Secret),
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
        BearerHook {
            attach: Attach::Header(authorization),
        }
    }

    /// A hook that puts `token` where `placement` says: the `Authorization` header
    /// (`<token_type> <token>`), a query parameter, or a form field of the body (the query
    /// parameter when the body is not a form, or a `GET`'s empty body). A parameter the
    /// request already has is left as it is, so a retried hop does not get it twice.
    ///
    /// ```
    /// use auth_core::hooks::TokenPlacement;
    /// use auth_core::http::{Hop, HopHook, Method};
    /// use auth_core::{Secret, Token};
    /// use auth_flows::BearerHook;
    ///
    /// let token = Token::bearer(Secret::new("abc123"));
    /// let hook = BearerHook::for_token(&token, &TokenPlacement::Query("access_token".into()));
    /// let mut url: auth_core::Url = "https://api.example/me?x=1".parse().unwrap();
    /// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// hook.on_hop(&mut Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true)).unwrap();
    /// assert_eq!(url.as_str(), "https://api.example/me?x=1&access_token=abc123");
    /// assert!(headers.get("authorization").is_none());
    /// ```
    pub fn for_token(token: &Token, placement: &TokenPlacement) -> Self {
        let attach = match placement {
            TokenPlacement::Query(name) => Attach::Query(name.clone(), token.access_token.clone()),
            TokenPlacement::Body(name) => Attach::Body(name.clone(), token.access_token.clone()),
            _ => Attach::Header(token.authorization_header()),
        };
        BearerHook { attach }
    }
}

/// Appends `name=token` to the hop's query unless it has that parameter already.
fn add_to_query(hop: &mut Hop<'_>, name: &str, token: &Secret) {
    if hop.url().query_pairs().any(|(k, _)| k == name) {
        return;
    }
    hop.url_mut()
        .query_pairs_mut()
        .append_pair(name, token.expose());
}

/// Adds `name=token` to a form body (making one for a method with a body and none yet);
/// any other body gets the query parameter.
fn add_to_body(hop: &mut Hop<'_>, name: &str, token: &Secret) {
    let form = http::HeaderValue::from_static("application/x-www-form-urlencoded");
    let is_form = hop
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let takes_body = matches!(
        *hop.method(),
        http::Method::POST | http::Method::PUT | http::Method::PATCH
    );
    if is_form {
        if form_urlencoded::parse(hop.body()).any(|(k, _)| k == name) {
            return;
        }
    } else if hop.body().is_empty() && takes_body {
        hop.headers_mut().insert(http::header::CONTENT_TYPE, form);
    } else {
        return add_to_query(hop, name, token);
    }
    let body = hop.body_mut();
    let mut pair = form_urlencoded::Serializer::new(String::new());
    pair.append_pair(name, token.expose());
    if !body.is_empty() {
        body.push(b'&');
    }
    body.extend_from_slice(pair.finish().as_bytes());
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
        let authorization = match &self.attach {
            Attach::Header(value) => value,
            Attach::Query(name, token) => {
                add_to_query(hop, name, token);
                return Ok(());
            }
            Attach::Body(name, token) => {
                add_to_body(hop, name, token);
                return Ok(());
            }
        };
        let mut value = http::HeaderValue::from_str(authorization.expose()).map_err(|_| {
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
/// answer makes it renew once and retry once.
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
        AuthorizedClient { http, manager }
    }

    /// The token manager.
    pub fn manager(&self) -> &Arc<TokenManager> {
        &self.manager
    }
}

/// `request` with the token's hook added, placed as the provider says.
fn authorized(mut request: HttpRequest, token: &Token, placement: &TokenPlacement) -> HttpRequest {
    HopHooks::push(
        &mut request,
        Arc::new(BearerHook::for_token(token, placement)),
    );
    request
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
        let provider = &self.manager.context().provider;
        provider.mark_request(&mut request);
        if request.headers().contains_key(http::header::AUTHORIZATION) {
            // The caller's own credentials: sent as they are, no renewal on 401.
            return self.http.send(request).await;
        }
        crate::compliance::protected_request(provider, &mut request)?;
        let placement = provider.token_placement();
        let again = request.clone();
        let response = self
            .http
            .send(authorized(request, &token, &placement))
            .await?;
        if response.status() != http::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let fresh = self.manager.force_refresh(Some(token)).await?;
        self.http.send(authorized(again, &fresh, &placement)).await
    }
}
