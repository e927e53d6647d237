//! [`Signer`]: signs requests with consumer (and token) credentials.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Error, HttpRequest, Secret, Token, TokenKind};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use rand::Rng as _;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::encoding::{
    base_string_uri, encode_into, normalize_parameters, parse_form, signature_base_string,
};
use super::error::{SignError, display_name, display_url};

/// How a request is signed (RFC 5849 §3.4, plus the SHA-2 variants most providers
/// and oauthlib accept).
///
/// ```
/// use auth_flows::oauth1::SignatureMethod;
/// let m: SignatureMethod = "rsa-sha256".parse().unwrap();
/// assert_eq!(m, SignatureMethod::RsaSha256);
/// assert_eq!(m.to_string(), "RSA-SHA256");
/// assert_eq!(SignatureMethod::default(), SignatureMethod::HmacSha1);
/// assert!("MD5".parse::<SignatureMethod>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// HMAC with SHA-1, keyed with the consumer and token secrets (the default).
    #[default]
    HmacSha1,
    /// HMAC with SHA-256.
    HmacSha256,
    /// HMAC with SHA-512.
    HmacSha512,
    /// RSASSA-PKCS1-v1_5 with SHA-1, with the consumer's RSA private key.
    RsaSha1,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaSha512,
    /// The secrets themselves as the signature; only safe over TLS.
    Plaintext,
}

impl SignatureMethod {
    /// Every method.
    pub const ALL: [SignatureMethod; 7] = [
        Self::HmacSha1,
        Self::HmacSha256,
        Self::HmacSha512,
        Self::RsaSha1,
        Self::RsaSha256,
        Self::RsaSha512,
        Self::Plaintext,
    ];

    /// The `oauth_signature_method` value, e.g. `HMAC-SHA1`.
    ///
    /// ```
    /// assert_eq!(auth_flows::oauth1::SignatureMethod::Plaintext.as_str(), "PLAINTEXT");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
            Self::HmacSha512 => "HMAC-SHA512",
            Self::RsaSha1 => "RSA-SHA1",
            Self::RsaSha256 => "RSA-SHA256",
            Self::RsaSha512 => "RSA-SHA512",
            Self::Plaintext => "PLAINTEXT",
        }
    }

    /// True for the RSA methods, which need an [`RsaKey`] instead of a consumer secret.
    ///
    /// ```
    /// assert!(auth_flows::oauth1::SignatureMethod::RsaSha1.is_rsa());
    /// ```
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::RsaSha1 | Self::RsaSha256 | Self::RsaSha512)
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::config(format!(
                    "signature_method must be one of {}, not {s:?}",
                    Self::ALL.map(Self::as_str).join(", ")
                ))
            })
    }
}

/// Where the OAuth protocol parameters go (RFC 5849 §3.5).
///
/// ```
/// use auth_flows::oauth1::Placement;
/// assert_eq!(Placement::default(), Placement::Header);
/// assert_eq!("query".parse::<Placement>().unwrap(), Placement::Query);
/// assert!("cookie".parse::<Placement>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Placement {
    /// The `Authorization: OAuth ...` header (the default, and what the RFC prefers).
    #[default]
    Header,
    /// The query string.
    Query,
    /// The `application/x-www-form-urlencoded` body (requests with a form body or none;
    /// not GET or HEAD).
    Body,
}

impl FromStr for Placement {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "header" => Ok(Placement::Header),
            "query" => Ok(Placement::Query),
            "body" => Ok(Placement::Body),
            _ => Err(Error::config(format!(
                "signature_placement must be header, query or body, not {s:?}"
            ))),
        }
    }
}

/// An RSA private key for the `RSA-*` methods, read from PEM (PKCS#1 or PKCS#8).
///
/// `Debug` shows only the key size.
///
/// ```no_run
/// use auth_flows::oauth1::RsaKey;
/// let pem = std::fs::read_to_string("consumer-key.pem").unwrap();
/// let key = RsaKey::from_pem(&pem).unwrap();
/// println!("{key:?}"); // RsaKey { bits: 2048, .. }
/// ```
#[derive(Clone)]
pub struct RsaKey {
    key: RsaPrivateKey,
}

