//! The rules an answer must meet besides its `state`: the `iss` of RFC 9207
//! ([`IssuerCheck`]) and the loopback `Host` rule against DNS rebinding
//! (`host_allowed`), for requests and pasted addresses alike.

use auth_core::{Error, Provider};

use super::callback::{CallbackQuery, clean_error_field};

/// What RFC 9207 asks of an authorization response's `iss` parameter.
///
/// - when the issuer is known and the response carries `iss`, the two must be identical
///   (compared as strings, without any normalisation);
/// - when the server says it sends `iss` (`authorization_response_iss_parameter_supported`
///   in its metadata), a response without it is refused too;
/// - either failure is [`Error::IssuerMismatch`], which names the mix-up risk.
///
/// ```
/// use auth_core::Provider;
/// use auth_flows::loopback::{parse_callback_query as parse, IssuerCheck};
///
/// let mut provider = Provider::new("idp").with_issuer("https://id.example");
/// let check = IssuerCheck::for_provider(&provider);
/// assert!(check.check(&parse("/?code=c&iss=https%3A%2F%2Fid.example")).is_ok());
/// assert!(check.check(&parse("/?code=c&iss=https%3A%2F%2Fid.example%2F")).is_err());
/// assert!(check.check(&parse("/?code=c")).is_ok(), "the server never said it sends iss");
/// provider.authorization_response_iss_parameter_supported = true;
/// assert!(IssuerCheck::for_provider(&provider).check(&parse("/?code=c")).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuerCheck {
    /// The issuer `iss` must equal; `None`: unknown, nothing to compare with.
    pub issuer: Option<String>,
    /// Whether a response without `iss` is refused.
    pub required: bool,
}

impl IssuerCheck {
    /// The check for a provider: its [`Provider::issuer`], required when
    /// [`Provider::authorization_response_iss_parameter_supported`].
    ///
    /// ```
    /// let check = auth_flows::loopback::IssuerCheck::for_provider(&auth_core::Provider::new("x"));
    /// assert_eq!(check, Default::default());
    /// ```
    pub fn for_provider(provider: &Provider) -> Self {
        IssuerCheck {
            issuer: provider.issuer.clone(),
            required: provider.authorization_response_iss_parameter_supported,
        }
    }

    /// Checks the `iss` of a response; see the type's rules.
    ///
    /// ```
    /// use auth_flows::loopback::{parse_callback_query, IssuerCheck};
    /// let check = IssuerCheck::for_provider(&auth_core::Provider::new("x").with_issuer("https://a"));
    /// let err = check.check(&parse_callback_query("/?iss=https%3A%2F%2Fb")).unwrap_err();
    /// assert!(err.to_string().contains("mix-up"));
    /// ```
    pub fn check(&self, query: &CallbackQuery) -> Result<(), Error> {
        let mut all = query.get_all("iss");
        let received = match (all.next(), all.next()) {
            (None, _) if !self.required => return Ok(()),
            (None, _) => None,
            (Some(iss), None) => Some(iss),
            // Repeated: never what a server sends; refuse whatever is expected.
            (Some(iss), Some(_)) => {
                return Err(Error::IssuerMismatch {
                    expected: self.issuer.clone().unwrap_or_default(),
                    received: Some(clean_error_field(iss)),
                });
            }
        };
        match (&self.issuer, received) {
            (Some(expected), Some(iss)) if expected == iss => Ok(()),
            (None, Some(_)) => Ok(()),
            (expected, received) => Err(Error::IssuerMismatch {
                expected: expected.clone().unwrap_or_default(),
                received: received.map(clean_error_field),
            }),
        }
    }
}

/// Whether `authority` (a `Host` header, or the authority of an absolute URL) names the
/// loopback server on `port`: exactly `127.0.0.1:PORT`, `[::1]:PORT` or `localhost:PORT`
/// (`localhost` in any letter case). Any other name is refused, so that a web page whose
/// domain was rebound to 127.0.0.1 (DNS rebinding) cannot talk to the server.
pub(super) fn host_allowed(authority: &str, port: u16) -> bool {
    let Some((host, given_port)) = authority.rsplit_once(':') else {
        return false;
    };
    given_port == port.to_string()
        && (host == "127.0.0.1" || host == "[::1]" || host.eq_ignore_ascii_case("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_authorities_are_allowed() {
        for ok in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "localhost:8080",
            "LocalHost:8080",
        ] {
            assert!(host_allowed(ok, 8080), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "127.0.0.1",
            "127.0.0.1:8081",
            "127.0.0.1:08080",
            "localhost.evil.example:8080",
            "127.0.0.2:8080",
            "[::1]",
            "",
            ":8080",
        ] {
            assert!(!host_allowed(bad, 8080), "{bad}");
        }
    }
}
