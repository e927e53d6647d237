//! The grants that need no person, and what every OAuth 2 token goes through afterwards:
//! `PasswordFlow`, `ClientCredentialsFlow`, [`refresh`], [`revoke`], [`introspect`].

use std::sync::Arc;
use std::time::SystemTime;

#[cfg(any(feature = "password", feature = "client-credentials"))]
use async_trait::async_trait;
#[cfg(any(feature = "password", feature = "client-credentials"))]
use auth_core::{AuthFlow, FlowContext};
use auth_core::{
    CredentialField, Credentials, Endpoint, Error, HttpBackend, Provider, Secret, Token, TokenKind,
};

#[cfg(any(feature = "password", feature = "client-credentials"))]
use crate::client::request_token;
use crate::client::{
    Adapter, configured, grant_form, oauth_client, post_form, refused, require, resource_params,
};

/// Resource owner password credentials grant (RFC 6749 §4.3): username and password,
/// plus the client id (and secret, if the provider needs one).
///
/// ```no_run
/// # async fn run(ctx: auth_core::FlowContext) -> Result<(), auth_core::Error> {
/// use auth_core::AuthFlow;
/// let token = auth_flows::PasswordFlow.authenticate(&ctx).await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "password")]
#[derive(Clone, Copy, Debug, Default)]
pub struct PasswordFlow;

#[cfg(feature = "password")]
#[async_trait]
impl AuthFlow for PasswordFlow {
    fn name(&self) -> &'static str {
        "password"
    }

    fn needs_person(&self) -> bool {
        false
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        require(
            &ctx.provider,
            &ctx.credentials,
            &[
                CredentialField::Username,
                CredentialField::Password,
                CredentialField::ClientId,
            ],
        )?;
        let credentials = &ctx.credentials;
        let username = credentials.username.as_deref().unwrap_or_default();
        let password = credentials.password.as_ref().map_or("", Secret::expose);
        let fields = [("username", username), ("password", password)];
        let requested = ctx.effective_scopes();
        let form = grant_form("password", &fields, requested);
        request_token(ctx, form, requested).await
    }
}

/// Client credentials grant (RFC 6749 §4.4): the client acts for itself. The client
/// authenticates by HTTP Basic (id and secret form-urlencoded first, RFC 6749 §2.3.1) or
/// in the body, as the provider's `client_auth` says.
///
/// ```no_run
/// # async fn run(ctx: auth_core::FlowContext) -> Result<(), auth_core::Error> {
/// use auth_core::AuthFlow;
/// let token = auth_flows::ClientCredentialsFlow.authenticate(&ctx).await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "client-credentials")]
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientCredentialsFlow;

#[cfg(feature = "client-credentials")]
#[async_trait]
impl AuthFlow for ClientCredentialsFlow {
    fn name(&self) -> &'static str {
        "client-credentials"
    }

    fn needs_person(&self) -> bool {
        false
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        let needed = crate::client::confidential_client_fields(&ctx.provider);
        require(&ctx.provider, &ctx.credentials, needed)?;
        let requested = ctx.effective_scopes();
        let form = grant_form("client_credentials", &[], requested);
        request_token(ctx, form, requested).await
    }
}

/// Refreshes an OAuth 2 token (RFC 6749 §6). The result keeps the old refresh token when
/// the server does not rotate it, and the old scopes and ID token when it does not repeat
/// them. A token without a refresh token, or a refresh answered `invalid_grant`, is an
/// error whose [`Error::needs_login`] is true: the person must log in again.
///
/// ```no_run
/// # async fn run(provider: auth_core::Provider, creds: auth_core::Credentials,
/// #              http: std::sync::Arc<dyn auth_core::HttpBackend>, token: auth_core::Token) -> Result<(), auth_core::Error> {
/// let fresh = auth_flows::refresh(&provider, &creds, &http, &token).await?;
/// assert!(fresh.refresh_token.is_some());
/// # Ok(()) }
/// ```
pub async fn refresh(
    provider: &Provider,
    credentials: &Credentials,
    http: &Arc<dyn HttpBackend>,
    token: &Token,
) -> Result<Token, Error> {
    let Some(refresh_token) = &token.refresh_token else {
        return Err(Error::LoginRequired {
            profile: provider.name.clone(),
        });
    };
    provider.validate()?;
    require(provider, credentials, &[CredentialField::ClientId])?;
    let adapter = Adapter::new(http, provider, credentials).with_dpop_key_of(token)?;
    // The old access token is in play too: a server may echo it in its refusal.
    adapter.scrub_also(&token.access_token);
    let fields = [("refresh_token", refresh_token.expose())];
    let mut form = grant_form("refresh_token", &fields, &[]);
    form.extend(resource_params(provider));
    let mut fresh = adapter.request_token(form).await?;
    if fresh.refresh_token.is_none() {
        fresh.refresh_token = token.refresh_token.clone();
    }
    if fresh.scopes.is_empty() {
        fresh.scopes.clone_from(&token.scopes);
    }
    if fresh.id_token.is_none() {
        fresh.id_token.clone_from(&token.id_token);
    }
    if fresh.id_claims.is_none() {
        fresh.id_claims.clone_from(&token.id_claims);
    }
    Ok(fresh)
}

