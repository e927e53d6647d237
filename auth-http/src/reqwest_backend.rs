//! The async backend on reqwest 0.13.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use auth_core::{Error, HttpConfig, HttpResponse, TransportErrorKind};

use crate::policy::{self, Exchange, PolicyBackend, SendOnce};

/// An async [`HttpBackend`](auth_core::HttpBackend) on [reqwest](https://docs.rs/reqwest) 0.13, for programs that
/// run on tokio. TLS is rustls with the *ring* provider, handed to this client only (no
/// process-wide default provider is installed), verifying certificates with the
/// operating system's trust store (`rustls-platform-verifier`), as reqwest does by default.
///
/// It is a reqwest one-hop transport run by [`PolicyBackend`]: everything in the crate's
/// rules (redirects, retries, hooks, size cap) is the shared policy.
///
/// It must be polled inside a Tokio runtime; without one, `send` returns
/// [`Error::Config`] saying so (it does not panic).
///
/// ```no_run
/// use auth_core::{HttpBackend, HttpConfig};
/// use auth_http::ReqwestBackend;
///
/// # async fn run() -> Result<(), auth_core::Error> {
/// let backend = ReqwestBackend::new(HttpConfig::default())?;
/// let request = http::Request::get("https://api.inaturalist.org/v1/taxa?q=fox")
///     .body(Vec::new())
///     .unwrap();
/// let response = backend.send(request).await?;
/// println!("{}", response.status());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ReqwestBackend {
    policy: PolicyBackend<ReqwestTransport>,
}

/// The one-hop transport: a reqwest client that follows no redirect.
#[derive(Clone)]
struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestBackend {
    /// A backend with these settings. The reqwest client is configured to return 4xx/5xx
    /// as responses and to follow no redirect itself (the policy does that).
    ///
    /// Fails with [`Error::Config`] when the user agent is not a valid header value, a
    /// timeout is zero, or the TLS setup cannot be built (no usable certificate store).
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut config = auth_core::HttpConfig::default();
    /// config.connect_timeout = Duration::from_secs(3);
    /// let backend = auth_http::ReqwestBackend::new(config).unwrap();
    /// assert_eq!(backend.config().connect_timeout, Duration::from_secs(3));
    /// ```
    pub fn new(config: HttpConfig) -> Result<Self, Error> {
        policy::validate_config(&config)?;
        let tls = tls_config()?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .build()
            .map_err(|e| {
                Error::config(format!(
                    "could not set up the HTTP client: {}",
                    policy::chain_message(&e)
                ))
            })?;
        Self::with_client(client, config)
    }

    /// A backend on your own configured client (proxy, extra root certificates, TLS
    /// settings, connection pool).
    ///
    /// The client **must not follow redirects** (the policy does, with its own rules
    /// for credentials and bodies): build it with
    /// `.redirect(reqwest::redirect::Policy::none())`. A response that shows the client
    /// followed one anyway becomes [`Error::Config`] saying so. reqwest always returns
    /// 4xx/5xx as responses. The client's own connect and read timeouts apply;
    /// `config.read_timeout` also bounds reading each response body, and the rest of
    /// `config` (user agent, size cap, retries, redirects) is the policy's.
    ///
    /// ```no_run
    /// // (reqwest is built without a default TLS provider here: give it one, as `new` does,
    /// // or install a process-wide rustls provider before building the client.)
    /// let client = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()
    ///     .unwrap();
    /// let backend = auth_http::ReqwestBackend::with_client(client, Default::default()).unwrap();
    /// assert_eq!(backend.config().max_redirects, 5);
    /// ```
    pub fn with_client(client: reqwest::Client, config: HttpConfig) -> Result<Self, Error> {
        Ok(ReqwestBackend {
            policy: PolicyBackend::with_transport(ReqwestTransport { client }, config)?,
        })
    }

    /// The settings this backend was built with.
    ///
    /// ```
    /// let backend = auth_http::ReqwestBackend::new(Default::default()).unwrap();
    /// assert_eq!(backend.config().max_response_bytes, 1024 * 1024);
    /// ```
    pub fn config(&self) -> &HttpConfig {
        self.policy.config()
    }
}

