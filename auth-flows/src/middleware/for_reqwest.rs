//! [`ReqwestAuth`]: the token as a `reqwest_middleware::Middleware`.

use std::fmt;
use std::sync::Arc;

use auth_core::AllowedOrigins;
use reqwest_middleware::{Middleware, Next, reqwest};

use super::Authorizer;
use crate::manager::TokenManager;

/// A `reqwest-middleware` middleware that authorizes requests to allowed origins with the
/// tokens of a [`TokenManager`] (see [the module](super) for the rules).
///
/// On a 401 to the token it renews the token and sends the request again, which needs a
/// copy of the request (`reqwest::Request::try_clone`). A request with a streaming body
/// (`reqwest::Body::wrap_stream`) has none: its 401 is returned to the caller, and the
/// token is renewed for the next request.
///
/// ```no_run
/// # async fn run(manager: std::sync::Arc<auth_flows::TokenManager>) -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::AllowedOrigins;
/// use auth_flows::middleware::ReqwestAuth;
///
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(ReqwestAuth::new(manager).allow_origins(AllowedOrigins::new().with_entry("uploads.example.com")?))
///     .build();
/// let response = client.get("https://api.example.com/v1/me").send().await?;
/// println!("{}", response.status());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ReqwestAuth(Authorizer);

impl ReqwestAuth {
    /// Authorizes requests to the provider's API origin with the tokens of `manager`.
    ///
    /// ```no_run
    /// # fn run(manager: std::sync::Arc<auth_flows::TokenManager>) {
    /// let auth = auth_flows::middleware::ReqwestAuth::new(manager);
    /// println!("the token goes to {}", auth.allowed_origins());
    /// # }
    /// ```
    pub fn new(manager: Arc<TokenManager>) -> Self {
        ReqwestAuth(Authorizer::new(manager))
    }

    /// Also authorizes requests to `origins`.
    ///
    /// ```no_run
    /// # fn run(manager: std::sync::Arc<auth_flows::TokenManager>) -> Result<(), auth_core::Error> {
    /// let auth = auth_flows::middleware::ReqwestAuth::new(manager)
    ///     .allow_origins(auth_core::AllowedOrigins::new().with_entry("files.example.com")?);
    /// # Ok(()) }
    /// ```
    pub fn allow_origins(mut self, origins: AllowedOrigins) -> Self {
        self.0.allow(&origins);
        self
    }

    /// The origins that get the token.
    ///
    /// ```no_run
    /// # fn run(auth: auth_flows::middleware::ReqwestAuth) {
    /// println!("{}", auth.allowed_origins());
    /// # }
    /// ```
    pub fn allowed_origins(&self) -> &AllowedOrigins {
        &self.0.origins
    }
}

impl fmt::Debug for ReqwestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestAuth")
            .field("origins", &self.0.origins.to_string())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Middleware for ReqwestAuth {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if !self.0.wants(request.url(), request.headers()) {
            return next.run(request, extensions).await;
        }
        let (token, header) = self
            .0
            .token()
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let sent_to = request.url().clone();
        let again = request.try_clone();
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, header);
        let response = next.clone().run(request, extensions).await?;
        if !self.0.rejected(&sent_to, response.status(), response.url()) {
            return Ok(response);
        }
        let header = self
            .0
            .renew(token)
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let Some(mut again) = again else {
            // A streaming body cannot be sent twice: the caller gets the 401.
            return Ok(response);
        };
        drop(response);
        again
            .headers_mut()
            .insert(http::header::AUTHORIZATION, header);
        next.run(again, extensions).await
    }
}
