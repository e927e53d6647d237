//! [`SigningBackend`]: an [`HttpBackend`] that signs every request with OAuth 1.

use std::fmt;

use async_trait::async_trait;
use auth_core::http::{host_port, same_origin, without_query};
use auth_core::{
    Error, HttpBackend, HttpRequest, HttpResponse, RequestKind, TransportErrorKind, Url,
};
use http::{Method, StatusCode, header};

use super::signer::Signer;

/// Wraps an [`HttpBackend`] and signs each request with a [`Signer`] (consumer and token
/// credentials), with a fresh nonce and timestamp per request.
///
/// Redirects of API requests ([`RequestKind::Api`], the default) are followed here, not
/// by the inner backend (requests go to it as [`RequestKind::TokenEndpoint`], which it
/// never redirects), so every hop is handled deliberately:
///
/// - a redirect to the **same origin** (scheme, host and port) as the original request is
///   signed again, with a new nonce, for the new URL;
/// - a redirect to **another origin** is followed **without any OAuth credentials**: no
///   `Authorization` header, no `oauth_*` query or body parameters (the original, unsigned
///   request goes there), and `Cookie` and `Proxy-Authorization` are dropped too. Once a
///   chain of redirects has left the origin, nothing further in it is signed, even if it
///   comes back, so a foreign server cannot choose what gets signed.
///
/// 303 (and 301/302 after a POST) turn into a GET without a body, as browsers do; at most
/// `max_redirects` (default 5) are followed, then the call fails with
/// [`TransportErrorKind::TooManyRedirects`]. Requests the caller marked
/// [`RequestKind::TokenEndpoint`] are never redirected. Nothing is retried, since each
/// attempt would need a new signature; the inner backend's retries do not apply either.
///
/// ```
/// use auth_core::{async_trait, Error, HttpBackend, HttpRequest, HttpResponse, Token};
/// use auth_flows::oauth1::{Signer, SigningBackend};
///
/// /// Echoes the Authorization header back as the body.
/// struct Echo;
/// #[async_trait]
/// impl HttpBackend for Echo {
///     async fn send(&self, r: HttpRequest) -> Result<HttpResponse, Error> {
///         let auth = r.headers()["authorization"].as_bytes().to_vec();
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
    signer: Signer,
    max_redirects: u32,
}

impl<B> fmt::Debug for SigningBackend<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningBackend")
            .field("signer", &self.signer)
            .field("max_redirects", &self.max_redirects)
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
            signer,
            max_redirects: auth_core::HttpConfig::default().max_redirects,
        }
    }

    /// Sets how many redirects are followed (0: none; the 3xx is returned).
    ///
    /// ```no_run
    /// # fn transport() -> std::sync::Arc<dyn auth_core::HttpBackend> { unreachable!() }
    /// # use auth_flows::oauth1::{Signer, SigningBackend};
    /// let client = SigningBackend::new(transport(), Signer::new("k", "s")).with_max_redirects(0);
    /// ```
    pub fn with_max_redirects(mut self, max_redirects: u32) -> Self {
        self.max_redirects = max_redirects;
        self
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }
}

#[async_trait]
impl<B: HttpBackend> HttpBackend for SigningBackend<B> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let follow = RequestKind::of(&request) == RequestKind::Api;
        let origin = parse_url(&request)?;
        let mut current_url = origin.clone();
        let mut current = request;
        let mut signing = true;
        let mut redirects = 0;
        loop {
            let mut outgoing = current.clone();
            if signing {
                self.signer.sign_request(&mut outgoing)?;
            }
            outgoing.extensions_mut().insert(RequestKind::TokenEndpoint);
            let response = self.inner.send(outgoing).await?;

            let status = response.status();
            if !follow || !is_redirect(status) {
                return Ok(response);
            }
            let Some(next_url) = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| current_url.join(location).ok())
            else {
                return Ok(response);
            };
            if self.max_redirects == 0 {
                return Ok(response);
            }
            redirects += 1;
            if redirects > self.max_redirects {
                return Err(Error::Transport {
                    host: host_port(&next_url),
                    kind: TransportErrorKind::TooManyRedirects,
                    message: format!(
                        "more than {} redirects, the last to {}",
                        self.max_redirects,
                        without_query(&next_url)
                    ),
                });
            }

            let method = current.method().clone();
            let to_get = status == StatusCode::SEE_OTHER && method != Method::HEAD
                || matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                    && method == Method::POST;
            if to_get {
                *current.method_mut() = Method::GET;
                current.body_mut().clear();
                for name in [
                    header::CONTENT_TYPE,
                    header::CONTENT_LENGTH,
                    header::CONTENT_ENCODING,
                ] {
                    current.headers_mut().remove(name);
                }
            }
            current.headers_mut().remove(header::HOST);
            if signing && !same_origin(&origin, &next_url) {
                signing = false;
            }
            if !signing {
                for name in [
                    header::AUTHORIZATION,
                    header::COOKIE,
                    header::PROXY_AUTHORIZATION,
                ] {
                    current.headers_mut().remove(name);
                }
            }
            *current.uri_mut() = next_url.as_str().parse().map_err(|e| Error::Transport {
                host: host_port(&next_url),
                kind: TransportErrorKind::Other,
                message: format!("the redirect target is not a valid URI ({e})"),
            })?;
            current_url = next_url;
        }
    }
}

fn parse_url(request: &HttpRequest) -> Result<Url, Error> {
    Url::parse(&request.uri().to_string()).map_err(|e| {
        Error::config(format!(
            "the request URI {:?} is not an absolute URL ({e}); give the full https:// URL",
            request.uri().path()
        ))
    })
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}
