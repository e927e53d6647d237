//! The adapter between our [`HttpBackend`] and the grants: every token request is sent by
//! [`Adapter::send_form`], whether its form is ours ([`request_token`]: password, client
//! credentials, refresh, JWT bearer, token exchange) or the `oauth2` crate's (the adapter
//! as its HTTP client: authorization code, device, introspection); and the `oauth2`
//! client built from a [`Provider`] and [`Credentials`]. Nothing here is public: the
//! crate's typestate generics stay inside.
//!
//! The module stays whole (about 1,060 lines, a sixth of them tests) because it is the one
//! path of every request to a token-like endpoint: how it is sent, which parameters every
//! request adds, how the client authenticates, which secrets it carries and how they are
//! kept out of its errors.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use auth_core::{
    BodyFormat, ClientAuth, CredentialField, Credentials, Endpoint, Error, HttpBackend, Provider,
    RequestKind, Secret, Token,
};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{AccessToken, EndpointMaybeSet, EndpointNotSet, StandardRevocableToken};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tracing::Instrument;
use zeroize::{Zeroize, Zeroizing};

use crate::compliance;
use crate::form_request::FormRequest;
use crate::token_response::{ResponseFields, parse_response_fields, token_from_response};
use auth_core::hooks::{HookPoint, TokenRequestParts, TokenResponseParts};

/// The `oauth2` client with every endpoint optional (checked at run time, with our
/// configuration errors).
pub(crate) type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    AnyTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A token response `oauth2` accepts as long as it has an access token; the real parse
/// is [`parse_token_response`](crate::token_response::parse_token_response) on the raw body, which is lenient where
/// providers differ (string `expires_in`, odd `token_type`, form bodies).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AnyTokenResponse {
    access_token: AccessToken,
    #[serde(default = "bearer", deserialize_with = "lenient_token_type")]
    token_type: BasicTokenType,
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

fn lenient_token_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BasicTokenType, D::Error> {
    let value = Option::<String>::deserialize(d)?.unwrap_or_default();
    Ok(
        if value.is_empty() || value.eq_ignore_ascii_case("bearer") {
            BasicTokenType::Bearer
        } else {
            BasicTokenType::Extension(value)
        },
    )
}

impl oauth2::TokenResponse for AnyTokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<std::time::Duration> {
        None
    }
    fn refresh_token(&self) -> Option<&oauth2::RefreshToken> {
        None
    }
    fn scopes(&self) -> Option<&Vec<oauth2::Scope>> {
        None
    }
}

/// What the server really answered, before the adapter normalised it for `oauth2`. The
/// body holds tokens: it is zeroized on drop.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) url: String,
    pub(crate) body: Zeroizing<Vec<u8>>,
    /// The body decoded by [`parse_response_fields`], once.
    pub(crate) fields: Option<Map<String, Value>>,
}

#[cfg(any(
    feature = "password",
    feature = "client-credentials",
    feature = "authorization-code",
    feature = "device",
    feature = "jwt-bearer",
    feature = "token-exchange"
))]
/// Fills a token's scopes with the requested ones when the server did not list them
/// (RFC 6749 §5.1: an omitted `scope` means the requested scope was granted).
pub(crate) fn with_requested_scopes(mut token: Token, requested: &[String]) -> Token {
    if token.scopes.is_empty() {
        token.scopes = requested.to_vec();
    }
    token
}

/// Our transport as an `oauth2::AsyncHttpClient`.
///
/// Every request is marked [`RequestKind::TokenEndpoint`] (no redirects, no retries) and
/// authenticates the client by [`client_authentication`] (the `oauth2` crate is given no
/// client secret: it only puts `client_id` in the form, which is taken out again).
/// A provider that wants JSON request bodies gets the form turned into JSON. Responses
/// are handed to `oauth2` normalised (form bodies as JSON, `Content-Type` JSON) and kept
/// raw for our own parser, so error statuses and quirks are reported exactly.
pub(crate) struct Adapter<'a> {
    http: &'a dyn HttpBackend,
    body_format: BodyFormat,
    /// The client that authenticates, if the credentials name one (a JWT bearer grant
    /// may send none).
    client_id: Option<&'a str>,
    client_secret: Option<&'a Secret>,
    provider: &'a Provider,
    last: Mutex<Option<RawResponse>>,
    /// The secret values every request so far carried, removed from every error built.
    sent_secrets: Mutex<Vec<Secret>>,
    /// The DPoP key of token requests: the stored token's, or one made for a new login.
    dpop: Mutex<Option<crate::dpop::DpopKey>>,
    nonces: crate::dpop::DpopNonces,
}

/// An error from our transport, carried through `oauth2`.
#[derive(Debug)]
pub(crate) struct AdapterError(pub(crate) Error);

