//! [`TokenKey`]: which token a store entry is.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Names one stored token: provider, account and client id, so two people or two apps
/// on one machine never see each other's tokens.
///
/// ```
/// use auth_core::TokenKey;
///
/// let ana = TokenKey::new("inaturalist", "ana", "app-1");
/// let bob = TokenKey::new("inaturalist", "bob", "app-1");
/// assert_ne!(ana.storage_id(), bob.storage_id());
/// assert_eq!(TokenKey::from_storage_id(&ana.storage_id()), Some(ana));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TokenKey {
    /// The provider or profile name.
    pub provider: String,
    /// The account (user name, or `default` when the flow does not reveal one).
    pub account: String,
    /// The OAuth client id the token was issued to.
    pub client_id: String,
}

impl TokenKey {
    /// A key from its three parts.
    ///
    /// ```
    /// let k = auth_core::TokenKey::new("github", "octocat", "abc");
    /// assert_eq!(k.to_string(), "github/octocat (client abc)");
    /// ```
    pub fn new(
        provider: impl Into<String>,
        account: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        TokenKey {
            provider: provider.into(),
            account: account.into(),
            client_id: client_id.into(),
        }
    }

    /// An unambiguous string form for stores that key by string (keyring entries, JSON
    /// object keys): the three parts percent-escaped and joined by `:`.
    ///
    /// ```
    /// let k = auth_core::TokenKey::new("a:b", "c%d", "e");
    /// assert_eq!(k.storage_id(), "a%3Ab:c%25d:e");
    /// ```
    pub fn storage_id(&self) -> String {
        [&self.provider, &self.account, &self.client_id]
            .map(|p| escape(p))
            .join(":")
    }

    /// Reverses [`TokenKey::storage_id`]; `None` when `id` is not one.
    ///
    /// ```
    /// assert_eq!(auth_core::TokenKey::from_storage_id("only:two"), None);
    /// ```
    pub fn from_storage_id(id: &str) -> Option<TokenKey> {
        let mut parts = id.split(':');
        let key = TokenKey {
            provider: unescape(parts.next()?)?,
            account: unescape(parts.next()?)?,
            client_id: unescape(parts.next()?)?,
        };
        parts.next().is_none().then_some(key)
    }
}

impl fmt::Display for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} (client {})",
            self.provider, self.account, self.client_id
        )
    }
}

fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(part: &str) -> Option<String> {
    let mut out = String::with_capacity(part.len());
    let mut rest = part;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3)? {
            "%25" => out.push('%'),
            "%3A" => out.push(':'),
            _ => return None,
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn storage_id_round_trips(p in ".{0,12}", a in ".{0,12}", c in ".{0,12}") {
            let key = TokenKey::new(p, a, c);
            prop_assert_eq!(TokenKey::from_storage_id(&key.storage_id()), Some(key));
        }
    }
}
