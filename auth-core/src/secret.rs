//! [`Secret`]: a string that never prints itself.
//!
//! Kept as our own small type rather than `secrecy::SecretString`: it is the one string
//! type every crate of the toolkit shares, it serializes (stores must write tokens), it
//! compares in constant time (`subtle`), and it is zeroized on drop (`zeroize`). A
//! foreign type would need wrappers for each of these at every crate boundary.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A secret string: a password, client secret, access token or refresh token.
///
/// `Debug` and `Display` print `***`, the memory is zeroized on drop, and the only way
/// to read the value is the explicit [`Secret::expose`].
///
/// Zeroizing is best-effort: it clears this value's own buffer, not the copies a library
/// makes once the value is handed to it (`oauth2`'s request types, `serde_json` while
/// encoding a store, a transport's request body in `reqwest` or `ureq`), nor copies left
/// behind by a `String` that grew before it was wrapped. Serde reads and writes the bare
/// string (the type is transparent), because stores must persist the value; never
/// serialize a `Secret` into anything a person reads.
///
/// ```
/// use auth_core::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password:?} {password}"), "*** ***");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    ///
    /// ```
    /// let s = auth_core::Secret::new(String::from("tok"));
    /// assert!(!s.is_empty());
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Returns the secret value. Call it only where the value is sent or stored.
    ///
    /// ```
    /// assert_eq!(auth_core::Secret::new("x").expose(), "x");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is the empty string.
    ///
    /// ```
    /// assert!(auth_core::Secret::new("").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares with another value in time independent of where they differ, for
    /// `state` and similar checks (the `subtle` crate's constant-time comparison).
    ///
    /// ```
    /// let state = auth_core::Secret::new("abc");
    /// assert!(state.constant_time_eq("abc"));
    /// assert!(!state.constant_time_eq("abd"));
    /// ```
    pub fn constant_time_eq(&self, other: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(other.as_bytes()))
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        Secret(self.0.clone())
    }

    /// Copies `source` into this secret's own buffer when it is large enough (the old
    /// value is zeroized first), so a token saved over the one before allocates nothing;
    /// otherwise the old buffer is zeroized as it is dropped.
    fn clone_from(&mut self, source: &Self) {
        if self.0.capacity() >= source.0.len() {
            self.0.zeroize();
            self.0.push_str(&source.0);
        } else {
            *self = source.clone();
        }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.constant_time_eq(other.expose())
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clone_from_copies_the_value_into_its_own_buffer_or_a_new_one() {
        let mut kept = Secret::new(String::with_capacity(32));
        kept.clone_from(&Secret::new("a-much-longer-old-value"));
        let before = kept.expose().as_ptr();
        kept.clone_from(&Secret::new("short"));
        assert_eq!(kept.expose(), "short");
        assert_eq!(kept.expose().as_ptr(), before, "the buffer was reused");
        kept.clone_from(&Secret::new("x".repeat(100)));
        assert_eq!(kept.expose(), "x".repeat(100));
        assert_eq!(kept, Secret::new("x".repeat(100)));
    }

    proptest! {
        #[test]
        fn never_prints_its_value(value in "[a-zA-Z0-9]{4,64}") {
            let secret = Secret::new(value.clone());
            let shown = format!("{secret:?}|{secret}|{secret:#?}|{:?}", Some(&secret));
            prop_assert!(!shown.contains(&value), "{shown}");
            prop_assert_eq!(secret.expose(), value.as_str());
        }

        #[test]
        fn serde_is_transparent(value in ".*") {
            let secret = Secret::new(value.clone());
            let json = serde_json::to_string(&secret).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&value).unwrap());
            let back: Secret = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, secret);
        }
    }

    #[test]
    fn constant_time_eq_matches_eq() {
        assert!(Secret::new("a") == Secret::new("a"));
        assert!(Secret::new("a") != Secret::new("b"));
        assert!(!Secret::new("").constant_time_eq("x"));
    }
}