impl std::fmt::Display for AdapterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for AdapterError {}

impl<'a> Adapter<'a> {
    /// An adapter for one grant, borrowing the transport, provider and credentials.
    pub(crate) fn new(
        http: &'a Arc<dyn HttpBackend>,
        provider: &'a Provider,
        credentials: &'a Credentials,
    ) -> Self {
        Adapter {
            http: http.as_ref(),
            body_format: provider.body_format,
            client_id: credentials.client_id.as_deref(),
            client_secret: credentials.client_secret.as_ref(),
            provider,
            last: Mutex::new(None),
            sent_secrets: Mutex::new(credentials.client_secret.iter().cloned().collect()),
            dpop: Mutex::new(None),
            nonces: crate::dpop::DpopNonces::default(),
        }
    }

    /// Token requests prove possession of the key `token` is bound to (its refresh token
    /// is bound to it too); a token without a key changes nothing.
    pub(crate) fn with_dpop_key_of(self, token: &Token) -> Result<Self, Error> {
        if let Some(stored) = &token.dpop_key {
            *self.dpop.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(crate::dpop::DpopKey::from_secret(stored)?);
        }
        Ok(self)
    }

    /// The DPoP key for a token request: the one set, else a new one when the provider
    /// asks for DPoP, else none.
    fn dpop_key(&self) -> Result<Option<crate::dpop::DpopKey>, Error> {
        let mut slot = self.dpop.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() && self.provider.dpop {
            *slot = Some(crate::dpop::DpopKey::generate()?);
        }
        Ok(slot.clone())
    }

    /// Whether token requests carry DPoP proofs: a key is set, or the provider asks for
    /// DPoP (a key is then made for the first request).
    fn sends_dpop(&self) -> bool {
        self.provider.dpop
            || self
                .dpop
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
    }

    /// `request` with a DPoP proof hook when it is a token request (its form has a
    /// `grant_type`) and there is a key.
    fn with_proof(
        &self,
        mut request: auth_core::HttpRequest,
        token_request: bool,
    ) -> Result<auth_core::HttpRequest, Error> {
        if token_request && let Some(key) = self.dpop_key()? {
            let hook = crate::dpop::DpopHook::new(key, self.nonces.clone());
            auth_core::http::HopHooks::push(&mut request, Arc::new(hook));
        }
        Ok(request)
    }

    /// Keeps the DPoP nonce of a token endpoint answer (the URL is parsed only when the
    /// answer has one).
    fn remember_nonce(&self, url: &str, response: &auth_core::HttpResponse) {
        if !response.headers().contains_key(crate::dpop::NONCE_HEADER) {
            return;
        }
        if let Ok(url) = url::Url::parse(url) {
            self.nonces.remember(&url, response);
        }
    }

    /// Adds a secret value in play that no request of this adapter carries (the access
    /// token being renewed), to be removed from its errors as well.
    pub(crate) fn scrub_also(&self, secret: &Secret) {
        self.sent_secrets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(secret.clone());
    }

    /// `error` without any secret value a request of this adapter carried
    /// ([`Error::without_values`]): every error the adapter hands out passes here.
    pub(crate) fn scrub(&self, error: Error) -> Error {
        let secrets = self.sent_secrets.lock().unwrap_or_else(|p| p.into_inner());
        let values: Vec<&str> = secrets.iter().map(Secret::expose).collect();
        error.without_values(&values)
    }

    /// The last raw response, taken.
    pub(crate) fn take_last(&self) -> Option<RawResponse> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Parses the last raw response as a token response (the success path).
    #[cfg(any(feature = "authorization-code", feature = "device"))]
    pub(crate) fn token(&self, now: SystemTime) -> Result<Token, Error> {
        let raw = self
            .take_last()
            .ok_or_else(|| Error::Interaction("no response was received".into()))?;
        let fields = raw.fields.map(ResponseFields::from_map);
        token_from_response(raw.status, &raw.url, &raw.body, fields, now)
            .map(|token| self.with_key(token))
            .map_err(|e| self.scrub(e))
    }

    /// A DPoP-bound token with the key it is bound to (kept with it as a `Secret`).
    fn with_key(&self, mut token: Token) -> Token {
        if token.is_dpop() {
            token.dpop_key = self
                .dpop
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .map(crate::dpop::DpopKey::to_secret);
        }
        token
    }

