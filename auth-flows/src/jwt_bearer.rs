//! The JWT bearer grant (RFC 7523 §2.1): the client signs an assertion about a subject
//! with a key the server trusts and trades it for an access token. Needs no person, so a
//! [`TokenManager`](crate::TokenManager) renews by running it again. A Google
//! service-account key file ([`ServiceAccount`]) is one such key, used as it comes.

use async_trait::async_trait;
use auth_core::{AuthFlow, ClientKey, Endpoint, Error, FlowContext, Secret, Token};
use serde::Deserialize;

use crate::client::{grant_form, request_token};
use crate::client_assertion::{AssertionClaims, SigningKey};

/// The grant type of RFC 7523 §2.1.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The JWT bearer grant (RFC 7523 §2.1). The assertion is signed with `key` (an RSA or
/// P-256 private key in PEM: RS256 or ES256) and carries `iss`, `sub` (when set), `aud`
/// (the token endpoint unless set), `iat`, a one-minute `exp` and a fresh `jti`. The
/// scopes go in the `scope` parameter, or in a `scope` claim for servers that want them
/// there (Google). When the credentials name a client, it authenticates as at every token
/// request; otherwise the request carries the assertion alone (RFC 7523 §3.1 makes client
/// authentication optional). The provider's resource indicators are sent too.
///
/// ```no_run
/// # async fn run(ctx: auth_core::FlowContext, pem: String) -> Result<(), auth_core::Error> {
/// use auth_core::{AuthFlow, ClientKey};
/// let flow = auth_flows::JwtBearerFlow::new(ClientKey::new(pem), "https://issuer.example")
///     .with_subject("robot-7");
/// let token = flow.authenticate(&ctx).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct JwtBearerFlow {
    key: ClientKey,
    issuer: String,
    subject: Option<String>,
    audience: Option<String>,
    scope_claim: bool,
}

impl JwtBearerFlow {
    /// A flow signing with `key` as `issuer`, no subject, the token endpoint as audience.
    ///
    /// ```
    /// let flow = auth_flows::JwtBearerFlow::new(auth_core::ClientKey::new("KEY-TEXT"), "iss");
    /// assert!(!format!("{flow:?}").contains("KEY-TEXT"));
    /// ```
    pub fn new(key: ClientKey, issuer: impl Into<String>) -> JwtBearerFlow {
        JwtBearerFlow {
            key,
            issuer: issuer.into(),
            subject: None,
            audience: None,
            scope_claim: false,
        }
    }

    /// Sets the `sub` claim: the principal the token is for.
    ///
    /// ```
    /// let flow = auth_flows::JwtBearerFlow::new(auth_core::ClientKey::new("pem"), "iss").with_subject("ana");
    /// # let _ = flow;
    /// ```
    pub fn with_subject(mut self, subject: impl Into<String>) -> JwtBearerFlow {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the `aud` claim (default: the token endpoint URL).
    ///
    /// ```
    /// let flow = auth_flows::JwtBearerFlow::new(auth_core::ClientKey::new("pem"), "iss")
    ///     .with_audience("https://as.example");
    /// # let _ = flow;
    /// ```
    pub fn with_audience(mut self, audience: impl Into<String>) -> JwtBearerFlow {
        self.audience = Some(audience.into());
        self
    }

    /// Puts the scopes in a `scope` claim of the assertion instead of the request's
    /// `scope` parameter (as Google's token endpoint wants them).
    ///
    /// ```
    /// let flow = auth_flows::JwtBearerFlow::new(auth_core::ClientKey::new("pem"), "iss")
    ///     .with_scope_claim(true);
    /// # let _ = flow;
    /// ```
    pub fn with_scope_claim(mut self, in_claim: bool) -> JwtBearerFlow {
        self.scope_claim = in_claim;
        self
    }

    /// The signed assertion for a request to `token_url` asking for `scope`.
    fn assertion(&self, token_url: &str, scope: Option<&str>) -> Result<Secret, Error> {
        let audience = self.audience.as_deref().unwrap_or(token_url);
        let claims = AssertionClaims::new(&self.issuer, self.subject.as_deref(), audience)
            .with_scope(scope.filter(|_| self.scope_claim).map(str::to_owned));
        SigningKey::from_pem(&self.key, &[])?.sign(&claims)
    }
}

#[async_trait]
impl AuthFlow for JwtBearerFlow {
    fn name(&self) -> &'static str {
        "jwt-bearer"
    }

