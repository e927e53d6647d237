//! Built-in providers, and providers described by OpenID Connect / RFC 8414 discovery.

use auth_core::hooks::Quirk;
use auth_core::{ClientAuth, CredentialField, CredentialNames, Endpoint, Provider, Url};
#[cfg(feature = "discovery")]
use auth_core::{Endpoints, Error, HttpBackend};

/// A built-in provider and how it is normally used.
///
/// ```
/// let p = auth_flows::preset("inaturalist").unwrap();
/// assert_eq!(p.provider.endpoints.token.as_ref().unwrap().as_str(), "https://www.inaturalist.org/oauth/token");
/// assert!(p.jwt);
/// let names = p.provider.credential_names.unwrap();
/// assert_eq!(names.env_prefix.as_deref(), Some("INAT_"));
/// assert_eq!(names.keyring_service.as_deref(), Some("/inaturalist"));
/// assert!(auth_flows::preset("github").unwrap().provider.credential_names.is_none());
/// assert!(auth_flows::preset("nope").is_none());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Preset {
    /// The provider, every endpoint of which can be overridden.
    pub provider: Provider,
    /// The flow a profile uses when it names none (`pkce`, `device`, ...).
    pub default_flow: &'static str,
    /// Whether the token is exchanged for a JWT (iNaturalist).
    pub jwt: bool,
    /// One line describing the provider, for a list of providers.
    pub description: &'static str,
    /// The provider's own "who am I" call, which names the account when neither the ID
    /// token nor the userinfo endpoint does (see [`crate::account_name`]).
    pub who_am_i: Option<crate::WhoAmI>,
}

/// The names of the built-in providers.
pub const PRESET_NAMES: &[&str] = &[
    "inaturalist",
    "github",
    "google",
    "gitlab",
    "microsoft",
    "facebook",
    "fitbit",
    "slack",
    "mailchimp",
    "weibo",
    "ebay",
];