    /// The end of every token request: on success the token parsed from the raw answer
    /// (with the requested scopes when the server did not list any, RFC 6749 §5.1), on
    /// failure our error.
    #[cfg(feature = "authorization-code")]
    pub(crate) fn finish<R, TE: oauth2::ErrorResponse + 'static>(
        &self,
        result: Result<R, oauth2::RequestTokenError<AdapterError, TE>>,
        requested: &[String],
    ) -> Result<Token, Error> {
        match result {
            Ok(_) => self
                .token(SystemTime::now())
                .map(|t| with_requested_scopes(t, requested)),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Turns an `oauth2` error into ours, using the raw response where there was one.
    pub(crate) fn error<TE: oauth2::ErrorResponse + 'static>(
        &self,
        err: oauth2::RequestTokenError<AdapterError, TE>,
    ) -> Error {
        let error = match err {
            oauth2::RequestTokenError::Request(AdapterError(e)) => e,
            other => match self.take_last() {
                Some(raw) => {
                    let now = SystemTime::now();
                    let fields = raw.fields.map(ResponseFields::from_map);
                    match token_from_response(raw.status, &raw.url, &raw.body, fields, now) {
                        Err(e) => e,
                        Ok(_) => Error::InvalidResponse {
                            url: raw.url,
                            status: raw.status,
                            problem: other.to_string(),
                            excerpt: auth_core::redact::excerpt(&raw.body),
                        },
                    }
                }
                None => {
                    Error::Interaction(format!("the OAuth request could not be built: {other}"))
                }
            },
        };
        self.scrub(error)
    }
}

impl Adapter<'_> {
    /// Hands a token request to the provider's request hooks before the client
    /// authenticates (so they never see the client secret); the hooks may change the URL,
    /// the headers and the form.
    fn run_request_hooks(&self, point: HookPoint, request: &mut FormRequest) -> Result<(), Error> {
        let url = url::Url::parse(&request.url)
            .map_err(|e| Error::config(format!("the token endpoint is not a URL: {e}")))?;
        let mut parts = TokenRequestParts::new(url, std::mem::take(&mut request.form));
        parts.headers = std::mem::take(&mut request.headers);
        compliance::token_request(self.provider, point, &mut parts)?;
        if parts.url.as_str().parse::<http::Uri>().is_err() {
            return Err(Error::config(
                "a compliance hook set a token endpoint URL that cannot be sent",
            ));
        }
        request.url = parts.url.to_string();
        request.headers = std::mem::take(&mut parts.headers);
        request.form = parts.form();
        Ok(())
    }

    /// Sends a token request, and once more when a DPoP nonce is asked for (the request is
    /// kept for that resend only when DPoP is used). Returns the endpoint (without query)
    /// and its answer after the response hooks. The one path of every token request,
    /// whoever built its form.
    async fn send_form(
        &self,
        request: FormRequest,
    ) -> Result<(String, auth_core::HttpResponse), Error> {
        let span = tracing::info_span!(
            "token_request",
            grant_type = request.grant_type(),
            endpoint = request.endpoint()
        );
        let attempts = async move {
            let original = self.sends_dpop().then(|| request.clone());
            let answer = self.attempt(request).await?;
            let Some(original) = original else {
                return Ok(answer);
            };
            if !crate::dpop::asks_for_nonce(&answer.1) {
                return Ok(answer);
            }
            tracing::debug!("the token endpoint asked for a DPoP nonce; sending again with it");
            let answer = self.attempt(original).await?;
            if crate::dpop::asks_for_nonce(&answer.1) {
                return Err(crate::dpop::nonce_refused(answer.1.status().as_u16()));
            }
            Ok(answer)
        };
        attempts.instrument(span).await.map_err(|e| self.scrub(e))
    }

    /// One attempt of a token request, built afresh (a client assertion is single-use):
    /// request hooks, client authentication, the body, the DPoP proof, the send, the
    /// response hooks.
    async fn attempt(
        &self,
        mut request: FormRequest,
    ) -> Result<(String, auth_core::HttpResponse), Error> {
        let point = compliance::has_hooks(self.provider)
            .then(|| HookPoint::request_for_grant(request.grant_type()))
            .flatten();
        if let Some(point) = point {
            self.run_request_hooks(point, &mut request)?;
        }
        let url = request.endpoint().to_owned();
        if let Some(client_id) = self.client_id {
            request.authenticate(self.provider, client_id, self.client_secret)?;
        }
        {
            // Each value once: a device flow sends the same code at every poll.
            let authorization = request.headers.get(http::header::AUTHORIZATION);
            let mut sent = self.sent_secrets.lock().unwrap_or_else(|p| p.into_inner());
            for secret in secrets_in(authorization, &request.form) {
                if !sent.iter().any(|s| s.constant_time_eq(secret)) {
                    sent.push(Secret::new(secret));
                }
            }
        }
        let proof = request.grant_type().is_some();
        let request = request.into_request(self.body_format)?;
        let request = self.with_proof(request, proof)?;
        let started = Instant::now();
        // every error is scrubbed of the request's secrets below (`sent_secrets` holds
        // them all), so the body needs no copy for that as `send_to_token_endpoint` keeps
        let response = self
            .http
            .send(mark_token_request(self.provider, request))
            .await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let response = response.map_err(|e| {
            let e = self.scrub(e);
            tracing::info!(duration_ms, error = %e, "token request failed");
            e
        })?;
        tracing::info!(
            status = response.status().as_u16(),
            duration_ms,
            "token endpoint answered"
        );
        self.remember_nonce(&url, &response);
        let Some(point) = point else {
            return Ok((url, response));
        };
        let (mut parts, body) = response.into_parts();
        let mut raw = TokenResponseParts::new(parts.status.as_u16(), parts.headers, body);
        compliance::token_response(self.provider, point, &mut raw)?;
        parts.status =
            http::StatusCode::from_u16(raw.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
        parts.headers = raw.headers;
        Ok((url, http::Response::from_parts(parts, raw.body)))
    }

    /// A token request whose form we build (the password, client credentials, refresh,
    /// JWT bearer and token exchange grants): `form` posted to the token endpoint by
    /// [`Adapter::send_form`], the answer decoded and parsed once by `token_response`.
    pub(crate) async fn request_token(&self, form: Vec<(String, String)>) -> Result<Token, Error> {
        let url = self.provider.endpoint(Endpoint::Token)?;
        let request = FormRequest::new(url.as_str(), form);
        let (url, response) = self.send_form(request).await?;
        let status = response.status().as_u16();
        let body = Zeroizing::new(response.into_body());
        let fields = ResponseFields::decode(&body);
        token_from_response(status, &url, &body, fields, SystemTime::now())
            .map(|token| self.with_key(token))
            .map_err(|e| self.scrub(e))
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Adapter<'_> {
    type Error = AdapterError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, AdapterError>> + Send + 'c>>;

    /// An `oauth2` request (authorization code, device, introspection) sent by
    /// [`Adapter::send_form`]: its form decoded (without the `client_id` `oauth2` put in),
    /// its answer kept raw for `token_response` and handed to `oauth2` normalised.
    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = Zeroizing::new(body);
            let form = form_urlencoded::parse(&body)
                .filter(|(k, _)| k != "client_id")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let request = FormRequest {
                url: parts.uri.to_string(),
                headers: parts.headers,
                form,
            };
            let (url, response) = self.send_form(request).await.map_err(AdapterError)?;
            let (mut parts, body) = response.into_parts();
            let fields = parse_response_fields(&body);
            let normalised = normalise_body(fields.as_ref());
            *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(RawResponse {
                status: parts.status.as_u16(),
                url,
                body: Zeroizing::new(body),
                fields,
            });
            if normalised.is_some() {
                parts.headers.insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
            }
            Ok(http::Response::from_parts(
                parts,
                normalised.unwrap_or_default(),
            ))
        })
    }
}