impl RsaKey {
    /// Reads an unencrypted PEM private key: `BEGIN RSA PRIVATE KEY` (PKCS#1) or
    /// `BEGIN PRIVATE KEY` (PKCS#8). Errors never contain key material.
    ///
    /// ```
    /// use auth_flows::oauth1::{RsaKey, SignError};
    /// let err = RsaKey::from_pem("-----BEGIN PUBLIC KEY-----\n...").unwrap_err();
    /// assert!(err.to_string().contains("public key"));
    /// ```
    pub fn from_pem(pem: &str) -> Result<RsaKey, SignError> {
        let invalid = |problem: String| SignError::InvalidKey { problem };
        let key = if let Some(block) = pem_block(pem, "RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(block)
                .map_err(|e| invalid(format!("the PKCS#1 key could not be read ({e})")))?
        } else if let Some(block) = pem_block(pem, "PRIVATE KEY") {
            RsaPrivateKey::from_pkcs8_pem(block)
                .map_err(|e| invalid(format!("the PKCS#8 key could not be read ({e})")))?
        } else if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            return Err(invalid(
                "the key is encrypted; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)"
                    .into(),
            ));
        } else if pem.contains("PUBLIC KEY-----") {
            return Err(invalid(
                "this is a public key, and signing needs the private key".into(),
            ));
        } else {
            return Err(invalid("no PEM private key block was found".into()));
        };
        Ok(RsaKey { key })
    }

    /// The modulus size in bits.
    ///
    /// ```no_run
    /// let pem = std::fs::read_to_string("consumer-key.pem").unwrap();
    /// let key = auth_flows::oauth1::RsaKey::from_pem(&pem).unwrap();
    /// assert!(key.bits() >= 2048, "use a key of at least 2048 bits");
    /// ```
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }
}

/// The `-----BEGIN <label>-----` ... `-----END <label>-----` block of a PEM file that may
/// hold other blocks too (a certificate, parameters).
fn pem_block<'a>(pem: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)?;
    let stop = pem[start..].find(&end)? + start + end.len();
    Some(&pem[start..stop])
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// Signs requests with OAuth 1.0a (RFC 5849): consumer credentials, optionally token
/// credentials, a [`SignatureMethod`] and a [`Placement`].
///
/// Defaults: HMAC-SHA1, the `Authorization` header, `oauth_version="1.0"` included,
/// `oauth_body_hash` for bodies that are not forms, a random 32-character nonce and the
/// current time. Nonce and timestamp can be fixed for tests. `Debug` never shows a
/// secret.
///
/// ```
/// use auth_flows::oauth1::Signer;
///
/// let signer = Signer::new("client_key", "")
///     .with_nonce("abc")
///     .with_timestamp("1234567890");
/// let mut request = http::Request::get("http://example.com").body(Vec::new()).unwrap();
/// signer.sign_request(&mut request).unwrap();
/// assert_eq!(
///     request.headers()["authorization"],
///     "OAuth oauth_nonce=\"abc\", oauth_timestamp=\"1234567890\", oauth_version=\"1.0\", \
///      oauth_signature_method=\"HMAC-SHA1\", oauth_consumer_key=\"client_key\", \
///      oauth_signature=\"hH5BWYVqo7QI4EmPBUUe9owRUUQ%3D\""
/// );
/// assert!(!format!("{signer:?}").contains("abc\""));
/// ```
#[derive(Clone)]
pub struct Signer {
    consumer_key: String,
    consumer_secret: Secret,
    rsa_key: Option<Arc<RsaKey>>,
    token: Option<Secret>,
    token_secret: Secret,
    callback: Option<String>,
    verifier: Option<Secret>,
    method: SignatureMethod,
    placement: Placement,
    realm: Option<String>,
    include_version: bool,
    body_hash: bool,
    nonce: Option<String>,
    timestamp: Option<String>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &self.consumer_secret)
            .field("rsa_key", &self.rsa_key)
            .field("token", &self.token)
            .field("token_secret", &self.token_secret)
            .field("callback", &self.callback.is_some())
            .field("verifier", &self.verifier)
            .field("method", &self.method)
            .field("placement", &self.placement)
            .field("realm", &self.realm)
            .field("include_version", &self.include_version)
            .field("body_hash", &self.body_hash)
            .field("fixed_nonce", &self.nonce.is_some())
            .field("fixed_timestamp", &self.timestamp.is_some())
            .finish()
    }
}

