//! [`AuthorizedClient`]: an [`HttpBackend`] that adds the token and keeps it fresh, through
//! the [`BearerHook`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use auth_core::hooks::TokenPlacement;
use auth_core::http::{Hop, HopHook, HopHooks};
use auth_core::{
    AllowedOrigins, Error, HttpBackend, HttpRequest, HttpResponse, Secret, Token, TokenKind,
};

use crate::dpop::{DpopHook, DpopKey, DpopNonces};
use crate::manager::TokenManager;

/// A per-hop hook that adds an `Authorization` header (for example `Bearer <token>`) to
/// each hop that is still on the request's original origin, is on an allowed origin
/// ([`BearerHook::for_origins`]; [`BearerHook::new`] allows the original origin) and
/// carries no `Authorization` of its own. Backends run it on every redirect hop and
/// retry, so the token never reaches another origin, not even after a chain comes back.
/// [`BearerHook::sent_on_last_hop`] tells whether the last hop carried the token, which
/// is what decides whether a 401 rejected it.
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
    origins: Option<Arc<AllowedOrigins>>,
    sent: Arc<AtomicBool>,
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
            origins: None,
            sent: Arc::default(),
        }
    }

    /// A hook that puts `token` where `placement` says: the `Authorization` header
    /// (`<token_type> <token>`), a query parameter, or a form field of the body (the query
    /// parameter when the body is not a form, or a `GET`'s empty body). A parameter the
    /// request already has is left as it is.
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
        BearerHook {
            attach,
            origins: None,
            sent: Arc::default(),
        }
    }

    /// The same hook, sending only to hops on one of `origins` (and still on the
    /// request's original origin).
    ///
    /// ```
    /// use auth_core::hooks::TokenPlacement;
    /// use auth_core::{AllowedOrigins, Secret, Token};
    /// let origins = std::sync::Arc::new(AllowedOrigins::new().with_entry("api.example").unwrap());
    /// let hook = auth_flows::BearerHook::for_token(&Token::bearer(Secret::new("t")), &TokenPlacement::Header)
    ///     .restricted_to(origins);
    /// assert!(!hook.sent_on_last_hop());
    /// ```
    pub fn restricted_to(mut self, origins: Arc<AllowedOrigins>) -> Self {
        self.origins = Some(origins);
        self
    }

    /// A hook sending this `Authorization` value only to hops on one of `origins` (and
    /// still on the request's original origin).
    ///
    /// ```
    /// use auth_core::http::{Hop, HopHook, Method};
    /// use auth_core::{AllowedOrigins, Secret};
    ///
    /// let origins = std::sync::Arc::new(AllowedOrigins::new().with_entry("api.example").unwrap());
    /// let hook = auth_flows::BearerHook::for_origins(Secret::new("Bearer t"), origins);
    /// let mut url: auth_core::Url = "https://evil.example/me".parse().unwrap();
    /// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// hook.on_hop(&mut Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true)).unwrap();
    /// assert!(headers.get("authorization").is_none());
    /// assert!(!hook.sent_on_last_hop());
    /// ```
    pub fn for_origins(authorization: Secret, origins: Arc<AllowedOrigins>) -> Self {
        BearerHook::new(authorization).restricted_to(origins)
    }

    /// True when the last hop this hook (or a clone of it) saw got the `Authorization`
    /// header: after a send, whether the answer is about our token.
    ///
    /// ```
    /// use auth_core::http::{Hop, HopHook, Method};
    /// let hook = auth_flows::BearerHook::new(auth_core::Secret::new("Bearer t"));
    /// assert!(!hook.sent_on_last_hop());
    /// let mut url: auth_core::Url = "https://api.example/me".parse().unwrap();
    /// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
    /// hook.on_hop(&mut Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true)).unwrap();
    /// assert!(hook.sent_on_last_hop());
    /// ```
    pub fn sent_on_last_hop(&self) -> bool {
        self.sent.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for BearerHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerHook").finish_non_exhaustive()
    }
}