/// A built-in provider by name: `inaturalist`, `github`, `google`, `gitlab`,
/// `microsoft` (the `common` tenant), and providers known for their deviations, each with
/// its [`Quirk`](auth_core::hooks::Quirk): `facebook`, `fitbit`, `slack`, `mailchimp`,
/// `weibo`, `ebay`.
///
/// ```
/// for name in auth_flows::PRESET_NAMES {
///     let p = auth_flows::preset(name).unwrap();
///     assert!(p.provider.validate().is_ok());
/// }
/// ```
pub fn preset(name: &str) -> Option<Preset> {
    let build = |name: &str, endpoints: &[(Endpoint, &str)]| {
        endpoints
            .iter()
            .try_fold(Provider::new(name), |p, (which, url)| {
                p.with_endpoint(*which, url)
            })
            .ok()
    };
    let (mut provider, default_flow, jwt, description, auth, api_base, scopes): (
        _,
        _,
        _,
        _,
        _,
        &str,
        &[&str],
    ) = match name {
        "inaturalist" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://www.inaturalist.org/oauth/authorize",
                    ),
                    (Endpoint::Token, "https://www.inaturalist.org/oauth/token"),
                    (Endpoint::Jwt, "https://www.inaturalist.org/users/api_token"),
                    (
                        Endpoint::Userinfo,
                        "https://api.inaturalist.org/v1/users/me",
                    ),
                ],
            )?,
            "pkce",
            true,
            "iNaturalist: OAuth token exchanged for a 24 h API JWT",
            ClientAuth::Body,
            "https://api.inaturalist.org/v1/",
            &[],
        ),
        "github" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://github.com/login/oauth/authorize",
                    ),
                    (
                        Endpoint::Token,
                        "https://github.com/login/oauth/access_token",
                    ),
                    (
                        Endpoint::DeviceAuthorization,
                        "https://github.com/login/device/code",
                    ),
                    (Endpoint::Userinfo, "https://api.github.com/user"),
                ],
            )?,
            "device",
            false,
            "GitHub OAuth apps (device flow by default)",
            ClientAuth::Body,
            "https://api.github.com/",
            &[],
        ),
        "google" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://accounts.google.com/o/oauth2/v2/auth",
                    ),
                    (Endpoint::Token, "https://oauth2.googleapis.com/token"),
                    (
                        Endpoint::DeviceAuthorization,
                        "https://oauth2.googleapis.com/device/code",
                    ),
                    (Endpoint::Revocation, "https://oauth2.googleapis.com/revoke"),
                    (
                        Endpoint::Userinfo,
                        "https://openidconnect.googleapis.com/v1/userinfo",
                    ),
                ],
            )?,
            "pkce",
            false,
            "Google (installed-app clients)",
            ClientAuth::Body,
            "https://www.googleapis.com/",
            &["openid", "email", "profile"],
        ),
        "gitlab" => (
            build(
                name,
                &[
                    (Endpoint::Authorize, "https://gitlab.com/oauth/authorize"),
                    (Endpoint::Token, "https://gitlab.com/oauth/token"),
                    (
                        Endpoint::DeviceAuthorization,
                        "https://gitlab.com/oauth/authorize_device",
                    ),
                    (Endpoint::Revocation, "https://gitlab.com/oauth/revoke"),
                    (
                        Endpoint::Introspection,
                        "https://gitlab.com/oauth/introspect",
                    ),
                    (Endpoint::Userinfo, "https://gitlab.com/oauth/userinfo"),
                ],
            )?,
            "pkce",
            false,
            "GitLab.com (override the URLs for self-hosted GitLab)",
            ClientAuth::Body,
            "https://gitlab.com/api/v4/",
            &["read_user"],
        ),
        "microsoft" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                    ),
                    (
                        Endpoint::Token,
                        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                    ),
                    (
                        Endpoint::DeviceAuthorization,
                        "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
                    ),
                    (
                        Endpoint::Userinfo,
                        "https://graph.microsoft.com/oidc/userinfo",
                    ),
                ],
            )?,
            "pkce",
            false,
            "Microsoft identity platform, common tenant",
            ClientAuth::Body,
            "https://graph.microsoft.com/v1.0/",
            &["openid", "profile", "offline_access", "User.Read"],
        ),
        "facebook" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://www.facebook.com/v21.0/dialog/oauth",
                    ),
                    (
                        Endpoint::Token,
                        "https://graph.facebook.com/v21.0/oauth/access_token",
                    ),
                ],
            )?,
            "auth-code",
            false,
            "Facebook Login (quirk: form-encoded token answers)",
            ClientAuth::Body,
            "https://graph.facebook.com/",
            &[],
        ),
        "fitbit" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://www.fitbit.com/oauth2/authorize",
                    ),
                    (Endpoint::Token, "https://api.fitbit.com/oauth2/token"),
                    (Endpoint::Revocation, "https://api.fitbit.com/oauth2/revoke"),
                ],
            )?,
            "auth-code",
            false,
            "Fitbit Web API (quirk: `errors` lists)",
            ClientAuth::Basic,
            "https://api.fitbit.com/",
            &[],
        ),
        "slack" => (
            build(
                name,
                &[
                    (Endpoint::Authorize, "https://slack.com/oauth/v2/authorize"),
                    (Endpoint::Token, "https://slack.com/api/oauth.v2.access"),
                ],
            )?,
            "auth-code",
            false,
            "Slack apps (quirk: the token as a `token` parameter)",
            ClientAuth::Body,
            "https://slack.com/api/",
            &[],
        ),
        "mailchimp" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://login.mailchimp.com/oauth2/authorize",
                    ),
                    (Endpoint::Token, "https://login.mailchimp.com/oauth2/token"),
                    (
                        Endpoint::Userinfo,
                        "https://login.mailchimp.com/oauth2/metadata",
                    ),
                ],
            )?,
            "auth-code",
            false,
            "Mailchimp (quirk: tokens that do not expire; set api_base_url to your data centre)",
            ClientAuth::Body,
            "",
            &[],
        ),
        "weibo" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://api.weibo.com/oauth2/authorize",
                    ),
                    (Endpoint::Token, "https://api.weibo.com/oauth2/access_token"),
                ],
            )?,
            "auth-code",
            false,
            "Sina Weibo (quirk: no token_type, the token in the query)",
            ClientAuth::Body,
            "https://api.weibo.com/2/",
            &[],
        ),
        "ebay" => (
            build(
                name,
                &[
                    (
                        Endpoint::Authorize,
                        "https://auth.ebay.com/oauth2/authorize",
                    ),
                    (
                        Endpoint::Token,
                        "https://api.ebay.com/identity/v1/oauth2/token",
                    ),
                ],
            )?,
            "auth-code",
            false,
            "eBay (quirk: its own token_type names)",
            ClientAuth::Basic,
            "https://api.ebay.com/",
            &[],
        ),
        _ => return None,
    };
    provider.quirks = match name {
        "facebook" => vec![Quirk::Facebook],
        "fitbit" => vec![Quirk::Fitbit],
        "slack" => vec![Quirk::Slack],
        "mailchimp" => vec![Quirk::Mailchimp],
        "weibo" => vec![Quirk::Weibo],
        "ebay" => vec![Quirk::Ebay],
        _ => Vec::new(),
    };
    provider.client_auth = auth;
    provider.endpoints.api_base = Url::parse(api_base).ok();
    provider.default_scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    provider.credential_names = preset_credential_names(name);
    // iNaturalist's GET /users/me answers {"results": [{"login": ...}]}
    let who_am_i =
        (name == "inaturalist").then(|| crate::WhoAmI::new("users/me", "/results/0/login"));
    Some(Preset {
        provider,
        default_flow,
        jwt,
        description,
        who_am_i,
    })
}

