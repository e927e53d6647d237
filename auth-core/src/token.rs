//! [`Token`]: what a flow obtains and a store keeps, its stored JSON form, and the
//! parser for token endpoint responses.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, OAuthError};
use crate::redact::excerpt;
use crate::secret::Secret;

/// The version of the stored JSON form written by this crate.
pub const TOKEN_FORMAT_VERSION: u32 = 1;

/// What kind of credential a [`Token`] is.
///
/// ```
/// use auth_core::{Secret, TokenKind};
/// let k = TokenKind::OAuth1 { token_secret: Secret::new("s") };
/// assert_eq!(k.name(), "oauth1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenKind {
    /// An OAuth 2 access token sent as `Authorization: <token_type> <token>`.
    Bearer,
    /// A JWT obtained by exchanging another token (iNaturalist's `api_token`).
    /// `source` keeps the long-lived token it was minted from, so a fresh JWT never
    /// needs the person again.
    Jwt {
        /// The token the JWT was exchanged for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<Box<Token>>,
    },
    /// An OAuth 1.0a token credential: `access_token` holds `oauth_token`.
    #[serde(rename = "oauth1")]
    OAuth1 {
        /// The `oauth_token_secret`.
        token_secret: Secret,
    },
}

impl TokenKind {
    /// A short name: `bearer`, `jwt`, `oauth1`.
    ///
    /// ```
    /// assert_eq!(auth_core::TokenKind::Bearer.name(), "bearer");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            TokenKind::Bearer => "bearer",
            TokenKind::Jwt { .. } => "jwt",
            TokenKind::OAuth1 { .. } => "oauth1",
        }
    }
}

