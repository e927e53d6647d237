//! The loopback redirect server as an OAuth 1 [`CallbackSource`].

use std::sync::Mutex;

use async_trait::async_trait;
use auth_core::Error;

use super::CallbackSource;
use crate::loopback::{CallbackVerdict, LoopbackConfig, LoopbackServer};

/// Receives the OAuth 1 authorization redirect on 127.0.0.1: the first request to the
/// server's path that carries `oauth_token`, `oauth_verifier` or a refusal (`denied`,
/// `error`, `oauth_problem`) ends the wait; other requests (favicon, stray visits) are
/// answered and ignored. The query is then checked by
/// [`super::parse_authorization_response`] inside the flow.
///
/// ```no_run
/// use std::sync::Arc;
/// use auth_flows::loopback::LoopbackConfig;
/// use auth_flows::oauth1::{LoopbackCallback, OAuth1Flow};
/// let source = LoopbackCallback::bind(LoopbackConfig::default().with_port(0))?;
/// let flow = OAuth1Flow::with_callback(Arc::new(source));
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Debug)]
pub struct LoopbackCallback {
    redirect_uri: String,
    server: Mutex<Option<LoopbackServer>>,
}

impl LoopbackCallback {
    /// Binds the server now, so `callback_url` names the real port.
    pub fn bind(config: LoopbackConfig) -> Result<Self, Error> {
        let server = LoopbackServer::bind(config)?;
        Ok(LoopbackCallback {
            redirect_uri: server.redirect_uri(),
            server: Mutex::new(Some(server)),
        })
    }
}

#[async_trait]
impl CallbackSource for LoopbackCallback {
    fn callback_url(&self) -> String {
        self.redirect_uri.clone()
    }

    async fn receive(&self) -> Result<String, Error> {
        let server = self
            .server
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                Error::Interaction(
                    "the OAuth 1 callback server was already used; run the login again".into(),
                )
            })?;
        server
            .wait(|query| {
                let relevant = [
                    "oauth_token",
                    "oauth_verifier",
                    "denied",
                    "error",
                    "oauth_problem",
                ];
                if relevant.iter().any(|name| query.get(name).is_some()) {
                    let mut out = form_urlencoded::Serializer::new(String::new());
                    out.extend_pairs(query.params().iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    CallbackVerdict::Accept(out.finish())
                } else {
                    CallbackVerdict::Ignore
                }
            })
            .await
    }
}
