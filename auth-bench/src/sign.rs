//! OAuth 1 HMAC-SHA1 signing against the `oauth1-request` crate, on the same two
//! requests: a GET with three query parameters, and a form POST. Each side makes the
//! `Authorization` header with a fresh nonce and timestamp every time.

use std::fmt::Display;
use std::hint::black_box;
use std::time::Instant;

use auth_flows::oauth1::{RequestParts, Signer};

use crate::Sample;

const BASE: &str = "https://api.example.com/1.1/statuses/home_timeline.json";
const GET_URL: &str = "https://api.example.com/1.1/statuses/home_timeline.json?count=20&include_entities=true&since_id=1318622958";
const POST_URL: &str = "https://api.example.com/1.1/statuses/update.json";
const FORM: &str = "status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21&include_entities=true";
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
const CONSUMER: (&str, &str) = (
    "xvz1evFS4wEEPTGEFPHBog",
    "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
);
const TOKEN: (&str, &str) = (
    "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
);
/// Pairs (one GET and one POST) signed per round by each side.
const PER_ROUND: u32 = 10_000;

/// One round: nanoseconds per pair of signatures, ours and the anchor's, interleaved in
/// blocks so that drift on a shared machine hits both.
pub(crate) fn measure() -> Result<Sample, String> {
    let signer = Signer::new(CONSUMER.0, CONSUMER.1).with_token(TOKEN.0, TOKEN.1);
    let token = oauth1_request::Token::from_parts(CONSUMER.0, CONSUMER.1, TOKEN.0, TOKEN.1);
    check_same_signature(&signer, &token)?;
    let (mut ours, mut theirs) = (0.0, 0.0);
    for _ in 0..10 {
        ours += time(PER_ROUND / 10, || ours_once(&signer));
        theirs += time(PER_ROUND / 10, || anchor_once(&token));
    }
    Ok(Sample::new(ours / 10.0, theirs / 10.0))
}

fn time(n: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn ours_once(signer: &Signer) {
    let get = signer
        .sign_parts(&RequestParts::new("GET", GET_URL))
        .expect("the GET signs");
    black_box(get.authorization_header());
    let post =
        RequestParts::new("POST", POST_URL).with_body(Some(FORM_CONTENT_TYPE), FORM.as_bytes());
    let post = signer.sign_parts(&post).expect("the POST signs");
    black_box(post.authorization_header());
}

fn get_params() -> [(&'static str, &'static dyn Display); 3] {
    [
        ("count", &20),
        ("include_entities", &"true"),
        ("since_id", &1318622958u64),
    ]
}

fn post_params() -> [(&'static str, &'static dyn Display); 2] {
    [
        ("include_entities", &"true"),
        (
            "status",
            &"Hello Ladies + Gentlemen, a signed OAuth request!",
        ),
    ]
}

fn anchor_once(token: &oauth1_request::Token<&str, &str>) {
    let get = oauth1_request::ParameterList::new(get_params());
    black_box(oauth1_request::get(
        BASE,
        &get,
        token,
        oauth1_request::HMAC_SHA1,
    ));
    let post = oauth1_request::ParameterList::new(post_params());
    black_box(oauth1_request::post(
        POST_URL,
        &post,
        token,
        oauth1_request::HMAC_SHA1,
    ));
}

/// Both sides must sign the same request: with a fixed nonce and timestamp, the two
/// signatures of each request are equal.
fn check_same_signature(
    signer: &Signer,
    token: &oauth1_request::Token<&str, &str>,
) -> Result<(), String> {
    let fixed = signer
        .clone()
        .with_nonce("bench-nonce")
        .with_timestamp("1318622958")
        .with_oauth_version(false);
    let mut builder =
        oauth1_request::Builder::new(token.client.as_ref(), oauth1_request::HMAC_SHA1);
    builder
        .token(token.token.as_ref())
        .nonce("bench-nonce")
        .timestamp(std::num::NonZeroU64::new(1318622958));
    let post_parts =
        RequestParts::new("POST", POST_URL).with_body(Some(FORM_CONTENT_TYPE), FORM.as_bytes());
    let pairs = [
        (
            fixed.sign_parts(&RequestParts::new("GET", GET_URL)),
            builder.get(BASE, &oauth1_request::ParameterList::new(get_params())),
        ),
        (
            fixed.sign_parts(&post_parts),
            builder.post(POST_URL, &oauth1_request::ParameterList::new(post_params())),
        ),
    ];
    for (ours, theirs) in pairs {
        let ours = ours.map_err(|e| format!("our signer refused the bench request: {e}"))?;
        let encoded = auth_flows::oauth1::percent_encode(ours.signature());
        if !theirs.contains(&format!("oauth_signature=\"{encoded}\"")) {
            return Err("the two signers do not sign the same request".into());
        }
    }
    Ok(())
}
