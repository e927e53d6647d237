//! The three-legged OAuth 1.0a flow (RFC 5849 §2): temporary credentials, the person's
//! authorization, token credentials; and [`OAuth1Flow`], which runs it as an
//! [`AuthFlow`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use auth_core::http::{check_url_security, without_query};
use auth_core::redact::excerpt;
use auth_core::{
    AuthFlow, CredentialField, Credentials, Endpoint, Error, FlowContext, HttpBackend,
    HttpResponse, Provider, RequestKind, Secret, Token, Url,
};

use super::error::display_url;
use super::{Placement, RsaKey, SignatureMethod, Signer};

/// The `oauth_callback` of the temporary credentials request.
///
/// ```
/// use auth_flows::oauth1::Callback;
/// assert_eq!(Callback::Oob.as_str(), "oob");
/// assert_eq!(Callback::Url("http://127.0.0.1:8000/cb".into()).as_str(), "http://127.0.0.1:8000/cb");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// Out of band: the provider shows the verifier and the person types it in.
    Oob,
    /// The provider redirects the browser here with `oauth_token` and `oauth_verifier`.
    Url(String),
}

impl Callback {
    /// The value sent as `oauth_callback`.
    pub fn as_str(&self) -> &str {
        match self {
            Callback::Oob => "oob",
            Callback::Url(url) => url,
        }
    }
}

/// Temporary credentials (the "request token"), from [`request_token`].
///
/// ```
/// use auth_core::Secret;
/// use auth_flows::oauth1::TemporaryCredentials;
/// let temp = TemporaryCredentials { token: Secret::new("t"), token_secret: Secret::new("s") };
/// assert!(!format!("{temp:?}").contains("\"t\""));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// `oauth_token`, which also goes in the authorization URL.
    pub token: Secret,
    /// `oauth_token_secret`.
    pub token_secret: Secret,
}

/// Step 1 (RFC 5849 §2.1): asks `url` (the provider's request token endpoint) for
/// temporary credentials, signed with the consumer credentials in `signer`.
///
/// The provider must answer `oauth_callback_confirmed=true` (OAuth 1.0a); an error status
/// is an [`Error::InvalidResponse`] carrying a secret-free excerpt of the body.
///
/// ```no_run
/// # async fn run(http: &dyn auth_core::HttpBackend) -> Result<(), auth_core::Error> {
/// use auth_flows::oauth1::{request_token, Callback, Signer};
/// let signer = Signer::new("consumer-key", "consumer-secret");
/// let url = "https://photos.example.net/initiate".parse().unwrap();
/// let temp = request_token(http, &signer, &url, &Callback::Oob).await?;
/// # Ok(()) }
/// ```
pub async fn request_token(
    http: &dyn HttpBackend,
    signer: &Signer,
    url: &Url,
    callback: &Callback,
) -> Result<TemporaryCredentials, Error> {
    let signer = signer.clone().with_callback(callback.as_str());
    let response = send_signed(http, &signer, url).await?;
    let mut fields = credentials_response(url, &response)?;
    if fields.get("oauth_callback_confirmed").map(String::as_str) != Some("true") {
        return Err(Error::InvalidResponse {
            url: without_query(url),
            status: response.status().as_u16(),
            problem: "the provider did not answer oauth_callback_confirmed=true, so it does \
                      not implement OAuth 1.0a (this client does not support the insecure \
                      OAuth 1.0 flow)"
                .into(),
            excerpt: excerpt(response.body()),
        });
    }
    let (token, token_secret) = take_token_pair(&mut fields, url, &response)?;
    Ok(TemporaryCredentials {
        token,
        token_secret,
    })
}

/// Step 2 (RFC 5849 §2.2): the URL where the person approves access: the provider's
/// authorization endpoint with `oauth_token` added to its query.
///
/// ```
/// use auth_core::Secret;
/// use auth_flows::oauth1::{authorization_url, TemporaryCredentials};
/// let temp = TemporaryCredentials { token: Secret::new("hh5s93j4hdidpola"), token_secret: Secret::new("s") };
/// let base = "https://photos.example.net/authorize?lang=en".parse().unwrap();
/// assert_eq!(authorization_url(&base, &temp).as_str(),
///            "https://photos.example.net/authorize?lang=en&oauth_token=hh5s93j4hdidpola");
/// ```
pub fn authorization_url(authorize: &Url, temp: &TemporaryCredentials) -> Url {
    let mut url = authorize.clone();
    url.query_pairs_mut()
        .append_pair("oauth_token", temp.token.expose());
    url
}

