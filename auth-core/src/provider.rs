//! [`Provider`]: an authorization server's endpoints and habits.
//!
//! The module stays whole (about 630 lines, half of them doc examples) because a
//! provider's fields, their vocabulary types and their checks are one description.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{CredentialField, Error};
use crate::hooks::{ComplianceHook, ComplianceHooks, Quirk, TokenPlacement};
use crate::http::check_url_security;

/// How the client proves its identity at the token endpoint (RFC 6749 §2.3.1).
///
/// ```
/// assert_eq!(auth_core::ClientAuth::default(), auth_core::ClientAuth::Basic);
/// assert_eq!("body".parse::<auth_core::ClientAuth>().unwrap(), auth_core::ClientAuth::Body);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// `Authorization: Basic` with the form-urlencoded id and secret.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the request body.
    Body,
    /// Only `client_id` in the body (public clients, PKCE).
    None,
    /// `client_secret_jwt` (RFC 7523 §2.2): a JWT signed with HS256 using the client
    /// secret, sent as `client_assertion`.
    #[serde(rename = "client_secret_jwt")]
    SecretJwt,
    /// `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9): a JWT signed with the client's
    /// private key ([`Provider::client_key`]), sent as `client_assertion`.
    #[serde(rename = "private_key_jwt")]
    PrivateKeyJwt,
}

impl std::str::FromStr for ClientAuth {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "basic" => Ok(ClientAuth::Basic),
            "body" => Ok(ClientAuth::Body),
            "none" => Ok(ClientAuth::None),
            "client_secret_jwt" => Ok(ClientAuth::SecretJwt),
            "private_key_jwt" => Ok(ClientAuth::PrivateKeyJwt),
            other => Err(Error::config(format!(
                "client_auth must be basic, body, none, client_secret_jwt or private_key_jwt, not {other:?}"
            ))),
        }
    }
}

/// How request bodies are encoded for the token endpoint.
///
/// ```
/// assert_eq!(auth_core::BodyFormat::default(), auth_core::BodyFormat::Form);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded`, as RFC 6749 says.
    #[default]
    Form,
    /// `application/json`, for providers that want it.
    Json,
}

/// Which endpoint of a [`Provider`].
///
/// ```
/// assert_eq!(auth_core::Endpoint::Token.config_key(), "token_url");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// OAuth 2 authorization endpoint (also OAuth 1 resource owner authorization).
    Authorize,
    /// OAuth 2 token endpoint.
    Token,
    /// RFC 8628 device authorization endpoint.
    DeviceAuthorization,
    /// RFC 7009 revocation endpoint.
    Revocation,
    /// RFC 7662 introspection endpoint.
    Introspection,
    /// Userinfo or token validation endpoint.
    Userinfo,
    /// JWT exchange endpoint (iNaturalist `users/api_token`).
    Jwt,
    /// OAuth 1 temporary credential (request token) endpoint.
    RequestToken,
    /// OAuth 1 token credential (access token) endpoint.
    AccessToken,
    /// RFC 9126 pushed authorization request endpoint.
    PushedAuthorization,
}

impl Endpoint {
    /// The profile key that sets this endpoint in `config.toml`.
    pub fn config_key(self) -> &'static str {
        match self {
            Endpoint::Authorize => "authorize_url",
            Endpoint::Token => "token_url",
            Endpoint::DeviceAuthorization => "device_authorization_url",
            Endpoint::Revocation => "revocation_url",
            Endpoint::Introspection => "introspection_url",
            Endpoint::Userinfo => "userinfo_url",
            Endpoint::Jwt => "jwt_url",
            Endpoint::RequestToken => "request_token_url",
            Endpoint::AccessToken => "access_token_url",
            Endpoint::PushedAuthorization => "par_url",
        }
    }
}

