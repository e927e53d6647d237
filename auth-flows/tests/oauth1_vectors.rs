//! Every case of the `oauth1` section of the shared test vectors (RFC 5849 and
//! oauthlib), read at test time. Each test counts the cases it ran and checks the count
//! against the section's length and a floor, so a vanished or emptied section fails.
#![cfg(feature = "oauth1")]

mod oauth1_common;

use auth_flows::oauth1::{
    Placement, RequestParts, RsaKey, SignatureMethod, Signer, base_string_uri,
    parse_authorization_header, percent_decode, percent_encode,
};
use rsa::Pkcs1v15Sign;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

fn section(name: &str) -> Value {
    let all = oauth1_common::vectors();
    let value = all["oauth1"][name].clone();
    assert!(
        !value.is_null(),
        "the vectors have no oauth1.{name} section"
    );
    value
}

fn array<'a>(value: &'a Value, what: &str) -> &'a Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not an array"))
}

fn str_field<'a>(case: &'a Value, name: &str) -> Option<&'a str> {
    case.get(name).and_then(Value::as_str)
}

#[test]
fn percent_encoding() {
    let cases = section("percent_encoding");
    let mut ran = 0;
    for case in array(&cases, "percent_encoding") {
        let input = str_field(case, "input").unwrap();
        let expected = str_field(case, "expected").unwrap();
        assert_eq!(percent_encode(input), expected, "encode {input:?}");
        assert_eq!(
            percent_decode(expected).unwrap(),
            input,
            "decode {expected:?}"
        );
        ran += 1;
    }
    assert_eq!(ran, cases.as_array().unwrap().len());
    assert!(ran >= 16, "only {ran} percent-encoding cases");
}

#[test]
fn base_string_uris() {
    let cases = section("base_string_uri");
    let mut ran = 0;
    for case in array(&cases["cases"], "base_string_uri.cases") {
        let input = str_field(case, "input").unwrap();
        let host = str_field(case, "host_header");
        let expected = str_field(case, "expected").unwrap();
        assert_eq!(
            base_string_uri(input, host).unwrap_or_else(|e| panic!("{input:?}: {e}")),
            expected,
            "{input:?} with Host {host:?}"
        );
        ran += 1;
    }
    assert!(ran >= 21, "only {ran} base string URI cases");

    let mut rejected = 0;
    for case in array(&cases["must_error"], "base_string_uri.must_error") {
        let input = str_field(case, "input").unwrap();
        let err = base_string_uri(input, None).expect_err(&format!("{input:?} must be rejected"));
        let message = err.to_string();
        assert!(
            message.starts_with("cannot sign a request for"),
            "{message}"
        );
        assert!(
            message.contains("scheme") || message.contains("host") || message.contains("port"),
            "{input:?}: the message names the problem: {message}"
        );
        // Signing a whole request with such a URL fails the same way.
        assert!(
            Signer::new("k", "s")
                .sign_parts(&RequestParts::new("GET", input))
                .is_err()
        );
        rejected += 1;
    }
    assert!(rejected >= 15, "only {rejected} must-reject cases");
    assert_eq!(
        ran + rejected,
        cases["cases"].as_array().unwrap().len() + cases["must_error"].as_array().unwrap().len()
    );
}

/// A signer configured from a vector's fields.
fn signer_for(case: &Value) -> Signer {
    let mut signer = Signer::new(
        str_field(case, "consumer_key").unwrap(),
        str_field(case, "consumer_secret").unwrap_or(""),
    )
    .with_method(
        str_field(case, "signature_method")
            .unwrap()
            .parse()
            .unwrap(),
    )
    .with_oauth_version(case["include_oauth_version"].as_bool().unwrap())
    .with_nonce(str_field(case, "nonce").unwrap())
    .with_timestamp(str_field(case, "timestamp").unwrap());
    match (str_field(case, "token"), str_field(case, "token_secret")) {
        (Some(token), secret) => signer = signer.with_token(token, secret.unwrap_or("")),
        (None, Some(secret)) => signer = signer.with_token_secret(secret),
        (None, None) => {}
    }
    if let Some(callback) = str_field(case, "callback") {
        signer = signer.with_callback(callback);
    }
    if let Some(verifier) = str_field(case, "verifier") {
        signer = signer.with_verifier(verifier);
    }
    if let Some(realm) = str_field(case, "realm") {
        signer = signer.with_realm(realm);
    }
    if case["rsa_key"].as_bool() == Some(true) {
        signer = signer.with_rsa_key(RsaKey::from_pem(&oauth1_common::rsa_private_pem()).unwrap());
    }
    match str_field(case, "signature_type") {
        Some("BODY") => signer.with_placement(Placement::Body),
        Some("QUERY") => signer.with_placement(Placement::Query),
        _ => signer,
    }
}