/// Reads the provider's redirect to the callback (RFC 5849 §2.2): a full URL or just its
/// query string. `oauth_token` must be the temporary token (compared in constant time;
/// a missing or different one is [`Error::StateMismatch`]: the redirect does not belong
/// to this login), and `oauth_verifier` must be present. A `denied`, `error` or
/// `oauth_problem` parameter is [`Error::AccessDenied`].
///
/// ```
/// use auth_core::{Error, Secret};
/// use auth_flows::oauth1::{parse_authorization_response, TemporaryCredentials};
/// let temp = TemporaryCredentials { token: Secret::new("hh5s93j4hdidpola"), token_secret: Secret::new("s") };
/// let verifier = parse_authorization_response(
///     "http://printer.example.com/ready?oauth_token=hh5s93j4hdidpola&oauth_verifier=hfdp7dh39dks9884",
///     &temp).unwrap();
/// assert_eq!(verifier.expose(), "hfdp7dh39dks9884");
/// let err = parse_authorization_response("oauth_token=other&oauth_verifier=v", &temp).unwrap_err();
/// assert!(matches!(err, Error::StateMismatch));
/// ```
pub fn parse_authorization_response(
    callback: &str,
    temp: &TemporaryCredentials,
) -> Result<Secret, Error> {
    let callback = callback.trim();
    let query = if callback.contains("://") {
        let url = Url::parse(callback).map_err(|e| {
            Error::Interaction(format!(
                "the authorization callback is not a valid URL ({e}); run the login again"
            ))
        })?;
        url.query().unwrap_or_default().to_owned()
    } else {
        callback.trim_start_matches('?').to_owned()
    };
    let mut token = None;
    let mut verifier = None;
    let mut denied = false;
    let mut description = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "oauth_token" => token = Some(Secret::new(value.into_owned())),
            "oauth_verifier" => verifier = Some(Secret::new(value.into_owned())),
            "denied" | "error" => denied = true,
            "oauth_problem" => {
                denied = true;
                description = Some(excerpt(value.as_bytes()));
            }
            "error_description" => description = Some(excerpt(value.as_bytes())),
            _ => {}
        }
    }
    if denied {
        return Err(Error::AccessDenied { description });
    }
    match token {
        Some(token) if token.constant_time_eq(temp.token.expose()) => {}
        _ => return Err(Error::StateMismatch),
    }
    match verifier {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(Error::Interaction(
            "the authorization callback has no oauth_verifier; run the login again and \
             approve the request"
                .into(),
        )),
    }
}

/// Step 3 (RFC 5849 §2.3): exchanges the temporary credentials and the verifier for
/// token credentials at `url` (the provider's access token endpoint). The result is an
/// OAuth 1 [`Token`] (`Token::oauth1`); other fields of the answer (`user_id`,
/// `screen_name`, ...) are kept in [`Token::extra`], and `oauth_expires_in`, when
/// given, sets the expiry.
///
/// ```no_run
/// # async fn run(http: &dyn auth_core::HttpBackend, temp: auth_flows::oauth1::TemporaryCredentials)
/// #     -> Result<(), auth_core::Error> {
/// use auth_core::Secret;
/// use auth_flows::oauth1::{access_token, Signer};
/// let signer = Signer::new("consumer-key", "consumer-secret");
/// let url = "https://photos.example.net/token".parse().unwrap();
/// let token = access_token(http, &signer, &url, &temp, &Secret::new("verifier")).await?;
/// assert_eq!(token.kind.name(), "oauth1");
/// # Ok(()) }
/// ```
pub async fn access_token(
    http: &dyn HttpBackend,
    signer: &Signer,
    url: &Url,
    temp: &TemporaryCredentials,
    verifier: &Secret,
) -> Result<Token, Error> {
    let signer = signer
        .clone()
        .with_token(temp.token.clone(), temp.token_secret.clone())
        .with_verifier(verifier.clone());
    let response = send_signed(http, &signer, url).await?;
    let mut fields = credentials_response(url, &response)?;
    let (token, token_secret) = take_token_pair(&mut fields, url, &response)?;
    let mut result = Token::oauth1(token, token_secret);
    if let Some(secs) = fields
        .get("oauth_expires_in")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
    {
        result.expires_at = SystemTime::now().checked_add(Duration::from_secs(secs));
    }
    result.extra = fields
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    Ok(result)
}

