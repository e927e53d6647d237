//! Property test of the request head parser with heads shaped like what a hostile local
//! process or web page sends: near-valid request lines and headers with absurd
//! `Content-Length`s, duplicate and oversized headers, control characters, invalid UTF-8,
//! bare `\n` line ends, and heads cut short. (`cargo xtask fuzz` runs it with 10,000
//! cases or more; the module's own property covers random bytes.)

use auth_testkit::hostile;
use proptest::prelude::*;

use super::{MAX_HEADERS, parse_request_head};

fn request_line() -> impl Strategy<Value = String> {
    let method = prop::sample::select(vec!["GET", "HEAD", "POST", "OPTIONS", "G\u{0}T", "", "get"]);
    let target = prop_oneof![
        hostile::query(&["code", "state", "error", "iss"]).prop_map(|q| format!("/?{q}")),
        hostile::query(&["code", "state"]).prop_map(|q| format!("http://127.0.0.1:8080/cb?{q}#f")),
        hostile::text(),
        Just("*".to_owned()),
    ];
    let version = prop::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/2", "HTTP/1.1 x", ""]);
    let gap = prop::sample::select(vec![" ", "  ", "\t"]);
    (method, gap, target, version).prop_map(|(m, g, t, v)| format!("{m}{g}{t} {v}"))
}

fn header() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "Host",
        "Content-Length",
        "content-length",
        "Transfer-Encoding",
        "Cookie",
        "X-Forwarded-Host",
        "",
        "Bad Name",
        "\u{1b}[2J",
    ]);
    let value = prop_oneof![
        prop::sample::select(hostile::ABSURD_NUMBERS).prop_map(str::to_owned),
        hostile::text(),
        Just("127.0.0.1:8080".to_owned()),
    ];
    (name, value).prop_map(|(n, v)| format!("{n}: {v}"))
}

fn head() -> impl Strategy<Value = Vec<u8>> {
    (
        request_line(),
        prop::collection::vec(header(), 0..8),
        0..(MAX_HEADERS + 20),
        any::<bool>(),
        prop::sample::select(vec!["\r\n", "\n"]),
        prop::sample::select(vec!["\r\n", "", "\n", "\r"]),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(|(line, headers, filler, many, eol, end, body)| {
            let mut text = line;
            for h in &headers {
                text.push_str(eol);
                text.push_str(h);
            }
            if many {
                for i in 0..filler {
                    text.push_str(eol);
                    text.push_str(&format!("X-{i}: v"));
                }
            }
            text.push_str(eol);
            text.push_str(end);
            let mut bytes = text.into_bytes();
            bytes.extend_from_slice(&body);
            bytes
        })
        .prop_flat_map(hostile::damage)
}

proptest! {
    #![proptest_config(hostile::config(256))]

    /// A near-valid head never panics the parser; a head it accepts has an ASCII target
    /// and a body start inside the buffer, and stays accepted when more bytes follow.
    #[test]
    fn hostile_request_heads(buf in head()) {
        if let Ok(Some((head, body_start))) = parse_request_head(&buf) {
            prop_assert!(body_start <= buf.len());
            prop_assert!(head.target.is_ascii());
            prop_assert!(!head.method.is_empty());
            let mut longer = buf.clone();
            longer.extend_from_slice(b"more body");
            let again = parse_request_head(&longer);
            prop_assert!(matches!(again, Ok(Some((ref h, s))) if *h == head && s == body_start));
        }
    }
}