impl Signer {
    /// A signer with consumer credentials (the provider's `client_id` and
    /// `client_secret`) and the defaults.
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("key", "secret");
    /// assert_eq!(s.consumer_key(), "key");
    /// ```
    pub fn new(consumer_key: impl Into<String>, consumer_secret: impl Into<Secret>) -> Self {
        Signer {
            consumer_key: consumer_key.into(),
            consumer_secret: consumer_secret.into(),
            rsa_key: None,
            token: None,
            token_secret: Secret::default(),
            callback: None,
            verifier: None,
            method: SignatureMethod::default(),
            placement: Placement::default(),
            realm: None,
            include_version: true,
            body_hash: true,
            nonce: None,
            timestamp: None,
        }
    }

    /// Sets the signature method.
    ///
    /// ```
    /// use auth_flows::oauth1::{Signer, SignatureMethod};
    /// let s = Signer::new("k", "s").with_method(SignatureMethod::HmacSha256);
    /// assert_eq!(s.method(), SignatureMethod::HmacSha256);
    /// ```
    pub fn with_method(mut self, method: SignatureMethod) -> Self {
        self.method = method;
        self
    }

    /// Sets the RSA private key used by the `RSA-*` methods.
    ///
    /// ```no_run
    /// use auth_flows::oauth1::{RsaKey, Signer, SignatureMethod};
    /// let key = RsaKey::from_pem(&std::fs::read_to_string("key.pem").unwrap()).unwrap();
    /// let s = Signer::new("k", "").with_method(SignatureMethod::RsaSha256).with_rsa_key(key);
    /// ```
    pub fn with_rsa_key(mut self, key: RsaKey) -> Self {
        self.rsa_key = Some(Arc::new(key));
        self
    }

    /// Sets where the protocol parameters go.
    ///
    /// ```
    /// use auth_flows::oauth1::{Placement, Signer};
    /// assert_eq!(Signer::new("k", "s").with_placement(Placement::Query).placement(), Placement::Query);
    /// ```
    pub fn with_placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// Sets the `realm` sent in the `Authorization` header (not signed; ignored for the
    /// query and body placements). It must be printable ASCII without `"` or `\`.
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_realm("Photos");
    /// ```
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Whether `oauth_version="1.0"` is sent (default true; the parameter is optional).
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_oauth_version(false);
    /// ```
    pub fn with_oauth_version(mut self, include: bool) -> Self {
        self.include_version = include;
        self
    }

    /// Whether `oauth_body_hash` is sent for non-empty bodies that are not forms
    /// (default true). The hash follows the method's hash function (SHA-1 for the `*-SHA1`
    /// methods); PLAINTEXT never sends one.
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_body_hash(false);
    /// ```
    pub fn with_body_hash(mut self, include: bool) -> Self {
        self.body_hash = include;
        self
    }

    /// Sets the token credentials (`oauth_token` and its secret): temporary credentials
    /// during the dance, token credentials afterwards.
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_token("token", "token-secret");
    /// assert!(s.has_token());
    /// ```
    pub fn with_token(mut self, token: impl Into<Secret>, token_secret: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self.token_secret = token_secret.into();
        self
    }

    /// Sets only the token secret, without an `oauth_token` (some test suites do this;
    /// real requests use [`Signer::with_token`]).
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_token_secret("ts");
    /// assert!(!s.has_token());
    /// ```
    pub fn with_token_secret(mut self, token_secret: impl Into<Secret>) -> Self {
        self.token_secret = token_secret.into();
        self
    }

    /// Sets the token credentials from a stored OAuth 1 [`Token`]; any other kind of
    /// token is a configuration error.
    ///
    /// ```
    /// use auth_core::Token;
    /// use auth_flows::oauth1::Signer;
    /// assert!(Signer::new("k", "s").with_stored_token(&Token::oauth1("t", "ts")).is_ok());
    /// let err = Signer::new("k", "s").with_stored_token(&Token::bearer("b")).unwrap_err();
    /// assert!(err.to_string().contains("oauth1"));
    /// ```
    pub fn with_stored_token(self, token: &Token) -> Result<Self, Error> {
        match &token.kind {
            TokenKind::OAuth1 { token_secret } => {
                Ok(self.with_token(token.access_token.clone(), token_secret.clone()))
            }
            other => Err(Error::config(format!(
                "the stored token is a {} token, not an OAuth 1 token: log in again with \
                 the OAuth 1 flow (oauth1)",
                other.name()
            ))),
        }
    }

