//! Property tests: percent-encoding round-trips and never panics; parsers never panic on
//! any input; signing a request with random parameters (in the query and a form body,
//! with repeated names and any Unicode) gives a base string whose parameters parse back
//! to exactly the request's parameters plus the protocol parameters.
#![cfg(feature = "oauth1")]

use auth_flows::oauth1::{
    Placement, RequestParts, SignatureMethod, Signer, base_string_uri, parse_authorization_header,
    percent_decode, percent_encode,
};
use proptest::prelude::*;

/// Decoded parameters of a signature base string, sorted.
fn parse_base_string(base_string: &str) -> (String, String, Vec<(String, String)>) {
    let parts: Vec<&str> = base_string.splitn(3, '&').collect();
    assert_eq!(parts.len(), 3, "{base_string}");
    assert!(
        !parts[2].contains('&'),
        "the parameters are encoded as one component"
    );
    let normalized = percent_decode(parts[2]).unwrap();
    let mut params: Vec<(String, String)> = if normalized.is_empty() {
        Vec::new()
    } else {
        normalized
            .split('&')
            .map(|pair| {
                let (n, v) = pair.split_once('=').expect("name=value");
                (percent_decode(n).unwrap(), percent_decode(v).unwrap())
            })
            .collect()
    };
    params.sort();
    (
        percent_decode(parts[0]).unwrap(),
        percent_decode(parts[1]).unwrap(),
        params,
    )
}

fn name() -> impl Strategy<Value = String> {
    // Few short names make repeats likely; arbitrary Unicode covers the encoder.
    prop_oneof!["[a-c]", "\\PC{0,10}"].prop_filter("not an OAuth protocol parameter", |n| {
        !n.starts_with("oauth_")
    })
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((name(), "\\PC{0,12}"), 0..6)
}

fn method() -> impl Strategy<Value = SignatureMethod> {
    prop::sample::select(vec![
        SignatureMethod::HmacSha1,
        SignatureMethod::HmacSha256,
        SignatureMethod::HmacSha512,
        SignatureMethod::Plaintext,
    ])
}

fn placement() -> impl Strategy<Value = Placement> {
    prop::sample::select(vec![Placement::Header, Placement::Query, Placement::Body])
}

fn form(params: &[(String, String)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (n, v) in params {
        serializer.append_pair(n, v);
    }
    serializer.finish()
}

proptest! {
    #[test]
    fn percent_encoding_round_trips(value in "\\PC*") {
        let encoded = percent_encode(&value);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        // Escapes use upper-case hex digits.
        for escape in encoded.split('%').skip(1) {
            prop_assert!(escape.len() >= 2);
            prop_assert!(escape[..2].bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
        }
        prop_assert_eq!(percent_decode(&encoded).unwrap(), value);
    }

    #[test]
    fn decoding_and_parsing_never_panic(input in "\\PC*", raw in prop::collection::vec(any::<u8>(), 0..40)) {
        let _ = percent_decode(&input);
        let _ = parse_authorization_header(&input);
        let _ = parse_authorization_header(&format!("OAuth {input}"));
        let _ = base_string_uri(&input, None);
        let _ = base_string_uri(&format!("http://{input}"), Some(&input));
        let lossy = String::from_utf8_lossy(&raw);
        let _ = percent_decode(&lossy);
        let _ = Signer::new("k", "s").sign_parts(&RequestParts::new("GET", &format!("https://a.example/?{input}")));
        let _ = Signer::new("k", "s").sign_parts(
            &RequestParts::new("POST", "https://a.example/").with_body(Some("application/x-www-form-urlencoded"), &raw));
    }

    #[test]
    fn base_strings_carry_exactly_the_request_parameters(
        query in params(),
        body in params(),
        method in method(),
        placement in placement(),
        host in "[a-z]{1,8}\\.example",
        path in "(/[a-zA-Z0-9 ._~-]{0,6}){0,3}",
    ) {
        let path = if path.contains("/./") || path.contains("/../") || path.ends_with("/.") || path.ends_with("/..") {
            String::from("/")
        } else {
            path
        };
        let url = if query.is_empty() {
            format!("https://{host}{path}")
        } else {
            format!("https://{host}{path}?{}", form(&query))
        };
        let body_text = form(&body);
        let signer = Signer::new("consumer key", "consumer secret")
            .with_token("token", "token secret")
            .with_method(method)
            .with_placement(placement);
        let parts = RequestParts::new("POST", &url)
            .with_body(Some("application/x-www-form-urlencoded"), body_text.as_bytes());
        let signed = signer.sign_parts(&parts).unwrap();

        let (http_method, base_uri, parsed) = parse_base_string(signed.base_string());
        prop_assert_eq!(http_method, "POST");
        prop_assert_eq!(&base_uri, &base_string_uri(&url, None).unwrap());
        let origin = format!("https://{host}/");
        prop_assert!(base_uri.starts_with(&origin), "{} does not start with {}", base_uri, origin);

        let mut expected: Vec<(String, String)> = query.iter().chain(&body).cloned().collect();
        expected.extend(
            signed
                .protocol_parameters()
                .filter(|(n, _)| *n != "oauth_signature")
                .map(|(n, v)| (n.to_owned(), v.to_owned())),
        );
        expected.sort();
        prop_assert_eq!(parsed, expected);

        // What is sent carries the same parameters plus the signature.
        let protocol: Vec<(String, String)> = signed
            .protocol_parameters()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        match placement {
            Placement::Header => {
                let header = signed.authorization_header().unwrap();
                let pairs = parse_authorization_header(header).unwrap();
                prop_assert_eq!(pairs, protocol);
            }
            Placement::Query => {
                let sent = signed.url().split_once('?').unwrap().1;
                let pairs: Vec<(String, String)> = form_urlencoded::parse(sent.as_bytes()).into_owned().collect();
                let mut want: Vec<(String, String)> = query.iter().cloned().chain(protocol).collect();
                want.sort();
                let mut got = pairs;
                got.sort();
                prop_assert_eq!(got, want);
            }
            Placement::Body => {
                let sent = signed.body().unwrap();
                let mut got: Vec<(String, String)> = form_urlencoded::parse(sent).into_owned().collect();
                let mut want: Vec<(String, String)> = body.iter().cloned().chain(protocol).collect();
                want.sort();
                got.sort();
                prop_assert_eq!(got, want);
            }
        }
    }
}