/// The endpoints of an authorization server; each is optional.
///
/// ```
/// let e = auth_core::Endpoints { token: Some("https://a.example/token".parse().unwrap()), ..Default::default() };
/// assert!(e.authorize.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// Authorization endpoint.
    pub authorize: Option<Url>,
    /// Token endpoint.
    pub token: Option<Url>,
    /// Device authorization endpoint.
    pub device_authorization: Option<Url>,
    /// Revocation endpoint.
    pub revocation: Option<Url>,
    /// Introspection endpoint.
    pub introspection: Option<Url>,
    /// Userinfo / validation endpoint.
    pub userinfo: Option<Url>,
    /// JWT exchange endpoint.
    pub jwt: Option<Url>,
    /// OAuth 1 request token endpoint.
    pub request_token: Option<Url>,
    /// OAuth 1 access token endpoint.
    pub access_token: Option<Url>,
    /// RFC 9126 pushed authorization request endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization: Option<Url>,
    /// Base URL that relative API paths are joined to.
    pub api_base: Option<Url>,
    /// The issuer's JSON Web Key Set (discovery's `jwks_uri`): the keys ID tokens are
    /// verified with.
    #[serde(default)]
    pub jwks: Option<Url>,
}

impl Endpoints {
    fn slot(&self, which: Endpoint) -> &Option<Url> {
        match which {
            Endpoint::Authorize => &self.authorize,
            Endpoint::Token => &self.token,
            Endpoint::DeviceAuthorization => &self.device_authorization,
            Endpoint::Revocation => &self.revocation,
            Endpoint::Introspection => &self.introspection,
            Endpoint::Userinfo => &self.userinfo,
            Endpoint::Jwt => &self.jwt,
            Endpoint::RequestToken => &self.request_token,
            Endpoint::AccessToken => &self.access_token,
            Endpoint::PushedAuthorization => &self.pushed_authorization,
        }
    }

    fn all(&self) -> impl Iterator<Item = &Url> {
        [
            &self.authorize,
            &self.token,
            &self.device_authorization,
            &self.revocation,
            &self.introspection,
            &self.userinfo,
            &self.jwt,
            &self.request_token,
            &self.access_token,
            &self.pushed_authorization,
            &self.api_base,
            &self.jwks,
        ]
        .into_iter()
        .flatten()
    }
}

/// What a provider's credentials are called outside the program: the environment
/// variables and the keyring entries that hold them. Every part is optional; a credential
/// source uses its own generic naming for what is not set. Provider presets set these when
/// another tool already stores credentials under fixed names, so both find them.
///
/// ```
/// use auth_core::{CredentialField, CredentialNames};
///
/// let names = CredentialNames::new()
///     .with_env_prefix("ACME_")
///     .with_env_variables(CredentialField::ClientId, ["KEY", "CLIENT_ID"])
///     .with_keyring_service("acme-cli")
///     .with_keyring_entry(CredentialField::ClientId, "key");
/// assert_eq!(names.env_prefix.as_deref(), Some("ACME_"));
/// assert_eq!(names.env_variables[&CredentialField::ClientId], ["KEY", "CLIENT_ID"]);
/// assert_eq!(names.keyring_entries[&CredentialField::ClientId], "key");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialNames {
    /// The prefix of every environment variable (`ACME_`).
    pub env_prefix: Option<String>,
    /// For a field, the variable names after the prefix, in the order they are tried
    /// (the first set one wins: a main name, then aliases).
    pub env_variables: BTreeMap<CredentialField, Vec<String>>,
    /// The keyring service the entries are kept under.
    pub keyring_service: Option<String>,
    /// For a field, the keyring entry (user name) that holds it.
    pub keyring_entries: BTreeMap<CredentialField, String>,
}