    /// Sets `oauth_callback` (the temporary credentials request).
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_callback("oob");
    /// ```
    pub fn with_callback(mut self, callback: impl Into<String>) -> Self {
        self.callback = Some(callback.into());
        self
    }

    /// Sets `oauth_verifier` (the token credentials request).
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_verifier("hfdp7dh39dks9884");
    /// ```
    pub fn with_verifier(mut self, verifier: impl Into<Secret>) -> Self {
        self.verifier = Some(verifier.into());
        self
    }

    /// Fixes `oauth_nonce` (for tests; normally a fresh random nonce per request).
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_nonce("chapoH");
    /// ```
    pub fn with_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Fixes `oauth_timestamp` (for tests; normally the current Unix time).
    ///
    /// ```
    /// let s = auth_flows::oauth1::Signer::new("k", "s").with_timestamp("137131202");
    /// ```
    pub fn with_timestamp(mut self, timestamp: impl Into<String>) -> Self {
        self.timestamp = Some(timestamp.into());
        self
    }

    /// The consumer key.
    pub fn consumer_key(&self) -> &str {
        &self.consumer_key
    }

    /// The signature method.
    pub fn method(&self) -> SignatureMethod {
        self.method
    }

    /// The placement.
    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// True when token credentials are set.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Signs a request in place: adds the `Authorization` header, or the query
    /// parameters, or the form body parameters (setting `Content-Type` when the body was
    /// empty). The URI must be absolute; a `Host` header, when present, is what is signed.
    ///
    /// ```
    /// use auth_flows::oauth1::{Placement, Signer};
    /// let signer = Signer::new("k", "s").with_placement(Placement::Query);
    /// let mut request = http::Request::get("https://api.example.com/photos?size=original")
    ///     .body(Vec::new()).unwrap();
    /// signer.sign_request(&mut request).unwrap();
    /// let query = request.uri().query().unwrap();
    /// assert!(query.starts_with("size=original&oauth_nonce="));
    /// assert!(query.contains("&oauth_signature="));
    ///
    /// let mut relative = http::Request::get("/photos").body(Vec::new()).unwrap();
    /// assert!(signer.sign_request(&mut relative).is_err());
    /// ```
    pub fn sign_request(&self, request: &mut HttpRequest) -> Result<(), SignError> {
        let uri = request.uri();
        if uri.scheme().is_none() || uri.authority().is_none() {
            return Err(SignError::InvalidUrl {
                url: display_url(&uri.to_string()),
                problem: "the request URI is not absolute (it needs a scheme and a host)".into(),
            });
        }
        let url = uri.to_string();
        let header = |name: http::header::HeaderName| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let host = header(http::header::HOST);
        let content_type = header(http::header::CONTENT_TYPE);
        let mut parts = RequestParts::new(request.method().as_str(), &url)
            .with_body(content_type.as_deref(), request.body());
        if let Some(host) = host.as_deref() {
            parts = parts.with_host(host);
        }
        let signed = self.sign_parts(&parts)?;

        match self.placement {
            Placement::Header => {
                let mut value =
                    http::HeaderValue::from_str(&signed.authorization).map_err(|_| {
                        SignError::InvalidParameter {
                            location: "Authorization header",
                            name: "realm".into(),
                            problem: "it is not printable ASCII".into(),
                        }
                    })?;
                value.set_sensitive(true);
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, value);
            }
            Placement::Query => {
                *request.uri_mut() =
                    signed
                        .url
                        .parse::<http::Uri>()
                        .map_err(|e| SignError::InvalidUrl {
                            url: display_url(&signed.url),
                            problem: format!("the signed URI is not valid ({e})"),
                        })?;
            }
            Placement::Body => {
                if content_type.is_none() {
                    request.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static(FORM_CONTENT_TYPE),
                    );
                }
                request.headers_mut().remove(http::header::CONTENT_LENGTH);
                if let Some(body) = signed.body {
                    *request.body_mut() = body;
                }
            }
        }
        Ok(())
    }

    /// Signs a request given as parts, and returns what to send. The request is not
    /// changed; see [`SignedRequest`].
    ///
    /// ```
    /// use auth_flows::oauth1::{RequestParts, Signer};
    ///
    /// let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
    ///     .with_token("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")
    ///     .with_nonce("chapoH").with_timestamp("137131202").with_oauth_version(false);
    /// let url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    /// let signed = signer.sign_parts(&RequestParts::new("GET", url)).unwrap();
    /// assert_eq!(signed.signature(), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    /// ```
    pub fn sign_parts(&self, parts: &RequestParts<'_>) -> Result<SignedRequest, SignError> {
        let method = parts.method.to_ascii_uppercase();
        if method.is_empty() || !method.bytes().all(is_token_byte) {
            return Err(SignError::InvalidRequest {
                problem: format!("{:?} is not an HTTP method", display_name(parts.method)),
            });
        }
        if self.consumer_key.is_empty() {
            return Err(SignError::InvalidRequest {
                problem: "the consumer key is empty: set the provider's client_id".into(),
            });
        }
        if let Some(realm) = &self.realm {
            let printable = realm.bytes().all(|b| (b' '..=b'~').contains(&b));
            if !printable || realm.contains(['"', '\\']) {
                return Err(SignError::InvalidParameter {
                    location: "Authorization header",
                    name: "realm".into(),
                    problem: "it must be printable ASCII without `\"` or `\\`".into(),
                });
            }
        }
        let base_uri = base_string_uri(parts.url, parts.host)?;

        let without_fragment = &parts.url[..parts.url.find('#').unwrap_or(parts.url.len())];
        let query = without_fragment.split_once('?').map(|(_, q)| q);
        let query_params = match query {
            Some(q) => parse_form(q, "query")?,
            None => Vec::new(),
        };

        let is_form = parts.content_type.is_some_and(is_form_content_type);
        let body_params = if is_form {
            let body = std::str::from_utf8(parts.body).map_err(|_| SignError::InvalidRequest {
                problem: "the form body is not UTF-8 text; percent-encode it".into(),
            })?;
            parse_form(body, "form body")?
        } else {
            Vec::new()
        };

        if self.placement == Placement::Body {
            if matches!(method.as_str(), "GET" | "HEAD") {
                return Err(SignError::InvalidRequest {
                    problem: format!(
                        "the body placement needs a request with a body, and {method} has \
                         none: use the header or query placement"
                    ),
                });
            }
            if !is_form && !parts.body.is_empty() {
                return Err(SignError::InvalidRequest {
                    problem: "the body placement needs an application/x-www-form-urlencoded \
                              body, and this request has another kind of body: use the header \
                              placement"
                        .into(),
                });
            }
        }

        let body_hash = (self.body_hash
            && !is_form
            && !parts.body.is_empty()
            && self.method != SignatureMethod::Plaintext)
            .then(|| self.body_hash_of(parts.body));
        let mut protocol = self.protocol_parameters(body_hash);

        for (location, list) in [("query", &query_params), ("form body", &body_params)] {
            if let Some((name, _)) = list
                .iter()
                .find(|(n, _)| n == "oauth_signature" || protocol.iter().any(|(p, _)| p == n))
            {
                return Err(SignError::InvalidParameter {
                    location,
                    name: display_name(name),
                    problem: "the request already carries this OAuth protocol parameter, which \
                              the signer sets itself; remove it from the request"
                        .into(),
                });
            }
        }

        let mut params = query_params;
        params.extend(body_params);
        params.extend(protocol.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
        let base_string = signature_base_string(&method, &base_uri, &normalize_parameters(&params));
        let signature = self.sign_base_string(&base_string)?;
        protocol.push(("oauth_signature", signature.clone()));

        let mut signed = SignedRequest {
            base_string,
            signature,
            authorization: String::new(),
            url: parts.url.to_owned(),
            body: None,
            protocol,
        };
        self.place(&mut signed, parts, query);
        Ok(signed)
    }

    /// The protocol parameters except `oauth_signature`, in the order oauthlib sends
    /// them (so headers compare equal to its output).
    fn protocol_parameters(&self, body_hash: Option<String>) -> Vec<(&'static str, String)> {
        let mut protocol: Vec<(&'static str, String)> = Vec::with_capacity(10);
        protocol.push((
            "oauth_nonce",
            self.nonce.clone().unwrap_or_else(random_nonce),
        ));
        protocol.push((
            "oauth_timestamp",
            self.timestamp.clone().unwrap_or_else(now_timestamp),
        ));
        if self.include_version {
            protocol.push(("oauth_version", "1.0".to_owned()));
        }
        protocol.push(("oauth_signature_method", self.method.as_str().to_owned()));
        protocol.push(("oauth_consumer_key", self.consumer_key.clone()));
        if let Some(token) = &self.token {
            protocol.push(("oauth_token", token.expose().to_owned()));
        }
        if let Some(callback) = &self.callback {
            protocol.push(("oauth_callback", callback.clone()));
        }
        if let Some(verifier) = &self.verifier {
            protocol.push(("oauth_verifier", verifier.expose().to_owned()));
        }
        if let Some(hash) = body_hash {
            protocol.push(("oauth_body_hash", hash));
        }
        protocol
    }

    /// Puts the protocol parameters (signature included) where they go.
    fn place(&self, signed: &mut SignedRequest, parts: &RequestParts<'_>, query: Option<&str>) {
        match self.placement {
            Placement::Header => {
                let mut header = String::with_capacity(256);
                header.push_str("OAuth ");
                if let Some(realm) = &self.realm {
                    header.push_str("realm=\"");
                    header.push_str(realm);
                    header.push_str("\", ");
                }
                for (i, (name, value)) in signed.protocol.iter().enumerate() {
                    if i > 0 {
                        header.push_str(", ");
                    }
                    header.push_str(name);
                    header.push_str("=\"");
                    encode_into(&mut header, value.as_bytes());
                    header.push('"');
                }
                signed.authorization = header;
            }
            Placement::Query => {
                let (before, fragment) = match parts.url.find('#') {
                    Some(i) => parts.url.split_at(i),
                    None => (parts.url, ""),
                };
                let mut url = before.to_owned();
                match query {
                    None => url.push('?'),
                    Some("") => {}
                    Some(q) if q.ends_with('&') => {}
                    Some(_) => url.push('&'),
                }
                append_form(&mut url, &signed.protocol);
                url.push_str(fragment);
                signed.url = url;
            }
            Placement::Body => {
                let mut body = String::from_utf8_lossy(parts.body).into_owned();
                if !body.is_empty() && !body.ends_with('&') {
                    body.push('&');
                }
                append_form(&mut body, &signed.protocol);
                signed.body = Some(body.into_bytes());
            }
        }
    }

    /// Signs a signature base string with this signer's method and secrets, and returns
    /// the `oauth_signature` value (base64, or the key itself for PLAINTEXT).
    ///
    /// ```
    /// use auth_flows::oauth1::{Signer, SignatureMethod};
    /// let s = Signer::new("k", "kd94hf93k423kf44").with_token("t", "pfkkdhi9sl3r4s00")
    ///     .with_method(SignatureMethod::Plaintext);
    /// assert_eq!(s.sign_base_string("ignored").unwrap(), "kd94hf93k423kf44&pfkkdhi9sl3r4s00");
    /// ```
    pub fn sign_base_string(&self, base_string: &str) -> Result<String, SignError> {
        let data = base_string.as_bytes();
        Ok(match self.method {
            SignatureMethod::HmacSha1 => BASE64.encode(self.hmac::<Hmac<Sha1>>(data)?),
            SignatureMethod::HmacSha256 => BASE64.encode(self.hmac::<Hmac<Sha256>>(data)?),
            SignatureMethod::HmacSha512 => BASE64.encode(self.hmac::<Hmac<Sha512>>(data)?),
            SignatureMethod::RsaSha1 => {
                BASE64.encode(self.rsa(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(data))?)
            }
            SignatureMethod::RsaSha256 => {
                BASE64.encode(self.rsa(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(data))?)
            }
            SignatureMethod::RsaSha512 => {
                BASE64.encode(self.rsa(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(data))?)
            }
            SignatureMethod::Plaintext => self.hmac_key().expose().to_owned(),
        })
    }

    /// `encode(consumer_secret) & encode(token_secret)` (RFC 5849 §3.4.2).
    fn hmac_key(&self) -> Secret {
        let mut key = String::with_capacity(
            self.consumer_secret.expose().len() + self.token_secret.expose().len() + 1,
        );
        encode_into(&mut key, self.consumer_secret.expose().as_bytes());
        key.push('&');
        encode_into(&mut key, self.token_secret.expose().as_bytes());
        Secret::new(key)
    }

    fn hmac<M: Mac + hmac::digest::KeyInit>(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let key = self.hmac_key();
        let mut mac = <M as Mac>::new_from_slice(key.expose().as_bytes()).map_err(|_| {
            SignError::InvalidRequest {
                problem: "the HMAC key was refused".into(),
            }
        })?;
        mac.update(data);
        Ok(mac.finalize().into_bytes().to_vec())
    }

    fn rsa(&self, padding: Pkcs1v15Sign, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        let key = self.rsa_key.as_ref().ok_or_else(|| SignError::InvalidKey {
            problem: format!(
                "the {} signature method needs the consumer's RSA private key, and none was \
                 given (rsa_key_file)",
                self.method
            ),
        })?;
        key.key
            .sign_with_rng(&mut rand::thread_rng(), padding, digest)
            .map_err(|e| SignError::InvalidKey {
                problem: format!("signing failed ({e})"),
            })
    }

    fn body_hash_of(&self, body: &[u8]) -> String {
        match self.method {
            SignatureMethod::HmacSha256 | SignatureMethod::RsaSha256 => {
                BASE64.encode(Sha256::digest(body))
            }
            SignatureMethod::HmacSha512 | SignatureMethod::RsaSha512 => {
                BASE64.encode(Sha512::digest(body))
            }
            _ => BASE64.encode(Sha1::digest(body)),
        }
    }
}

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

fn is_form_content_type(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(FORM_CONTENT_TYPE))
}

