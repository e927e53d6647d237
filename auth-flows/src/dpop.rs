//! DPoP (RFC 9449): proof of possession of a key for every token and resource request.
//!
//! - [`DpopKey`]: an account's ES256 key pair. Its private half is stored in the token
//!   ([`Token::dpop_key`](auth_core::Token::dpop_key)), so each profile and account has its
//!   own, kept (and encrypted) wherever the store keeps the token, and gone with it.
//! - [`DpopHook`]: the one place proofs are built, a per-hop hook. The HTTP policy runs it
//!   on every attempt and redirect hop, so `htm` and `htu` always name the request that is
//!   really sent. On resource requests it also sends `Authorization: DPoP <token>` and the
//!   token's hash (`ath`) in the proof.
//! - [`DpopNonces`]: the nonces servers hand out (`DPoP-Nonce`), by origin. A request
//!   refused with `use_dpop_nonce` is sent again once with the server's nonce
//!   ([`send_with_proof`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::http::{Hop, HopHook, HopHooks, Method};
use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, OAuthError, Secret, Url};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `typ` of a DPoP proof.
pub const PROOF_TYPE: &str = "dpop+jwt";

/// The header a proof travels in, and the header a server's nonce comes back in.
pub const DPOP_HEADER: &str = "dpop";
/// The response header carrying a server's DPoP nonce.
pub const NONCE_HEADER: &str = "dpop-nonce";

/// An ES256 key pair that DPoP proofs are signed with.
///
/// `Debug` shows only the public key's thumbprint; the private key is a [`Secret`].
///
/// ```
/// use auth_flows::dpop::DpopKey;
/// let key = DpopKey::generate().unwrap();
/// let again = DpopKey::from_secret(&key.to_secret()).unwrap();
/// assert_eq!(key.thumbprint(), again.thumbprint());
/// assert_eq!(key.public_jwk()["kty"], "EC");
/// assert!(key.public_jwk().get("d").is_none());
/// ```
#[derive(Clone)]
pub struct DpopKey {
    private: Secret,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

fn key_error(problem: impl fmt::Display) -> Error {
    Error::config(format!(
        "the DPoP key of this token cannot be used ({problem}); log in again"
    ))
}

impl DpopKey {
    /// A new random P-256 key pair.
    ///
    /// ```
    /// let a = auth_flows::dpop::DpopKey::generate().unwrap();
    /// let b = auth_flows::dpop::DpopKey::generate().unwrap();
    /// assert_ne!(a.thumbprint(), b.thumbprint());
    /// ```
    pub fn generate() -> Result<DpopKey, Error> {
        let signing = p256::SecretKey::random(&mut rand::rngs::OsRng);
        DpopKey::from_key(&signing)
    }

