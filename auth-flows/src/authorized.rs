//! [`AuthorizedClient`]: an [`HttpBackend`] that adds the token and keeps it fresh.

use std::sync::Arc;

use async_trait::async_trait;
use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, TokenKind};

use crate::manager::TokenManager;

/// Wraps a transport: every request gets `Authorization: Bearer <token>` (unless it has
/// an `Authorization` header already), the token is renewed before it expires, and a 401
/// answer makes it renew once and retry once.
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

impl std::fmt::Debug for AuthorizedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

fn authorize(request: &HttpRequest, header: &auth_core::Secret) -> Result<HttpRequest, Error> {
    let mut builder = http::Request::builder()
        .method(request.method())
        .uri(request.uri())
        .version(request.version());
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let mut copy = builder
        .body(request.body().clone())
        .map_err(|e| Error::config(e.to_string()))?;
    if let Some(kind) = request.extensions().get::<auth_core::RequestKind>() {
        copy.extensions_mut().insert(*kind);
    }
    if !request.headers().contains_key(http::header::AUTHORIZATION) {
        let mut value = http::HeaderValue::from_str(header.expose()).map_err(|_| {
            Error::config(
                "the stored token contains characters not allowed in a header; log in again",
            )
        })?;
        value.set_sensitive(true);
        copy.headers_mut()
            .insert(http::header::AUTHORIZATION, value);
    }
    Ok(copy)
}

#[async_trait]
impl HttpBackend for AuthorizedClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let token = self.manager.token().await?;
        if matches!(token.kind, TokenKind::OAuth1 { .. }) {
            return Err(Error::config(
                "an OAuth 1 token signs requests; use the OAuth 1 signing client for this profile",
            ));
        }
        let first = authorize(&request, &token.authorization_header())?;
        let response = self.http.send(first).await?;
        if response.status() != http::StatusCode::UNAUTHORIZED
            || request.headers().contains_key(http::header::AUTHORIZATION)
        {
            return Ok(response);
        }
        let fresh = self.manager.force_refresh(Some(token)).await?;
        self.http
            .send(authorize(&request, &fresh.authorization_header())?)
            .await
    }
}
