//! [`SignError`]: why a request cannot be signed.

use std::fmt;

/// Why a request could not be signed.
///
/// Signing refuses what it cannot sign unambiguously (a URL without a host, a port out of
/// range, malformed percent-encoding, a parameter the signer would add twice), because a
/// server would compute a different signature and the request would fail later with a
/// puzzling `401`. Messages never contain a secret, a parameter value or a query string.
///
/// It converts into [`auth_core::Error::Config`], so `?` works in functions that return
/// the toolkit's error.
///
/// ```
/// use auth_flows::oauth1::{base_string_uri, SignError};
///
/// let err = base_string_uri("http://example.com:0/", None).unwrap_err();
/// assert!(matches!(err, SignError::InvalidUrl { .. }));
/// assert!(err.to_string().contains("port"));
/// let core: auth_core::Error = err.into();
/// assert!(matches!(core, auth_core::Error::Config { .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The URL cannot be turned into a signature base string URI (RFC 5849 §3.4.1.2).
    InvalidUrl {
        /// The URL without query, fragment or user information.
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A parameter cannot be signed unambiguously (RFC 5849 §3.4.1.3).
    InvalidParameter {
        /// Where it is: `query`, `form body`, `realm`, `Authorization header`, ...
        location: &'static str,
        /// The parameter name (never its value), shortened.
        name: String,
        /// What is wrong with it and what to do.
        problem: String,
    },
    /// The request does not fit the signature placement or method.
    InvalidRequest {
        /// What is wrong and what to do.
        problem: String,
    },
    /// The RSA private key is missing or cannot be read.
    InvalidKey {
        /// What is wrong (never key material).
        problem: String,
    },
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::InvalidUrl { url, problem } => write!(
                f,
                "cannot sign a request for {url:?}: {problem}; give an absolute URL such as \
                 https://api.example.com/path"
            ),
            SignError::InvalidParameter {
                location,
                name,
                problem,
            } => write!(
                f,
                "cannot sign the request: {location} parameter {name:?}: {problem}"
            ),
            SignError::InvalidRequest { problem } => {
                write!(f, "cannot sign the request: {problem}")
            }
            SignError::InvalidKey { problem } => write!(
                f,
                "cannot use the RSA private key: {problem}; give a PEM file holding an \
                 unencrypted PKCS#1 (BEGIN RSA PRIVATE KEY) or PKCS#8 (BEGIN PRIVATE KEY) key"
            ),
        }
    }
}

impl std::error::Error for SignError {}

impl From<SignError> for auth_core::Error {
    fn from(err: SignError) -> Self {
        auth_core::Error::config(err.to_string())
    }
}

/// A URL for messages: no user information, query or fragment, at most 120 characters.
pub(crate) fn display_url(raw: &str) -> String {
    let end = raw.find(['?', '#']).unwrap_or(raw.len());
    let mut shown = raw[..end].to_owned();
    // Drop `user:password@` from the authority.
    if let Some(scheme_end) = shown.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = shown[authority_start..]
            .find('/')
            .map_or(shown.len(), |i| authority_start + i);
        if let Some(at) = shown[authority_start..authority_end].rfind('@') {
            shown.replace_range(authority_start..authority_start + at + 1, "");
        }
    }
    auth_core::redact::shorten(&shown, 120)
}

/// A parameter name for messages: at most 40 characters, control characters replaced.
pub(crate) fn display_name(raw: &str) -> String {
    auth_core::redact::shorten(raw, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_url_hides_credentials_and_query() {
        assert_eq!(
            display_url("https://user:pw@api.example.com/x?token=abc#f"),
            "https://api.example.com/x"
        );
        assert_eq!(display_url("no scheme?q"), "no scheme");
        assert!(display_url(&"a".repeat(500)).ends_with('…'));
    }

    #[test]
    fn messages_name_the_problem() {
        let err = SignError::InvalidParameter {
            location: "query",
            name: "oauth_token".into(),
            problem: "set twice".into(),
        };
        assert_eq!(
            err.to_string(),
            "cannot sign the request: query parameter \"oauth_token\": set twice"
        );
    }
}