impl HopHook for BearerHook {
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        self.sent.store(false, Ordering::SeqCst);
        let allowed = self.origins.as_ref().is_none_or(|o| o.allows(hop.url()));
        if !allowed
            || !hop.is_same_origin()
            || hop.headers().contains_key(http::header::AUTHORIZATION)
        {
            return Ok(());
        }
        match &self.attach {
            Attach::Header(authorization) => {
                let value = header_value(authorization)?;
                hop.headers_mut().insert(http::header::AUTHORIZATION, value);
            }
            Attach::Query(name, token) => add_to_query(hop, name, token),
            Attach::Body(name, token) => add_to_body(hop, name, token),
        }
        self.sent.store(true, Ordering::SeqCst);
        Ok(())
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

/// The `Authorization` header value for `authorization`, marked sensitive (so HTTP
/// libraries keep it out of their `Debug`).
pub(crate) fn header_value(authorization: &Secret) -> Result<http::HeaderValue, Error> {
    let mut value = http::HeaderValue::from_str(authorization.expose()).map_err(|_| {
        Error::config("the stored token contains characters not allowed in a header; log in again")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// A valid token of `manager` that can go in an `Authorization` header (an OAuth 1 token
/// signs requests instead).
pub(crate) async fn bearer_token(manager: &TokenManager) -> Result<Token, Error> {
    let token = manager.token().await?;
    if matches!(token.kind, TokenKind::OAuth1 { .. }) {
        return Err(Error::config(
            "an OAuth 1 token signs requests; use the OAuth 1 signing client for this profile",
        ));
    }
    Ok(token)
}

/// Wraps a transport: a request to an allowed origin gets `Authorization: Bearer <token>`
/// (unless it has an `Authorization` header already), the token is renewed before it
/// expires, and a 401 answer to the token makes it renew once and retry once.
///
/// A DPoP-bound token is sent as `Authorization: DPoP <token>` with a proof of its key on
/// every hop ([`DpopHook`](crate::dpop::DpopHook)), and a server's nonce demand is met once.
///
/// The token goes only to the provider's API origin (the origin of
/// `provider.endpoints.api_base`) and the origins added with
/// [`AuthorizedClient::allow_origins`] (see [`AllowedOrigins`]). A request to any other
/// origin is refused with an error naming the origin, before anything is sent. The token
/// travels as a [`BearerHook`] on the request, checked on every hop, so the transport's
/// policy applies unchanged (redirects, retries) and a redirect to another origin never
/// carries it; a 401 from a hop that did not get the token renews nothing. Requests keep
/// their extensions, and are marked with the provider's transport settings
/// ([`Provider::mark_request`](auth_core::Provider::mark_request)).
///
/// ```no_run
/// # async fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>, manager: std::sync::Arc<auth_flows::TokenManager>) -> Result<(), auth_core::Error> {
/// use auth_core::{AllowedOrigins, HttpBackend};
/// let client = auth_flows::AuthorizedClient::new(http, manager)
///     .allow_origins(AllowedOrigins::new().with_entry("uploads.inaturalist.org")?);
/// let me = client.send(http::Request::get("https://api.inaturalist.org/v1/users/me").body(Vec::new()).unwrap()).await?;
/// println!("{}", me.status());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthorizedClient {
    http: Arc<dyn HttpBackend>,
    manager: Arc<TokenManager>,
    origins: Arc<AllowedOrigins>,
    nonces: DpopNonces,
}

impl fmt::Debug for AuthorizedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedClient")
            .field("manager", &self.manager)
            .field("origins", &self.origins.to_string())
            .finish_non_exhaustive()
    }
}

impl AuthorizedClient {
    /// Authorizes requests sent through `http` to the provider's API origin with the
    /// tokens of `manager`.
    ///
    /// ```no_run
    /// # fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>, manager: std::sync::Arc<auth_flows::TokenManager>) {
    /// let client = auth_flows::AuthorizedClient::new(http, manager);
    /// println!("the token goes to {}", client.allowed_origins());
    /// # }
    /// ```
    pub fn new(http: Arc<dyn HttpBackend>, manager: Arc<TokenManager>) -> Self {
        let origins = Arc::new(AllowedOrigins::for_provider(&manager.context().provider));
        AuthorizedClient {
            http,
            manager,
            origins,
            nonces: DpopNonces::default(),
        }
    }

    /// Also sends the token to `origins`.
    ///
    /// ```no_run
    /// # fn run(client: auth_flows::AuthorizedClient) -> Result<(), auth_core::Error> {
    /// use auth_core::AllowedOrigins;
    /// let client = client.allow_origins(AllowedOrigins::new().with_entry("files.example:8443")?);
    /// assert!(client.allowed_origins().allows(&"https://files.example:8443/a".parse().unwrap()));
    /// # Ok(()) }
    /// ```
    pub fn allow_origins(mut self, origins: AllowedOrigins) -> Self {
        Arc::make_mut(&mut self.origins).extend(&origins);
        self
    }