/// POSTs an empty, signed request to a token endpoint.
async fn send_signed(
    http: &dyn HttpBackend,
    signer: &Signer,
    url: &Url,
) -> Result<HttpResponse, Error> {
    let mut request = http::Request::post(url.as_str())
        .body(Vec::new())
        .map_err(|e| {
            Error::config(format!(
                "the endpoint {} cannot be requested ({e}); check the URL",
                without_query(url)
            ))
        })?;
    request.extensions_mut().insert(RequestKind::TokenEndpoint);
    signer.sign_request(&mut request)?;
    http.send(request).await
}

/// The fields of a credentials answer (form-encoded, or a JSON object from providers
/// that send one), or an error for an error status.
fn credentials_response(
    url: &Url,
    response: &HttpResponse,
) -> Result<BTreeMap<String, String>, Error> {
    let status = response.status().as_u16();
    let body = response.body();
    let fields: BTreeMap<String, String> = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect(),
        _ => form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    };
    if response.status().is_success() {
        return Ok(fields);
    }
    let mut problem = match status {
        400 => "the provider refused the request as malformed (check the endpoint URL and \
                the signature method)"
            .to_owned(),
        401 => "the provider refused the signed request (check the consumer key and secret \
                (client_id, client_secret), the signature method and key, and that the system \
                clock is right)"
            .to_owned(),
        403 => "the provider refused access (check that the consumer is allowed to use this \
                flow, and approve the request again)"
            .to_owned(),
        s if s >= 500 => "the provider had a problem; try again later".to_owned(),
        _ => format!("unexpected HTTP status {status}"),
    };
    if let Some(p) = fields.get("oauth_problem") {
        problem.push_str(&format!(
            "; the provider reports oauth_problem={}",
            excerpt(p.as_bytes())
        ));
    }
    Err(Error::InvalidResponse {
        url: without_query(url),
        status,
        problem,
        excerpt: excerpt(body),
    })
}

fn take_token_pair(
    fields: &mut BTreeMap<String, String>,
    url: &Url,
    response: &HttpResponse,
) -> Result<(Secret, Secret), Error> {
    let token = fields.remove("oauth_token").filter(|t| !t.is_empty());
    let secret = fields.remove("oauth_token_secret");
    fields.remove("oauth_callback_confirmed");
    match (token, secret) {
        (Some(token), Some(secret)) => Ok((Secret::new(token), Secret::new(secret))),
        _ => Err(Error::InvalidResponse {
            url: without_query(url),
            status: response.status().as_u16(),
            problem: "the answer has no oauth_token and oauth_token_secret".into(),
            excerpt: excerpt(response.body()),
        }),
    }
}

/// Where the provider's redirect comes back to, for the callback variant of
/// [`OAuth1Flow`]: typically a loopback HTTP server on 127.0.0.1.
///
/// The source knows its callback URL before the flow starts (a loopback server binds
/// first, then reports its port), and [`CallbackSource::receive`] returns the query
/// string of the first redirect that reached it.
///
/// ```
/// use auth_core::{async_trait, Error};
/// use auth_flows::oauth1::CallbackSource;
///
/// /// A source that already has the redirect, e.g. pasted by the person.
/// struct Pasted(String);
///
/// #[async_trait]
/// impl CallbackSource for Pasted {
///     fn callback_url(&self) -> String { "http://127.0.0.1:8765/callback".into() }
///     async fn receive(&self) -> Result<String, Error> { Ok(self.0.clone()) }
/// }
/// let q = pollster::block_on(Pasted("oauth_token=t&oauth_verifier=v".into()).receive()).unwrap();
/// assert!(q.contains("oauth_verifier"));
/// ```
#[async_trait]
pub trait CallbackSource: Send + Sync {
    /// The URL sent as `oauth_callback`.
    fn callback_url(&self) -> String;

    /// Waits for the redirect and returns its query string (`oauth_token=...&
    /// oauth_verifier=...`); a full URL is accepted too. Gives up with
    /// [`Error::TimedOut`] when the person takes too long.
    async fn receive(&self) -> Result<String, Error>;
}

/// How [`OAuth1Flow`] gets the verifier.
#[derive(Clone)]
enum Verification {
    Oob,
    Callback(Arc<dyn CallbackSource>),
}