    fn from_key(secret: &p256::SecretKey) -> Result<DpopKey, Error> {
        let der = secret.to_pkcs8_der().map_err(key_error)?;
        let point = p256::EncodedPoint::from(secret.public_key());
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(key_error("the public key is the identity point"));
        };
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
        }))
        .map_err(key_error)?;
        Ok(DpopKey {
            private: Secret::new(URL_SAFE_NO_PAD.encode(der.as_bytes())),
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            jwk,
        })
    }

    /// Reads a key written by [`DpopKey::to_secret`] (PKCS#8 DER, base64url).
    ///
    /// ```
    /// let err = auth_flows::dpop::DpopKey::from_secret(&auth_core::Secret::new("not a key")).unwrap_err();
    /// assert!(err.to_string().contains("log in again"));
    /// ```
    pub fn from_secret(stored: &Secret) -> Result<DpopKey, Error> {
        let der = URL_SAFE_NO_PAD
            .decode(stored.expose().trim())
            .map_err(|_| key_error("it is not base64url"))?;
        let secret =
            p256::SecretKey::from_pkcs8_der(&der).map_err(|_| key_error("not a P-256 key"))?;
        DpopKey::from_key(&secret)
    }

    /// The private key in its stored form, for [`Token::dpop_key`](auth_core::Token::dpop_key).
    ///
    /// ```
    /// let key = auth_flows::dpop::DpopKey::generate().unwrap();
    /// assert!(!key.to_secret().expose().is_empty());
    /// ```
    pub fn to_secret(&self) -> Secret {
        self.private.clone()
    }

    /// The public key as a JWK (`kty`, `crv`, `x`, `y`), as it goes in a proof's header.
    ///
    /// ```
    /// let jwk = auth_flows::dpop::DpopKey::generate().unwrap().public_jwk();
    /// assert_eq!(jwk["crv"], "P-256");
    /// ```
    pub fn public_jwk(&self) -> serde_json::Value {
        serde_json::to_value(&self.jwk).unwrap_or_default()
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key (what a server binds tokens to,
    /// `cnf.jkt`).
    ///
    /// ```
    /// let key = auth_flows::dpop::DpopKey::generate().unwrap();
    /// assert_eq!(key.thumbprint().len(), 43);
    /// ```
    pub fn thumbprint(&self) -> String {
        self.jwk
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
    }

    /// A proof for one request: `typ` `dpop+jwt`, ES256, the public `jwk` in the header;
    /// `jti`, `htm`, `htu` (the URL without query and fragment), `iat`, and `ath` when an
    /// access token is given, `nonce` when the server gave one.
    ///
    /// ```
    /// use auth_flows::dpop::DpopKey;
    /// let key = DpopKey::generate().unwrap();
    /// let url = "https://api.example/v1/me?x=1".parse().unwrap();
    /// let proof = key.proof(&http::Method::GET, &url, None, None).unwrap();
    /// assert_eq!(proof.split('.').count(), 3);
    /// ```
    pub fn proof(
        &self,
        method: &Method,
        url: &Url,
        access_token: Option<&Secret>,
        nonce: Option<&str>,
    ) -> Result<String, Error> {
        #[derive(Serialize)]
        struct Claims<'a> {
            jti: String,
            htm: &'a str,
            htu: String,
            iat: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            ath: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            nonce: Option<&'a str>,
        }
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(PROOF_TYPE.into());
        header.jwk = Some(self.jwk.clone());
        let claims = Claims {
            jti: random_id(),
            htm: method.as_str(),
            htu: htu(url),
            iat: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            ath: access_token.map(|t| ath(t.expose())),
            nonce,
        };
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| key_error(format!("signing failed: {e}")))
    }
}

/// 128 random bits, base64url: a proof's `jti`.
fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The `htu` of a request to `url`: the URL without query and fragment (RFC 9449 §4.2).
///
/// ```
/// let url = "https://Server.example:443/token?a=1#f".parse().unwrap();
/// assert_eq!(auth_flows::dpop::htu(&url), "https://server.example/token");
/// ```
pub fn htu(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// The `ath` of an access token: base64url of its SHA-256 (RFC 9449 §4.2).
///
/// ```
/// // RFC 9449 §7.1's example
/// assert_eq!(auth_flows::dpop::ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
///            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
/// ```
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// The DPoP nonces servers gave, by origin, shared by the requests of one client.
///
/// ```
/// let nonces = auth_flows::dpop::DpopNonces::default();
/// let url = "https://as.example/token".parse().unwrap();
/// assert_eq!(nonces.get(&url), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DpopNonces(Arc<Mutex<HashMap<String, String>>>);

impl DpopNonces {
    /// The last nonce the origin of `url` gave.
    ///
    /// ```
    /// # let nonces = auth_flows::dpop::DpopNonces::default();
    /// assert!(nonces.get(&"https://a.example/".parse().unwrap()).is_none());
    /// ```
    pub fn get(&self, url: &Url) -> Option<String> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&url.origin().ascii_serialization()).cloned()
    }

    /// Keeps the `DPoP-Nonce` of `response` (to a request for `url`), if it has one.
    ///
    /// ```
    /// let nonces = auth_flows::dpop::DpopNonces::default();
    /// let url = "https://as.example/token".parse().unwrap();
    /// let response = http::Response::builder().header("DPoP-Nonce", "n-1").body(Vec::new()).unwrap();
    /// nonces.remember(&url, &response);
    /// assert_eq!(nonces.get(&url).as_deref(), Some("n-1"));
    /// ```
    pub fn remember(&self, url: &Url, response: &HttpResponse) {
        let Some(nonce) = response
            .headers()
            .get(NONCE_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 512)
        else {
            return;
        };
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(url.origin().ascii_serialization(), nonce.to_owned());
    }
}