impl ReqwestTransport {
    async fn exchange(&self, ex: &Exchange<'_>) -> Result<HttpResponse, Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::config(
                "the reqwest backend was called outside a Tokio runtime: run it inside one \
                 (for example under #[tokio::main]), or use the ureq backend, which needs none",
            ));
        }
        let mut request = reqwest::Request::new(ex.method().clone(), ex.url().clone());
        *request.headers_mut() = ex.headers().clone();
        if !ex.sends_no_body() {
            if ex.body().is_empty() {
                // hyper sends no length for an empty body; RFC 9110 §8.6 asks for one on
                // POST and the like, and some servers answer 411 without it.
                request
                    .headers_mut()
                    .entry(http::header::CONTENT_LENGTH)
                    .or_insert(http::HeaderValue::from_static("0"));
            }
            *request.body_mut() = Some(ex.body().to_vec().into());
        }
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| map_error(&e, ex))?;
        if response.url() != ex.url() {
            return Err(Error::config(format!(
                "the reqwest client followed a redirect from {} by itself: build the client \
                 given to ReqwestBackend::with_client with .redirect(reqwest::redirect::Policy::none())",
                auth_core::http::without_query(ex.url())
            )));
        }

        let mut collector = ex.body_collector(response.status(), response.headers())?;
        {
            let body = async {
                while let Some(chunk) = response.chunk().await.map_err(|e| map_error(&e, ex))? {
                    collector.push(&chunk)?;
                }
                Ok::<(), Error>(())
            };
            // The read timeout also bounds the whole body, as in the ureq backend. Its timer
            // is armed only when the body is not all there at the first look (a small answer
            // comes with its head): the bound starts when waiting does.
            let mut body = std::pin::pin!(body);
            let first = std::future::poll_fn(|cx| Poll::Ready(body.as_mut().poll(cx))).await;
            let read_timeout = ex.config().read_timeout;
            match first {
                Poll::Ready(result) => result?,
                Poll::Pending => match tokio::time::timeout(read_timeout, body).await {
                    Ok(result) => result?,
                    Err(_) => {
                        return Err(ex.transport_error(
                            TransportErrorKind::ReadTimeout,
                            &format!(
                                "the response body took longer than {read_timeout:?} (read_timeout)"
                            ),
                        ));
                    }
                },
            }
        }

        let mut out = http::Response::new(collector.finish());
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }
}

/// rustls with ring for this client only, and the platform verifier.
fn tls_config() -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| {
        Error::config(format!(
            "could not load the system's TLS certificate store: {e}; install the CA certificates \
             package, or use the ureq backend (built-in root certificates)"
        ))
    })?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

impl SendOnce for ReqwestTransport {
    async fn send_once(&self, exchange: Exchange<'_>) -> Result<HttpResponse, Error> {
        self.exchange(&exchange).await
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

policy::policy_backend_impls!(ReqwestBackend);

/// Maps a reqwest error to the toolkit's error, naming the host and never the URL's
/// query (the policy scrubs the message).
fn map_error(error: &reqwest::Error, ex: &Exchange<'_>) -> Error {
    // reqwest's own message only repeats "error sending request for url (...)": the
    // causes are in its sources.
    let message = match std::error::Error::source(error) {
        Some(source) => policy::chain_message(source),
        None => error.to_string(),
    };
    ex.transport_error(classify(error), &message)
}

fn classify(error: &reqwest::Error) -> TransportErrorKind {
    if error.is_timeout() {
        return if error.is_connect() {
            TransportErrorKind::ConnectTimeout
        } else {
            TransportErrorKind::ReadTimeout
        };
    }
    if error.is_dns() {
        return TransportErrorKind::Dns;
    }
    if policy::is_tls_failure(error) {
        return TransportErrorKind::Tls;
    }
    if let Some(kind) = policy::classify_chain(error) {
        return kind;
    }
    if has_incomplete_message(error) {
        return TransportErrorKind::ConnectionReset;
    }
    TransportErrorKind::Other
}

/// hyper's "connection closed before message completed" has no io source: recognise it
/// by its message.
fn has_incomplete_message(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(err) = current {
        let text = err.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("connection reset")
        {
            return true;
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::HttpBackend;

    #[test]
    fn builds_without_a_process_wide_crypto_provider() {
        let backend = ReqwestBackend::new(HttpConfig::default()).unwrap();
        assert!(format!("{backend:?}").contains("ReqwestBackend"));
        assert!(
            rustls::crypto::CryptoProvider::get_default().is_none(),
            "building a backend must not install a process-wide rustls provider"
        );
    }

    #[test]
    fn without_a_tokio_runtime_it_is_a_clear_error_not_a_panic() {
        let backend = ReqwestBackend::new(HttpConfig::default()).unwrap();
        let request = http::Request::get("https://127.0.0.1:9/never")
            .body(Vec::new())
            .unwrap();
        let err = pollster::block_on(backend.send(request)).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("Tokio runtime"), "{err}");
    }
}
