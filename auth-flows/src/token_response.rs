//! Parsing token endpoint responses (RFC 6749 §5.1 / §5.2) into [`Token`]s: lenient where
//! providers differ (string `expires_in`, form bodies, odd `token_type`), strict where it
//! protects the user (the HTTP status is always checked; errors never show a secret).
//!
//! Every OAuth 2 grant, the token request adapter and the implicit-style fragment reader use
//! this one parser. It is public so that a flow written outside this crate reads answers
//! the same way.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use auth_core::redact::excerpt;
use auth_core::{Error, OAuthError, Secret, Token};
use serde_json::{Map, Value};

/// Parses a token endpoint response (RFC 6749 §5.1 / §5.2) received at `now`.
///
/// - The HTTP status is always checked: a non-2xx status, or a body with an `error`
///   field, gives [`Error::OAuth`] when the body is an RFC 6749 error response and
///   [`Error::InvalidResponse`] (status and a secret-free excerpt) otherwise.
/// - A JSON object is expected; a non-JSON body falls back to form decoding
///   (`access_token=...&token_type=...`, as some providers answer).
/// - `expires_in` may be a number (a fraction is truncated) or a string holding an
///   integer; `0` means unknown expiry. Without `expires_in`, a JWT access token's `exp`
///   claim sets the expiry.
/// - A missing `token_type` means `Bearer`; `scope` is split on spaces; unknown fields
///   are kept in [`Token::extra`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use auth_flows::token_response::parse_token_response;
///
/// let now = UNIX_EPOCH + Duration::from_secs(1000);
/// let body = br#"{"access_token":"a","expires_in":"3600","scope":"read write"}"#;
/// let t = parse_token_response(200, "https://example.com/token", body, now).unwrap();
/// assert_eq!(t.token_type, "Bearer");
/// assert_eq!(t.expires_at, Some(UNIX_EPOCH + Duration::from_secs(4600)));
/// assert_eq!(t.scopes, ["read", "write"]);
///
/// let err = parse_token_response(400, "https://example.com/token",
///     br#"{"error":"invalid_grant"}"#, now).unwrap_err();
/// assert!(err.needs_login());
/// ```
pub fn parse_token_response(
    status: u16,
    url: &str,
    body: &[u8],
    now: SystemTime,
) -> Result<Token, Error> {
    token_from_response(status, url, body, ResponseFields::decode(body), now)
}

/// [`parse_token_response`] with the body's fields already decoded (by
/// [`ResponseFields::decode`]); `body` is still given for the excerpt of an error.
pub(crate) fn token_from_response(
    status: u16,
    url: &str,
    body: &[u8],
    fields: Option<ResponseFields>,
    now: SystemTime,
) -> Result<Token, Error> {
    let invalid = |problem: &str| Error::InvalidResponse {
        url: strip_query(url),
        status,
        problem: problem.to_owned(),
        excerpt: excerpt(body),
    };
    let fields = match fields {
        Some(fields) => fields,
        None if !(200..300).contains(&status) => {
            return Err(invalid(
                "the server answered with an error status and no OAuth error body",
            ));
        }
        None => {
            return Err(invalid(
                "the body is neither a JSON object nor form-encoded fields",
            ));
        }
    };
    if let Some(error) = fields.oauth_error(status) {
        return Err(Error::OAuth(error));
    }
    if !(200..300).contains(&status) {
        return Err(invalid(
            "the server answered with an error status and no OAuth error body",
        ));
    }
    token_from_fields(fields, now).map_err(|problem| invalid(&problem))
}

/// Parses an RFC 6749 §5.2 error body (JSON or form), if the body is one.
///
/// ```
/// let e = auth_flows::token_response::parse_error_response(400, br#"{"error":"invalid_client","error_description":"bad"}"#).unwrap();
/// assert_eq!(e.code, "invalid_client");
/// assert_eq!(e.description.as_deref(), Some("bad"));
/// ```
pub fn parse_error_response(status: u16, body: &[u8]) -> Option<OAuthError> {
    ResponseFields::decode(body)?.oauth_error(status)
}