/// The OAuth 1.0a three-legged flow as an [`AuthFlow`].
///
/// Endpoints come from the provider ([`Endpoint::RequestToken`], [`Endpoint::Authorize`],
/// [`Endpoint::AccessToken`]), the consumer key and secret from the credentials
/// (`client_id`, `client_secret`). The flow opens the authorization URL with
/// `ctx.interaction.open_url`, then gets the verifier from the person
/// (`ctx.interaction.prompt_code`, for `oob`) or from a [`CallbackSource`]. Every request
/// goes through `ctx.http` as a [`RequestKind::TokenEndpoint`] request. OAuth 1 has no
/// scopes, so `ctx.scopes` is not used.
///
/// ```
/// use auth_core::AuthFlow;
/// use auth_flows::oauth1::{OAuth1Flow, Placement, SignatureMethod};
/// let flow = OAuth1Flow::oob()
///     .with_method(SignatureMethod::HmacSha256)
///     .with_placement(Placement::Header);
/// assert_eq!(flow.name(), "oauth1");
/// assert!(flow.needs_person());
/// ```
#[derive(Clone)]
pub struct OAuth1Flow {
    verification: Verification,
    /// The signing settings (method, RSA key, placement, realm, version), kept in a
    /// signer without consumer credentials: [`OAuth1Flow::signer`] adds them.
    settings: Signer,
}

impl fmt::Debug for OAuth1Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Flow")
            .field(
                "verification",
                &match &self.verification {
                    Verification::Oob => "oob".to_owned(),
                    Verification::Callback(source) => display_url(&source.callback_url()),
                },
            )
            .field("settings", &self.settings)
            .finish()
    }
}

impl OAuth1Flow {
    fn with_verification(verification: Verification) -> Self {
        OAuth1Flow {
            verification,
            settings: Signer::new("", ""),
        }
    }

    /// The out-of-band variant: `oauth_callback=oob`, and the person types the verifier
    /// the provider shows (a pasted callback URL works too).
    ///
    /// ```
    /// let flow = auth_flows::oauth1::OAuth1Flow::oob();
    /// ```
    pub fn oob() -> Self {
        Self::with_verification(Verification::Oob)
    }

    /// The callback variant: `oauth_callback` is the source's URL, and the verifier comes
    /// from the redirect the source receives.
    ///
    /// ```
    /// # use auth_core::{async_trait, Error};
    /// # struct Loopback;
    /// # #[async_trait] impl auth_flows::oauth1::CallbackSource for Loopback {
    /// #     fn callback_url(&self) -> String { "http://127.0.0.1:8765/cb".into() }
    /// #     async fn receive(&self) -> Result<String, Error> { Ok(String::new()) }
    /// # }
    /// let flow = auth_flows::oauth1::OAuth1Flow::with_callback(std::sync::Arc::new(Loopback));
    /// ```
    pub fn with_callback(source: Arc<dyn CallbackSource>) -> Self {
        Self::with_verification(Verification::Callback(source))
    }

    /// Sets the signature method (default HMAC-SHA1).
    pub fn with_method(mut self, method: SignatureMethod) -> Self {
        self.settings = self.settings.with_method(method);
        self
    }

    /// Sets the RSA private key for the `RSA-*` methods.
    pub fn with_rsa_key(mut self, key: RsaKey) -> Self {
        self.settings = self.settings.with_rsa_key(key);
        self
    }

    /// Sets where the protocol parameters go (default the `Authorization` header).
    pub fn with_placement(mut self, placement: Placement) -> Self {
        self.settings = self.settings.with_placement(placement);
        self
    }

