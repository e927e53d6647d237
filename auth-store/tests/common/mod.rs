//! Proptest strategies shared by the store tests: any `Token`, any `TokenKey`.

#![allow(dead_code)] // each test binary uses its own part

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use auth_core::{Secret, Token, TokenKey, TokenKind};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::Value;

/// A proptest configuration with `cases` cases that keeps failing cases in
/// `proptest-regressions/<file>.txt` of this package (the default looks for a `lib.rs`
/// beside the test source, which integration tests do not have).
pub(crate) fn config(cases: u32, file: &'static str) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..ProptestConfig::default()
    }
}

pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A token of kind bearer or OAuth 1 with every field drawn at random.
pub(crate) fn flat_token() -> impl Strategy<Value = Token> {
    (
        any::<String>(),
        any::<String>(),
        proptest::option::of(0u64..=100_000_000_000),
        proptest::option::of(any::<String>()),
        prop::collection::vec(any::<String>(), 0..4),
        proptest::option::of(any::<String>()),
        proptest::option::of(any::<String>()),
        prop::collection::btree_map(any::<String>(), json_value(), 0..4),
    )
        .prop_map(
            |(access, token_type, expires, refresh, scopes, id_token, oauth1_secret, extra)| {
                let mut token = Token::bearer(access);
                token.token_type = token_type;
                token.expires_at = expires.map(|s| UNIX_EPOCH + Duration::from_secs(s));
                token.refresh_token = refresh.map(Secret::new);
                token.scopes = scopes;
                token.id_token = id_token.map(Secret::new);
                if let Some(secret) = oauth1_secret {
                    token.kind = TokenKind::OAuth1 {
                        token_secret: Secret::new(secret),
                    };
                }
                token.extra = extra.into_iter().collect::<BTreeMap<_, _>>();
                token
            },
        )
}

/// Any token: bearer, OAuth 1, or a JWT with or without the token it was minted from.
pub(crate) fn any_token() -> impl Strategy<Value = Token> {
    (flat_token(), 0u8..4, proptest::option::of(flat_token())).prop_map(
        |(mut token, kind, source)| {
            if kind == 0 {
                token.kind = TokenKind::Jwt {
                    source: source.map(Box::new),
                };
            }
            token
        },
    )
}

pub(crate) fn any_key() -> impl Strategy<Value = TokenKey> {
    (any::<String>(), any::<String>(), any::<String>()).prop_map(|(p, a, c)| TokenKey::new(p, a, c))
}

/// A key whose parts a D-Bus string can carry (no NUL), for the real Secret Service.
pub(crate) fn printable_key() -> impl Strategy<Value = TokenKey> {
    ("[a-z0-9:%é]{1,12}", "\\PC{1,12}", "[A-Za-z0-9._-]{1,12}")
        .prop_map(|(p, a, c)| TokenKey::new(format!("pt-{p}"), a, c))
}