/// RFC 7230 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn append_form(out: &mut String, params: &[(&'static str, String)]) {
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        encode_into(out, value.as_bytes());
    }
}

fn random_nonce() -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

fn now_timestamp() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
        .to_string()
}

/// A request to sign, as plain parts: method, absolute URL, and optionally the body with
/// its content type and a `Host` header.
///
/// ```
/// use auth_flows::oauth1::RequestParts;
/// let parts = RequestParts::new("POST", "https://api.example.com/statuses")
///     .with_body(Some("application/x-www-form-urlencoded"), b"status=hi");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    method: &'a str,
    url: &'a str,
    host: Option<&'a str>,
    content_type: Option<&'a str>,
    body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// A request without a body.
    pub fn new(method: &'a str, url: &'a str) -> Self {
        RequestParts {
            method,
            url,
            host: None,
            content_type: None,
            body: &[],
        }
    }

    /// Sets the body and its `Content-Type`. Only `application/x-www-form-urlencoded`
    /// bodies are signed parameter by parameter; others get `oauth_body_hash`.
    pub fn with_body(mut self, content_type: Option<&'a str>, body: &'a [u8]) -> Self {
        self.content_type = content_type;
        self.body = body;
        self
    }

    /// Sets the `Host` header, which replaces the URL's host and port in the signature.
    pub fn with_host(mut self, host: &'a str) -> Self {
        self.host = Some(host);
        self
    }
}

