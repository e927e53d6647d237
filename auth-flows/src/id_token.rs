//! Validating OpenID Connect ID tokens (OpenID Connect Core §3.1.3.7).
//!
//! [`IdTokenValidator::validate`] checks, in this order: the algorithm (RS256, PS256,
//! ES256 or EdDSA; `none` and HS256 are refused, since this client verifies with the
//! issuer's public keys), the signature against the issuer's JWKS ([`Jwks`]: fetched from
//! discovery's `jwks_uri`, cached, fetched again once for an unknown `kid`), `iss`, `aud`
//! and `azp`, `exp` and `iat` with a leeway, and the `nonce` the login sent. A failure is
//! [`Error::IdTokenInvalid`], naming what is wrong.
//!
//! [`login_nonce`] and [`check_login`] are what a login flow calls: the first gives the
//! nonce to send when the scopes include `openid`, the second validates the token
//! response's ID token and keeps its claims in [`Token::id_claims`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{Error, FlowContext, HttpBackend, Provider, Secret, Token, Url};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::{Map, Value};

/// The default allowance for clock differences when checking `exp` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The algorithms an ID token may be signed with.
pub const ACCEPTED_ALGORITHMS: [Algorithm; 4] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

/// An issuer's JSON Web Key Set, fetched on first use and cached; fetched again (once per
/// validation) when a token names a `kid` the cached set does not have.
///
/// ```
/// use auth_flows::id_token::Jwks;
/// let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(r#"{"keys":[]}"#).unwrap();
/// # fn http() -> std::sync::Arc<dyn auth_core::HttpBackend> { unimplemented!() }
/// # if false {
/// let jwks = Jwks::new(http(), "https://idp.example/jwks".parse().unwrap(), false).with_keys(set);
/// # let _ = jwks; }
/// ```
pub struct Jwks {
    http: Arc<dyn HttpBackend>,
    url: Url,
    insecure_http: bool,
    keys: Mutex<Option<Arc<JwkSet>>>,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwks")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl Jwks {
    /// The key set at `url`, fetched through `http` (plain `http://` only with
    /// `insecure_http`, as for the provider's other endpoints).
    ///
    /// ```no_run
    /// # fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>) {
    /// let jwks = auth_flows::id_token::Jwks::new(http, "https://idp.example/jwks".parse().unwrap(), false);
    /// # let _ = jwks; }
    /// ```
    pub fn new(http: Arc<dyn HttpBackend>, url: Url, insecure_http: bool) -> Self {
        Jwks {
            http,
            url,
            insecure_http,
            keys: Mutex::new(None),
        }
    }

    /// The cache filled with `keys` (a warm cache: no fetch until an unknown `kid`).
    ///
    /// ```no_run
    /// # fn run(jwks: auth_flows::id_token::Jwks) {
    /// let jwks = jwks.with_keys(jsonwebtoken::jwk::JwkSet { keys: Vec::new() });
    /// # let _ = jwks; }
    /// ```
    pub fn with_keys(self, keys: JwkSet) -> Self {
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(keys));
        self
    }

    fn cached(&self) -> Option<Arc<JwkSet>> {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Fetches the set and caches it. Keys of types this client does not know, and keys
    /// for encryption, are left out.
    async fn fetch(&self, issuer: &str) -> Result<Arc<JwkSet>, Error> {
        let mut request = http::Request::get(self.url.as_str())
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| Error::config(format!("the JWKS URL cannot be used: {e}")))?;
        if self.insecure_http {
            request
                .extensions_mut()
                .insert(auth_core::http::AllowInsecureHttp);
        }
        let response = self.http.send(request).await?;
        let refused = |problem: &str| Error::IdTokenInvalid {
            issuer: issuer.to_owned(),
            problem: format!(
                "its keys could not be read from {}: {problem}",
                auth_core::http::without_query(&self.url)
            ),
        };
        if !response.status().is_success() {
            return Err(refused(&format!("HTTP {}", response.status().as_u16())));
        }
        let doc: Value =
            serde_json::from_slice(response.body()).map_err(|_| refused("not JSON"))?;
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| refused("no `keys` array"))?
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
            .collect();
        let set = Arc::new(JwkSet { keys });
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&set));
        tracing::debug!(url = %auth_core::http::without_query(&self.url), keys = set.keys.len(), "fetched the issuer's keys");
        Ok(set)
    }

    /// The key for a token's `kid` and `alg`: from the cache, else from a fresh fetch.
    async fn key(&self, kid: Option<&str>, alg: Algorithm, issuer: &str) -> Result<Jwk, Error> {
        if let Some(set) = self.cached()
            && let Some(key) = pick(&set, kid, alg)
        {
            return Ok(key.clone());
        }
        let set = self.fetch(issuer).await?;
        pick(&set, kid, alg)
            .cloned()
            .ok_or_else(|| Error::IdTokenInvalid {
                issuer: issuer.to_owned(),
                problem: match kid {
                    Some(kid) => format!("the issuer publishes no {alg:?} key with kid {kid:?}"),
                    None => format!("it names no kid and the issuer has no single {alg:?} key"),
                },
            })
    }
}

