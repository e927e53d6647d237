//! Reading a JWT's claims (its `exp` above all), without verification, only to schedule
//! renewal.
//!
//! This is deliberately a small reader, not a JOSE crate: nothing here trusts a token.
//! The claims are base64url-decoded and parsed as JSON, the signature is never checked,
//! and the only use made of them is *when* to fetch a new token (a JWT access token
//! without `expires_in`, iNaturalist's `api_token`). A JOSE library would bring key
//! handling and algorithm choices this client has no business making: the resource
//! server verifies the token, not us.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The expiry in a JWT's `exp` claim, or `None` when the value is not a JWT or has no
/// usable `exp`. The signature is **not** verified: use this only to decide when to
/// fetch a new token, never to trust the token's contents.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// // header {"alg":"none"}, payload {"exp":1700000000}
/// let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDB9.";
/// assert_eq!(auth_flows::jwt_claims::expiry(jwt), Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)));
/// assert_eq!(auth_flows::jwt_claims::expiry("not-a-jwt"), None);
/// ```
pub fn expiry(token: &str) -> Option<SystemTime> {
    let claims = claims(token)?;
    let exp = claims.get("exp")?;
    let secs = exp.as_u64().or_else(|| {
        exp.as_f64()
            .filter(|f| f.is_finite() && *f > 0.0)
            .map(|f| f as u64)
    })?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// The decoded claims object of a JWT, unverified; `None` when `token` is not a JWT.
///
/// ```
/// let jwt = "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjo0Mn0.";
/// assert_eq!(auth_flows::jwt_claims::claims(jwt).unwrap()["user_id"], 42);
/// ```
pub fn claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut parts = token.split('.');
    let header = parts.next()?;
    let payload = parts.next()?;
    let _signature = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?).ok()?;
    header.get("alg")?;
    match serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?)
        .ok()?
    {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn make_jwt(payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_exp() {
        assert_eq!(
            expiry(&make_jwt(r#"{"exp":86400}"#)),
            Some(UNIX_EPOCH + Duration::from_secs(86400))
        );
        assert_eq!(expiry(&make_jwt(r#"{"exp":"soon"}"#)), None);
        assert_eq!(expiry(&make_jwt(r#"[1]"#)), None);
        assert_eq!(expiry("a.b.c.d"), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = expiry(&s);
        }
    }
}