/// The body as a JSON object `oauth2` can read: JSON objects pass (with numeric strings
/// in `expires_in`/`interval` turned into numbers), form bodies become objects; anything
/// else is `None` (and `oauth2` sees an empty body, which it reports as an error that we
/// replace by our own, more precise one). `fields` are the body's fields as
/// [`parse_response_fields`] decoded them (kept for our own parser: the body is decoded
/// once).
fn normalise_body(fields: Option<&Map<String, Value>>) -> Option<Vec<u8>> {
    let map = fields?;
    // Whole seconds `oauth2` can read: numeric strings parsed, negative numbers 0,
    // fractions truncated, huge numbers saturated; the flows then bound them.
    let seconds = |name: &str| match map.get(name) {
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(Value::Number(n)) if n.as_u64().is_none() => {
            n.as_f64().map(|f| if f.is_nan() { 0 } else { f as u64 })
        }
        _ => None,
    };
    let fixes = [
        ("expires_in", seconds("expires_in")),
        ("interval", seconds("interval")),
    ];
    if fixes.iter().all(|(_, fix)| fix.is_none()) {
        return serde_json::to_vec(map).ok();
    }
    let mut map = map.clone();
    for (name, fix) in fixes {
        if let Some(n) = fix {
            map.insert(name.to_owned(), Value::from(n));
        }
    }
    serde_json::to_vec(&Value::Object(map)).ok()
}

/// The hint attached to missing-credential errors raised by flows (a program may replace
/// it with its own sources; the same next step is [`auth_core::Hint::SupplyCredentials`]).
pub(crate) const CREDENTIALS_HINT: &str =
    "pass them in `Credentials`, or from a credential source (environment, keyring, config file)";

/// Fails with [`Error::MissingCredentials`] naming every field of `needed` that is unset.
pub(crate) fn require(
    provider: &Provider,
    credentials: &Credentials,
    needed: &[CredentialField],
) -> Result<(), Error> {
    let missing = credentials.missing(needed);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingCredentials {
            provider: provider.name.clone(),
            missing,
            hint: CREDENTIALS_HINT.into(),
        })
    }
}

