//! Compliance hooks: patching a provider that bends the standard without forking the
//! library, and [`Quirk`]s, the known deviations as data.
//!
//! A [`Provider`](crate::Provider) carries [`ComplianceHooks`]. Flows call them at five
//! points, the same five as requests-oauthlib's `register_compliance_hook`:
//!
//! | point | when | what the hook gets |
//! |---|---|---|
//! | [`HookPoint::AccessTokenRequest`] | before a token request (any grant but refresh) is sent | [`TokenRequestParts`] |
//! | [`HookPoint::AccessTokenResponse`] | on its answer, before it is parsed | [`TokenResponseParts`] |
//! | [`HookPoint::RefreshTokenRequest`] | before a refresh request is sent | [`TokenRequestParts`] |
//! | [`HookPoint::RefreshTokenResponse`] | on its answer, before it is parsed | [`TokenResponseParts`] |
//! | [`HookPoint::ProtectedRequest`] | on every API request, before the token is attached | the [`HttpRequest`] |
//!
//! **Order.** Hooks run in a defined order: first the hooks of the provider's
//! [`Quirk`]s, in the order the quirks are listed, then the provider's own hooks in the
//! order they were added. Each sees what the previous one left.
//!
//! **Secrets.** A hook sees only what it is given:
//! - a request hook runs before the client authenticates, so it never sees the client
//!   secret or a client assertion; the grant's own secrets (password, authorization code,
//!   PKCE verifier, refresh token, ...) are handed to it as [`Secret`]s, which print as
//!   `***`;
//! - a protected-request hook runs before the access token is attached, so it never sees
//!   the token; where the token goes is the provider's [`TokenPlacement`];
//! - a response hook is given the token endpoint's raw answer, which holds the new tokens:
//!   rewriting that answer is what it is for. [`TokenResponseParts`]'s `Debug` shows no
//!   body.
//!
//! ```
//! use auth_core::hooks::{ComplianceHook, TokenResponseParts};
//! use auth_core::{Error, Provider};
//!
//! /// A provider that calls its token `accessToken`.
//! struct CamelCaseToken;
//!
//! impl ComplianceHook for CamelCaseToken {
//!     fn name(&self) -> &str {
//!         "camel-case-token"
//!     }
//!     fn access_token_response(&self, response: &mut TokenResponseParts) -> Result<(), Error> {
//!         let text = String::from_utf8_lossy(&response.body).replace("\"accessToken\"", "\"access_token\"");
//!         response.body = text.into_bytes();
//!         Ok(())
//!     }
//! }
//!
//! let provider = Provider::new("acme").with_hook(CamelCaseToken);
//! assert_eq!(provider.hooks.names().collect::<Vec<_>>(), ["camel-case-token"]);
//! ```

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::Error;
use crate::http::HttpRequest;
use crate::secret::Secret;

/// The five places a [`ComplianceHook`] is called.
///
/// ```
/// use auth_core::hooks::HookPoint;
/// assert_eq!(HookPoint::RefreshTokenResponse.as_str(), "refresh_token_response");
/// assert_eq!(HookPoint::request_for_grant(Some("refresh_token")), Some(HookPoint::RefreshTokenRequest));
/// assert_eq!(HookPoint::request_for_grant(Some("password")), Some(HookPoint::AccessTokenRequest));
/// assert_eq!(HookPoint::request_for_grant(None), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HookPoint {
    /// Before a token request (every grant except refresh) is sent.
    AccessTokenRequest,
    /// On a token response, before it is parsed.
    AccessTokenResponse,
    /// Before a refresh request is sent.
    RefreshTokenRequest,
    /// On a refresh response, before it is parsed.
    RefreshTokenResponse,
    /// On every protected (API) request, before the token is attached.
    ProtectedRequest,
}

