//! DPoP proofs and ID tokens: the time to build a DPoP proof for a resource request
//! (ES256, with `ath`), against `jsonwebtoken::encode` of the same header and claims with
//! the same key (the signing a proof cannot avoid); and the time to validate an ID token
//! (RS256, ES256) with a warm JWKS cache, against `jsonwebtoken::decode` with the same
//! key and the same issuer, audience and expiry checks.

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, Secret, async_trait};
use auth_flows::dpop::{DpopKey, ath, htu};
use auth_flows::id_token::{IdTokenValidator, Jwks};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

use crate::Sample;

/// Proofs per side and round.
const PROOFS: u32 = 2_000;
/// Validations per side and round.
const VALIDATIONS: u32 = 500;
const ISSUER: &str = "https://idp.example";
const CLIENT: &str = "app";
const ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

/// Times `n` calls of each side, in ten interleaved blocks; microseconds per call.
fn interleaved(n: u32, mut ours: impl FnMut(), mut theirs: impl FnMut()) -> Sample {
    for _ in 0..n / 10 {
        ours();
        theirs();
    }
    let (mut a, mut b) = (0.0, 0.0);
    for _ in 0..10 {
        let start = Instant::now();
        for _ in 0..n / 10 {
            ours();
        }
        a += start.elapsed().as_secs_f64();
        let start = Instant::now();
        for _ in 0..n / 10 {
            theirs();
        }
        b += start.elapsed().as_secs_f64();
    }
    let per_call = |total: f64| total * 1e6 / f64::from(n);
    Sample::new(per_call(a), per_call(b))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One round of `DpopKey::proof` (GET with an access token) against the same JWT made
/// by `jsonwebtoken::encode` alone.
pub(crate) fn dpop_proof() -> Result<Sample, String> {
    let key = DpopKey::generate().map_err(|e| e.to_string())?;
    let der = URL_SAFE_NO_PAD
        .decode(key.to_secret().expose())
        .map_err(|e| e.to_string())?;
    let encoding = EncodingKey::from_ec_der(&der);
    let url = "https://api.example.com/v1/items?page=2"
        .parse()
        .map_err(|e| format!("{e}"))?;
    let token = Secret::new(ACCESS_TOKEN);
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(serde_json::from_value(key.public_jwk()).map_err(|e| e.to_string())?);
    let claims = serde_json::json!({
        "jti": "4mXK1EalYznwH-LC-1fBAo", "htm": "GET", "htu": htu(&url),
        "iat": now(), "ath": ath(ACCESS_TOKEN),
    });
    Ok(interleaved(
        PROOFS,
        || {
            black_box(
                key.proof(&http::Method::GET, &url, Some(&token), None)
                    .expect("a proof"),
            );
        },
        || {
            black_box(jsonwebtoken::encode(&header, &claims, &encoding).expect("a JWT"));
        },
    ))
}

/// The cache is warm: a fetch would be a bug in the measurement.
struct NoNetwork;

#[async_trait]
impl HttpBackend for NoNetwork {
    async fn send(&self, _: HttpRequest) -> Result<HttpResponse, Error> {
        Err(Error::config("the benchmark's JWKS cache should be warm"))
    }
}

/// An RSA key takes a while to make: once per run.
fn rsa_key() -> Result<EncodingKey, String> {
    static KEY: OnceLock<Result<EncodingKey, String>> = OnceLock::new();
    KEY.get_or_init(|| {
        let rsa =
            rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| e.to_string())?;
        let pem = rsa
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| e.to_string())
    })
    .clone()
}

fn ec_key() -> Result<EncodingKey, String> {
    use p256::pkcs8::EncodePrivateKey as _;
    let ec = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let der = ec.to_pkcs8_der().map_err(|e| e.to_string())?;
    Ok(EncodingKey::from_ec_der(der.as_bytes()))
}

/// One round of `IdTokenValidator::validate` with a warm JWKS cache against
/// `jsonwebtoken::decode` of the same token with the same key and checks.
fn id_token(alg: Algorithm, signing: &EncodingKey) -> Result<Sample, String> {
    let mut jwk = Jwk::from_encoding_key(signing, alg).map_err(|e| e.to_string())?;
    jwk.common.key_id = Some("k1".into());
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let jwks = Jwks::new(
        Arc::new(NoNetwork),
        "https://idp.example/jwks"
            .parse()
            .map_err(|e| format!("{e}"))?,
        false,
    )
    .with_keys(JwkSet { keys: vec![jwk] });
    let validator = IdTokenValidator::new(ISSUER, CLIENT, jwks);
    let mut header = Header::new(alg);
    header.kid = Some("k1".into());
    let now = now();
    let claims = serde_json::json!({"iss": ISSUER, "aud": CLIENT, "sub": "ana",
        "exp": now + 3600, "iat": now, "nonce": "n-1"});
    let id_token = jsonwebtoken::encode(&header, &claims, signing).map_err(|e| e.to_string())?;
    let nonce = Secret::new("n-1");
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[CLIENT]);
    Ok(interleaved(
        VALIDATIONS,
        || {
            black_box(
                pollster::block_on(validator.validate(&id_token, Some(&nonce)))
                    .expect("a valid ID token"),
            );
        },
        || {
            black_box(
                jsonwebtoken::decode::<serde_json::Value>(&id_token, &decoding, &validation)
                    .expect("a valid JWT"),
            );
        },
    ))
}

/// The RS256 row.
pub(crate) fn id_token_rs256() -> Result<Sample, String> {
    id_token(Algorithm::RS256, &rsa_key()?)
}

/// The ES256 row.
pub(crate) fn id_token_es256() -> Result<Sample, String> {
    id_token(Algorithm::ES256, &ec_key()?)
}