impl CredentialNames {
    /// No names set: sources use their generic naming for everything.
    ///
    /// ```
    /// assert_eq!(auth_core::CredentialNames::new(), Default::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the environment variable prefix.
    ///
    /// ```
    /// let n = auth_core::CredentialNames::new().with_env_prefix("X_");
    /// assert_eq!(n.env_prefix.as_deref(), Some("X_"));
    /// ```
    pub fn with_env_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.env_prefix = Some(prefix.into());
        self
    }

    /// Sets the variable names (after the prefix) tried for `field`, in order.
    ///
    /// ```
    /// use auth_core::{CredentialField, CredentialNames};
    /// let n = CredentialNames::new().with_env_variables(CredentialField::Username, ["LOGIN"]);
    /// assert_eq!(n.env_variables[&CredentialField::Username], ["LOGIN"]);
    /// ```
    pub fn with_env_variables<I, S>(mut self, field: CredentialField, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.env_variables
            .insert(field, names.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the keyring service.
    ///
    /// ```
    /// let n = auth_core::CredentialNames::new().with_keyring_service("svc");
    /// assert_eq!(n.keyring_service.as_deref(), Some("svc"));
    /// ```
    pub fn with_keyring_service(mut self, service: impl Into<String>) -> Self {
        self.keyring_service = Some(service.into());
        self
    }

    /// Sets the keyring entry (user name) that holds `field`.
    ///
    /// ```
    /// use auth_core::{CredentialField, CredentialNames};
    /// let n = CredentialNames::new().with_keyring_entry(CredentialField::Password, "pw");
    /// assert_eq!(n.keyring_entries[&CredentialField::Password], "pw");
    /// ```
    pub fn with_keyring_entry(mut self, field: CredentialField, entry: impl Into<String>) -> Self {
        self.keyring_entries.insert(field, entry.into());
        self
    }
}

/// An authorization server: its name, endpoints, and how to talk to it.
///
/// ```
/// use auth_core::{Endpoint, Provider};
///
/// let p = Provider::new("example")
///     .with_endpoint(Endpoint::Token, "https://auth.example.com/token").unwrap();
/// assert_eq!(p.endpoint(Endpoint::Token).unwrap().as_str(), "https://auth.example.com/token");
/// let err = p.endpoint(Endpoint::Authorize).unwrap_err();
/// assert!(err.to_string().contains("authorize_url"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Provider {
    /// The provider or profile name.
    pub name: String,
    /// Its endpoints.
    pub endpoints: Endpoints,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// How token request bodies are encoded.
    pub body_format: BodyFormat,
    /// Scopes requested when the caller names none.
    pub default_scopes: Vec<String>,
    /// Bind tokens to a key of this client with DPoP (RFC 9449): token requests and
    /// resource requests carry a proof signed by the account's own key.
    #[serde(default)]
    pub dpop: bool,
    /// Allow plain `http://` to hosts that are not loopback: the one switch for it.
    /// Flows mark their requests to this provider with
    /// [`AllowInsecureHttp`](crate::http::AllowInsecureHttp) ([`Provider::mark_request`]),
    /// which backends honour; backends have no setting of their own.
    pub insecure_http: bool,
    /// What its credentials are called in the environment and the keyring, when a
    /// preset fixes that; `None` leaves the credential sources' generic naming. Not part
    /// of the serialized form.
    #[serde(skip)]
    pub credential_names: Option<CredentialNames>,
    /// Known deviations fixed by name; their hooks run before [`Provider::hooks`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quirks: Vec<Quirk>,
    /// Where the access token goes on API requests; `None` takes it from the quirks,
    /// else the `Authorization` header ([`Provider::token_placement`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<TokenPlacement>,
    /// The provider's own compliance hooks, in the order they run. Not part of the
    /// serialized form.
    #[serde(skip)]
    pub hooks: ComplianceHooks,
    /// The authorization server's issuer identifier (RFC 8414 `issuer`), from discovery or
    /// the configuration. When an authorization response carries `iss` (RFC 9207), it must
    /// be exactly this, and so must a validated ID token's `iss`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The server's metadata says `authorization_response_iss_parameter_supported`: every
    /// authorization response must then carry `iss`, equal to [`Provider::issuer`].
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// The private key that signs client assertions when `client_auth` is
    /// [`ClientAuth::PrivateKeyJwt`]. Never serialized, never printed.
    #[serde(skip)]
    pub client_key: Option<ClientKey>,
    /// The algorithms the server accepts for client assertions (discovery's
    /// `token_endpoint_auth_signing_alg_values_supported`); empty when unknown. A
    /// `private_key_jwt` assertion signs with one of these that fits the key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_assertion_algs: Vec<String>,
    /// What a client assertion's `aud` names: the token endpoint (the default) or the
    /// issuer.
    #[serde(default)]
    pub client_assertion_audience: AssertionAudience,
    /// Push authorization requests (RFC 9126): set by the configuration, or by discovery's
    /// `require_pushed_authorization_requests`.
    #[serde(default)]
    pub par: bool,
    /// Resource indicators (RFC 8707) sent as `resource` on the authorization, token and
    /// refresh requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// An `audience` parameter sent beside the resources (for servers that name the API
    /// they issue for by a logical name rather than a URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// The `aud` of a client assertion (RFC 7523 §3, point 3). The token endpoint URL is the
/// value RFC 7523 and OpenID Connect Core §9 name, and every server accepts it; the
/// issuer identifier is what newer servers ask for (FAPI 2.0, RFC 7523bis, and RFC 9126
/// §2 for the PAR endpoint), and a profile chooses it when its server says so.
///
/// ```
/// assert_eq!(auth_core::AssertionAudience::default(), auth_core::AssertionAudience::TokenEndpoint);
/// assert_eq!("issuer".parse::<auth_core::AssertionAudience>().unwrap(), auth_core::AssertionAudience::Issuer);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssertionAudience {
    /// The token endpoint URL (also for the revocation, introspection and PAR endpoints).
    #[default]
    TokenEndpoint,
    /// The issuer identifier ([`Provider::issuer`]); the token endpoint when it is unknown.
    Issuer,
}

