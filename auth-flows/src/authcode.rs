//! Authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636), back through a
//! loopback server or by copy and paste (out of band).

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use auth_core::{AuthFlow, CredentialField, Endpoint, Error, FlowContext, Secret, Token};

use crate::client::{Adapter, configured, oauth_client, require, resource_params, scopes};
use crate::loopback::{IssuerCheck, LoopbackConfig, LoopbackServer};

/// The out-of-band redirect URI: the provider shows the code and the person pastes it.
pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";

/// How the authorization response comes back.
///
/// ```
/// use auth_flows::{LoopbackConfig, Redirect};
/// let r = Redirect::Loopback(LoopbackConfig::default());
/// assert!(matches!(r, Redirect::Loopback(_)));
/// ```
#[derive(Clone, Debug)]
pub enum Redirect {
    /// A server on 127.0.0.1 receives the browser's redirect.
    Loopback(LoopbackConfig),
    /// No server: the code is read through [`auth_core::Interaction::prompt_code`].
    Oob,
}

/// Authorization code grant. PKCE S256 is on by default, for public clients (no secret)
/// and confidential ones alike (RFC 9700 §2.1.1): a confidential client
/// ([`with_client_secret`](Self::with_client_secret)) sends its secret to the token
/// endpoint *and* the PKCE verifier. [`with_pkce(false)`](Self::with_pkce) is the explicit
/// opt-out for a server that rejects PKCE; the client secret is then required.
///
/// The authorization response's `state` and, when the provider's issuer is known, its
/// `iss` (RFC 9207, [`IssuerCheck`]) are checked before the code is used.
///
/// The provider's resource indicators and audience (RFC 8707, [`auth_core::Provider::resources`])
/// go on the authorization and token requests. With [`auth_core::Provider::par`] the
/// authorization request is pushed first (RFC 9126) and the browser gets only `client_id`
/// and `request_uri`.
///
/// ```
/// use auth_flows::{AuthorizationCodeFlow, Redirect};
/// let flow = AuthorizationCodeFlow::new(Redirect::Oob);
/// assert!(flow.pkce);
/// use auth_core::AuthFlow;
/// assert!(flow.needs_person());
/// let confidential = AuthorizationCodeFlow::new(Redirect::Oob).with_client_secret(true);
/// assert!(confidential.pkce && confidential.client_secret);
/// ```
#[derive(Clone, Debug)]
pub struct AuthorizationCodeFlow {
    /// Use PKCE S256 (on unless turned off explicitly).
    pub pkce: bool,
    /// Require the client secret: a confidential client (the `auth-code` flow).
    pub client_secret: bool,
    /// How the code comes back.
    pub redirect: Redirect,
    /// Extra authorization request parameters (e.g. `prompt=consent`, `access_type=offline`).
    pub extra_params: Vec<(String, String)>,
}

impl AuthorizationCodeFlow {
    /// PKCE on, no extra parameters.
    pub fn new(redirect: Redirect) -> Self {
        AuthorizationCodeFlow {
            pkce: true,
            client_secret: false,
            redirect,
            extra_params: Vec::new(),
        }
    }

    /// Turns PKCE on (the default) or off. Off is only for a server that rejects PKCE:
    /// the client secret then becomes required.
    ///
    /// ```
    /// let flow = auth_flows::AuthorizationCodeFlow::new(auth_flows::Redirect::Oob).with_pkce(false);
    /// assert!(!flow.pkce);
    /// ```
    pub fn with_pkce(mut self, pkce: bool) -> Self {
        self.pkce = pkce;
        self
    }

    /// Requires the client secret (a confidential client); PKCE stays as it is.
    ///
    /// ```
    /// use auth_core::AuthFlow;
    /// let flow = auth_flows::AuthorizationCodeFlow::new(auth_flows::Redirect::Loopback(Default::default()))
    ///     .with_client_secret(true);
    /// assert_eq!(flow.name(), "auth-code");
    /// assert!(flow.pkce);
    /// ```
    pub fn with_client_secret(mut self, required: bool) -> Self {
        self.client_secret = required;
        self
    }

    /// A confidential client, or one without PKCE (which then has nothing else to prove
    /// it is the client that asked for the code).
    fn needs_secret(&self) -> bool {
        self.client_secret || !self.pkce
    }

    /// How long the flow waits for the person.
    fn timeout(&self) -> Duration {
        match &self.redirect {
            Redirect::Loopback(c) => c.timeout,
            Redirect::Oob => Duration::from_secs(600),
        }
    }
}