/// Revokes a token at the provider's revocation endpoint (RFC 7009): the refresh token
/// when there is one (which revokes the grant), else the access token. For a JWT minted
/// from another token ([`TokenKind::Jwt`]), that source token is the one revoked: it holds
/// the grant. A provider without a revocation endpoint is a configuration error naming
/// `revocation_url`. The client authenticates as for every token request.
///
/// Built here rather than by the `oauth2` crate, which refuses any `http://` revocation
/// URL, including the loopback servers that local providers and tests run; our transport
/// rules (https, or http only to loopback unless opted in) apply instead.
///
/// ```no_run
/// # async fn run(provider: auth_core::Provider, creds: auth_core::Credentials,
/// #              http: std::sync::Arc<dyn auth_core::HttpBackend>, token: auth_core::Token) -> Result<(), auth_core::Error> {
/// auth_flows::revoke(&provider, &creds, &http, &token).await?;
/// # Ok(()) }
/// ```
pub async fn revoke(
    provider: &Provider,
    credentials: &Credentials,
    http: &Arc<dyn HttpBackend>,
    token: &Token,
) -> Result<(), Error> {
    provider.validate()?;
    let url = provider.endpoint(Endpoint::Revocation)?.clone();
    require(provider, credentials, &[CredentialField::ClientId])?;
    let token = match &token.kind {
        TokenKind::Jwt {
            source: Some(source),
        } => source,
        _ => token,
    };
    let (value, hint) = match &token.refresh_token {
        Some(rt) => (rt.expose(), "refresh_token"),
        None => (token.access_token.expose(), "access_token"),
    };
    let form = vec![
        ("token".to_owned(), value.to_owned()),
        ("token_type_hint".to_owned(), hint.to_owned()),
    ];
    post_form(
        provider,
        credentials,
        http.as_ref(),
        &url,
        form,
        |response| {
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                return Ok(());
            }
            Err(refused(
                &url,
                status,
                response.body(),
                "the revocation endpoint refused the request",
            ))
        },
    )
    .await
}

/// What an introspection endpoint (RFC 7662) says about a token.
///
/// ```
/// let i = auth_flows::Introspection { active: false, scopes: vec![], client_id: None, username: None, expires_at: None };
/// assert!(!i.active);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Introspection {
    /// Whether the token is currently active.
    pub active: bool,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// The client it was issued to.
    pub client_id: Option<String>,
    /// The resource owner.
    pub username: Option<String>,
    /// When it expires.
    pub expires_at: Option<SystemTime>,
}

/// Asks the provider's introspection endpoint (RFC 7662) about an access token.
///
/// ```no_run
/// # async fn run(provider: auth_core::Provider, creds: auth_core::Credentials,
/// #              http: std::sync::Arc<dyn auth_core::HttpBackend>, token: auth_core::Token) -> Result<(), auth_core::Error> {
/// let info = auth_flows::introspect(&provider, &creds, &http, &token.access_token).await?;
/// println!("active: {}", info.active);
/// # Ok(()) }
/// ```
pub async fn introspect(
    provider: &Provider,
    credentials: &Credentials,
    http: &Arc<dyn HttpBackend>,
    access_token: &Secret,
) -> Result<Introspection, Error> {
    use oauth2::TokenIntrospectionResponse;
    let client = oauth_client(provider, credentials)?;
    let adapter = Adapter::new(http, provider, credentials);
    let at = oauth2::AccessToken::new(access_token.expose().to_owned());
    let request = configured(provider, Endpoint::Introspection, client.introspect(&at))?;
    let info = request
        .request_async(&adapter)
        .await
        .map_err(|e| adapter.error(e))?;
    Ok(Introspection {
        active: info.active(),
        scopes: info
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        client_id: info.client_id().map(|c| c.to_string()),
        username: info.username().map(str::to_owned),
        expires_at: info.exp().map(SystemTime::from),
    })
}