/// The credential names of the built-in provider `name` (its
/// [`Provider::credential_names`]), without building the provider: `Some` for
/// `inaturalist` only (pyinaturalist's names).
///
/// ```
/// let names = auth_flows::preset_credential_names("inaturalist").unwrap();
/// assert_eq!(names.env_prefix.as_deref(), Some("INAT_"));
/// assert_eq!(Some(names), auth_flows::preset("inaturalist").unwrap().provider.credential_names);
/// assert!(auth_flows::preset_credential_names("github").is_none());
/// assert!(auth_flows::preset_credential_names("nope").is_none());
/// ```
pub fn preset_credential_names(name: &str) -> Option<CredentialNames> {
    (name == "inaturalist").then(inaturalist_credential_names)
}

/// pyinaturalist's names for iNaturalist credentials, so credentials kept by either tool
/// are found by the other: the variables `INAT_USERNAME`, `INAT_PASSWORD`, `INAT_APP_ID`
/// (or `INAT_CLIENT_ID`) and `INAT_APP_SECRET` (or `INAT_CLIENT_SECRET`), and the keyring
/// service `/inaturalist` with the entries `username`, `password`, `app_id` and
/// `app_secret` that its `set_keyring_credentials` writes.
fn inaturalist_credential_names() -> CredentialNames {
    [
        (CredentialField::Username, "USERNAME", None, "username"),
        (CredentialField::Password, "PASSWORD", None, "password"),
        (
            CredentialField::ClientId,
            "APP_ID",
            Some("CLIENT_ID"),
            "app_id",
        ),
        (
            CredentialField::ClientSecret,
            "APP_SECRET",
            Some("CLIENT_SECRET"),
            "app_secret",
        ),
    ]
    .into_iter()
    .fold(
        CredentialNames::new()
            .with_env_prefix("INAT_")
            .with_keyring_service("/inaturalist"),
        |names, (field, variable, alias, entry)| {
            names
                .with_env_variables(field, std::iter::once(variable).chain(alias))
                .with_keyring_entry(field, entry)
        },
    )
}

/// Builds a provider from discovery: `issuer` + `/.well-known/openid-configuration`,
/// falling back to RFC 8414's `/.well-known/oauth-authorization-server` (inserted before
/// the issuer's path). The document's `issuer` must be identical to the one asked for
/// (RFC 8414 §3.3: compared as strings, a trailing `/` included). The metadata requests
/// are [`RequestKind::Metadata`](auth_core::RequestKind::Metadata): a redirect to another
/// origin is an error, and a document larger than the transport's size cap is refused
/// ([`Error::ResponseTooLarge`]); neither tries the next candidate URL.
///
/// The provider keeps the issuer ([`Provider::issuer`]) and whether the server sends `iss`
/// in authorization responses
/// ([`Provider::authorization_response_iss_parameter_supported`]), so the authorization
/// code flow checks the response's `iss` (RFC 9207).
///
/// `template` gives what discovery does not: the name, [`Provider::insecure_http`],
/// the default scopes and the credential names. Its `insecure_http` also governs the
/// discovery requests themselves, so an issuer on plain `http://` that is not loopback is
/// reached only when the template allows it. The template's endpoints are replaced by the
/// discovered ones; its client authentication stays, unless the document allows only
/// `client_secret_post` (then [`ClientAuth::Body`]). The PAR endpoint and
/// `require_pushed_authorization_requests` (RFC 9126: [`Provider::par`]) and the
/// algorithms accepted for client assertions ([`Provider::client_assertion_algs`]) are
/// taken from the document too.
///
/// ```no_run
/// # async fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>) -> Result<(), auth_core::Error> {
/// use auth_core::Provider;
///
/// let provider = auth_flows::discover(http.as_ref(), Provider::new("my-idp"), "https://idp.example.com").await?;
/// println!("{:?}", provider.endpoints.token);
///
/// // An intranet issuer without TLS: the one switch, on the template.
/// let mut intranet = Provider::new("intranet");
/// intranet.insecure_http = true;
/// let provider = auth_flows::discover(http.as_ref(), intranet, "http://idp.intranet.example").await?;
/// assert!(provider.insecure_http);
/// # Ok(()) }
/// ```
#[cfg(feature = "discovery")]
pub async fn discover(
    http: &dyn HttpBackend,
    template: Provider,
    issuer: &str,
) -> Result<Provider, Error> {
    let issuer_url = Url::parse(issuer)
        .map_err(|e| Error::config(format!("issuer {issuer:?} is not a URL: {e}")))?;
    let trimmed = issuer.trim_end_matches('/');
    let mut candidates = vec![format!("{trimmed}/.well-known/openid-configuration")];
    let path = issuer_url.path().trim_end_matches('/');
    let origin = issuer_url.origin().ascii_serialization();
    candidates.push(format!(
        "{origin}/.well-known/oauth-authorization-server{path}"
    ));
    let mut last_error = None;
    for candidate in candidates {
        let url = Url::parse(&candidate).map_err(|e| Error::config(e.to_string()))?;
        let mut request = http::Request::get(url.as_str())
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| Error::config(e.to_string()))?;
        template.mark_request(&mut request);
        request
            .extensions_mut()
            .insert(auth_core::RequestKind::Metadata);
        // A transport error (unreachable, too large, a redirect to another origin) would be
        // the same at the other candidate of the same origin: it ends discovery.
        let response = http.send(request).await?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            last_error = Some(Error::InvalidResponse {
                url: candidate.clone(),
                status,
                problem: "no discovery document here".into(),
                excerpt: auth_core::redact::excerpt(response.body()),
            });
            continue;
        }
        return provider_from_document(template, issuer, &candidate, status, response.body());
    }
    Err(last_error
        .unwrap_or_else(|| Error::config(format!("no discovery document found for {issuer}"))))
}