/// Builds the `oauth2` client for a provider. The client id is required; the secret is
/// used as the provider's `client_auth` says.
pub(crate) fn oauth_client(
    provider: &Provider,
    credentials: &Credentials,
) -> Result<OAuthClient, Error> {
    provider.validate()?;
    require(provider, credentials, &[CredentialField::ClientId])?;
    let client_id = credentials.client_id.clone().unwrap_or_default();
    let client: oauth2::Client<
        BasicErrorResponse,
        AnyTokenResponse,
        BasicTokenIntrospectionResponse,
        StandardRevocableToken,
        BasicRevocationErrorResponse,
        EndpointNotSet,
        EndpointNotSet,
        EndpointNotSet,
        EndpointNotSet,
        EndpointNotSet,
    > = oauth2::Client::new(oauth2::ClientId::new(client_id));
    // The endpoints are parsed URLs already: handed over as they are.
    let endpoints = &provider.endpoints;
    let mut client = client
        .set_auth_uri_option(endpoints.authorize.clone().map(oauth2::AuthUrl::from_url))
        .set_token_uri_option(endpoints.token.clone().map(oauth2::TokenUrl::from_url))
        .set_device_authorization_url_option(
            endpoints
                .device_authorization
                .clone()
                .map(oauth2::DeviceAuthorizationUrl::from_url),
        )
        .set_revocation_url_option(
            endpoints
                .revocation
                .clone()
                .map(oauth2::RevocationUrl::from_url),
        )
        .set_introspection_url_option(
            endpoints
                .introspection
                .clone()
                .map(oauth2::IntrospectionUrl::from_url),
        );
    // The client authenticates in the adapter, by `client_authentication`.
    client = client.set_auth_type(oauth2::AuthType::RequestBody);
    Ok(client)
}

/// Maps `oauth2`'s "endpoint not set" to our configuration error naming the key.
pub(crate) fn configured<T>(
    provider: &Provider,
    which: Endpoint,
    r: Result<T, oauth2::ConfigurationError>,
) -> Result<T, Error> {
    r.map_err(|_| match provider.endpoint(which) {
        Err(e) => e,
        Ok(url) => Error::config(format!(
            "{} of {} cannot be used: {url}",
            which.config_key(),
            provider.name
        )),
    })
}

/// The credentials a confidential client needs: its id, and its secret unless it signs
/// with its private key (`private_key_jwt`).
#[cfg(any(feature = "client-credentials", feature = "authorization-code"))]
pub(crate) fn confidential_client_fields(provider: &Provider) -> &'static [CredentialField] {
    if provider.client_auth == ClientAuth::PrivateKeyJwt {
        &[CredentialField::ClientId]
    } else {
        &[CredentialField::ClientId, CredentialField::ClientSecret]
    }
}

/// How the client authenticates to the provider (RFC 6749 §2.3.1, RFC 7523 §2.2), the
/// one rule for every request to a token-like endpoint (grants, refresh, device
/// authorization, PAR, revocation, introspection):
/// - with a secret and `client_auth = Basic`, the returned `Authorization` value
///   `Basic base64(urlencode(id):urlencode(secret))`;
/// - with a secret and `Body`, `client_id` and `client_secret` appended to `form`;
/// - `SecretJwt` (needs the secret) and `PrivateKeyJwt` (needs [`Provider::client_key`]):
///   `client_id`, `client_assertion_type` and a fresh `client_assertion` whose `iss` and
///   `sub` are the client id, `aud` the token endpoint (else `endpoint`, the URL being
///   called), with `iat`, a one-minute `exp` and a random `jti`;
/// - without a secret (or with `None`), `client_id` alone in `form`.
pub(crate) fn client_authentication(
    provider: &Provider,
    client_id: &str,
    secret: Option<&Secret>,
    endpoint: &str,
    form: &mut Vec<(String, String)>,
) -> Result<Option<Secret>, Error> {
    use crate::client_assertion::{AssertionClaims, SigningKey, secret_jwt};
    use base64::Engine;
    let jwt = |form: &mut Vec<(String, String)>, assertion: Secret| {
        form.push(("client_id".into(), client_id.into()));
        form.push((
            "client_assertion_type".into(),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ));
        form.push(("client_assertion".into(), assertion.expose().into()));
    };
    let claims = || {
        AssertionClaims::new(
            client_id,
            Some(client_id),
            &assertion_audience(provider, endpoint),
        )
    };
    match (provider.client_auth, secret) {
        (ClientAuth::Basic, Some(secret)) => {
            let id: String = form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
            let secret: String =
                form_urlencoded::byte_serialize(secret.expose().as_bytes()).collect();
            return Ok(Some(Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
            ))));
        }
        (ClientAuth::Body, Some(secret)) => {
            form.push(("client_id".into(), client_id.into()));
            form.push(("client_secret".into(), secret.expose().into()));
        }
        (ClientAuth::SecretJwt, Some(secret)) => jwt(form, secret_jwt(&claims(), secret)?),
        (ClientAuth::SecretJwt, None) => {
            return Err(Error::config(format!(
                "client_secret_jwt for {} needs the client secret to sign with",
                provider.name
            )));
        }
        (ClientAuth::PrivateKeyJwt, _) => {
            let key = provider.client_key.as_ref().ok_or_else(|| {
                Error::config(format!(
                    "private_key_jwt for {} needs the client's private key",
                    provider.name
                ))
            })?;
            jwt(
                form,
                SigningKey::from_pem(key, &provider.client_assertion_algs)?.sign(&claims())?,
            );
        }
        _ => form.push(("client_id".into(), client_id.into())),
    }
    Ok(None)
}