impl HookPoint {
    /// The point's name, as requests-oauthlib spells it (also the tracing field).
    ///
    /// ```
    /// assert_eq!(auth_core::hooks::HookPoint::ProtectedRequest.as_str(), "protected_request");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            HookPoint::AccessTokenRequest => "access_token_request",
            HookPoint::AccessTokenResponse => "access_token_response",
            HookPoint::RefreshTokenRequest => "refresh_token_request",
            HookPoint::RefreshTokenResponse => "refresh_token_response",
            HookPoint::ProtectedRequest => "protected_request",
        }
    }

    /// The request point for a token request with this `grant_type`: refresh for
    /// `refresh_token`, access for any other grant, none for requests without a grant
    /// (device authorization, revocation, introspection).
    ///
    /// ```
    /// use auth_core::hooks::HookPoint;
    /// assert_eq!(HookPoint::request_for_grant(Some("authorization_code")), Some(HookPoint::AccessTokenRequest));
    /// ```
    pub fn request_for_grant(grant_type: Option<&str>) -> Option<HookPoint> {
        match grant_type? {
            "refresh_token" => Some(HookPoint::RefreshTokenRequest),
            _ => Some(HookPoint::AccessTokenRequest),
        }
    }

    /// The response point that answers this request point.
    ///
    /// ```
    /// use auth_core::hooks::HookPoint;
    /// assert_eq!(HookPoint::AccessTokenRequest.response(), Some(HookPoint::AccessTokenResponse));
    /// assert_eq!(HookPoint::ProtectedRequest.response(), None);
    /// ```
    pub fn response(self) -> Option<HookPoint> {
        match self {
            HookPoint::AccessTokenRequest => Some(HookPoint::AccessTokenResponse),
            HookPoint::RefreshTokenRequest => Some(HookPoint::RefreshTokenResponse),
            _ => None,
        }
    }
}

/// The form parameters that carry a secret of the grant, handed to request hooks as
/// [`Secret`]s rather than text.
pub const SECRET_PARAMETERS: &[&str] = &[
    "password",
    "code",
    "code_verifier",
    "refresh_token",
    "device_code",
    "assertion",
    "subject_token",
    "actor_token",
    "client_secret",
    "client_assertion",
];

/// A token request as a request hook sees it: before the client authenticates.
///
/// ```
/// use auth_core::hooks::TokenRequestParts;
///
/// let mut parts = TokenRequestParts::new(
///     "https://auth.example/token".parse().unwrap(),
///     [("grant_type", "password"), ("username", "ana"), ("password", "hunter2")],
/// );
/// assert_eq!(parts.param("username"), Some("ana"));
/// assert_eq!(parts.param("password"), None); // a secret: see `secret`
/// assert_eq!(parts.secret("password").unwrap().expose(), "hunter2");
/// parts.set_param("audience", "api");
/// assert!(!format!("{parts:?}").contains("hunter2"));
/// assert_eq!(parts.form().len(), 4);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TokenRequestParts {
    /// The token endpoint (a hook may point it elsewhere; the transport's rules still
    /// apply).
    pub url: Url,
    /// Request headers so far (no `Authorization`: the client authenticates later).
    pub headers: HeaderMap,
    /// The form parameters that are not secret, in order.
    pub params: Vec<(String, String)>,
    /// The form parameters named in [`SECRET_PARAMETERS`], in order.
    pub secrets: Vec<(String, Secret)>,
}

impl TokenRequestParts {
    /// Parts from a URL and form pairs; pairs named in [`SECRET_PARAMETERS`] become
    /// [`Secret`]s.
    ///
    /// ```
    /// let p = auth_core::hooks::TokenRequestParts::new("https://a.example/t".parse().unwrap(), [("code", "c")]);
    /// assert!(p.params.is_empty());
    /// ```
    pub fn new<I, K, V>(url: Url, form: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut parts = TokenRequestParts {
            url,
            headers: HeaderMap::new(),
            params: Vec::new(),
            secrets: Vec::new(),
        };
        for (name, value) in form {
            let (name, value) = (name.into(), value.into());
            if SECRET_PARAMETERS.contains(&name.as_str()) {
                parts.secrets.push((name, Secret::new(value)));
            } else {
                parts.params.push((name, value));
            }
        }
        parts
    }

    /// The first non-secret parameter with this name.
    ///
    /// ```
    /// let p = auth_core::hooks::TokenRequestParts::new("https://a.example/t".parse().unwrap(), [("scope", "a b")]);
    /// assert_eq!(p.param("scope"), Some("a b"));
    /// ```
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first secret parameter with this name.
    ///
    /// ```
    /// let p = auth_core::hooks::TokenRequestParts::new("https://a.example/t".parse().unwrap(), [("refresh_token", "r")]);
    /// assert_eq!(p.secret("refresh_token").unwrap().expose(), "r");
    /// ```
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Sets a non-secret parameter, replacing every earlier one of that name.
    ///
    /// ```
    /// let mut p = auth_core::hooks::TokenRequestParts::new("https://a.example/t".parse().unwrap(), [("scope", "a")]);
    /// p.set_param("scope", "b");
    /// assert_eq!(p.params, [("scope".to_owned(), "b".to_owned())]);
    /// ```
    pub fn set_param(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.params.retain(|(n, _)| *n != name);
        self.params.push((name, value.into()));
    }