    fn needs_person(&self) -> bool {
        false
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        ctx.provider.validate()?;
        let url = ctx.provider.endpoint(Endpoint::Token)?.clone();
        let requested = ctx.effective_scopes().to_vec();
        let scope = (!requested.is_empty()).then(|| requested.join(" "));
        let assertion = self.assertion(url.as_str(), scope.as_deref())?;
        // The scope goes in the form, unless the provider wants it as a claim.
        let in_form: &[String] = if self.scope_claim { &[] } else { &requested };
        let fields = [("assertion", assertion.expose())];
        let form = grant_form(GRANT_TYPE, &fields, in_form);
        request_token(ctx, form, &requested).await
    }
}

/// A Google service-account key file (the JSON Google Cloud hands out), used as it comes:
/// `client_email` is the assertion's issuer and subject, `private_key` signs it (RS256),
/// `private_key_id` is its `kid`, and `token_uri` is both its audience and the token
/// endpoint. The private key is a [`Secret`]: `Debug` shows `***`.
///
/// ```
/// let json = r#"{"type":"service_account","client_email":"robot@p.iam.gserviceaccount.com",
///   "private_key":"-----BEGIN PRIVATE KEY-----\n...","private_key_id":"k1",
///   "token_uri":"https://oauth2.googleapis.com/token"}"#;
/// let account = auth_flows::ServiceAccount::from_json(json).unwrap();
/// assert_eq!(account.client_email, "robot@p.iam.gserviceaccount.com");
/// assert!(!format!("{account:?}").contains("BEGIN"));
/// let flow = account.flow();
/// # let _ = flow;
/// ```
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct ServiceAccount {
    /// The account's e-mail address: the assertion's `iss` and `sub`.
    pub client_email: String,
    /// The PEM private key.
    pub private_key: Secret,
    /// The key's id, sent as `kid`.
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// The token endpoint, also the assertion's `aud`.
    pub token_uri: String,
}

impl ServiceAccount {
    /// Reads the key file's JSON. A malformed file is an error naming the line and column,
    /// never quoting the file (it holds the private key).
    ///
    /// ```
    /// let err = auth_flows::ServiceAccount::from_json("{\"private_key\": 5}").unwrap_err();
    /// assert!(err.to_string().contains("service-account key"));
    /// ```
    pub fn from_json(text: &str) -> Result<ServiceAccount, Error> {
        serde_json::from_str(text).map_err(|e| {
            Error::config(format!(
                "the service-account key is not a Google service-account JSON key file \
                 (line {}, column {}: {:?} error; it needs client_email, private_key and \
                 token_uri); download the key again",
                e.line(),
                e.column(),
                e.classify()
            ))
        })
    }

    /// The JWT bearer flow this account signs: issuer and subject `client_email`, audience
    /// `token_uri`, scopes in the `scope` claim.
    ///
    /// ```no_run
    /// # fn run(account: auth_flows::ServiceAccount) {
    /// let flow = account.flow();
    /// # }
    /// ```
    pub fn flow(&self) -> JwtBearerFlow {
        let mut key = ClientKey::new(self.private_key.expose());
        if let Some(kid) = &self.private_key_id {
            key = key.with_key_id(kid);
        }
        JwtBearerFlow::new(key, &self.client_email)
            .with_subject(&self.client_email)
            .with_audience(&self.token_uri)
            .with_scope_claim(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7523 §3: the claims a JWT bearer assertion carries, as committed vectors.
    #[test]
    fn the_assertion_carries_the_rfc_7523_claims() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/rfc7523_claims.json")).unwrap();
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
        let flow = JwtBearerFlow::new(ClientKey::new(pem.as_str()).with_key_id("k1"), "iss-1")
            .with_subject("sub-1");
        let jwt = flow
            .assertion("https://as.example/token", Some("a b"))
            .unwrap();
        assert_eq!(vectors["grant_type"], GRANT_TYPE);
        let (header, claims) = (part(&jwt, 0), part(&jwt, 1));
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["kid"], "k1");
        for name in vectors["required_claims"].as_array().unwrap() {
            assert!(claims.get(name.as_str().unwrap()).is_some(), "{name}");
        }
        assert_eq!(claims["iss"], "iss-1");
        assert_eq!(claims["sub"], "sub-1");
        assert_eq!(claims["aud"], "https://as.example/token");
        assert!(claims.get("scope").is_none(), "scope goes in the form");
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert!(lifetime <= vectors["max_lifetime_secs"].as_u64().unwrap());
        let google = flow.with_scope_claim(true);
        let jwt = google
            .assertion("https://as.example/token", Some("a b"))
            .unwrap();
        assert_eq!(part(&jwt, 1)["scope"], "a b");
    }

    fn part(jwt: &Secret, i: usize) -> serde_json::Value {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt.expose().split('.').nth(i).unwrap())
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }
}