/// The `aud` of a client assertion ([`auth_core::AssertionAudience`]): the issuer when the
/// provider asks for it and knows it, else the token endpoint, else `endpoint` (the URL
/// being called).
pub(crate) fn assertion_audience(provider: &Provider, endpoint: &str) -> String {
    let issuer = match provider.client_assertion_audience {
        auth_core::AssertionAudience::Issuer => provider.issuer.clone(),
        auth_core::AssertionAudience::TokenEndpoint => None,
    };
    issuer
        .or_else(|| {
            provider
                .endpoint(Endpoint::Token)
                .ok()
                .map(|u| u.to_string())
        })
        .unwrap_or_else(|| endpoint.to_owned())
}

/// The resource indicators (RFC 8707) and `audience` of the provider, as request
/// parameters: added to the authorization, token and refresh requests.
pub(crate) fn resource_params(provider: &Provider) -> Vec<(String, String)> {
    provider
        .resources
        .iter()
        .map(|r| ("resource".to_owned(), r.clone()))
        .chain(
            provider
                .audience
                .iter()
                .map(|a| ("audience".to_owned(), a.clone())),
        )
        .collect()
}

/// Posts `form` to the token-like endpoint `url` with the client authenticated by
/// [`client_authentication`] (when `credentials` name a client), through
/// [`send_to_token_endpoint`]; built as a [`FormRequest`], like every token request, and
/// zeroized after it is encoded. Used by revocation and PAR, which are not token
/// requests (no compliance hooks, no DPoP proof).
pub(crate) async fn post_form<T>(
    provider: &Provider,
    credentials: &Credentials,
    http: &dyn HttpBackend,
    url: &url::Url,
    form: Vec<(String, String)>,
    read: impl FnOnce(auth_core::HttpResponse) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut request = FormRequest::new(url.as_str(), form);
    if let Some(client_id) = credentials.client_id.as_deref() {
        request.authenticate(provider, client_id, credentials.client_secret.as_ref())?;
    }
    // A form that carries `client_id` itself (PAR: it is an authorization request
    // parameter) keeps one, whatever the client authentication added.
    let mut seen = false;
    request
        .form
        .retain(|(name, _)| name != "client_id" || !std::mem::replace(&mut seen, true));
    let request = request.into_request(BodyFormat::Form)?;
    let secret = credentials.client_secret.as_ref();
    send_to_token_endpoint(provider, http, secret, request, read).await
}

/// A grant whose form we build rather than the `oauth2` crate (password, client
/// credentials, JWT bearer, token exchange): `form` and the provider's resource
/// indicators sent by [`Adapter::request_token`], the requested scopes filled in when the
/// server lists none.
#[cfg(any(
    feature = "password",
    feature = "client-credentials",
    feature = "jwt-bearer",
    feature = "token-exchange"
))]
pub(crate) async fn request_token(
    ctx: &auth_core::FlowContext,
    mut form: Vec<(String, String)>,
    requested: &[String],
) -> Result<Token, Error> {
    ctx.provider.validate()?;
    form.extend(resource_params(&ctx.provider));
    let adapter = Adapter::new(&ctx.http, &ctx.provider, &ctx.credentials);
    let token = adapter.request_token(form).await?;
    Ok(with_requested_scopes(token, requested))
}

/// The form of a grant's token request: `grant_type`, the grant's own `fields` in order,
/// and `scope` (the scopes joined by spaces) when any are asked for. Every grant whose
/// form we build (password, client credentials, refresh, JWT bearer, token exchange)
/// starts from it.
pub(crate) fn grant_form(
    grant_type: &str,
    fields: &[(&str, &str)],
    scopes: &[String],
) -> Vec<(String, String)> {
    let mut form = Vec::with_capacity(fields.len() + 4);
    form.push(("grant_type".to_owned(), grant_type.to_owned()));
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    if !scopes.is_empty() {
        form.push(("scope".to_owned(), scopes.join(" ")));
    }
    form
}