/// The per-hop hook that signs a DPoP proof for each hop, and on resource requests sends
/// the token as `Authorization: DPoP <token>`. Hops to another origin get neither.
///
/// ```
/// use auth_core::http::{Hop, HopHook, Method};
/// use auth_flows::dpop::{DpopHook, DpopKey, DpopNonces};
///
/// let hook = DpopHook::new(DpopKey::generate().unwrap(), DpopNonces::default())
///     .with_access_token(auth_core::Secret::new("tok"));
/// let mut url: auth_core::Url = "https://api.example/me?page=2".parse().unwrap();
/// let (mut headers, mut body) = (http::HeaderMap::new(), Vec::new());
/// hook.on_hop(&mut Hop::new(&Method::GET, &mut url, &mut headers, &mut body, true)).unwrap();
/// assert_eq!(headers["authorization"], "DPoP tok");
/// assert!(headers.contains_key("dpop"));
/// assert!(!format!("{hook:?}").contains("tok\""));
/// ```
#[derive(Clone)]
pub struct DpopHook {
    key: DpopKey,
    access_token: Option<Secret>,
    nonces: DpopNonces,
    sent: Arc<AtomicBool>,
}

impl fmt::Debug for DpopHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopHook")
            .field("key", &self.key)
            .field("with_token", &self.access_token.is_some())
            .finish_non_exhaustive()
    }
}

impl DpopHook {
    /// Proofs signed by `key`, with the nonces of `nonces`; no access token (token
    /// endpoint requests).
    ///
    /// ```
    /// use auth_flows::dpop::{DpopHook, DpopKey, DpopNonces};
    /// let hook = DpopHook::new(DpopKey::generate().unwrap(), DpopNonces::default());
    /// # let _ = hook;
    /// ```
    pub fn new(key: DpopKey, nonces: DpopNonces) -> Self {
        DpopHook {
            key,
            access_token: None,
            nonces,
            sent: Arc::default(),
        }
    }

    /// True when the last hop this hook (or a clone of it) saw got the access token:
    /// after a send, whether the answer is about our token.
    ///
    /// ```
    /// use auth_flows::dpop::{DpopHook, DpopKey, DpopNonces};
    /// let hook = DpopHook::new(DpopKey::generate().unwrap(), DpopNonces::default());
    /// assert!(!hook.sent_on_last_hop());
    /// ```
    pub fn sent_on_last_hop(&self) -> bool {
        self.sent.load(Ordering::SeqCst)
    }

    /// Also sends this DPoP-bound access token (`Authorization: DPoP`, and `ath`).
    ///
    /// ```
    /// use auth_flows::dpop::{DpopHook, DpopKey, DpopNonces};
    /// let hook = DpopHook::new(DpopKey::generate().unwrap(), DpopNonces::default())
    ///     .with_access_token(auth_core::Secret::new("t"));
    /// # let _ = hook;
    /// ```
    pub fn with_access_token(mut self, access_token: Secret) -> Self {
        self.access_token = Some(access_token);
        self
    }
}