/// Decodes a token endpoint body as a JSON object, or else (some providers answer so) as
/// form fields: non-empty text with at least one `=`, no whitespace, not HTML. `None` for
/// anything else. [`parse_token_response`] and the token request adapter both read bodies so.
///
/// ```
/// use auth_flows::token_response::parse_response_fields;
/// assert_eq!(parse_response_fields(br#"{"a":1}"#).unwrap()["a"], 1);
/// assert_eq!(parse_response_fields(b"access_token=x&expires_in=60").unwrap()["expires_in"], "60");
/// assert!(parse_response_fields(b"<html>oops</html>").is_none());
/// assert!(parse_response_fields(b"[1, 2]").is_none());
/// ```
pub fn parse_response_fields(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => return Some(map),
        Ok(_) => return None,
        Err(_) => {}
    }
    Some(form_fields(body)?.collect())
}

/// The fields of a body that is form-encoded as [`parse_response_fields`] accepts it
/// (the rule for a body that is not JSON), or `None`.
fn form_fields(body: &[u8]) -> Option<impl Iterator<Item = (String, Value)>> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty()
        || !text.contains('=')
        || text.starts_with('<')
        || text.contains(char::is_whitespace)
    {
        return None;
    }
    Some(
        form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))),
    )
}

/// A token endpoint answer's fields, sorted once: the ones this parser reads, each in
/// its slot, and the others, kept for [`Token::extra`].
///
/// [`ResponseFields::decode`] reads a body straight into it, as
/// [`parse_response_fields`] would decode it (the same JSON object or form fields, the
/// last of a repeated name winning), without a map of every field first;
/// [`ResponseFields::from_map`] sorts fields decoded already.
#[derive(Default, PartialEq)]
pub(crate) struct ResponseFields {
    known: [Option<Value>; KNOWN.len()],
    extra: BTreeMap<String, Value>,
}

impl ResponseFields {
    /// The fields of `body`, decoded as [`parse_response_fields`] decodes them.
    pub(crate) fn decode(body: &[u8]) -> Option<ResponseFields> {
        let mut de = serde_json::Deserializer::from_slice(body);
        match serde::Deserializer::deserialize_map(&mut de, FieldsVisitor) {
            Ok(fields) if de.end().is_ok() => return Some(fields),
            // JSON, but not an object (a JSON object and then more is not JSON)
            Err(_) if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() => {
                return None;
            }
            _ => {}
        }
        Some(Self::sorted(form_fields(body)?))
    }

    /// `map`'s fields, sorted.
    pub(crate) fn from_map(map: Map<String, Value>) -> ResponseFields {
        Self::sorted(map)
    }

    fn sorted(fields: impl IntoIterator<Item = (String, Value)>) -> ResponseFields {
        let mut sorted = ResponseFields::default();
        for (name, value) in fields {
            sorted.put(FieldName::of(Cow::Owned(name)), value);
        }
        sorted
    }

    fn put(&mut self, name: FieldName, value: Value) {
        match name {
            FieldName::Known(i) => self.known[i] = Some(value),
            FieldName::Other(name) => {
                self.extra.insert(name, value);
            }
        }
    }

    /// The RFC 6749 §5.2 error these fields describe, if they are one.
    fn oauth_error(&self, status: u16) -> Option<OAuthError> {
        let [.., error, description, uri] = &self.known;
        let code = error.as_ref()?.as_str()?.trim();
        if code.is_empty() {
            return None;
        }
        let text = |value: &Option<Value>| value.as_ref()?.as_str().map(str::to_owned);
        let mut error = OAuthError::new(code, status).with_description_opt(text(description));
        error.uri = text(uri);
        Some(error)
    }
}

/// Where a field goes, read from its name without keeping the name of a known one.
enum FieldName {
    Known(usize),
    Other(String),
}