/// The key of `set` for `kid` (or the only key fitting `alg` when there is no `kid`).
fn pick<'a>(set: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let fits = |k: &&Jwk| fits(k, alg);
    match kid {
        Some(kid) => set.find(kid).filter(fits),
        None => {
            let mut candidates = set.keys.iter().filter(fits);
            let only = candidates.next()?;
            candidates.next().is_none().then_some(only)
        }
    }
}

/// True when `key` can verify `alg`: the right key type, and its own `alg` (if any) the same.
fn fits(key: &Jwk, alg: Algorithm) -> bool {
    let kind = matches!(
        (&key.algorithm, alg),
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256 | Algorithm::PS256
        ) | (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
            | (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA)
    );
    kind && key.common.key_algorithm.is_none_or(|declared| {
        serde_json::to_value(declared).ok() == serde_json::to_value(alg).ok()
    })
}

/// Validates ID tokens of one issuer for one client.
///
/// ```no_run
/// # async fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>, id_token: &str) -> Result<(), auth_core::Error> {
/// use auth_flows::id_token::{IdTokenValidator, Jwks};
/// let jwks = Jwks::new(http, "https://idp.example/jwks".parse().unwrap(), false);
/// let validator = IdTokenValidator::new("https://idp.example", "my-client", jwks);
/// let claims = validator.validate(id_token, Some(&auth_core::Secret::new("n-0S6_WzA2Mj"))).await?;
/// println!("{}", claims["sub"]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct IdTokenValidator {
    issuer: String,
    client_id: String,
    jwks: Jwks,
    leeway: Duration,
}