    /// Removes every parameter (secret or not) with this name.
    ///
    /// ```
    /// let mut p = auth_core::hooks::TokenRequestParts::new("https://a.example/t".parse().unwrap(), [("scope", "a"), ("code", "c")]);
    /// p.remove("scope");
    /// p.remove("code");
    /// assert!(p.form().is_empty());
    /// ```
    pub fn remove(&mut self, name: &str) {
        self.params.retain(|(n, _)| n != name);
        self.secrets.retain(|(n, _)| n != name);
    }

    /// The whole form, non-secret parameters first, as the flow sends it. Only the flow
    /// calls this, after the hooks have run.
    ///
    /// ```
    /// let p = auth_core::hooks::TokenRequestParts::new("https://a.example/t".parse().unwrap(), [("code", "c"), ("a", "1")]);
    /// assert_eq!(p.form()[0], ("a".to_owned(), "1".to_owned()));
    /// ```
    pub fn form(&self) -> Vec<(String, String)> {
        self.params
            .iter()
            .cloned()
            .chain(
                self.secrets
                    .iter()
                    .map(|(n, s)| (n.clone(), s.expose().to_owned())),
            )
            .collect()
    }
}

/// A token endpoint's raw answer, as a response hook sees it before it is parsed.
///
/// ```
/// let r = auth_core::hooks::TokenResponseParts::new(200, http::HeaderMap::new(), br#"{"access_token":"t"}"#.to_vec());
/// assert_eq!(r.status, 200);
/// assert!(!format!("{r:?}").contains("\"t\""));
/// assert_eq!(r.content_type(), None);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenResponseParts {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body, as received (it holds the new tokens).
    pub body: Vec<u8>,
}

impl TokenResponseParts {
    /// Parts from a status, headers and body.
    ///
    /// ```
    /// let r = auth_core::hooks::TokenResponseParts::new(400, http::HeaderMap::new(), Vec::new());
    /// assert!(r.body.is_empty());
    /// ```
    pub fn new(status: u16, headers: HeaderMap, body: Vec<u8>) -> Self {
        TokenResponseParts {
            status,
            headers,
            body,
        }
    }

    /// The `Content-Type` header's media type, lowercase, without parameters.
    ///
    /// ```
    /// let mut h = http::HeaderMap::new();
    /// h.insert("content-type", "Text/Plain; charset=UTF-8".parse().unwrap());
    /// let r = auth_core::hooks::TokenResponseParts::new(200, h, Vec::new());
    /// assert_eq!(r.content_type().as_deref(), Some("text/plain"));
    /// ```
    pub fn content_type(&self) -> Option<String> {
        let value = self
            .headers
            .get(http::header::CONTENT_TYPE)?
            .to_str()
            .ok()?;
        Some(
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase(),
        )
    }
}

impl fmt::Debug for TokenResponseParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponseParts")
            .field("status", &self.status)
            .field("content_type", &self.content_type())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// A provider's fix for its own deviations. Every method has a default that does nothing;
/// implement the points you need. A hook that returns an error stops the request with that
/// error.
///
/// See the [module docs](self) for the order hooks run in and what they may see.
///
/// ```
/// use auth_core::hooks::{ComplianceHook, TokenRequestParts};
/// use auth_core::Error;
///
/// /// Sends `audience` with every token request.
/// struct Audience(&'static str);
/// impl ComplianceHook for Audience {
///     fn name(&self) -> &str { "audience" }
///     fn access_token_request(&self, request: &mut TokenRequestParts) -> Result<(), Error> {
///         request.set_param("audience", self.0);
///         Ok(())
///     }
/// }
/// let mut parts = TokenRequestParts::new("https://a.example/t".parse().unwrap(), [("grant_type", "client_credentials")]);
/// Audience("api").access_token_request(&mut parts).unwrap();
/// assert_eq!(parts.param("audience"), Some("api"));
/// ```
pub trait ComplianceHook: Send + Sync {
    /// The hook's name, for tracing and for listing a provider's hooks.
    fn name(&self) -> &str;

