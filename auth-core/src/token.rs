//! [`Token`]: what a flow obtains and a store keeps, and its stored (versioned) JSON form.
//!
//! Token endpoint responses are parsed where tokens are obtained, in `auth-flows`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
#[derive(PartialEq, Eq, Serialize, Deserialize)]
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
    /// The private half of the DPoP key (RFC 9449) this token is bound to, in the form
    /// its flow library writes (PKCS#8, base64url). It lives and dies with the token:
    /// stores keep it where they keep the token, encrypted wherever they encrypt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<Secret>,
    /// The claims of the ID token, present only when its signature and claims were
    /// validated when it was received (OpenID Connect Core §3.1.3.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_claims: Option<serde_json::Map<String, Value>>,
}

/// `clone_from` copies field by field into the buffers already there (a store or a cache
/// saving a token over the one before allocates nothing for an answer of the same shape).
impl Clone for Token {
    fn clone(&self) -> Self {
        // A struct literal names every field, so a new field fails to compile here until
        // it is copied (and in `clone_from`, by its destructuring).
        Token {
            access_token: self.access_token.clone(),
            token_type: self.token_type.clone(),
            expires_at: self.expires_at,
            refresh_token: self.refresh_token.clone(),
            scopes: self.scopes.clone(),
            id_token: self.id_token.clone(),
            kind: self.kind.clone(),
            extra: self.extra.clone(),
            dpop_key: self.dpop_key.clone(),
            id_claims: self.id_claims.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        let Token {
            access_token,
            token_type,
            expires_at,
            refresh_token,
            scopes,
            id_token,
            kind,
            extra,
            dpop_key,
            id_claims,
        } = source;
        self.access_token.clone_from(access_token);
        self.token_type.clone_from(token_type);
        self.expires_at = *expires_at;
        self.refresh_token.clone_from(refresh_token);
        self.scopes.clone_from(scopes);
        self.id_token.clone_from(id_token);
        self.kind.clone_from(kind);
        self.extra.clone_from(extra);
        self.dpop_key.clone_from(dpop_key);
        self.id_claims.clone_from(id_claims);
    }
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
            .field("dpop_key", &self.dpop_key)
            .field(
                "id_claims",
                &self
                    .id_claims
                    .as_ref()
                    .map(|c| c.keys().collect::<Vec<_>>()),
            )
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
            dpop_key: None,
            id_claims: None,
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

    /// True when the server issued a DPoP-bound token (`token_type` `DPoP`, any case): it
    /// is sent as `Authorization: DPoP <token>` with a proof, never as a bearer token.
    ///
    /// ```
    /// let mut t = auth_core::Token::bearer("abc");
    /// assert!(!t.is_dpop());
    /// t.token_type = "dpop".into();
    /// assert!(t.is_dpop());
    /// ```
    pub fn is_dpop(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("dpop")
    }

    /// The value of an `Authorization` header for an OAuth 2 token: `Bearer <token>`
    /// (the type is normalised to `Bearer`, or `DPoP`, whatever its case; other types are
    /// kept).
    ///
    /// ```
    /// let mut t = auth_core::Token::bearer("abc");
    /// t.token_type = "bearer".into();
    /// assert_eq!(t.authorization_header().expose(), "Bearer abc");
    /// t.token_type = "dpop".into();
    /// assert_eq!(t.authorization_header().expose(), "DPoP abc");
    /// ```
    pub fn authorization_header(&self) -> Secret {
        let scheme = if self.token_type.eq_ignore_ascii_case("bearer") || self.token_type.is_empty()
        {
            "Bearer"
        } else if self.is_dpop() {
            "DPoP"
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
        "the stored token has format version {0}, newer than this program understands ({TOKEN_FORMAT_VERSION}); upgrade this program"
    )]
    NewerVersion(u32),
}

fn to_unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn clone_from_gives_an_equal_token_whatever_was_there() {
        let mut full = Token::bearer("old-access")
            .expiring_at(at(5))
            .with_refresh_token("old-refresh");
        full.scopes = vec!["x".into(), "y".into()];
        full.extra.insert("uid".into(), Value::from(7));
        full.id_token = Some(Secret::new("id"));
        let plain = Token::bearer("new");
        let mut copy = full.clone();
        assert_eq!(copy, full);
        copy.clone_from(&plain);
        assert_eq!(copy, plain);
        assert!(copy.refresh_token.is_none() && copy.extra.is_empty());
        copy.clone_from(&full);
        assert_eq!(copy, full);
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
    fn dpop_key_is_stored_and_hidden_and_old_files_load() {
        let mut t = Token::bearer("a");
        t.token_type = "DPoP".into();
        t.dpop_key = Some(Secret::new("PRIVATE-KEY-BYTES"));
        t.id_claims = Some(serde_json::Map::from_iter([(
            "sub".to_owned(),
            Value::from("ana"),
        )]));
        let stored = t.to_json();
        assert!(
            stored.contains("\"dpop_key\":\"PRIVATE-KEY-BYTES\""),
            "{stored}"
        );
        assert_eq!(Token::from_json(&stored).unwrap(), t);
        assert!(!format!("{t:?}").contains("PRIVATE-KEY-BYTES"));
        // a file written before these fields existed still loads, without them
        let old =
            r#"{"version":1,"access_token":"a","token_type":"Bearer","kind":{"type":"bearer"}}"#;
        let old = Token::from_json(old).unwrap();
        assert!(old.dpop_key.is_none() && old.id_claims.is_none());
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
}
