//! iNaturalist's JWT exchange, and token validation against a provider's userinfo
//! endpoint.
//!
//! The exchange is written once, here: [`WithJwt`] and `TokenManager::with_jwt` both turn
//! a fresh OAuth token into a JWT through the same step, and renewing a stored JWT (a new
//! exchange from its source token, refreshed first if it has expired) happens here too.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use auth_core::{AuthFlow, Endpoint, Error, FlowContext, HttpBackend, Provider, Token, TokenKind};

/// How long a JWT is assumed to live when it carries no `exp` claim (iNaturalist: 24 h).
pub const DEFAULT_JWT_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Exchanges a long-lived OAuth token for an API JWT: `GET jwt_url` with
/// `Authorization: Bearer <oauth token>`, answered `{"api_token": "..."}`.
///
/// The result is a [`TokenKind::Jwt`] token that keeps `oauth_token` as its `source`, so
/// a fresh JWT never needs the browser or the password again. Its expiry comes from the
/// JWT's `exp` claim (read without verification, only to schedule renewal), else 24 h.
///
/// ```no_run
/// # async fn run(provider: auth_core::Provider, http: std::sync::Arc<dyn auth_core::HttpBackend>,
/// #              oauth: auth_core::Token) -> Result<(), auth_core::Error> {
/// let jwt = auth_flows::exchange_jwt(&provider, http.as_ref(), &oauth).await?;
/// assert_eq!(jwt.kind.name(), "jwt");
/// # Ok(()) }
/// ```
pub async fn exchange_jwt(
    provider: &Provider,
    http: &dyn HttpBackend,
    oauth_token: &Token,
) -> Result<Token, Error> {
    let url = provider.endpoint(Endpoint::Jwt)?.clone();
    provider.validate()?;
    let request = http::Request::get(url.as_str())
        .header(
            http::header::AUTHORIZATION,
            oauth_token.authorization_header().expose(),
        )
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| Error::config(format!("jwt_url {url} cannot be requested: {e}")))?;
    let read = |response: auth_core::HttpResponse| {
        let status = response.status().as_u16();
        let body = response.body();
        let invalid = |problem: &str| crate::client::invalid_response(&url, status, body, problem);
        if status == 401 {
            return Err(Error::LoginRequired {
                profile: provider.name.clone(),
            });
        }
        if !(200..300).contains(&status) {
            return Err(crate::client::refused(
                &url,
                status,
                body,
                "the JWT exchange failed",
            ));
        }
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| invalid("the body is not JSON"))?;
        value
            .get("api_token")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("the body has no `api_token`"))
            .and_then(|s| match crate::token_response::printable_token(s) {
                true => Ok(auth_core::Secret::new(s)),
                false => Err(invalid("the `api_token` contains control characters")),
            })
    };
    let jwt = crate::client::send_to_token_endpoint(provider, http, None, request, read).await?;
    let jwt = jwt.expose();
    let expires_at = crate::jwt_claims::expiry(jwt)
        .or_else(|| SystemTime::now().checked_add(DEFAULT_JWT_LIFETIME));
    let mut token = Token::bearer(jwt);
    token.expires_at = expires_at;
    token.scopes.clone_from(&oauth_token.scopes);
    token.kind = TokenKind::Jwt {
        source: Some(Box::new(oauth_token.clone())),
    };
    Ok(token)
}

/// Runs a flow, then exchanges its OAuth token for a JWT ([`exchange_jwt`]).
///
/// ```
/// # #[cfg(feature = "password")] {
/// use auth_core::AuthFlow;
/// let flow = auth_flows::WithJwt(auth_flows::PasswordFlow);
/// assert_eq!(flow.name(), "password");
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct WithJwt<F>(pub F);

#[async_trait]
impl<F: AuthFlow> AuthFlow for WithJwt<F> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn needs_person(&self) -> bool {
        self.0.needs_person()
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        let oauth = self.0.authenticate(ctx).await?;
        to_jwt(ctx, oauth).await
    }
}

/// The JWT step after a flow: a fresh OAuth token is exchanged for a JWT; a token that is
/// already a JWT, or an OAuth 1 credential, is kept as it is.
pub(crate) async fn to_jwt(ctx: &FlowContext, token: Token) -> Result<Token, Error> {
    match token.kind {
        TokenKind::Jwt { .. } | TokenKind::OAuth1 { .. } => Ok(token),
        _ => exchange_jwt(&ctx.provider, ctx.http.as_ref(), &token).await,
    }
}

/// A new JWT from the OAuth token a stored JWT was minted from, refreshing that token
/// first when `refresh_first` (it has expired).
pub(crate) async fn renew_from_source(
    ctx: &FlowContext,
    source: &Token,
    refresh_first: bool,
) -> Result<Token, Error> {
    let fresh;
    let source = if refresh_first {
        fresh = crate::refresh(&ctx.provider, &ctx.credentials, &ctx.http, source).await?;
        &fresh
    } else {
        source
    };
    exchange_jwt(&ctx.provider, ctx.http.as_ref(), source).await
}

/// What the provider said about a token.
///
/// ```
/// assert_ne!(auth_flows::Validation::Valid, auth_flows::Validation::Invalid);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Validation {
    /// The provider accepted it.
    Valid,
    /// The provider rejected it (401/403): log in again.
    Invalid,
    /// The provider could not be asked, or answered something else; the reason.
    CouldNotCheck(String),
}

/// Asks the provider's userinfo / validation endpoint whether `token` works: 2xx is
/// valid, 401 or 403 invalid, anything else (including transport errors) could not check.
///
/// ```no_run
/// # async fn run(provider: auth_core::Provider, http: std::sync::Arc<dyn auth_core::HttpBackend>,
/// #              token: auth_core::Token) {
/// match auth_flows::validate(&provider, http.as_ref(), &token).await {
///     auth_flows::Validation::Valid => println!("ok"),
///     other => println!("{other:?}"),
/// }
/// # }
/// ```
pub async fn validate(provider: &Provider, http: &dyn HttpBackend, token: &Token) -> Validation {
    let url = match provider.endpoint(Endpoint::Userinfo) {
        Ok(url) => url.clone(),
        Err(e) => return Validation::CouldNotCheck(e.to_string()),
    };
    if let Err(e) = provider.validate() {
        return Validation::CouldNotCheck(e.to_string());
    }
    let mut request = match http::Request::get(url.as_str())
        .header(
            http::header::AUTHORIZATION,
            token.authorization_header().expose(),
        )
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
    {
        Ok(r) => r,
        Err(e) => return Validation::CouldNotCheck(e.to_string()),
    };
    provider.mark_request(&mut request);
    match http.send(request).await {
        Ok(r) if r.status().is_success() => Validation::Valid,
        Ok(r) if r.status() == 401 || r.status() == 403 => Validation::Invalid,
        Ok(r) => Validation::CouldNotCheck(format!(
            "{} answered HTTP {}",
            auth_core::http::without_query(&url),
            r.status()
        )),
        Err(e) => Validation::CouldNotCheck(e.to_string()),
    }
}