/// Sends a request to a token-like endpoint (every grant through [`Adapter`], revocation,
/// the JWT exchange): marked [`RequestKind::TokenEndpoint`] (no redirects, no retries)
/// and with the provider's transport marks. `read` turns the answer into the result; any
/// error, the transport's or `read`'s, is returned without the secret values the request
/// carried ([`secrets_in`], [`Error::without_values`]) or `client_secret` (which a
/// Basic header carries only encoded), whatever the server echoed back.
pub(crate) async fn send_to_token_endpoint<T>(
    provider: &Provider,
    http: &dyn HttpBackend,
    client_secret: Option<&Secret>,
    request: auth_core::HttpRequest,
    read: impl FnOnce(auth_core::HttpResponse) -> Result<T, Error>,
) -> Result<T, Error> {
    // What the scrubbing needs, kept (the body zeroized on drop); the secret values are
    // picked out of it only when there is an error to scrub.
    let body = Zeroizing::new(request.body().clone());
    let authorization = request.headers().get(http::header::AUTHORIZATION).cloned();
    let result = http
        .send(mark_token_request(provider, request))
        .await
        .and_then(read);
    result.map_err(|e| {
        let mut form: Vec<(String, String)> = form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let values: Vec<&str> = secrets_in(authorization.as_ref(), &form)
            .chain(client_secret.map(Secret::expose))
            .collect();
        let e = e.without_values(&values);
        form.iter_mut().for_each(|(_, value)| value.zeroize());
        e
    })
}

/// `request` marked as a request to a token-like endpoint: [`RequestKind::TokenEndpoint`]
/// (no redirects, no retries) and the provider's transport marks
/// ([`Provider::mark_request`]). Every request to a token-like endpoint is sent so, by
/// [`send_to_token_endpoint`] or by the adapter (which scrubs its errors itself).
fn mark_token_request(
    provider: &Provider,
    mut request: auth_core::HttpRequest,
) -> auth_core::HttpRequest {
    request.extensions_mut().insert(RequestKind::TokenEndpoint);
    provider.mark_request(&mut request);
    request
}

/// The secret values a request carries, from its form and `Authorization` header: the
/// values of form fields named in [`auth_core::redact::SECRET_FIELD_NAMES`] (password,
/// code, code_verifier, refresh_token, client_secret, assertion, ...) and the header,
/// whole and without its scheme (the token of `Bearer <token>`).
pub(crate) fn secrets_in<'a>(
    authorization: Option<&'a http::HeaderValue>,
    form: &'a [(String, String)],
) -> impl Iterator<Item = &'a str> {
    let fields = form
        .iter()
        .filter(|(name, _)| {
            auth_core::redact::SECRET_FIELD_NAMES
                .iter()
                .any(|secret| name.eq_ignore_ascii_case(secret))
        })
        .map(|(_, value)| value.as_str());
    let header = authorization.and_then(|v| v.to_str().ok());
    // The credentials after the scheme (`Basic`, `Bearer` are ordinary words).
    let credentials = header
        .and_then(|value| value.split_once(' '))
        .map(|(_, credentials)| credentials.trim());
    fields.chain(header).chain(credentials)
}

/// The error for an answer from `url` that is not what was asked for: `problem`, with
/// the URL without its query and a masked excerpt of the body.
pub(crate) fn invalid_response(url: &url::Url, status: u16, body: &[u8], problem: &str) -> Error {
    Error::InvalidResponse {
        url: auth_core::http::without_query(url),
        status,
        problem: problem.to_owned(),
        excerpt: auth_core::redact::excerpt(body),
    }
}

/// The error for a refused request to a token-like endpoint: the OAuth error the body
/// carries (RFC 6749 §5.2), else [`invalid_response`] with `problem`.
pub(crate) fn refused(url: &url::Url, status: u16, body: &[u8], problem: &str) -> Error {
    match crate::token_response::parse_error_response(status, body) {
        Some(e) => Error::OAuth(e),
        None => invalid_response(url, status, body, problem),
    }
}