impl std::str::FromStr for AssertionAudience {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "token-endpoint" => Ok(AssertionAudience::TokenEndpoint),
            "issuer" => Ok(AssertionAudience::Issuer),
            other => Err(Error::config(format!(
                "client_assertion_audience must be token-endpoint or issuer, not {other:?}"
            ))),
        }
    }
}

/// A client's private key for `private_key_jwt`: a PEM text (PKCS#8, PKCS#1 RSA or SEC1
/// P-256) kept as a [`Secret`](crate::Secret), and the `kid` to put in the assertion's header.
///
/// ```
/// use auth_core::ClientKey;
/// let key = ClientKey::new("-----BEGIN PRIVATE KEY-----\n...").with_key_id("k1");
/// assert!(!format!("{key:?}").contains("BEGIN"));
/// assert_eq!(key.key_id.as_deref(), Some("k1"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientKey {
    /// The PEM text of the private key.
    pub pem: crate::Secret,
    /// The key id (`kid`) the server knows the key by, if any.
    pub key_id: Option<String>,
}

impl ClientKey {
    /// A key from its PEM text, with no key id.
    ///
    /// ```
    /// assert!(auth_core::ClientKey::new("pem").key_id.is_none());
    /// ```
    pub fn new(pem: impl Into<String>) -> ClientKey {
        ClientKey {
            pem: crate::Secret::new(pem.into()),
            key_id: None,
        }
    }

    /// Sets the key id sent as the assertion's `kid`.
    ///
    /// ```
    /// let key = auth_core::ClientKey::new("pem").with_key_id("k1");
    /// assert_eq!(key.key_id.as_deref(), Some("k1"));
    /// ```
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> ClientKey {
        self.key_id = Some(key_id.into());
        self
    }
}