fn parts_for(case: &Value) -> RequestParts<'_> {
    let parts = RequestParts::new(
        str_field(case, "http_method").unwrap(),
        str_field(case, "url").unwrap(),
    );
    match str_field(case, "body") {
        Some(body) => parts.with_body(str_field(case, "content_type"), body.as_bytes()),
        None => parts,
    }
}

/// The parameters of a base string, decoded, sorted.
fn params_of_base_string(base_string: &str) -> Vec<(String, String)> {
    let normalized = percent_decode(base_string.splitn(3, '&').nth(2).unwrap()).unwrap();
    let mut params: Vec<(String, String)> = normalized
        .split('&')
        .map(|pair| {
            let (n, v) = pair.split_once('=').unwrap();
            (percent_decode(n).unwrap(), percent_decode(v).unwrap())
        })
        .collect();
    params.sort();
    params
}

#[test]
fn request_signatures() {
    let cases = section("request_signature_vectors");
    let mut ran = 0;
    for case in array(&cases, "request_signature_vectors") {
        let id = str_field(case, "id").unwrap();
        let signed = signer_for(case)
            .sign_parts(&parts_for(case))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let expected = &case["expected"];
        let computed = &case["verification"]["computed"];

        assert_eq!(signed.signature(), expected["signature"], "{id}: signature");
        assert_eq!(
            signed.base_string(),
            computed["base_string"],
            "{id}: base string"
        );
        if let Some(base) = str_field(expected, "base_string") {
            assert_eq!(signed.base_string(), base, "{id}: expected base string");
        }
        assert_eq!(
            percent_decode(signed.base_string().splitn(3, '&').nth(2).unwrap()).unwrap(),
            computed["normalized_params"],
            "{id}: normalized parameters"
        );
        assert_eq!(
            signed.authorization_header().unwrap(),
            computed["authorization_header"],
            "{id}: Authorization header"
        );
        if let Some(encoded) = str_field(expected, "signature_header_encoded") {
            assert!(
                signed
                    .authorization_header()
                    .unwrap()
                    .contains(&format!("oauth_signature=\"{encoded}\"")),
                "{id}"
            );
        }
        if let Some(collected) = expected["collected_params_decoded"].as_array() {
            let mut want: Vec<(String, String)> = collected
                .iter()
                .map(|pair| {
                    (
                        pair[0].as_str().unwrap().to_owned(),
                        pair[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            want.sort();
            assert_eq!(params_of_base_string(signed.base_string()), want, "{id}");
        }
        ran += 1;
    }
    assert_eq!(ran, cases.as_array().unwrap().len());
    assert!(ran >= 5, "only {ran} request signature vectors");
}

#[test]
fn client_signed_requests_in_header_query_and_body() {
    let cases = section("client_sign_vectors");
    let mut ran = 0;
    let mut placements = std::collections::BTreeSet::new();
    for case in array(&cases, "client_sign_vectors") {
        let id = str_field(case, "id").unwrap();
        let signer = signer_for(case);
        placements.insert(format!("{:?}", signer.placement()));
        let parts = parts_for(case);
        let signed = signer
            .sign_parts(&parts)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let expected = &case["expected"];
        let computed = &case["verification"]["computed"];
        assert_eq!(signed.base_string(), computed["base_string"], "{id}");
        assert_eq!(signed.signature(), computed["signature"], "{id}");

        // The same through http::Request, as the backends send it.
        let mut request = http::Request::builder()
            .method(str_field(case, "http_method").unwrap())
            .uri(str_field(case, "url").unwrap());
        if let Some(ct) = str_field(case, "content_type") {
            request = request.header("content-type", ct);
        }
        let body = str_field(case, "body").unwrap_or("").as_bytes().to_vec();
        let mut request = request.body(body).unwrap();
        signer.sign_request(&mut request).unwrap();

        if let Some(header) = str_field(expected, "authorization_header") {
            assert_eq!(signed.authorization_header(), Some(header), "{id}");
            assert_eq!(request.headers()["authorization"], header, "{id}");
        }
        if let Some(encoded) = str_field(expected, "signature_header_encoded") {
            let header = request.headers()["authorization"].to_str().unwrap();
            assert!(
                header.contains(&format!("oauth_signature=\"{encoded}\"")),
                "{id}: {header}"
            );
        }
        if let Some(body) = str_field(expected, "body") {
            let sent = signed
                .body()
                .unwrap_or(str_field(case, "body").unwrap().as_bytes());
            assert_eq!(String::from_utf8_lossy(sent), body, "{id}");
            assert_eq!(String::from_utf8_lossy(request.body()), body, "{id}");
        }
        if let Some(url) = str_field(expected, "url") {
            assert_eq!(signed.url(), url, "{id}");
            assert_eq!(request.uri().to_string(), url, "{id}");
        }
        ran += 1;
    }
    assert_eq!(ran, cases.as_array().unwrap().len());
    assert!(ran >= 8, "only {ran} client sign vectors");
    assert_eq!(placements.len(), 3, "header, query and body all covered");
}

#[test]
fn base_string_signatures_for_every_method() {
    let case = section("sign_base_string_vectors");
    let base_string = str_field(&case, "base_string").unwrap();
    let consumer_secret = str_field(&case, "client_secret").unwrap();
    let token_secret = str_field(&case, "token_secret").unwrap();
    let pem = oauth1_common::rsa_private_pem();
    let public = oauth1_common::rsa_public_key();
    // The same key as PKCS#8 must sign the same way.
    let pkcs8_pem = rsa::RsaPrivateKey::from_pkcs1_pem(&pem)
        .unwrap()
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap();
    assert!(pkcs8_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let pkcs8 = RsaKey::from_pem(&pkcs8_pem).unwrap();
    // A key file that also holds a certificate reads the same.
    let bundle = format!("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n{pem}");
    let bundled = RsaKey::from_pem(&bundle).unwrap();
    assert_eq!(format!("{bundled:?}"), "RsaKey { bits: 1024, .. }");

    let expected = case["expected"].as_object().unwrap();
    let mut ran = 0;
    for (method_name, signature) in expected {
        let method: SignatureMethod = method_name.parse().unwrap();
        let signer = Signer::new("key", consumer_secret)
            .with_token_secret(token_secret)
            .with_method(method)
            .with_rsa_key(RsaKey::from_pem(&pem).unwrap());
        let signature = signature.as_str().unwrap();
        assert_eq!(
            signer.sign_base_string(base_string).unwrap(),
            signature,
            "{method_name}"
        );
        if method == SignatureMethod::Plaintext {
            assert_eq!(
                signature, case["hmac_key_after_encoding"],
                "PLAINTEXT is the key"
            );
        }
        if method.is_rsa() {
            for key in [&pkcs8, &bundled] {
                let other = signer.clone().with_rsa_key(key.clone());
                assert_eq!(other.sign_base_string(base_string).unwrap(), signature);
            }
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(signature)
                .unwrap();
            let data = base_string.as_bytes();
            let verified = match method {
                SignatureMethod::RsaSha1 => {
                    public.verify(Pkcs1v15Sign::new::<Sha1>(), &Sha1::digest(data), &raw)
                }
                SignatureMethod::RsaSha256 => {
                    public.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(data), &raw)
                }
                _ => public.verify(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(data), &raw),
            };
            assert!(
                verified.is_ok(),
                "{method_name} verifies with the public key"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, SignatureMethod::ALL.len(), "one vector per method");
}

#[test]
fn unusable_rsa_keys_are_clear_errors_without_key_material() {
    let public = oauth1_common::vectors()["keys"]["oauthlib_test_rsa_public_pkcs1_pem"]
        .as_str()
        .unwrap()
        .to_owned();
    let private = oauth1_common::rsa_private_pem();
    let truncated = private[..private.len() / 2].to_owned() + "\n-----END RSA PRIVATE KEY-----\n";
    for (pem, expected) in [
        (public.as_str(), "public key"),
        ("not a key", "no PEM private key"),
        (
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
            "encrypted",
        ),
        (truncated.as_str(), "PKCS#1 key could not be read"),
    ] {
        let message = RsaKey::from_pem(pem).unwrap_err().to_string();
        assert!(message.contains(expected), "{expected:?} in {message}");
        assert!(message.contains("PEM file"), "{message}");
        assert!(!message.contains("MIIC"), "no key material: {message}");
    }
}

#[test]
fn plaintext_rfc_example() {
    let case = section("plaintext_rfc_example");
    let signer = Signer::new(
        str_field(&case, "consumer_key").unwrap(),
        str_field(&case, "consumer_secret").unwrap(),
    )
    .with_method(SignatureMethod::Plaintext)
    .with_realm(str_field(&case, "realm").unwrap())
    .with_callback(str_field(&case, "callback").unwrap());
    let signed = signer
        .sign_parts(&RequestParts::new(
            str_field(&case, "http_method").unwrap(),
            str_field(&case, "url").unwrap(),
        ))
        .unwrap();
    let expected = &case["expected"];
    assert_eq!(signed.signature(), expected["signature"]);
    let header = signed.authorization_header().unwrap();
    assert!(header.starts_with("OAuth realm=\"Example\", "), "{header}");
    for (name, value) in [
        ("oauth_signature", &expected["signature_header_encoded"]),
        ("oauth_callback", &expected["oauth_callback_header_encoded"]),
    ] {
        let needle = format!("{name}=\"{}\"", value.as_str().unwrap());
        assert!(header.contains(&needle), "{needle} in {header}");
    }
    let pairs = parse_authorization_header(header).unwrap();
    assert!(pairs.contains(&("oauth_consumer_key".into(), "jd83jd92dhsh93js".into())));
    assert!(pairs.contains(&("oauth_signature_method".into(), "PLAINTEXT".into())));
}