    /// Rewrites a token request (every grant but refresh) before it is sent.
    fn access_token_request(&self, _request: &mut TokenRequestParts) -> Result<(), Error> {
        Ok(())
    }

    /// Rewrites a token response before it is parsed.
    fn access_token_response(&self, _response: &mut TokenResponseParts) -> Result<(), Error> {
        Ok(())
    }

    /// Rewrites a refresh request before it is sent.
    fn refresh_token_request(&self, _request: &mut TokenRequestParts) -> Result<(), Error> {
        Ok(())
    }

    /// Rewrites a refresh response before it is parsed.
    fn refresh_token_response(&self, _response: &mut TokenResponseParts) -> Result<(), Error> {
        Ok(())
    }

    /// Rewrites an API request (URL, headers, body) before the token is attached.
    fn protected_request(&self, _request: &mut HttpRequest) -> Result<(), Error> {
        Ok(())
    }
}

/// The hooks a provider carries, in the order they run (after its quirks' hooks).
/// Two collections are equal when they hold the same hooks (the same `Arc`s).
///
/// ```
/// use auth_core::hooks::{ComplianceHook, ComplianceHooks};
/// struct Nothing;
/// impl ComplianceHook for Nothing { fn name(&self) -> &str { "nothing" } }
/// let mut hooks = ComplianceHooks::default();
/// assert!(hooks.is_empty());
/// hooks.push(Nothing);
/// assert_eq!(format!("{hooks:?}"), "ComplianceHooks([\"nothing\"])");
/// ```
#[derive(Clone, Default)]
pub struct ComplianceHooks(Vec<Arc<dyn ComplianceHook>>);

impl ComplianceHooks {
    /// Adds a hook after the others.
    ///
    /// ```
    /// # struct H; impl auth_core::hooks::ComplianceHook for H { fn name(&self) -> &str { "h" } }
    /// let mut hooks = auth_core::hooks::ComplianceHooks::default();
    /// hooks.push(H);
    /// assert_eq!(hooks.len(), 1);
    /// ```
    pub fn push(&mut self, hook: impl ComplianceHook + 'static) {
        self.0.push(Arc::new(hook));
    }

    /// Adds a shared hook after the others.
    ///
    /// ```
    /// # struct H; impl auth_core::hooks::ComplianceHook for H { fn name(&self) -> &str { "h" } }
    /// let mut hooks = auth_core::hooks::ComplianceHooks::default();
    /// hooks.push_arc(std::sync::Arc::new(H));
    /// assert!(!hooks.is_empty());
    /// ```
    pub fn push_arc(&mut self, hook: Arc<dyn ComplianceHook>) {
        self.0.push(hook);
    }

    /// The hooks, in order.
    ///
    /// ```
    /// assert_eq!(auth_core::hooks::ComplianceHooks::default().iter().count(), 0);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn ComplianceHook>> {
        self.0.iter()
    }

    /// The hooks' names, in order.
    ///
    /// ```
    /// assert_eq!(auth_core::hooks::ComplianceHooks::default().names().count(), 0);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|h| h.name())
    }

    /// How many hooks there are.
    ///
    /// ```
    /// assert_eq!(auth_core::hooks::ComplianceHooks::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(auth_core::hooks::ComplianceHooks::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ComplianceHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ComplianceHooks")
            .field(&self.names().collect::<Vec<_>>())
            .finish()
    }
}

impl PartialEq for ComplianceHooks {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl Eq for ComplianceHooks {}

/// Where the access token goes on an API request.
///
/// ```
/// use auth_core::hooks::TokenPlacement;
/// assert_eq!(TokenPlacement::default(), TokenPlacement::Header);
/// assert_eq!(TokenPlacement::parse("query", None).unwrap(), TokenPlacement::Query("access_token".into()));
/// assert_eq!(TokenPlacement::parse("body", Some("token")).unwrap(), TokenPlacement::Body("token".into()));
/// assert!(TokenPlacement::parse("cookie", None).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenPlacement {
    /// `Authorization: <token_type> <token>` (RFC 6750 §2.1), the default.
    #[default]
    Header,
    /// A query parameter of this name (RFC 6750 §2.3; the token then shows in server
    /// logs, so only for providers that demand it).
    Query(String),
    /// A form field of this name in a form-encoded body (RFC 6750 §2.2); a request whose
    /// body is not a form (or is empty on a method without one) gets the query parameter
    /// instead.
    Body(String),
}

