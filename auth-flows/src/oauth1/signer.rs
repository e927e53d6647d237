//! [`Signer`]: signs requests with consumer (and token) credentials: it checks the
//! request, gathers the protocol parameters, signs the base string with its
//! [`SignatureMethod`] and puts the parameters where its [`Placement`] says.
//!
//! At about 770 lines, more than 80 of them tests, the module stays whole: it is the
//! `Signer`'s builder (one setter per setting, each with its doctest) and the signing
//! steps that read those settings. The signature methods live in `methods`, the request
//! parts and their normalisation in `request`, the RFC 5849 encodings in `encoding`.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{Error, HttpRequest, Secret, Token, TokenKind};
use rand::Rng as _;

use super::encoding::{base_string_into, encode_known_into};
use super::error::{SignError, display_name, display_url};
use super::methods::{KeyedMac, RsaKey, SignatureMethod, SigningKeys};
use super::request::{
    FORM_CONTENT_TYPE, NormalizedRequest, Param, Placement, Protocol, RequestParts, SignedRequest,
    append_form,
};

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
    /// The HMAC keyed with the secrets, for the HMAC methods: rebuilt by every setter of
    /// the method or a secret ([`Signer::rekeyed`]).
    mac: KeyedMac,
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
            mac: KeyedMac::None,
        }
        .rekeyed()
    }

    /// Keys the HMAC again with the current method and secrets.
    fn rekeyed(mut self) -> Self {
        self.mac = KeyedMac::new(self.method, &self.consumer_secret, &self.token_secret);
        self
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
        self.rekeyed()
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
        self.rekeyed()
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
        self.rekeyed()
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

    /// The same settings with other consumer credentials (the OAuth 1 flow keeps its
    /// settings in a signer without them).
    pub(crate) fn with_consumer(
        mut self,
        consumer_key: impl Into<String>,
        consumer_secret: impl Into<Secret>,
    ) -> Self {
        self.consumer_key = consumer_key.into();
        self.consumer_secret = consumer_secret.into();
        self.rekeyed()
    }

    /// True when an RSA private key is set.
    pub(crate) fn has_rsa_key(&self) -> bool {
        self.rsa_key.is_some()
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
                    http::HeaderValue::from_str(signed.authorization_header().unwrap_or_default())
                        .map_err(|_| SignError::InvalidParameter {
                            location: "Authorization header",
                            name: "realm".into(),
                            problem: "it is not printable ASCII".into(),
                        })?;
                value.set_sensitive(true);
                request
                    .headers_mut()
                    .insert(http::header::AUTHORIZATION, value);
            }
            Placement::Query => {
                *request.uri_mut() =
                    signed
                        .url()
                        .parse::<http::Uri>()
                        .map_err(|e| SignError::InvalidUrl {
                            url: display_url(signed.url()),
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
        let method = parts.method()?;
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
        let NormalizedRequest {
            base_uri,
            query,
            mut params,
            query_len,
            is_form,
        } = parts.normalize()?;

        if self.placement == Placement::Body {
            if matches!(&*method, "GET" | "HEAD") {
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
            .then(|| self.method.body_hash(parts.body));
        let mut protocol = self.protocol_parameters(body_hash.as_deref());

        let (query_params, body_params) = params.split_at(query_len);
        for (location, list) in [("query", query_params), ("form body", body_params)] {
            if let Some((name, _)) = list.iter().find(|(n, _)| {
                n.starts_with("oauth_") && (n == "oauth_signature" || protocol.contains(n))
            }) {
                return Err(SignError::InvalidParameter {
                    location,
                    name: display_name(name),
                    problem: "the request already carries this OAuth protocol parameter, which \
                              the signer sets itself; remove it from the request"
                        .into(),
                });
            }
        }

        let mut base = Vec::new();
        base_string_into(
            &mut base,
            &method,
            &base_uri,
            &mut params,
            protocol.sorted(),
        );
        drop(params);
        protocol.push_with(Param::Signature, |out| {
            self.method.sign_into(&self.keys(), &base, out)
        })?;

        let mut signed = SignedRequest {
            base,
            text: String::new(),
            header_end: 0,
            url: None,
            body: None,
            protocol,
        };
        self.place(&mut signed, parts, query);
        Ok(signed)
    }

    /// The protocol parameters except `oauth_signature`, in the order oauthlib sends
    /// them (so headers compare equal to its output).
    fn protocol_parameters(&self, body_hash: Option<&str>) -> Protocol {
        let token = self.token.as_ref().map(Secret::expose);
        let verifier = self.verifier.as_ref().map(Secret::expose);
        let given = [
            self.nonce.as_deref(),
            self.timestamp.as_deref(),
            Some(self.consumer_key.as_str()),
            token,
            self.callback.as_deref(),
            verifier,
            body_hash,
        ];
        // the values, with room for a generated nonce and timestamp and the signature
        let capacity = given.iter().flatten().map(|v| v.len()).sum::<usize>() + 160;
        let mut protocol = Protocol::with_capacity(capacity);
        match &self.nonce {
            Some(nonce) => protocol.push(Param::Nonce, nonce),
            None => protocol.push(Param::Nonce, random_nonce(&mut [0; 32])),
        }
        match &self.timestamp {
            Some(timestamp) => protocol.push(Param::Timestamp, timestamp),
            None => protocol.push(Param::Timestamp, now_timestamp(&mut [0; 20])),
        }
        if self.include_version {
            protocol.push(Param::Version, "1.0");
        }
        protocol.push(Param::SignatureMethod, self.method.as_str());
        protocol.push(Param::ConsumerKey, &self.consumer_key);
        if let Some(token) = token {
            protocol.push(Param::Token, token);
        }
        if let Some(callback) = &self.callback {
            protocol.push(Param::Callback, callback);
        }
        if let Some(verifier) = verifier {
            protocol.push(Param::Verifier, verifier);
        }
        if let Some(hash) = body_hash {
            protocol.push(Param::BodyHash, hash);
        }
        protocol
    }

    /// Puts the protocol parameters (signature included) where they go.
    fn place(&self, signed: &mut SignedRequest, parts: &RequestParts<'_>, query: Option<&str>) {
        match self.placement {
            Placement::Header => {
                // one buffer for the header and the URL as given: room for the header
                // with its escapes (the signature's too)
                let capacity = signed
                    .protocol
                    .iter()
                    .map(|(name, value)| name.len() + 2 * value.len() + 5)
                    .sum::<usize>()
                    + self.realm.as_ref().map_or(0, |realm| realm.len() + 10)
                    + 32
                    + parts.url.len();
                let header = &mut signed.text;
                header.reserve(capacity);
                header.push_str("OAuth ");
                if let Some(realm) = &self.realm {
                    header.push_str("realm=\"");
                    header.push_str(realm);
                    header.push_str("\", ");
                }
                for (i, (name, value, plain)) in signed.protocol.marked().enumerate() {
                    if i > 0 {
                        header.push_str(", ");
                    }
                    header.push_str(name);
                    header.push_str("=\"");
                    encode_known_into(header, value, plain);
                    header.push('"');
                }
                signed.header_end = header.len();
                header.push_str(parts.url);
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
                signed.url = Some(url);
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
        let mut signature = String::new();
        self.method
            .sign_into(&self.keys(), base_string.as_bytes(), &mut signature)?;
        Ok(signature)
    }

    /// The secrets the signature method uses.
    fn keys(&self) -> SigningKeys<'_> {
        SigningKeys {
            consumer_secret: &self.consumer_secret,
            token_secret: &self.token_secret,
            rsa_key: self.rsa_key.as_deref(),
            mac: &self.mac,
        }
    }
}

/// 128 random bits as 32 lower-case hex digits, written into `buf`: one draw of 16
/// bytes from the thread's CSPRNG.
fn random_nonce(buf: &mut [u8; 32]) -> &str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill(&mut bytes);
    for (pair, b) in buf.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 15)];
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

/// The current Unix time in decimal, written into `buf` (a `u64` has at most 20 digits).
fn now_timestamp(buf: &mut [u8; 20]) -> &str {
    let mut secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (secs % 10) as u8;
        secs /= 10;
        if secs == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_32_random_alphanumerics() {
        let (a, b) = (
            random_nonce(&mut [0; 32]).to_owned(),
            random_nonce(&mut [0; 32]).to_owned(),
        );
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn every_setter_of_a_secret_or_the_method_keys_the_hmac_again() {
        let url = "https://a.example/x?q=1";
        let fixed = |s: Signer| s.with_nonce("n").with_timestamp("1");
        let sign = |s: &Signer| {
            s.sign_parts(&RequestParts::new("GET", url))
                .unwrap()
                .signature()
                .to_owned()
        };
        let reference = fixed(Signer::new("k", "cs").with_token("t2", "ts2"));
        // the same settings reached by changing a signer that was keyed differently
        let changed = [
            fixed(Signer::new("k", "cs").with_token("t2", "ts1")).with_token("t2", "ts2"),
            fixed(Signer::new("k", "cs").with_token("t2", "x")).with_token_secret("ts2"),
            fixed(Signer::new("k", "other").with_token("t2", "ts2")).with_consumer("k", "cs"),
            fixed(
                Signer::new("k", "cs")
                    .with_method(SignatureMethod::HmacSha256)
                    .with_token("t2", "ts2"),
            )
            .with_method(SignatureMethod::HmacSha1),
        ];
        for signer in &changed {
            assert_eq!(sign(signer), sign(&reference));
        }
        let sha256 = reference.clone().with_method(SignatureMethod::HmacSha256);
        assert_ne!(sign(&sha256), sign(&reference));
        assert_eq!(sign(&sha256).len(), 44, "base64 of 32 bytes");
        // a clone signs as the original does
        assert_eq!(sign(&reference.clone()), sign(&reference));
    }

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