impl IdTokenValidator {
    /// Tokens must come from `issuer` for `client_id`, signed by a key of `jwks`.
    ///
    /// ```no_run
    /// # fn run(jwks: auth_flows::id_token::Jwks) {
    /// let v = auth_flows::id_token::IdTokenValidator::new("https://idp.example", "app", jwks);
    /// # let _ = v; }
    /// ```
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, jwks: Jwks) -> Self {
        IdTokenValidator {
            issuer: issuer.into(),
            client_id: client_id.into(),
            jwks,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// The validator for `provider` (its [`Provider::issuer`] and JWKS), or `None` when
    /// the provider does not say who its issuer is or where its keys are.
    ///
    /// ```no_run
    /// # fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>) {
    /// let provider = auth_core::Provider::new("plain");
    /// assert!(auth_flows::id_token::IdTokenValidator::for_provider(&provider, "app", http).is_none());
    /// # }
    /// ```
    pub fn for_provider(
        provider: &Provider,
        client_id: &str,
        http: Arc<dyn HttpBackend>,
    ) -> Option<Self> {
        let issuer = provider.issuer.clone()?;
        let url = provider.endpoints.jwks.clone()?;
        Some(IdTokenValidator::new(
            issuer,
            client_id,
            Jwks::new(http, url, provider.insecure_http),
        ))
    }

    /// Sets the clock allowance for `exp` and `iat` (default [`DEFAULT_LEEWAY`]).
    ///
    /// ```no_run
    /// # fn run(v: auth_flows::id_token::IdTokenValidator) {
    /// let v = v.with_leeway(std::time::Duration::from_secs(5));
    /// # let _ = v; }
    /// ```
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The issuer tokens must come from.
    ///
    /// ```no_run
    /// # fn run(v: auth_flows::id_token::IdTokenValidator) {
    /// println!("{}", v.issuer());
    /// # }
    /// ```
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn refuse(&self, problem: impl Into<String>) -> Error {
        Error::IdTokenInvalid {
            issuer: self.issuer.clone(),
            problem: problem.into(),
        }
    }

    /// Validates `id_token` (see the [module](self)); with `nonce`, its `nonce` claim must
    /// be that value. Returns its claims.
    ///
    /// ```no_run
    /// # async fn run(v: auth_flows::id_token::IdTokenValidator, id_token: &str) {
    /// match v.validate(id_token, None).await {
    ///     Ok(claims) => println!("signed in as {}", claims["sub"]),
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # }
    /// ```
    pub async fn validate(
        &self,
        id_token: &str,
        nonce: Option<&Secret>,
    ) -> Result<Map<String, Value>, Error> {
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| {
            self.refuse(
                "it is not a signed JWT with one of the algorithms RS256, PS256, ES256, EdDSA \
                 (unsigned `none` tokens are refused)",
            )
        })?;
        if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
            return Err(self.refuse(format!(
                "it is signed with {:?}; only RS256, PS256, ES256 and EdDSA are accepted \
                 (this client verifies with the issuer's public keys)",
                header.alg
            )));
        }
        let jwk = self
            .jwks
            .key(header.kid.as_deref(), header.alg, &self.issuer)
            .await?;
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|e| self.refuse(format!("the issuer's key cannot be used: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway.as_secs();
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation)
            .map_err(|e| self.refuse(self.describe(e.kind(), id_token)))?
            .claims;
        self.check_claims(&claims, nonce, SystemTime::now())?;
        Ok(claims)
    }

    /// What a `jsonwebtoken` refusal means, in words.
    fn describe(&self, kind: &ErrorKind, id_token: &str) -> String {
        let unverified = crate::jwt_claims::claims(id_token).unwrap_or_default();
        let shown = |name: &str| {
            unverified
                .get(name)
                .map(|v| auth_core::redact::excerpt(v.to_string().as_bytes()))
                .unwrap_or_else(|| "missing".into())
        };
        match kind {
            ErrorKind::InvalidSignature => {
                "its signature does not verify with the issuer's key".into()
            }
            ErrorKind::ExpiredSignature => format!("it expired (exp {})", shown("exp")),
            ErrorKind::InvalidAudience => format!(
                "its audience (aud {}) is not this client ({:?})",
                shown("aud"),
                self.client_id
            ),
            ErrorKind::InvalidIssuer => {
                format!("its issuer (iss {}) is not {:?}", shown("iss"), self.issuer)
            }
            ErrorKind::MissingRequiredClaim(claim) => format!("it has no `{claim}` claim"),
            ErrorKind::ImmatureSignature => "it is not valid yet (nbf)".into(),
            other => format!("it cannot be read ({other:?})"),
        }
    }

    /// The checks `jsonwebtoken` does not make: `azp`, `iat`, `nonce`.
    fn check_claims(
        &self,
        claims: &Map<String, Value>,
        nonce: Option<&Secret>,
        now: SystemTime,
    ) -> Result<(), Error> {
        let several_audiences = claims
            .get("aud")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 1);
        match claims.get("azp") {
            Some(Value::String(azp)) if azp != &self.client_id => {
                return Err(self.refuse(format!(
                    "it was issued to another party (azp {azp:?}), not this client ({:?})",
                    self.client_id
                )));
            }
            None if several_audiences => {
                return Err(self.refuse("it names several audiences but no authorized party (azp)"));
            }
            _ => {}
        }
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        match claims.get("iat").and_then(Value::as_u64) {
            None => return Err(self.refuse("it has no `iat` (issued at) time")),
            Some(iat) if iat > now.saturating_add(self.leeway.as_secs()) => {
                return Err(self.refuse(format!(
                    "it says it was issued in the future (iat {iat}, now {now}); check the machine's clock"
                )));
            }
            Some(_) => {}
        }
        if let Some(expected) = nonce {
            let got = claims.get("nonce").and_then(Value::as_str);
            if !got.is_some_and(|got| expected.constant_time_eq(got)) {
                return Err(self.refuse(match got {
                    None => "it has no `nonce`, but the login sent one".to_owned(),
                    Some(_) => "its `nonce` is not the one this login sent (a replayed or \
                         injected token)"
                        .to_owned(),
                }));
            }
        }
        Ok(())
    }
}

