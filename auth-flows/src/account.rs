//! Naming the account a token belongs to, as a person would call it: `ana`,
//! `ana@example.com`, never an opaque slot name.
//!
//! [`account_name`] asks, in this order, and stops at the first answer:
//!
//! 1. the ID token's claims `preferred_username`, `email`, `sub`;
//! 2. the provider's userinfo endpoint (the same claims, in its JSON answer);
//! 3. the provider's own "who am I" call ([`WhoAmI`], from its preset: iNaturalist's
//!    `GET {api_base}/users/me`, whose `results[0].login` is the name).
//!
//! When the login validated the ID token ([`Token::id_claims`], see
//! [`crate::id_token`]), its validated claims are used. Otherwise (a provider that names
//! no issuer or keys) the ID token is decoded **without verifying its signature** (with
//! [`crate::jwt_claims::claims`]). That is enough there: the name only labels where a
//! token is kept for this user on this machine; nothing is granted on the strength of
//! it, and the token was just received from the provider's token endpoint over TLS.

use auth_core::{FlowContext, Provider, Token, TokenKind, Url};
use serde_json::Value;

/// The claims that name an account, most readable first.
///
/// ```
/// assert_eq!(auth_flows::account::NAME_CLAIMS[0], "preferred_username");
/// ```
pub const NAME_CLAIMS: [&str; 3] = ["preferred_username", "email", "sub"];

/// A provider's own "who am I" call: a path joined to the provider's API base URL, and
/// the JSON pointer (RFC 6901) of the account name in its answer.
///
/// ```
/// let who = auth_flows::preset("inaturalist").unwrap().who_am_i.unwrap();
/// assert_eq!(who.path, "users/me");
/// assert_eq!(who.name_pointer, "/results/0/login");
/// let custom = auth_flows::WhoAmI::new("me", "/login");
/// assert_eq!(custom.path, "me");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WhoAmI {
    /// The path, relative to the provider's `api_base` (`users/me`).
    pub path: String,
    /// Where the name is in the JSON answer (`/results/0/login`).
    pub name_pointer: String,
}

impl WhoAmI {
    /// A "who am I" call at `path` (relative to the API base), the name at `name_pointer`.
    ///
    /// ```
    /// let who = auth_flows::WhoAmI::new("user", "/login");
    /// assert_eq!(who.name_pointer, "/login");
    /// ```
    pub fn new(path: impl Into<String>, name_pointer: impl Into<String>) -> Self {
        WhoAmI {
            path: path.into(),
            name_pointer: name_pointer.into(),
        }
    }

    /// The URL of the call for `provider`: its `api_base` joined with the path; `None`
    /// when the provider has no API base URL.
    ///
    /// ```
    /// let provider = auth_flows::preset("inaturalist").unwrap().provider;
    /// let who = auth_flows::WhoAmI::new("users/me", "/results/0/login");
    /// assert_eq!(who.url(&provider).unwrap().as_str(), "https://api.inaturalist.org/v1/users/me");
    /// ```
    pub fn url(&self, provider: &Provider) -> Option<Url> {
        let base = provider.endpoints.api_base.as_ref()?;
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.join(self.path.trim_start_matches('/')).ok()
    }
}

/// The first of [`NAME_CLAIMS`] that `claims` holds as a non-empty string.
///
/// ```
/// let claims = serde_json::json!({"sub": "248289761001", "email": "ana@example.com"});
/// assert_eq!(auth_flows::account::name_from_claims(&claims).as_deref(), Some("ana@example.com"));
/// assert_eq!(auth_flows::account::name_from_claims(&serde_json::json!({"sub": ""})), None);
/// ```
pub fn name_from_claims(claims: &Value) -> Option<String> {
    NAME_CLAIMS
        .iter()
        .find_map(|claim| non_empty(claims.get(*claim)?))
}

/// A name from a server's answer, made printable ([`auth_core::text::printable`]: it is
/// shown on terminals and becomes part of store keys) and trimmed; `None` when empty.
fn non_empty(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            Some(auth_core::text::printable(s).trim().to_owned()).filter(|s| !s.is_empty())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The ID token of `token`, or of the token a JWT was exchanged from.
fn id_token(token: &Token) -> Option<&str> {
    token
        .id_token
        .as_ref()
        .map(|t| t.expose())
        .or(match &token.kind {
            TokenKind::Jwt {
                source: Some(source),
            } => source.id_token.as_ref().map(|t| t.expose()),
            _ => None,
        })
}

/// The name of the account `token` belongs to, from the ID token, the userinfo endpoint
/// or the `who_am_i` call, in that order (see the [module](self)); `None` when none of
/// them names it. Requests go through `ctx.http` with the token as a per-hop bearer hook,
/// marked with the provider's transport settings. A failed request is not an error: it
/// only means that source gave no name. An OAuth 1 token is never sent as a bearer.
///
/// ```no_run
/// # async fn run(ctx: auth_core::FlowContext, token: auth_core::Token) {
/// let who = auth_flows::preset("inaturalist").and_then(|p| p.who_am_i);
/// let account = auth_flows::account_name(&ctx, &token, who.as_ref())
///     .await
///     .unwrap_or_else(|| "default".into());
/// # let _ = account; }
/// ```
pub async fn account_name(
    ctx: &FlowContext,
    token: &Token,
    who_am_i: Option<&WhoAmI>,
) -> Option<String> {
    let claims = match &token.id_claims {
        Some(validated) => Some(validated.clone()),
        None => id_token(token).and_then(crate::jwt_claims::claims),
    };
    if let Some(name) = claims.and_then(|claims| name_from_claims(&Value::Object(claims))) {
        return Some(name);
    }
    if matches!(token.kind, TokenKind::OAuth1 { .. }) {
        return None;
    }
    let userinfo = ctx.provider.endpoints.userinfo.clone();
    let userinfo_answer = match &userinfo {
        Some(url) => get_json(ctx, token, url).await,
        None => None,
    };
    if let Some(name) = userinfo_answer.as_ref().and_then(name_from_claims) {
        return Some(name);
    }
    let who = who_am_i?;
    let url = who.url(&ctx.provider)?;
    // a preset whose userinfo endpoint is its "who am I" call is asked once
    let answer = if userinfo.as_ref() == Some(&url) {
        userinfo_answer
    } else {
        get_json(ctx, token, &url).await
    };
    non_empty(answer?.pointer(&who.name_pointer)?)
}

/// GET `url` with the token; the JSON answer of a 2xx, else `None`.
async fn get_json(ctx: &FlowContext, token: &Token, url: &Url) -> Option<Value> {
    let mut request = http::Request::get(url.as_str())
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .ok()?;
    ctx.provider.mark_request(&mut request);
    crate::compliance::protected_request(&ctx.provider, &mut request).ok()?;
    let nonces = crate::dpop::DpopNonces::default();
    let placement = ctx.provider.token_placement();
    let (response, _) = crate::authorized::send_with_token(
        ctx.http.as_ref(),
        request,
        token,
        &nonces,
        &placement,
        None,
    )
    .await
    .ok()?;
    if !response.status().is_success() {
        return None;
    }
    serde_json::from_slice(response.body()).ok()
}