    /// The origins the token is sent to.
    ///
    /// ```no_run
    /// # fn run(client: auth_flows::AuthorizedClient) {
    /// println!("{}", client.allowed_origins());
    /// # }
    /// ```
    pub fn allowed_origins(&self) -> &AllowedOrigins {
        &self.origins
    }

    /// The token manager.
    ///
    /// ```no_run
    /// # fn run(client: auth_flows::AuthorizedClient) {
    /// let manager = client.manager();
    /// # let _ = manager;
    /// # }
    /// ```
    pub fn manager(&self) -> &Arc<TokenManager> {
        &self.manager
    }
}

/// Sends `request` with `token`, as a per-hop hook: a DPoP-bound token (`token_type`
/// DPoP) as `Authorization: DPoP` with a proof signed by its key on every same-origin hop
/// (and one more attempt when the server asks for a nonce), any other where the
/// provider's [`TokenPlacement`] says ([`BearerHook`]), only to `origins` when given.
/// Also returns whether the hop that answered carried the token (only then can a 401 be
/// about it).
pub(crate) async fn send_with_token(
    http: &dyn HttpBackend,
    mut request: HttpRequest,
    token: &Token,
    nonces: &DpopNonces,
    placement: &TokenPlacement,
    origins: Option<Arc<AllowedOrigins>>,
) -> Result<(HttpResponse, bool), Error> {
    if token.is_dpop() {
        let stored = token.dpop_key.as_ref().ok_or_else(|| {
            Error::config("the DPoP-bound token has no key stored with it; log in again")
        })?;
        let hook = DpopHook::new(DpopKey::from_secret(stored)?, nonces.clone())
            .with_access_token(token.access_token.clone());
        let response = crate::dpop::send_with_proof(http, request, &hook).await?;
        return Ok((response, hook.sent_on_last_hop()));
    }
    let mut hook = BearerHook::for_token(token, placement);
    if let Some(origins) = origins {
        hook = hook.restricted_to(origins);
    }
    HopHooks::push(&mut request, Arc::new(hook.clone()));
    let response = http.send(request).await?;
    Ok((response, hook.sent_on_last_hop()))
}

#[async_trait]
impl HttpBackend for AuthorizedClient {
    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        // The URI itself stays out of the message: its query may carry a secret.
        let target = auth_core::Url::parse(&request.uri().to_string()).map_err(|e| {
            Error::config(format!(
                "the request's URI is not an absolute URL ({e}): give scheme and host"
            ))
        })?;
        if !self.origins.allows(&target) {
            let origin =
                AllowedOrigins::origin_of(&target).unwrap_or_else(|| target.scheme().into());
            let allowed = if self.origins.is_empty() {
                "none: the provider has no API base URL".to_owned()
            } else {
                self.origins.to_string()
            };
            return Err(Error::config(format!(
                "the token is not sent to {origin}: it goes only to the provider's API origin and \
                 the origins added with AuthorizedClient::allow_origins (now {allowed})"
            )));
        }
        let token = bearer_token(&self.manager).await?;
        let provider = &self.manager.context().provider;
        provider.mark_request(&mut request);
        if request.headers().contains_key(http::header::AUTHORIZATION) {
            // The caller's own credentials: sent as they are, no renewal on 401.
            return self.http.send(request).await;
        }
        crate::compliance::protected_request(provider, &mut request)?;
        let again = request.clone();
        let placement = provider.token_placement();
        let origins = Some(Arc::clone(&self.origins));
        let (response, sent) = send_with_token(
            self.http.as_ref(),
            request,
            &token,
            &self.nonces,
            &placement,
            origins.clone(),
        )
        .await?;
        if response.status() != http::StatusCode::UNAUTHORIZED || !sent {
            // Only a 401 to a hop that carried the token rejects the token.
            return Ok(response);
        }
        let fresh = self.manager.force_refresh(Some(token)).await?;
        let (response, _) = send_with_token(
            self.http.as_ref(),
            again,
            &fresh,
            &self.nonces,
            &placement,
            origins,
        )
        .await?;
        Ok(response)
    }
}