#[async_trait]
impl AuthFlow for AuthorizationCodeFlow {
    fn name(&self) -> &'static str {
        match &self.redirect {
            Redirect::Oob => "oob",
            Redirect::Loopback(_) if self.needs_secret() => "auth-code",
            Redirect::Loopback(_) => "pkce",
        }
    }

    fn needs_person(&self) -> bool {
        true
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        ctx.require_person()?;
        let needed: &[CredentialField] = if self.needs_secret() {
            crate::client::confidential_client_fields(&ctx.provider)
        } else {
            &[CredentialField::ClientId]
        };
        require(&ctx.provider, &ctx.credentials, needed)?;
        let (server, redirect_uri) = match &self.redirect {
            Redirect::Loopback(config) => {
                let server = LoopbackServer::bind(config.clone())?;
                let uri = server.redirect_uri();
                (Some(server), uri)
            }
            Redirect::Oob => (None, OOB_REDIRECT_URI.to_owned()),
        };
        let redirect = oauth2::RedirectUrl::new(redirect_uri.clone()).map_err(|e| {
            Error::config(format!("redirect URI {redirect_uri:?} is not valid: {e}"))
        })?;
        let client = oauth_client(&ctx.provider, &ctx.credentials)?.set_redirect_uri(redirect);
        let requested = ctx.effective_scopes().to_vec();
        let mut request = configured(
            &ctx.provider,
            Endpoint::Authorize,
            client.authorize_url(oauth2::CsrfToken::new_random),
        )?
        .add_scopes(scopes(&requested));
        for (name, value) in &self.extra_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        // OpenID Connect: a nonce the ID token must carry back (Core §3.1.2.1)
        let nonce = crate::id_token::login_nonce(&requested);
        if let Some(nonce) = &nonce {
            request = request.add_extra_param("nonce", nonce.expose().to_owned());
        }
        let verifier = if self.pkce {
            let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            Some(verifier)
        } else {
            None
        };
        for (name, value) in resource_params(&ctx.provider) {
            request = request.add_extra_param(name, value);
        }
        let (mut url, state) = request.url();
        let state = Secret::new(state.secret().clone());
        if ctx.provider.par {
            url = crate::par::push(ctx, &url).await?;
        }

        ctx.interaction.open_url(url.as_str()).await?;
        if let Some(server) = &server {
            ctx.interaction
                .offer_redirect_paste(server.redirect_paste());
        }
        ctx.interaction.waiting("the browser", self.timeout()).await;
        let code = match server {
            Some(server) => {
                let issuer = IssuerCheck::for_provider(&ctx.provider);
                server.wait_for_response(&state, issuer).await?.code
            }
            None => {
                let pasted = ctx
                    .interaction
                    .prompt_code("Paste the authorization code shown by the provider")
                    .await?;
                let pasted = pasted.trim();
                if pasted.is_empty() {
                    return Err(Error::Interaction(
                        "no authorization code was entered; run the login again".into(),
                    ));
                }
                Secret::new(pasted)
            }
        };

        let adapter = Adapter::new(&ctx.http, &ctx.provider, &ctx.credentials);
        let mut exchange = configured(
            &ctx.provider,
            Endpoint::Token,
            client.exchange_code(oauth2::AuthorizationCode::new(code.expose().to_owned())),
        )?
        .set_redirect_uri(Cow::Owned(
            oauth2::RedirectUrl::new(redirect_uri).map_err(|e| Error::config(e.to_string()))?,
        ));
        if let Some(verifier) = verifier {
            exchange = exchange.set_pkce_verifier(verifier);
        }
        for (name, value) in resource_params(&ctx.provider) {
            exchange = exchange.add_extra_param(name, value);
        }
        let token = adapter.finish(exchange.request_async(&adapter).await, &requested)?;
        crate::id_token::check_login(ctx, token, &requested, nonce.as_ref()).await
    }
}

/// Reads a token from an implicit grant redirect (RFC 6749 §4.2), for callers that drive
/// a user agent themselves: the fragment's `state` must match, an `error` becomes the
/// matching error, and the token fields are parsed like a token response.
///
/// ```
/// use auth_core::Secret;
/// let url = "https://app.example/cb#access_token=abc&token_type=bearer&expires_in=60&state=xyz";
/// let token = auth_flows::token_from_fragment(url, &Secret::new("xyz")).unwrap();
/// assert_eq!(token.access_token.expose(), "abc");
/// assert!(auth_flows::token_from_fragment(url, &Secret::new("other")).is_err());
/// ```
pub fn token_from_fragment(url: &str, expected_state: &Secret) -> Result<Token, Error> {
    let fragment = url.split_once('#').map(|(_, f)| f).unwrap_or_default();
    let params: Vec<(String, String)> = form_urlencoded::parse(fragment.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if get("state").is_none_or(|s| !expected_state.constant_time_eq(s)) {
        return Err(Error::StateMismatch);
    }
    match get("error") {
        Some("access_denied") => {
            return Err(Error::AccessDenied {
                description: get("error_description").map(str::to_owned),
            });
        }
        Some(code) => {
            let mut e = auth_core::OAuthError::new(code, 200);
            e.description = get("error_description").map(str::to_owned);
            return Err(Error::OAuth(e));
        }
        None => {}
    }
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().filter(|(k, _)| k != "state"))
        .finish();
    crate::token_response::parse_token_response(
        200,
        "the redirect URI fragment",
        body.as_bytes(),
        SystemTime::now(),
    )
}

#[cfg(test)]
mod tests {
    /// The PKCE challenge the flow sends is RFC 7636's S256 of its verifier (Appendix B,
    /// committed as data).
    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/rfc7636_appendix_b.json")).unwrap();
        let verifier =
            oauth2::PkceCodeVerifier::new(v["code_verifier"].as_str().unwrap().to_owned());
        let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(challenge.as_str(), v["code_challenge_S256"]);
        assert_eq!(challenge.method().as_str(), "S256");
    }
}
