//! OAuth 1 signing throughput: a typical API request (GET with three query parameters,
//! token credentials, the `Authorization` header, a fresh nonce and timestamp each time)
//! signed N times per round; prints the median over the rounds, one line per method.
//!
//! Run with `cargo bench -p auth-flows --bench oauth1_sign`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use auth_flows::oauth1::{RsaKey, SignatureMethod, Signer};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

const URL: &str = "https://api.example.com/1.1/statuses/home_timeline.json?count=20&include_entities=true&since_id=1318622958";

fn main() {
    let request = http::Request::get(URL)
        .body(Vec::new())
        .expect("valid request");
    let base = Signer::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    )
    .with_token(
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    );

    run("HMAC-SHA1", &base, &request, 20_000, 9);

    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key generation");
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 encoding");
    let rsa_signer = base
        .clone()
        .with_method(SignatureMethod::RsaSha256)
        .with_rsa_key(RsaKey::from_pem(&pem).expect("the generated key reads back"));
    run("RSA-SHA256 (2048-bit key)", &rsa_signer, &request, 200, 7);
}

fn run(
    name: &str,
    signer: &Signer,
    request: &http::Request<Vec<u8>>,
    per_round: u32,
    rounds: usize,
) {
    // Warm up caches and the allocator.
    for _ in 0..per_round / 10 + 1 {
        sign_once(signer, request);
    }
    let mut per_signature: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_round {
                sign_once(signer, request);
            }
            start.elapsed() / per_round
        })
        .collect();
    per_signature.sort();
    let median = per_signature[rounds / 2];
    let nanos = median.as_nanos().max(1);
    println!(
        "{name}: {:.0} signatures/s, {nanos} ns/signature (median of {rounds} rounds of {per_round})",
        1e9 / nanos as f64
    );
}

fn sign_once(signer: &Signer, request: &http::Request<Vec<u8>>) {
    let mut request = request.clone();
    signer
        .sign_request(&mut request)
        .expect("the request signs");
    black_box(request);
}