/// A token and everything needed to use and renew it.
///
/// `expires_at` is absolute; `expires_in` from a server is converted on receipt.
/// `Debug` never shows a secret, nor the values of `extra` (only their names).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::Token;
///
/// let now = SystemTime::now();
/// let token = Token::bearer("abc").expiring_at(now + Duration::from_secs(30));
/// assert!(!token.is_expired(now, Duration::ZERO));
/// assert!(token.is_expired(now, Duration::from_secs(60)));
/// assert!(!format!("{token:?}").contains("abc"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Token {
    /// The access token (OAuth 1: `oauth_token`).
    pub access_token: Secret,
    /// The token type, `Bearer` unless the server said otherwise.
    pub token_type: String,
    /// When the token stops working, if known.
    #[serde(
        default,
        with = "unix_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<SystemTime>,
    /// The refresh token, if the server issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// The granted scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The OpenID Connect ID token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
    /// What kind of token this is.
    pub kind: TokenKind,
    /// Response fields this crate does not interpret, kept as received.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Value>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at.map(to_unix))
            .field("refresh_token", &self.refresh_token)
            .field("scopes", &self.scopes)
            .field("id_token", &self.id_token)
            .field("kind", &self.kind)
            .field("extra_fields", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Token {
    /// A bearer token with no expiry, refresh token or scopes.
    ///
    /// ```
    /// let t = auth_core::Token::bearer("abc");
    /// assert_eq!(t.token_type, "Bearer");
    /// assert_eq!(t.access_token.expose(), "abc");
    /// ```
    pub fn bearer(access_token: impl Into<Secret>) -> Self {
        Token {
            access_token: access_token.into(),
            token_type: "Bearer".into(),
            expires_at: None,
            refresh_token: None,
            scopes: Vec::new(),
            id_token: None,
            kind: TokenKind::Bearer,
            extra: BTreeMap::new(),
        }
    }

    /// An OAuth 1 token credential.
    ///
    /// ```
    /// let t = auth_core::Token::oauth1("tok", "sec");
    /// assert_eq!(t.kind.name(), "oauth1");
    /// ```
    pub fn oauth1(token: impl Into<Secret>, token_secret: impl Into<Secret>) -> Self {
        Token {
            token_type: "OAuth".into(),
            kind: TokenKind::OAuth1 {
                token_secret: token_secret.into(),
            },
            ..Token::bearer(token)
        }
    }

    /// Sets `expires_at`.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let t = auth_core::Token::bearer("a").expiring_at(UNIX_EPOCH + Duration::from_secs(9));
    /// assert_eq!(t.expires_at, Some(UNIX_EPOCH + Duration::from_secs(9)));
    /// ```
    pub fn expiring_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Sets the refresh token.
    ///
    /// ```
    /// let t = auth_core::Token::bearer("a").with_refresh_token("r");
    /// assert!(t.refresh_token.is_some());
    /// ```
    pub fn with_refresh_token(mut self, refresh_token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(refresh_token.into());
        self
    }

    /// True when the token expires within `leeway` of `now` (or already has).
    /// A token without a known expiry is never considered expired.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let now = SystemTime::now();
    /// let t = auth_core::Token::bearer("a").expiring_at(now);
    /// assert!(t.is_expired(now, Duration::ZERO));
    /// assert!(!auth_core::Token::bearer("a").is_expired(now, Duration::from_secs(3600)));
    /// ```
    pub fn is_expired(&self, now: SystemTime, leeway: Duration) -> bool {
        match self.expires_at {
            Some(at) => now.checked_add(leeway).is_none_or(|limit| limit >= at),
            None => false,
        }
    }

    /// Time left before expiry (zero when expired), or `None` when unknown.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let now = SystemTime::now();
    /// let t = auth_core::Token::bearer("a").expiring_at(now + Duration::from_secs(5));
    /// assert_eq!(t.remaining(now), Some(Duration::from_secs(5)));
    /// ```
    pub fn remaining(&self, now: SystemTime) -> Option<Duration> {
        self.expires_at
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// The value of an `Authorization` header for an OAuth 2 token: `Bearer <token>`
    /// (the type is normalised to `Bearer` whatever its case; other types are kept).
    ///
    /// ```
    /// let mut t = auth_core::Token::bearer("abc");
    /// t.token_type = "bearer".into();
    /// assert_eq!(t.authorization_header().expose(), "Bearer abc");
    /// ```
    pub fn authorization_header(&self) -> Secret {
        let scheme = if self.token_type.eq_ignore_ascii_case("bearer") || self.token_type.is_empty()
        {
            "Bearer"
        } else {
            self.token_type.as_str()
        };
        Secret::new(format!("{scheme} {}", self.access_token.expose()))
    }

    /// The stored JSON form: a versioned object every store writes.
    ///
    /// ```
    /// let t = auth_core::Token::bearer("abc").with_refresh_token("r");
    /// let v = t.to_json_value();
    /// assert_eq!(v["version"], 1);
    /// assert_eq!(auth_core::Token::from_json_value(v).unwrap(), t);
    /// ```
    pub fn to_json_value(&self) -> Value {
        let mut value = serde_json::to_value(self).expect("a Token always serializes");
        if let Value::Object(map) = &mut value {
            map.insert("version".into(), Value::from(TOKEN_FORMAT_VERSION));
        }
        value
    }

    /// [`Token::to_json_value`] as a string.
    ///
    /// ```
    /// let t = auth_core::Token::bearer("abc");
    /// assert_eq!(auth_core::Token::from_json(&t.to_json()).unwrap(), t);
    /// ```
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }

    /// Reads the stored JSON form. A document of a newer version or of the wrong shape is
    /// an error; the caller adds where it came from.
    ///
    /// ```
    /// use auth_core::{Token, TokenFormatError};
    /// let err = Token::from_json(r#"{"version": 99}"#).unwrap_err();
    /// assert!(matches!(err, TokenFormatError::NewerVersion(99)));
    /// ```
    pub fn from_json(text: &str) -> Result<Token, TokenFormatError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| TokenFormatError::Corrupt(e.to_string()))?;
        Token::from_json_value(value)
    }

    /// Reads the stored JSON form from a parsed value. See [`Token::from_json`].
    ///
    /// ```
    /// let v = serde_json::json!({"version": 1, "access_token": "a", "token_type": "Bearer", "kind": {"type": "bearer"}});
    /// assert!(auth_core::Token::from_json_value(v).is_ok());
    /// ```
    pub fn from_json_value(mut value: Value) -> Result<Token, TokenFormatError> {
        let Value::Object(map) = &mut value else {
            return Err(TokenFormatError::Corrupt("not a JSON object".into()));
        };
        match map.remove("version").and_then(|v| v.as_u64()) {
            None => return Err(TokenFormatError::Corrupt("no `version` field".into())),
            Some(v) if v > u64::from(TOKEN_FORMAT_VERSION) => {
                return Err(TokenFormatError::NewerVersion(
                    u32::try_from(v).unwrap_or(u32::MAX),
                ));
            }
            Some(_) => {}
        }
        serde_json::from_value(value).map_err(|e| TokenFormatError::Corrupt(e.to_string()))
    }
}