/// The result of [`Signer::sign_parts`]: what to send, and the intermediate values for
/// debugging a signature a server rejects.
///
/// `Debug` shows the URL without its query and the parameter names only, because the
/// header, body, base string and (PLAINTEXT) signature carry token values or secrets.
///
/// ```
/// use auth_flows::oauth1::{Placement, RequestParts, Signer};
/// let signed = Signer::new("k", "s").with_placement(Placement::Body)
///     .sign_parts(&RequestParts::new("POST", "https://a.example/x")).unwrap();
/// assert!(signed.authorization_header().is_none());
/// assert!(String::from_utf8_lossy(signed.body().unwrap()).contains("oauth_signature="));
/// ```
#[derive(Clone)]
pub struct SignedRequest {
    base_string: String,
    signature: String,
    authorization: String,
    url: String,
    body: Option<Vec<u8>>,
    protocol: Vec<(&'static str, String)>,
}

impl SignedRequest {
    /// The signature base string (RFC 5849 §3.4.1.1).
    pub fn base_string(&self) -> &str {
        &self.base_string
    }

    /// The `oauth_signature` value before percent-encoding.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The `Authorization` header value, for the header placement.
    pub fn authorization_header(&self) -> Option<&str> {
        (!self.authorization.is_empty()).then_some(self.authorization.as_str())
    }