impl TokenPlacement {
    /// The parameter name a placement uses when none is given.
    pub const DEFAULT_PARAMETER: &'static str = "access_token";

    /// A placement from its name (`header`, `query`, `body`) and an optional parameter
    /// name (default `access_token`).
    ///
    /// ```
    /// use auth_core::hooks::TokenPlacement;
    /// assert_eq!(TokenPlacement::parse("header", None).unwrap(), TokenPlacement::Header);
    /// ```
    pub fn parse(name: &str, parameter: Option<&str>) -> Result<Self, Error> {
        let parameter = parameter.unwrap_or(Self::DEFAULT_PARAMETER).to_owned();
        if parameter.is_empty() {
            return Err(Error::config(
                "token_parameter must not be empty: name the query or form field the token goes in",
            ));
        }
        match name {
            "header" => Ok(TokenPlacement::Header),
            "query" => Ok(TokenPlacement::Query(parameter)),
            "body" => Ok(TokenPlacement::Body(parameter)),
            other => Err(Error::config(format!(
                "token_placement must be header, query or body, not {other:?}"
            ))),
        }
    }
}

/// A known deviation of a real provider, fixed by name (`quirks = ["facebook"]`).
/// The fixes themselves live with the flows that run them; this is the vocabulary.
///
/// ```
/// use auth_core::hooks::Quirk;
/// assert_eq!("facebook".parse::<Quirk>().unwrap(), Quirk::Facebook);
/// assert_eq!(Quirk::Ebay.as_str(), "ebay");
/// assert_eq!(Quirk::ALL.len(), 9);
/// let err = "myspace".parse::<Quirk>().unwrap_err();
/// assert!(err.to_string().contains("facebook"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Quirk {
    /// A `text/plain` form-encoded token answer; `expires` for `expires_in`.
    Facebook,
    /// `errors: [{errorType}]` instead of `error`.
    Fitbit,
    /// The token goes as a `token` parameter (form body, else query).
    Slack,
    /// The token goes as an `access_token` query parameter.
    Instagram,
    /// `"scope": null` and `expires_in: 0` (tokens that do not expire).
    Mailchimp,
    /// No `token_type`; the token goes in the query.
    Weibo,
    /// No `token_type`.
    Douban,
    /// camelCase token keys.
    Plentymarkets,
    /// `token_type` "Application Access Token" / "User Access Token".
    Ebay,
}

impl Quirk {
    /// Every quirk, in the order of the docs.
    pub const ALL: &'static [Quirk] = &[
        Quirk::Facebook,
        Quirk::Fitbit,
        Quirk::Slack,
        Quirk::Instagram,
        Quirk::Mailchimp,
        Quirk::Weibo,
        Quirk::Douban,
        Quirk::Plentymarkets,
        Quirk::Ebay,
    ];

    /// The quirk's name, as a profile writes it.
    ///
    /// ```
    /// assert_eq!(auth_core::hooks::Quirk::Plentymarkets.as_str(), "plentymarkets");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Quirk::Facebook => "facebook",
            Quirk::Fitbit => "fitbit",
            Quirk::Slack => "slack",
            Quirk::Instagram => "instagram",
            Quirk::Mailchimp => "mailchimp",
            Quirk::Weibo => "weibo",
            Quirk::Douban => "douban",
            Quirk::Plentymarkets => "plentymarkets",
            Quirk::Ebay => "ebay",
        }
    }

    /// Where the quirk puts the token, when it decides that.
    ///
    /// ```
    /// use auth_core::hooks::{Quirk, TokenPlacement};
    /// assert_eq!(Quirk::Slack.token_placement(), Some(TokenPlacement::Body("token".into())));
    /// assert_eq!(Quirk::Douban.token_placement(), None);
    /// ```
    pub fn token_placement(self) -> Option<TokenPlacement> {
        match self {
            Quirk::Slack => Some(TokenPlacement::Body("token".into())),
            Quirk::Instagram | Quirk::Weibo => Some(TokenPlacement::Query(
                TokenPlacement::DEFAULT_PARAMETER.into(),
            )),
            _ => None,
        }
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Quirk {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Quirk::ALL
            .iter()
            .copied()
            .find(|q| q.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Quirk::ALL.iter().map(|q| q.as_str()).collect();
                Error::config(format!(
                    "unknown quirk {s:?}: the known ones are {}",
                    names.join(", ")
                ))
            })
    }
}