/// Why a stored token could not be read.
///
/// ```
/// let e = auth_core::TokenFormatError::Corrupt("eof".into());
/// assert!(e.to_string().contains("corrupt"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenFormatError {
    /// Not JSON, or not the expected shape.
    #[error("the stored token is corrupt ({0})")]
    Corrupt(String),
    /// Written by a newer version of this toolkit.
    #[error(
        "the stored token has format version {0}, newer than this program understands ({TOKEN_FORMAT_VERSION}); upgrade authctl"
    )]
    NewerVersion(u32),
}

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
/// use auth_core::token::parse_token_response;
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
    let invalid = |problem: &str| Error::InvalidResponse {
        url: strip_query(url),
        status,
        problem: problem.to_owned(),
        excerpt: excerpt(body),
    };
    let fields = match parse_response_fields(body) {
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
    if let Some(error) = oauth_error_from_fields(&fields, status) {
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
/// let e = auth_core::token::parse_error_response(400, br#"{"error":"invalid_client","error_description":"bad"}"#).unwrap();
/// assert_eq!(e.code, "invalid_client");
/// assert_eq!(e.description.as_deref(), Some("bad"));
/// ```
pub fn parse_error_response(status: u16, body: &[u8]) -> Option<OAuthError> {
    oauth_error_from_fields(&parse_response_fields(body)?, status)
}

fn oauth_error_from_fields(fields: &Map<String, Value>, status: u16) -> Option<OAuthError> {
    let code = fields.get("error")?.as_str()?.trim();
    if code.is_empty() {
        return None;
    }
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    Some(OAuthError {
        code: code.to_owned(),
        description: text("error_description"),
        uri: text("error_uri"),
        status,
    })
}

/// Decodes a token endpoint body as a JSON object, or else (some providers answer so) as
/// form fields: non-empty text with at least one `=`, no whitespace, not HTML. `None` for
/// anything else. [`parse_token_response`] and the `oauth2` adapter both read bodies so.
///
/// ```
/// use auth_core::token::parse_response_fields;
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
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty()
        || !text.contains('=')
        || text.starts_with('<')
        || text.contains(char::is_whitespace)
    {
        return None;
    }
    let map: Map<String, Value> = form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Some(map)
}

fn token_from_fields(mut fields: Map<String, Value>, now: SystemTime) -> Result<Token, String> {
    let access_token = match fields.remove("access_token") {
        Some(Value::String(s)) if !s.is_empty() => Secret::new(s),
        Some(_) => return Err("`access_token` is not a non-empty string".into()),
        None => return Err("the response has no `access_token`".into()),
    };
    let token_type = match fields.remove("token_type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        None | Some(Value::Null) | Some(Value::String(_)) => "Bearer".to_owned(),
        Some(_) => return Err("`token_type` is not a string".into()),
    };
    let expires_in = match fields.remove("expires_in") {
        None | Some(Value::Null) => None,
        Some(v) => parse_expires_in(&v)?,
    };
    let refresh_token = optional_secret(&mut fields, "refresh_token")?;
    let id_token = optional_secret(&mut fields, "id_token")?;
    let scopes = match fields.remove("scope") {
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
        None => crate::jwt::expiry(access_token.expose()),
    };
    Ok(Token {
        access_token,
        token_type,
        expires_at,
        refresh_token,
        scopes,
        id_token,
        kind: TokenKind::Bearer,
        extra: fields.into_iter().collect(),
    })
}

fn optional_secret(fields: &mut Map<String, Value>, name: &str) -> Result<Option<Secret>, String> {
    match fields.remove(name) {
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

pub(crate) fn to_unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn strip_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_owned()
}

mod unix_seconds {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_u64(super::to_unix(*t)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        // A corrupt or hostile document may hold a time the platform cannot represent:
        // that is a format error, never a panic.
        match Option::<u64>::deserialize(d)? {
            None => Ok(None),
            Some(s) => UNIX_EPOCH
                .checked_add(Duration::from_secs(s))
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("expires_at is out of range")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        let jwt = crate::jwt::tests::make_jwt(r#"{"user_id":1,"exp":1700000000}"#);
        let body = format!(r#"{{"access_token":"{jwt}"}}"#);
        let t = parse_token_response(200, "u", body.as_bytes(), at(0)).unwrap();
        assert_eq!(t.expires_at, Some(at(1_700_000_000)));
    }

    #[test]
    fn stored_form_is_stable() {
        let mut t = Token::bearer("a")
            .expiring_at(at(5))
            .with_refresh_token("r");
        t.scopes = vec!["x".into()];
        t.extra.insert("uid".into(), Value::from(7));
        let v = t.to_json_value();
        assert_eq!(
            v,
            serde_json::json!({"version":1,"access_token":"a","token_type":"Bearer","expires_at":5,
                "refresh_token":"r","scopes":["x"],"kind":{"type":"bearer"},"extra":{"uid":7}})
        );
        let jwt = Token {
            kind: TokenKind::Jwt {
                source: Some(Box::new(t.clone())),
            },
            ..Token::bearer("j")
        };
        assert_eq!(Token::from_json(&jwt.to_json()).unwrap(), jwt);
        assert!(matches!(
            Token::from_json("{"),
            Err(TokenFormatError::Corrupt(_))
        ));
        assert!(matches!(
            Token::from_json(r#"{"access_token":"a"}"#),
            Err(TokenFormatError::Corrupt(_))
        ));
    }

    #[test]
    fn debug_hides_extra_values() {
        let mut t = Token::bearer("a");
        t.extra.insert("api_token".into(), Value::from("HIDDEN"));
        let shown = format!("{t:?}");
        assert!(
            shown.contains("api_token") && !shown.contains("HIDDEN"),
            "{shown}"
        );
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
