//! The async backend on reqwest 0.13.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{Error, HttpBackend, HttpConfig, HttpRequest, HttpResponse, TransportErrorKind};

use crate::driver::{self, Exchange, Transport};

/// An async [`HttpBackend`] on [reqwest](https://docs.rs/reqwest) 0.13, for programs that
/// run on tokio. TLS is rustls with the *ring* provider, handed to this client only (no
/// process-wide default provider is installed), verifying certificates with the
/// operating system's trust store (`rustls-platform-verifier`), as reqwest does by default.
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
    client: reqwest::Client,
    config: HttpConfig,
}

impl ReqwestBackend {
    /// A backend with these settings. The reqwest client is configured to return 4xx/5xx
    /// as responses and to follow no redirect itself (the shared driver does that).
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
        driver::validate_config(&config)?;
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
                    driver::chain_message(&e)
                ))
            })?;
        Ok(ReqwestBackend { client, config })
    }

    /// The settings this backend was built with.
    ///
    /// ```
    /// let backend = auth_http::ReqwestBackend::new(Default::default()).unwrap();
    /// assert_eq!(backend.config().max_response_bytes, 1024 * 1024);
    /// ```
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    async fn exchange(&self, ex: &Exchange<'_>) -> Result<HttpResponse, Error> {
        let mut request = reqwest::Request::new(ex.method.clone(), ex.url.clone());
        *request.headers_mut() = ex.headers.clone();
        if !ex.sends_no_body() {
            if ex.body.is_empty() {
                // hyper sends no length for an empty body; RFC 9110 §8.6 asks for one on
                // POST and the like, and some servers answer 411 without it.
                request
                    .headers_mut()
                    .entry(http::header::CONTENT_LENGTH)
                    .or_insert(http::HeaderValue::from_static("0"));
            }
            *request.body_mut() = Some(ex.body.to_vec().into());
        }
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| map_error(&e, ex))?;

        let mut collector = ex.body_collector(response.status(), response.headers())?;
        let body = async {
            while let Some(chunk) = response.chunk().await.map_err(|e| map_error(&e, ex))? {
                collector.push(&chunk)?;
            }
            Ok::<(), Error>(())
        };
        // The read timeout also bounds the whole body, as in the ureq backend.
        match tokio::time::timeout(ex.config.read_timeout, body).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(ex.transport_error(
                    TransportErrorKind::ReadTimeout,
                    &format!(
                        "the response body took longer than {:?} (read_timeout)",
                        ex.config.read_timeout
                    ),
                ));
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

impl Transport for ReqwestBackend {
    async fn send_once(&self, exchange: Exchange<'_>) -> Result<HttpResponse, Error> {
        self.exchange(&exchange).await
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[auth_core::async_trait]
impl HttpBackend for ReqwestBackend {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        driver::execute(self, &self.config, request).await
    }
}

impl fmt::Debug for ReqwestBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestBackend")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Maps a reqwest error to the toolkit's error, naming the host and never the URL's
/// query (the driver scrubs the message).
fn map_error(error: &reqwest::Error, ex: &Exchange<'_>) -> Error {
    // reqwest's own message only repeats "error sending request for url (...)": the
    // causes are in its sources.
    let message = match std::error::Error::source(error) {
        Some(source) => driver::chain_message(source),
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
    if driver::is_tls_failure(error) {
        return TransportErrorKind::Tls;
    }
    if let Some(kind) = driver::classify_chain(error) {
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

    #[test]
    fn builds_without_a_process_wide_crypto_provider() {
        let backend = ReqwestBackend::new(HttpConfig::default()).unwrap();
        assert!(format!("{backend:?}").contains("ReqwestBackend"));
        assert!(
            rustls::crypto::CryptoProvider::get_default().is_none(),
            "building a backend must not install a process-wide rustls provider"
        );
    }
}