impl FieldName {
    fn of(name: Cow<'_, str>) -> FieldName {
        match known_index(&name) {
            Some(i) => FieldName::Known(i),
            None => FieldName::Other(name.into_owned()),
        }
    }
}

impl<'de> serde::Deserialize<'de> for FieldName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(FieldNameVisitor)
    }
}

struct FieldNameVisitor;

impl serde::de::Visitor<'_> for FieldNameVisitor {
    type Value = FieldName;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<FieldName, E> {
        Ok(FieldName::of(Cow::Borrowed(name)))
    }

    fn visit_string<E: serde::de::Error>(self, name: String) -> Result<FieldName, E> {
        Ok(FieldName::of(Cow::Owned(name)))
    }
}

struct FieldsVisitor;

impl<'de> serde::de::Visitor<'de> for FieldsVisitor {
    type Value = ResponseFields;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = ResponseFields::default();
        while let Some(name) = map.next_key::<FieldName>()? {
            fields.put(name, map.next_value()?);
        }
        Ok(fields)
    }
}

fn known_index(name: &str) -> Option<usize> {
    KNOWN.iter().position(|known| *known == name)
}

fn token_from_fields(fields: ResponseFields, now: SystemTime) -> Result<Token, String> {
    // the fields came sorted in one pass (no lookup per name); the checks below then run
    // in the same order whatever order the fields came in
    let ResponseFields { known, mut extra } = fields;
    let [
        access_token,
        token_type,
        expires_in,
        refresh_token,
        id_token,
        scope,
        error,
        error_description,
        error_uri,
    ] = known;
    // not an error answer after all: these are fields like any other
    for (name, value) in [
        ("error", error),
        ("error_description", error_description),
        ("error_uri", error_uri),
    ] {
        if let Some(value) = value {
            extra.insert(name.to_owned(), value);
        }
    }
    let access_token = match access_token {
        Some(Value::String(s)) if !s.is_empty() && !printable_token(&s) => {
            return Err("`access_token` contains control characters".into());
        }
        Some(Value::String(s)) if !s.is_empty() => Secret::new(s),
        Some(_) => return Err("`access_token` is not a non-empty string".into()),
        None => return Err("the response has no `access_token`".into()),
    };
    let token_type = match token_type {
        Some(Value::String(s)) if s.trim().len() == s.len() && !s.is_empty() => s,
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        None | Some(Value::Null) | Some(Value::String(_)) => "Bearer".to_owned(),
        Some(_) => return Err("`token_type` is not a string".into()),
    };
    let expires_in = match expires_in {
        None | Some(Value::Null) => None,
        Some(v) => parse_expires_in(&v)?,
    };
    let refresh_token = optional_secret(refresh_token, "refresh_token")?;
    let id_token = optional_secret(id_token, "id_token")?;
    let scopes = match scope {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(_) => return Err("`scope` is neither a string nor a list".into()),
    };
    let expires_at = match expires_in {
        Some(secs) => now.checked_add(Duration::from_secs(secs)),
        None => crate::jwt_claims::expiry(access_token.expose()),
    };
    let mut token = Token::bearer(access_token);
    token.token_type = token_type;
    token.expires_at = expires_at;
    token.refresh_token = refresh_token;
    token.scopes = scopes;
    token.id_token = id_token;
    token.extra = extra;
    Ok(token)
}

/// The fields [`token_from_fields`] reads, in the order it checks them, then the fields
/// of an error answer ([`ResponseFields::oauth_error`]).
const KNOWN: [&str; 9] = [
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "id_token",
    "scope",
    "error",
    "error_description",
    "error_uri",
];

/// True when a token has no character that could drive a terminal
/// ([`auth_core::text::is_unsafe_char`]): tokens are printed (`authctl token`) and sent in
/// headers, and no real token holds one, so one that does is refused.
pub(crate) fn printable_token(token: &str) -> bool {
    !token.chars().any(auth_core::text::is_unsafe_char)
}

