//! [`SigningBackend`]: an [`HttpBackend`] that signs every request with OAuth 1, as a
//! per-hop hook.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use auth_core::http::{Hop, HopHook, HopHooks};
use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, Provider, Url};

use super::signer::Signer;

/// Wraps an [`HttpBackend`] and signs each request with a [`Signer`] (consumer and token
/// credentials).
///
/// The signature travels as a per-hop hook on the request (see
/// [`HopHook`](auth_core::http::HopHook)), and the inner backend's policy does the rest,
/// so every attempt that goes out is handled deliberately:
///
/// - each attempt on the **original origin** (scheme, host and port) is signed afresh, with
///   a new nonce and timestamp, for its own URL: the first, same-origin redirects, and
///   retries of idempotent API requests;
/// - a hop to **another origin** carries **no OAuth credentials**: no `Authorization`
///   header, no `oauth_*` query or body parameters, and `Cookie` and `Proxy-Authorization`
///   are dropped too. Once a chain of redirects has left the origin, nothing further in it
///   is signed, even if it comes back, so a foreign server cannot choose what gets signed;
/// - a hop that already carries an `Authorization` header (the caller's own) is sent as
///   it is, unsigned, as [`AuthorizedClient`](crate::AuthorizedClient) does.
///
/// Redirects follow the backend's rule: 301, 302 and 303 turn into a GET without a body;
/// 307 and 308 keep method and body only within the origin (one that would carry a body
/// or an unsafe method elsewhere is returned instead); at most `max_redirects` of the
/// backend's settings are followed. Requests marked
/// [`RequestKind::TokenEndpoint`](auth_core::RequestKind::TokenEndpoint) are never
/// redirected nor retried.
///
/// ```
/// use auth_core::{async_trait, Error, HttpBackend, HttpRequest, HttpResponse, Token};
/// use auth_core::http::{Hop, HopHooks};
/// use auth_flows::oauth1::{Signer, SigningBackend};
///
/// /// Runs the request's hooks on one hop, as every backend does, and echoes the
/// /// Authorization header back as the body.
/// struct Echo;
/// #[async_trait]
/// impl HttpBackend for Echo {
///     async fn send(&self, r: HttpRequest) -> Result<HttpResponse, Error> {
///         let hooks = HopHooks::of(&r);
///         let (parts, mut body) = r.into_parts();
///         let mut url = parts.uri.to_string().parse().unwrap();
///         let mut headers = parts.headers;
///         hooks.run(&mut Hop::new(&parts.method, &mut url, &mut headers, &mut body, true))?;
///         let auth = headers["authorization"].as_bytes().to_vec();
///         Ok(http::Response::builder().status(200).body(auth).unwrap())
///     }
/// }
///
/// let signer = Signer::new("consumer-key", "consumer-secret")
///     .with_stored_token(&Token::oauth1("token", "token-secret")).unwrap();
/// let client = SigningBackend::new(Echo, signer);
/// let request = http::Request::get("https://api.example.com/me").body(Vec::new()).unwrap();
/// let response = pollster::block_on(client.send(request)).unwrap();
/// assert!(response.body().starts_with(b"OAuth oauth_nonce="));
/// ```
pub struct SigningBackend<B> {
    inner: B,
    hook: Arc<SigningHook>,
    provider: Option<Provider>,
}

impl<B> fmt::Debug for SigningBackend<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningBackend")
            .field("signer", &self.hook.signer)
            .finish_non_exhaustive()
    }
}

impl<B: HttpBackend> SigningBackend<B> {
    /// Wraps `inner`; requests are signed by `signer`.
    ///
    /// ```no_run
    /// # fn transport() -> std::sync::Arc<dyn auth_core::HttpBackend> { unreachable!() }
    /// use auth_flows::oauth1::{Signer, SigningBackend};
    /// let client = SigningBackend::new(transport(), Signer::new("key", "secret"));
    /// ```
    pub fn new(inner: B, signer: Signer) -> Self {
        SigningBackend {
            inner,
            hook: Arc::new(SigningHook { signer }),
            provider: None,
        }
    }

    /// Marks every request with `provider`'s transport settings (its `insecure_http`
    /// switch; see [`Provider::mark_request`]).
    ///
    /// ```no_run
    /// # fn transport() -> std::sync::Arc<dyn auth_core::HttpBackend> { unreachable!() }
    /// # use auth_flows::oauth1::{Signer, SigningBackend};
    /// let provider = auth_core::Provider::new("intranet");
    /// let client = SigningBackend::new(transport(), Signer::new("k", "s")).for_provider(&provider);
    /// ```
    #[must_use]
    pub fn for_provider(mut self, provider: &Provider) -> Self {
        self.provider = Some(provider.clone());
        self
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.hook.signer
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }
}

#[async_trait]
impl<B: HttpBackend> HttpBackend for SigningBackend<B> {
    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        if let Some(provider) = &self.provider {
            provider.mark_request(&mut request);
        }
        HopHooks::push(&mut request, self.hook.clone());
        self.inner.send(request).await
    }
}

/// Signs each hop that is still on the original origin and carries no `Authorization`.
struct SigningHook {
    signer: Signer,
}

impl HopHook for SigningHook {
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        if !hop.is_same_origin() || hop.headers().contains_key(http::header::AUTHORIZATION) {
            return Ok(());
        }
        let mut request = http::Request::builder()
            .method(hop.method().clone())
            .uri(hop.url().as_str())
            .body(std::mem::take(hop.body_mut()))
            .map_err(|e| {
                Error::config(format!(
                    "the request to {} cannot be signed ({e}); check the URL",
                    auth_core::http::without_query(hop.url())
                ))
            })?;
        *request.headers_mut() = std::mem::take(hop.headers_mut());
        let signed = self.signer.sign_request(&mut request);
        let (parts, body) = request.into_parts();
        *hop.headers_mut() = parts.headers;
        *hop.body_mut() = body;
        signed?;
        *hop.url_mut() = Url::parse(&parts.uri.to_string()).map_err(|e| {
            Error::config(format!(
                "the signed request URI is not a valid URL ({e}); check the URL"
            ))
        })?;
        Ok(())
    }
}

/// A borrowed backend that marks each request with a provider's transport settings
/// ([`Provider::mark_request`]), for the dance's requests to the provider's endpoints.
pub(crate) struct ProviderMarks<'a> {
    inner: &'a dyn HttpBackend,
    provider: &'a Provider,
}

impl<'a> ProviderMarks<'a> {
    pub(crate) fn new(inner: &'a dyn HttpBackend, provider: &'a Provider) -> Self {
        ProviderMarks { inner, provider }
    }
}

#[async_trait]
impl HttpBackend for ProviderMarks<'_> {
    async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse, Error> {
        self.provider.mark_request(&mut request);
        self.inner.send(request).await
    }
}