    /// The URL to send: with the protocol parameters for the query placement, else the
    /// URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The new body, for the body placement.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The protocol parameters sent (decoded), in order, `oauth_signature` last.
    pub fn protocol_parameters(&self) -> impl Iterator<Item = (&str, &str)> {
        self.protocol.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("url", &display_url(&self.url))
            .field(
                "protocol_parameters",
                &self.protocol.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_has_no_secrets() {
        let signer = Signer::new("key", "consumer-secret-value")
            .with_token("token-value", "token-secret-value")
            .with_verifier("verifier-value")
            .with_method(SignatureMethod::Plaintext);
        let shown = format!("{signer:?}");
        for secret in [
            "consumer-secret-value",
            "token-value",
            "token-secret-value",
            "verifier-value",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let signed = signer
            .sign_parts(&RequestParts::new("GET", "https://a.example/x?q=1"))
            .unwrap();
        let shown = format!("{signed:?}");
        assert!(
            !shown.contains("secret-value") && !shown.contains("q=1"),
            "{shown}"
        );
    }

    #[test]
    fn protocol_parameters_in_the_request_are_refused() {
        let signer = Signer::new("k", "s").with_token("t", "ts");
        for url in [
            "https://a.example/x?oauth_token=t",
            "https://a.example/x?oauth_signature=x",
        ] {
            let err = signer
                .sign_parts(&RequestParts::new("GET", url))
                .unwrap_err();
            assert!(err.to_string().contains("remove it"), "{err}");
        }
        // Unknown oauth_ parameters are ordinary parameters.
        assert!(
            signer
                .sign_parts(&RequestParts::new(
                    "GET",
                    "https://a.example/x?oauth_extra=1"
                ))
                .is_ok()
        );
    }

    #[test]
    fn body_placement_needs_a_form_body() {
        let signer = Signer::new("k", "s").with_placement(Placement::Body);
        let get = RequestParts::new("GET", "https://a.example/x");
        assert!(signer.sign_parts(&get).is_err());
        let json = RequestParts::new("POST", "https://a.example/x")
            .with_body(Some("application/json"), b"{}");
        assert!(signer.sign_parts(&json).is_err());
    }

    #[test]
    fn rsa_without_key_is_a_clear_error() {
        let signer = Signer::new("k", "").with_method(SignatureMethod::RsaSha256);
        let err = signer
            .sign_parts(&RequestParts::new("GET", "https://a.example/"))
            .unwrap_err();
        assert!(err.to_string().contains("rsa_key_file"), "{err}");
    }

    #[test]
    fn non_form_bodies_get_a_body_hash() {
        let signer = Signer::new("k", "s");
        let parts = RequestParts::new("PUT", "https://a.example/x")
            .with_body(Some("application/json"), b"Hello World!");
        let signed = signer.sign_parts(&parts).unwrap();
        let hash = signed
            .protocol_parameters()
            .find(|(n, _)| *n == "oauth_body_hash")
            .map(|(_, v)| v.to_owned());
        // SHA-1 of "Hello World!" (draft-eaton-oauth-bodyhash example).
        assert_eq!(hash.as_deref(), Some("Lve95gjOVATpfV8EL5X4nxwjKHE="));
        let form = RequestParts::new("POST", "https://a.example/x").with_body(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"a=1",
        );
        let signed = signer.sign_parts(&form).unwrap();
        assert!(
            signed
                .protocol_parameters()
                .all(|(n, _)| n != "oauth_body_hash")
        );
    }
}