fn optional_secret(value: Option<Value>, name: &str) -> Result<Option<Secret>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(Secret::new(s))),
        Some(_) => Err(format!("`{name}` is not a string")),
    }
}

/// `expires_in` in seconds; `Ok(None)` for 0 (unknown), an error for anything unusable.
fn parse_expires_in(value: &Value) -> Result<Option<u64>, String> {
    const MAX: u64 = 100 * 365 * 24 * 3600;
    let secs = match value {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => u,
            (None, Some(f)) if f.is_finite() && f >= 0.0 => f.trunc() as u64,
            _ => return Err(format!("`expires_in` is not a positive number: {n}")),
        },
        Value::String(s) => s.trim().parse::<u64>().map_err(|_| {
            format!(
                "`expires_in` must be a whole number of seconds, got {:?}",
                excerpt(s.as_bytes())
            )
        })?,
        _ => return Err("`expires_in` is neither a number nor a string".into()),
    };
    Ok(if secs == 0 { None } else { Some(secs.min(MAX)) })
}

fn strip_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn vectors() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/vectors/oauth-vectors.json"
        );
        let text = std::fs::read_to_string(path)
            .expect("shared/vectors/oauth-vectors.json beside the repository");
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn an_access_token_with_control_characters_is_refused() {
        let body = br#"{"access_token":"abc\u001b]0;pwned\u0007"}"#;
        let err = parse_token_response(200, "u", body, at(0)).unwrap_err();
        assert!(err.to_string().contains("control characters"), "{err}");
        assert!(!err.to_string().contains('\x1b'), "{err}");
    }

    #[test]
    fn token_response_vectors() {
        let v = vectors();
        let cases = v["oauth2"]["token_response_parsing"]["cases"]
            .as_array()
            .unwrap();
        assert!(cases.len() >= 6);
        for case in cases {
            let body = case["body"].as_str().unwrap();
            let result = parse_token_response(200, "https://s/token", body.as_bytes(), at(1000));
            let expected = &case["expected"];
            if expected.is_string() {
                let err = result.expect_err(body);
                assert!(
                    matches!(err, Error::InvalidResponse { .. }),
                    "{body}: {err}"
                );
                continue;
            }
            let token = result.unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(
                token.access_token.expose(),
                expected["access_token"].as_str().unwrap()
            );
            assert_eq!(token.token_type, expected["token_type"].as_str().unwrap());
            assert_eq!(
                token.expires_at,
                expected["expires_at"].as_u64().map(at),
                "{body}"
            );
            assert_eq!(
                token.refresh_token.as_ref().map(|s| s.expose().to_owned()),
                expected["refresh_token"].as_str().map(str::to_owned)
            );
            let scopes: Vec<String> = expected["scope"]
                .as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            assert_eq!(token.scopes, scopes);
            if let Some(extra) = expected.get("example_parameter") {
                assert_eq!(token.extra.get("example_parameter"), Some(extra));
            }
        }
    }

    #[test]
    fn error_statuses_are_checked() {
        let err = parse_token_response(
            401,
            "https://s/token?x=1",
            br#"{"error":"invalid_client","error_description":"no"}"#,
            at(0),
        )
        .unwrap_err();
        match err {
            Error::OAuth(e) => {
                assert_eq!(
                    (e.code.as_str(), e.status, e.description.as_deref()),
                    ("invalid_client", 401, Some("no"))
                );
            }
            other => panic!("{other}"),
        }
        let err = parse_token_response(
            502,
            "https://s/token?x=1",
            b"<html>Bad gateway</html>",
            at(0),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, Error::InvalidResponse { status: 502, .. }),
            "{msg}"
        );
        assert!(msg.contains("Bad gateway") && !msg.contains("x=1"), "{msg}");
        // 200 with an error body is still an error
        assert!(matches!(
            parse_token_response(200, "u", br#"{"error":"slow_down"}"#, at(0)),
            Err(Error::OAuth(_))
        ));
        // 500 with a token-shaped body is not a token
        assert!(parse_token_response(500, "u", br#"{"access_token":"a"}"#, at(0)).is_err());
    }

    #[test]
    fn invalid_response_never_shows_the_token() {
        let err = parse_token_response(
            200,
            "u",
            br#"{"access_token":"SECRETVALUE","expires_in":"soon"}"#,
            at(0),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("SECRETVALUE"), "{err}");
    }

    #[test]
    fn jwt_exp_sets_expiry_when_no_expires_in() {
        let jwt = crate::jwt_claims::tests::make_jwt(r#"{"user_id":1,"exp":1700000000}"#);
        let body = format!(r#"{{"access_token":"{jwt}"}}"#);
        let t = parse_token_response(200, "u", body.as_bytes(), at(0)).unwrap();
        assert_eq!(t.expires_at, Some(at(1_700_000_000)));
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn known_key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("access_token".to_owned()),
            Just("token_type".to_owned()),
            Just("expires_in".to_owned()),
            Just("refresh_token".to_owned()),
            Just("scope".to_owned()),
            Just("id_token".to_owned()),
            Just("error".to_owned()),
            "[a-z_]{1,10}",
        ]
    }

    proptest! {
        #[test]
        fn any_json_object_never_panics(
            fields in prop::collection::btree_map(known_key(), json_value(), 0..8),
            status in 100u16..600,
        ) {
            let body = Value::Object(fields.into_iter().collect()).to_string();
            let _ = parse_token_response(status, "https://s/t", body.as_bytes(), SystemTime::now());
        }

        #[test]
        fn decoding_the_body_straight_sorts_fields_as_a_decoded_map_does(
            fields in prop::collection::btree_map(known_key(), json_value(), 0..8),
            raw in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let object = Value::Object(fields.into_iter().collect()).to_string();
            let form = format!("access_token=a%20b&error_uri=u&x_{}=1", raw.len());
            let bodies = [object.into_bytes(), form.into_bytes(), raw, br#""a=b""#.to_vec()];
            for body in bodies {
                let straight = ResponseFields::decode(&body);
                let via_map = parse_response_fields(&body).map(ResponseFields::from_map);
                prop_assert!(straight == via_map, "{}", String::from_utf8_lossy(&body));
            }
        }

        #[test]
        fn any_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_token_response(200, "u", &body, SystemTime::now());
            let _ = parse_error_response(400, &body);
        }

        #[test]
        fn valid_responses_round_trip_through_the_stored_form(
            access in "[A-Za-z0-9._~+/-]{1,64}",
            refresh in proptest::option::of("[A-Za-z0-9]{1,40}"),
            expires_in in proptest::option::of(1u64..10_000_000),
            as_string in any::<bool>(),
            scopes in prop::collection::vec("[a-z:]{1,10}", 0..4),
            extra in prop::collection::btree_map("x_[a-z]{1,8}", json_value(), 0..3),
        ) {
            let mut body = Map::new();
            body.insert("access_token".into(), Value::from(access.clone()));
            if let Some(r) = &refresh { body.insert("refresh_token".into(), Value::from(r.clone())); }
            if let Some(e) = expires_in {
                body.insert("expires_in".into(), if as_string { Value::from(e.to_string()) } else { Value::from(e) });
            }
            if !scopes.is_empty() { body.insert("scope".into(), Value::from(scopes.join(" "))); }
            for (k, v) in &extra { body.insert(k.clone(), v.clone()); }
            let now = at(1_000_000);
            let token = parse_token_response(200, "u", Value::Object(body).to_string().as_bytes(), now).unwrap();
            prop_assert_eq!(token.access_token.expose(), access.as_str());
            prop_assert_eq!(token.expires_at, expires_in.map(|e| at(1_000_000 + e)));
            prop_assert_eq!(&token.extra, &extra);
            let back = Token::from_json(&token.to_json()).unwrap();
            prop_assert_eq!(back, token);
        }
    }
}
