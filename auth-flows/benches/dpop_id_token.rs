//! DPoP and ID tokens: the time to build a DPoP proof for a resource request (ES256, with
//! `ath`), and to validate an ID token (RS256 and ES256) with a warm JWKS cache. Prints
//! the median over the rounds, one line per measurement.
//!
//! Run with `cargo bench -p auth-flows --bench dpop_id_token`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_core::{Error, HttpBackend, HttpRequest, HttpResponse, Secret, async_trait};
use auth_flows::dpop::DpopKey;
use auth_flows::id_token::{IdTokenValidator, Jwks};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

/// The cache is warm: a fetch would be a bug in the measurement.
struct NoNetwork;

#[async_trait]
impl HttpBackend for NoNetwork {
    async fn send(&self, _: HttpRequest) -> Result<HttpResponse, Error> {
        Err(Error::config("the benchmark's JWKS cache should be warm"))
    }
}

fn main() {
    let key = DpopKey::generate().expect("a key");
    let url = "https://api.example.com/v1/items?page=2".parse().unwrap();
    let token = Secret::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
    median("dpop/proof (ES256, with ath)", 2_000, 9, || {
        black_box(
            key.proof(&http::Method::GET, &url, Some(&token), None)
                .unwrap(),
        );
    });

    let rsa = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key");
    let rsa =
        EncodingKey::from_rsa_pem(rsa.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let ec = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let ec = EncodingKey::from_ec_der(ec.to_pkcs8_der().unwrap().as_bytes());
    for (name, alg, signing) in [
        (
            "id_token/validate (RS256, warm JWKS)",
            Algorithm::RS256,
            rsa,
        ),
        ("id_token/validate (ES256, warm JWKS)", Algorithm::ES256, ec),
    ] {
        let mut jwk = Jwk::from_encoding_key(&signing, alg).unwrap();
        jwk.common.key_id = Some("k1".into());
        let jwks = Jwks::new(
            Arc::new(NoNetwork),
            "https://idp.example/jwks".parse().unwrap(),
            false,
        )
        .with_keys(JwkSet { keys: vec![jwk] });
        let validator = IdTokenValidator::new("https://idp.example", "app", jwks);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut header = Header::new(alg);
        header.kid = Some("k1".into());
        let claims = serde_json::json!({"iss": "https://idp.example", "aud": "app", "sub": "ana",
            "exp": now + 3600, "iat": now, "nonce": "n-1"});
        let id_token = jsonwebtoken::encode(&header, &claims, &signing).unwrap();
        let nonce = Secret::new("n-1");
        median(name, 500, 9, || {
            black_box(pollster::block_on(validator.validate(&id_token, Some(&nonce))).unwrap());
        });
    }
}

fn median(name: &str, per_round: u32, rounds: usize, mut once: impl FnMut()) {
    for _ in 0..per_round / 10 + 1 {
        once();
    }
    let mut each: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_round {
                once();
            }
            start.elapsed() / per_round
        })
        .collect();
    each.sort();
    let median = each[rounds / 2];
    println!(
        "{name}: {:.1} µs (median of {rounds} rounds of {per_round})",
        median.as_nanos() as f64 / 1000.0
    );
}