#[cfg(feature = "discovery")]
fn provider_from_document(
    template: Provider,
    issuer: &str,
    url: &str,
    status: u16,
    body: &[u8],
) -> Result<Provider, Error> {
    let invalid = |problem: String| Error::InvalidResponse {
        url: url.to_owned(),
        status,
        problem,
        excerpt: auth_core::redact::excerpt(body),
    };
    let doc: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| invalid("the discovery document is not JSON".into()))?;
    let declared = doc
        .get("issuer")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    // RFC 8414 §3.3 and OpenID Connect Discovery §4.3: identical, no normalisation.
    if declared != issuer {
        return Err(invalid(format!(
            "the document names issuer {declared:?}, not {issuer:?}, and the two must be \
             identical (RFC 8414 §3.3); configure the issuer exactly as the document names it"
        )));
    }
    let mut provider = template;
    provider.endpoints = Endpoints::default();
    provider.issuer = Some(declared.to_owned());
    provider.authorization_response_iss_parameter_supported = doc
        .get("authorization_response_iss_parameter_supported")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    for (key, which) in [
        ("authorization_endpoint", Endpoint::Authorize),
        ("token_endpoint", Endpoint::Token),
        (
            "device_authorization_endpoint",
            Endpoint::DeviceAuthorization,
        ),
        ("revocation_endpoint", Endpoint::Revocation),
        ("introspection_endpoint", Endpoint::Introspection),
        ("userinfo_endpoint", Endpoint::Userinfo),
        (
            "pushed_authorization_request_endpoint",
            Endpoint::PushedAuthorization,
        ),
    ] {
        if let Some(value) = doc.get(key).and_then(|v| v.as_str()) {
            provider = provider.with_endpoint(which, value)?;
        }
    }
    if provider.endpoints.token.is_none() {
        return Err(invalid("the document has no token_endpoint".into()));
    }
    // what ID tokens are validated against (OpenID Connect Core §3.1.3.7)
    provider.issuer = Some(declared.to_owned());
    if let Some(jwks) = doc.get("jwks_uri").and_then(|v| v.as_str()) {
        let url = Url::parse(jwks)
            .map_err(|e| invalid(format!("its jwks_uri {jwks:?} is not a URL: {e}")))?;
        auth_core::http::check_url_security(&url, provider.insecure_http)?;
        provider.endpoints.jwks = Some(url);
    }
    // RFC 9126 §5: the server requires every authorization request to be pushed.
    provider.par |= doc
        .get("require_pushed_authorization_requests")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    provider.client_assertion_algs = doc
        .get("token_endpoint_auth_signing_alg_values_supported")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let methods: Vec<&str> = doc
        .get("token_endpoint_auth_methods_supported")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
        .unwrap_or_default();
    if !methods.is_empty()
        && !methods.contains(&"client_secret_basic")
        && methods.contains(&"client_secret_post")
    {
        provider.client_auth = ClientAuth::Body;
    }
    Ok(provider)
}