impl Provider {
    /// A provider with a name and no endpoints.
    ///
    /// ```
    /// assert!(auth_core::Provider::new("x").endpoints.token.is_none());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Provider {
            name: name.into(),
            endpoints: Endpoints::default(),
            client_auth: ClientAuth::default(),
            body_format: BodyFormat::default(),
            default_scopes: Vec::new(),
            dpop: false,
            insecure_http: false,
            credential_names: None,
            quirks: Vec::new(),
            placement: None,
            hooks: ComplianceHooks::default(),
            issuer: None,
            authorization_response_iss_parameter_supported: false,
            client_key: None,
            client_assertion_algs: Vec::new(),
            client_assertion_audience: AssertionAudience::default(),
            par: false,
            resources: Vec::new(),
            audience: None,
        }
    }

    /// Sets the issuer identifier that authorization responses' `iss` must equal.
    ///
    /// ```
    /// let p = auth_core::Provider::new("x").with_issuer("https://id.example");
    /// assert_eq!(p.issuer.as_deref(), Some("https://id.example"));
    /// ```
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Adds a compliance hook after the others (see [`crate::hooks`]).
    ///
    /// ```
    /// use auth_core::hooks::ComplianceHook;
    /// struct Nothing;
    /// impl ComplianceHook for Nothing { fn name(&self) -> &str { "nothing" } }
    /// let p = auth_core::Provider::new("x").with_hook(Nothing);
    /// assert_eq!(p.hooks.len(), 1);
    /// ```
    pub fn with_hook(mut self, hook: impl ComplianceHook + 'static) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Adds a known deviation's fix by name (see [`Quirk`]).
    ///
    /// ```
    /// use auth_core::hooks::{Quirk, TokenPlacement};
    /// let p = auth_core::Provider::new("x").with_quirk(Quirk::Instagram);
    /// assert_eq!(p.token_placement(), TokenPlacement::Query("access_token".into()));
    /// ```
    pub fn with_quirk(mut self, quirk: Quirk) -> Self {
        if !self.quirks.contains(&quirk) {
            self.quirks.push(quirk);
        }
        self
    }

    /// Sets where the access token goes on API requests, over any quirk's choice.
    ///
    /// ```
    /// use auth_core::hooks::{Quirk, TokenPlacement};
    /// let p = auth_core::Provider::new("x")
    ///     .with_quirk(Quirk::Weibo)
    ///     .with_token_placement(TokenPlacement::Header);
    /// assert_eq!(p.token_placement(), TokenPlacement::Header);
    /// ```
    pub fn with_token_placement(mut self, placement: TokenPlacement) -> Self {
        self.placement = Some(placement);
        self
    }

    /// Where the access token goes: the provider's own setting, else the first quirk that
    /// decides it, else the `Authorization` header.
    ///
    /// ```
    /// assert_eq!(auth_core::Provider::new("x").token_placement(), auth_core::hooks::TokenPlacement::Header);
    /// ```
    pub fn token_placement(&self) -> TokenPlacement {
        self.placement
            .clone()
            .or_else(|| self.quirks.iter().find_map(|q| q.token_placement()))
            .unwrap_or_default()
    }

    /// Sets what the provider's credentials are called in the environment and keyring.
    ///
    /// ```
    /// use auth_core::{CredentialNames, Provider};
    /// let p = Provider::new("x").with_credential_names(CredentialNames::new().with_env_prefix("X_"));
    /// assert_eq!(p.credential_names.unwrap().env_prefix.as_deref(), Some("X_"));
    /// ```
    pub fn with_credential_names(mut self, names: CredentialNames) -> Self {
        self.credential_names = Some(names);
        self
    }

    /// Sets an endpoint from a URL string; an unparseable URL is a configuration error.
    ///
    /// ```
    /// use auth_core::{Endpoint, Provider};
    /// assert!(Provider::new("x").with_endpoint(Endpoint::Token, "not a url").is_err());
    /// ```
    pub fn with_endpoint(mut self, which: Endpoint, url: &str) -> Result<Self, Error> {
        let parsed = Url::parse(url).map_err(|e| {
            Error::config(format!(
                "{} of {} is not a valid URL ({e}): {url:?}",
                which.config_key(),
                self.name
            ))
        })?;
        let slot = match which {
            Endpoint::Authorize => &mut self.endpoints.authorize,
            Endpoint::Token => &mut self.endpoints.token,
            Endpoint::DeviceAuthorization => &mut self.endpoints.device_authorization,
            Endpoint::Revocation => &mut self.endpoints.revocation,
            Endpoint::Introspection => &mut self.endpoints.introspection,
            Endpoint::Userinfo => &mut self.endpoints.userinfo,
            Endpoint::Jwt => &mut self.endpoints.jwt,
            Endpoint::RequestToken => &mut self.endpoints.request_token,
            Endpoint::AccessToken => &mut self.endpoints.access_token,
            Endpoint::PushedAuthorization => &mut self.endpoints.pushed_authorization,
        };
        *slot = Some(parsed);
        Ok(self)
    }

    /// The endpoint, or a configuration error naming the profile key to set.
    ///
    /// ```
    /// use auth_core::{Endpoint, Provider};
    /// assert!(Provider::new("x").endpoint(Endpoint::Revocation).is_err());
    /// ```
    pub fn endpoint(&self, which: Endpoint) -> Result<&Url, Error> {
        self.endpoints.slot(which).as_ref().ok_or_else(|| {
            Error::config(format!(
                "provider {} has no {} endpoint: set `{}` in its profile",
                self.name,
                which
                    .config_key()
                    .trim_end_matches("_url")
                    .replace('_', " "),
                which.config_key()
            ))
        })
    }

    /// Checks every endpoint against the transport rules: `https`, or `http` only for
    /// loopback hosts unless [`Provider::insecure_http`] is set.
    ///
    /// ```
    /// use auth_core::{Endpoint, Provider};
    /// let p = Provider::new("x").with_endpoint(Endpoint::Token, "http://auth.example.com/t").unwrap();
    /// assert!(p.validate().is_err());
    /// let local = Provider::new("x").with_endpoint(Endpoint::Token, "http://127.0.0.1:8080/t").unwrap();
    /// assert!(local.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        self.endpoints
            .all()
            .try_for_each(|url| check_url_security(url, self.insecure_http))
    }

    /// Marks a request to this provider with its transport settings: the
    /// [`AllowInsecureHttp`](crate::http::AllowInsecureHttp) extension when
    /// [`Provider::insecure_http`] is set. Every request a flow sends to the provider goes
    /// through here, so the one switch reaches the backend. A request to one of the
    /// provider's endpoints, exactly, also gets that endpoint as its
    /// [`ParsedUrl`](crate::http::ParsedUrl), so the backend does not parse it again.
    ///
    /// ```
    /// use auth_core::{Endpoint, Provider, http::{AllowInsecureHttp, ParsedUrl}};
    /// let mut provider = Provider::new("intranet")
    ///     .with_endpoint(Endpoint::Token, "http://idp.intranet.example/token")?;
    /// let mut request = http::Request::get("http://idp.intranet.example/token").body(()).unwrap();
    /// provider.mark_request(&mut request);
    /// assert!(!AllowInsecureHttp::is_set(&request));
    /// assert_eq!(ParsedUrl::of(&request), provider.endpoints.token.as_ref());
    /// provider.insecure_http = true;
    /// provider.mark_request(&mut request);
    /// assert!(AllowInsecureHttp::is_set(&request));
    /// # Ok::<(), auth_core::Error>(())
    /// ```
    pub fn mark_request<B>(&self, request: &mut http::Request<B>) {
        if self.insecure_http {
            request
                .extensions_mut()
                .insert(crate::http::AllowInsecureHttp);
        }
        if let Some(url) = self
            .endpoints
            .all()
            .find(|url| crate::http::ParsedUrl::is_uri(url, request.uri()))
        {
            let url = crate::http::ParsedUrl(url.clone());
            request.extensions_mut().insert(url);
        }
    }
}