/// The `nonce` to send with a login asking for `scopes`: a fresh random value when they
/// include `openid`, else `None`.
///
/// ```
/// let scopes = vec!["openid".to_owned(), "email".to_owned()];
/// assert!(auth_flows::id_token::login_nonce(&scopes).is_some());
/// assert!(auth_flows::id_token::login_nonce(&["repo".to_owned()]).is_none());
/// ```
pub fn login_nonce(scopes: &[String]) -> Option<Secret> {
    scopes.iter().any(|s| s == "openid").then(|| {
        use base64::Engine;
        use rand::RngCore;
        let mut bytes = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    })
}

/// The end of a login that asked for `scopes`: when they include `openid` and the
/// provider names its issuer and keys, the token's ID token must be there and valid
/// (with `nonce`, when the login sent one); its claims are kept in
/// [`Token::id_claims`]. Otherwise the token is returned as it is.
///
/// ```no_run
/// # async fn run(ctx: auth_core::FlowContext, token: auth_core::Token) -> Result<(), auth_core::Error> {
/// let scopes = vec!["openid".to_owned()];
/// let nonce = auth_flows::id_token::login_nonce(&scopes);
/// let token = auth_flows::id_token::check_login(&ctx, token, &scopes, nonce.as_ref()).await?;
/// # let _ = token; Ok(()) }
/// ```
pub async fn check_login(
    ctx: &FlowContext,
    mut token: Token,
    scopes: &[String],
    nonce: Option<&Secret>,
) -> Result<Token, Error> {
    if !scopes.iter().any(|s| s == "openid") {
        return Ok(token);
    }
    let client_id = ctx.credentials.client_id.clone().unwrap_or_default();
    let Some(validator) =
        IdTokenValidator::for_provider(&ctx.provider, &client_id, Arc::clone(&ctx.http))
    else {
        tracing::debug!("the provider names no issuer and JWKS; the ID token is kept unvalidated");
        return Ok(token);
    };
    let Some(id_token) = token.id_token.as_ref() else {
        return Err(validator
            .refuse("the token response has no id_token, although the login asked for `openid`"));
    };
    let claims = validator.validate(id_token.expose(), nonce).await?;
    token.id_claims = Some(claims);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_picked_by_kid_and_algorithm() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "ec", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "RSA", "kid": "rsa", "alg": "RS256", "n": "sXch", "e": "AQAB"}
        ]}))
        .unwrap();
        assert!(pick(&set, Some("ec"), Algorithm::ES256).is_some());
        assert!(
            pick(&set, Some("ec"), Algorithm::RS256).is_none(),
            "wrong key type"
        );
        assert!(pick(&set, Some("rsa"), Algorithm::RS256).is_some());
        assert!(
            pick(&set, Some("rsa"), Algorithm::PS256).is_none(),
            "the key says RS256"
        );
        assert!(
            pick(&set, None, Algorithm::ES256).is_some(),
            "the only EC key"
        );
        assert!(pick(&set, Some("other"), Algorithm::ES256).is_none());
    }
}