impl HopHook for DpopHook {
    fn on_hop(&self, hop: &mut Hop<'_>) -> Result<(), Error> {
        self.sent.store(false, Ordering::SeqCst);
        if !hop.is_same_origin() {
            return Ok(());
        }
        let nonce = self.nonces.get(hop.url());
        let proof = self.key.proof(
            hop.method(),
            hop.url(),
            self.access_token.as_ref(),
            nonce.as_deref(),
        )?;
        let proof = http::HeaderValue::from_str(&proof)
            .map_err(|_| key_error("the proof is not a header value"))?;
        hop.headers_mut().insert(DPOP_HEADER, proof);
        if let Some(token) = &self.access_token
            && !hop.headers().contains_key(http::header::AUTHORIZATION)
        {
            let value =
                crate::authorized::header_value(&Secret::new(format!("DPoP {}", token.expose())))?;
            hop.headers_mut().insert(http::header::AUTHORIZATION, value);
            self.sent.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// True when `response` asks for a DPoP nonce (RFC 9449 §8, §9): a 400 with the error
/// `use_dpop_nonce`, or a 401 whose `WWW-Authenticate` says `error="use_dpop_nonce"`.
///
/// ```
/// let r = http::Response::builder().status(401)
///     .header("WWW-Authenticate", r#"DPoP error="use_dpop_nonce", error_description="fresh nonce""#)
///     .body(Vec::new()).unwrap();
/// assert!(auth_flows::dpop::asks_for_nonce(&r));
/// let r = http::Response::builder().status(400).body(br#"{"error":"use_dpop_nonce"}"#.to_vec()).unwrap();
/// assert!(auth_flows::dpop::asks_for_nonce(&r));
/// let r = http::Response::builder().status(400).body(br#"{"error":"invalid_grant"}"#.to_vec()).unwrap();
/// assert!(!auth_flows::dpop::asks_for_nonce(&r));
/// ```
pub fn asks_for_nonce(response: &HttpResponse) -> bool {
    match response.status().as_u16() {
        400 => crate::token_response::parse_error_response(400, response.body())
            .is_some_and(|e| e.code == "use_dpop_nonce"),
        401 => response
            .headers()
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.trim_start().to_ascii_lowercase().starts_with("dpop")
                    && v.contains("use_dpop_nonce")
            }),
        _ => false,
    }
}

/// Sends `request` with `hook` (a proof on every hop); when the server answers that it
/// wants a nonce, keeps the nonce it gave and sends the request once more. A second
/// demand for a nonce is an error saying so.
///
/// ```no_run
/// # async fn run(http: std::sync::Arc<dyn auth_core::HttpBackend>) -> Result<(), auth_core::Error> {
/// use auth_flows::dpop::{send_with_proof, DpopHook, DpopKey, DpopNonces};
/// let nonces = DpopNonces::default();
/// let hook = DpopHook::new(DpopKey::generate()?, nonces.clone())
///     .with_access_token(auth_core::Secret::new("token"));
/// let request = http::Request::get("https://api.example/me").body(Vec::new()).unwrap();
/// let response = send_with_proof(http.as_ref(), request, &hook).await?;
/// # let _ = response; Ok(()) }
/// ```
pub async fn send_with_proof(
    http: &dyn HttpBackend,
    request: HttpRequest,
    hook: &DpopHook,
) -> Result<HttpResponse, Error> {
    let url = Url::parse(&request.uri().to_string())
        .map_err(|e| Error::config(format!("the request URL is not valid: {e}")))?;
    let again = request.clone();
    let response = http.send(with_hook(request, hook)).await?;
    hook.nonces.remember(&url, &response);
    if !asks_for_nonce(&response) {
        return Ok(response);
    }
    tracing::debug!(url = %auth_core::http::without_query(&url), "the server asked for a DPoP nonce; sending again with it");
    let response = http.send(with_hook(again, hook)).await?;
    hook.nonces.remember(&url, &response);
    if asks_for_nonce(&response) {
        return Err(nonce_refused(response.status().as_u16()));
    }
    Ok(response)
}

/// The error when a server asks for a DPoP nonce again after the retry that carried it.
pub(crate) fn nonce_refused(status: u16) -> Error {
    Error::OAuth(OAuthError::new("use_dpop_nonce", status).with_description(
        "the server refused the DPoP proof again after a retry with the nonce it gave; \
         check the machine's clock, then try again",
    ))
}

fn with_hook(mut request: HttpRequest, hook: &DpopHook) -> HttpRequest {
    HopHooks::push(&mut request, Arc::new(hook.clone()));
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_structure_and_signature() {
        let key = DpopKey::generate().unwrap();
        let url: Url = "https://rs.example/v1/items?page=2#top".parse().unwrap();
        let token = Secret::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
        let proof = key
            .proof(&Method::POST, &url, Some(&token), Some("n-7"))
            .unwrap();
        let header = jsonwebtoken::decode_header(&proof).unwrap();
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
        assert_eq!(header.alg, Algorithm::ES256);
        let jwk = header.jwk.expect("the public key is in the header");
        let shown = serde_json::to_value(&jwk).unwrap();
        assert!(shown.get("d").is_none(), "no private part: {shown}");
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(&proof, &decoding, &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://rs.example/v1/items");
        assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
        assert_eq!(claims["nonce"], "n-7");
        assert!(claims["jti"].as_str().unwrap().len() >= 22);
        let other = key.proof(&Method::POST, &url, None, None).unwrap();
        let other = jsonwebtoken::decode::<serde_json::Value>(&other, &decoding, &validation)
            .unwrap()
            .claims;
        assert_ne!(other["jti"], claims["jti"], "every proof has its own jti");
        assert!(other.get("ath").is_none() && other.get("nonce").is_none());
    }
}