    /// Sets the `realm` of the `Authorization` header.
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.settings = self.settings.with_realm(realm);
        self
    }

    /// Whether `oauth_version="1.0"` is sent (default true).
    pub fn with_oauth_version(mut self, include: bool) -> Self {
        self.settings = self.settings.with_oauth_version(include);
        self
    }

    /// The consumer signer this flow uses, built from the credentials: `client_id` is
    /// the consumer key; `client_secret` the consumer secret (required except for the RSA
    /// methods). Add the stored token ([`Signer::with_stored_token`]) to sign API calls
    /// after the login.
    ///
    /// ```
    /// use auth_core::{Credentials, Provider};
    /// use auth_flows::oauth1::OAuth1Flow;
    /// let creds = Credentials { client_id: Some("key".into()), client_secret: Some("s".into()), ..Default::default() };
    /// let signer = OAuth1Flow::oob().signer(&creds, &Provider::new("photos")).unwrap();
    /// assert_eq!(signer.consumer_key(), "key");
    /// let err = OAuth1Flow::oob().signer(&Default::default(), &Provider::new("photos")).unwrap_err();
    /// assert!(err.to_string().contains("client id"));
    /// ```
    pub fn signer(&self, credentials: &Credentials, provider: &Provider) -> Result<Signer, Error> {
        let mut needed = vec![CredentialField::ClientId];
        let method = self.settings.method();
        if !method.is_rsa() {
            needed.push(CredentialField::ClientSecret);
        }
        let missing = credentials.missing(&needed);
        if !missing.is_empty() {
            return Err(Error::MissingCredentials {
                provider: provider.name.clone(),
                missing,
                hint: "set the consumer key as client_id and the consumer secret as \
                       client_secret in the profile, the environment or the keyring"
                    .into(),
            });
        }
        if method.is_rsa() && !self.settings.has_rsa_key() {
            return Err(Error::config(format!(
                "signature_method {} of {} needs the consumer's RSA private key: set \
                 rsa_key_file",
                method, provider.name
            )));
        }
        Ok(self.settings.clone().with_consumer(
            credentials.client_id.clone().unwrap_or_default(),
            credentials.client_secret.clone().unwrap_or_default(),
        ))
    }
}

#[async_trait]
impl AuthFlow for OAuth1Flow {
    fn name(&self) -> &'static str {
        "oauth1"
    }

    fn needs_person(&self) -> bool {
        true
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        let provider = &ctx.provider;
        let signer = self.signer(&ctx.credentials, provider)?;
        let request_url = provider.endpoint(Endpoint::RequestToken)?;
        let authorize_url = provider.endpoint(Endpoint::Authorize)?;
        let access_url = provider.endpoint(Endpoint::AccessToken)?;
        for url in [request_url, authorize_url, access_url] {
            check_url_security(url, provider.insecure_http)?;
        }
        ctx.require_person()?;

        let callback = match &self.verification {
            Verification::Oob => Callback::Oob,
            Verification::Callback(source) => Callback::Url(source.callback_url()),
        };
        let marked = super::backend::ProviderMarks::new(ctx.http.as_ref(), provider);
        let temp = request_token(&marked, &signer, request_url, &callback).await?;
        let approve = authorization_url(authorize_url, &temp);
        ctx.interaction.open_url(approve.as_str()).await?;

        let verifier = match &self.verification {
            Verification::Oob => {
                let typed = ctx
                    .interaction
                    .prompt_code("Enter the verifier the provider showed after you approved access")
                    .await?;
                let typed = typed.trim();
                if typed.contains("oauth_verifier=") {
                    parse_authorization_response(typed, &temp)?
                } else if typed.is_empty() {
                    return Err(Error::Interaction(
                        "no verifier was entered; run the login again and paste the code the \
                         provider shows"
                            .into(),
                    ));
                } else {
                    Secret::new(typed)
                }
            }
            Verification::Callback(source) => {
                let query = source.receive().await?;
                parse_authorization_response(&query, &temp)?
            }
        };
        access_token(&marked, &signer, access_url, &temp, &verifier).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> TemporaryCredentials {
        TemporaryCredentials {
            token: Secret::new("temp-token"),
            token_secret: Secret::new("temp-secret"),
        }
    }

    #[test]
    fn callback_parsing() {
        let ok =
            parse_authorization_response("?oauth_token=temp-token&oauth_verifier=v%201", &temp())
                .unwrap();
        assert_eq!(ok.expose(), "v 1");
        for (query, expect) in [
            ("oauth_verifier=v", "state"),
            ("oauth_token=temp-token", "oauth_verifier"),
            ("oauth_token=temp-token&oauth_verifier=", "oauth_verifier"),
            ("denied=temp-token", "denied"),
            ("oauth_problem=user_refused", "user_refused"),
        ] {
            let err = parse_authorization_response(query, &temp()).unwrap_err();
            assert!(err.to_string().contains(expect), "{query}: {err}");
            assert!(!err.to_string().contains("temp-token"), "{err}");
        }
    }

    #[test]
    fn error_responses_carry_a_masked_excerpt() {
        let url: Url = "https://p.example/initiate?x=1".parse().unwrap();
        let response = http::Response::builder()
            .status(401)
            .body(b"oauth_problem=signature_invalid&oauth_token=leaked".to_vec())
            .unwrap();
        let err = credentials_response(&url, &response).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("HTTP 401"), "{text}");
        assert!(text.contains("signature_invalid"), "{text}");
        assert!(!text.contains("leaked") && !text.contains("x=1"), "{text}");
    }
}