/// The scopes as `oauth2` values.
#[cfg(any(feature = "authorization-code", feature = "device"))]
pub(crate) fn scopes(list: &[String]) -> Vec<oauth2::Scope> {
    list.iter().map(|s| oauth2::Scope::new(s.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_form_and_string_numbers() {
        let normalise_body = |body: &[u8]| normalise_body(parse_response_fields(body).as_ref());
        let out = normalise_body(b"access_token=a&expires_in=60&token_type=bearer").unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["expires_in"], 60);
        assert_eq!(v["access_token"], "a");
        assert!(normalise_body(b"<html>oops</html>").is_none());
        let out = normalise_body(br#"{"interval":-5,"expires_in":1e300}"#).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["interval"], 0);
        assert_eq!(v["expires_in"], u64::MAX);
        assert!(normalise_body(b"[1,2]").is_none());
        let out = normalise_body(br#"{"access_token":"a","expires_in":60}"#).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["expires_in"], 60);
    }

    fn with(how: ClientAuth) -> Provider {
        let mut p = Provider::new("test");
        p.client_auth = how;
        p
    }

    #[test]
    fn the_secrets_of_a_request_are_its_secret_fields_and_credentials() {
        let request = http::Request::post("https://a.example/token")
            .header(http::header::AUTHORIZATION, "Bearer tok-123456")
            .body(Vec::<u8>::new())
            .unwrap();
        let form = [
            ("grant_type".to_owned(), "password".to_owned()),
            ("password".to_owned(), "hunter22".to_owned()),
            ("code_verifier".to_owned(), "verifier-xyz".to_owned()),
        ];
        let found: Vec<String> =
            secrets_in(request.headers().get(http::header::AUTHORIZATION), &form)
                .map(str::to_owned)
                .collect();
        assert_eq!(
            found,
            [
                "hunter22",
                "verifier-xyz",
                "Bearer tok-123456",
                "tok-123456"
            ]
        );
    }

    #[test]
    fn client_authentication_follows_rfc_6749_2_3_1() {
        let secret = Secret::new("s p&c");
        let mut form = Vec::new();
        let header = client_authentication(
            &with(ClientAuth::Basic),
            "id:1",
            Some(&secret),
            "",
            &mut form,
        )
        .unwrap();
        // urlencode("id:1") = "id%3A1", urlencode("s p&c") = "s+p%26c"
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode("id%3A1:s+p%26c");
        assert_eq!(header.unwrap().expose(), format!("Basic {expected}"));
        assert!(form.is_empty());

        let header =
            client_authentication(&with(ClientAuth::Body), "id", Some(&secret), "", &mut form)
                .unwrap();
        assert!(header.is_none());
        assert_eq!(
            form,
            [
                ("client_id".into(), "id".into()),
                ("client_secret".into(), "s p&c".into())
            ]
        );

        for how in [ClientAuth::Basic, ClientAuth::None] {
            let mut form = Vec::new();
            assert!(
                client_authentication(&with(how), "id", None, "", &mut form)
                    .unwrap()
                    .is_none()
            );
            assert_eq!(form, [("client_id".to_owned(), "id".to_owned())]);
        }
        let mut form = Vec::new();
        assert!(
            client_authentication(&with(ClientAuth::None), "id", Some(&secret), "", &mut form)
                .unwrap()
                .is_none()
        );
        assert_eq!(form, [("client_id".to_owned(), "id".to_owned())]);
    }

    #[test]
    fn jwt_client_authentication_sends_a_fresh_assertion_and_no_secret() {
        let secret = Secret::new("a-long-shared-secret-for-hs256-0123456789");
        let provider = with(ClientAuth::SecretJwt)
            .with_endpoint(Endpoint::Token, "https://as.example/token")
            .unwrap();
        let mut forms = Vec::new();
        for _ in 0..2 {
            let mut form = Vec::new();
            let header = client_authentication(
                &provider,
                "cid",
                Some(&secret),
                "https://as.example/x",
                &mut form,
            )
            .unwrap();
            assert!(header.is_none());
            assert!(!form.iter().any(|(_, v)| v.contains(secret.expose())));
            forms.push(form);
        }
        let assertion = |form: &Vec<(String, String)>| {
            form.iter()
                .find(|(k, _)| k == "client_assertion")
                .unwrap()
                .1
                .clone()
        };
        assert_ne!(
            assertion(&forms[0]),
            assertion(&forms[1]),
            "a new jti each time"
        );
        let payload = assertion(&forms[0]).split('.').nth(1).unwrap().to_owned();
        use base64::Engine;
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["iss"], "cid");
        assert_eq!(claims["sub"], "cid");
        assert_eq!(claims["aud"], "https://as.example/token");
        let mut by_issuer = provider.clone().with_issuer("https://as.example");
        assert_eq!(
            assertion_audience(&by_issuer, "x"),
            "https://as.example/token"
        );
        by_issuer.client_assertion_audience = auth_core::AssertionAudience::Issuer;
        assert_eq!(assertion_audience(&by_issuer, "x"), "https://as.example");
        assert_eq!(
            assertion_audience(&with(ClientAuth::SecretJwt), "https://as.example/par"),
            "https://as.example/par"
        );
        let err = client_authentication(
            &with(ClientAuth::PrivateKeyJwt),
            "cid",
            None,
            "",
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("private key"), "{err}");
    }
}
