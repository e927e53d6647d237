//! The request side of signing: [`RequestParts`] (what is signed), its normalisation
//! (the method, the base string URI, the query and form-body parameters), [`Placement`]
//! (where the protocol parameters go) and [`SignedRequest`] (what to send).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use auth_core::Error;

use super::encoding::{Pairs, base_uri, encode_known_into, is_plain, parse_form_into};
use super::error::{SignError, display_name, display_url};

/// Where the OAuth protocol parameters go (RFC 5849 §3.5).
///
/// ```
/// use auth_flows::oauth1::Placement;
/// assert_eq!(Placement::default(), Placement::Header);
/// assert_eq!("query".parse::<Placement>().unwrap(), Placement::Query);
/// assert!("cookie".parse::<Placement>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Placement {
    /// The `Authorization: OAuth ...` header (the default, and what the RFC prefers).
    #[default]
    Header,
    /// The query string.
    Query,
    /// The `application/x-www-form-urlencoded` body (requests with a form body or none;
    /// not GET or HEAD).
    Body,
}

impl FromStr for Placement {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "header" => Ok(Placement::Header),
            "query" => Ok(Placement::Query),
            "body" => Ok(Placement::Body),
            _ => Err(Error::config(format!(
                "signature_placement must be header, query or body, not {s:?}"
            ))),
        }
    }
}

/// A request to sign, as plain parts: method, absolute URL, and optionally the body with
/// its content type and a `Host` header.
///
/// ```
/// use auth_flows::oauth1::RequestParts;
/// let parts = RequestParts::new("POST", "https://api.example.com/statuses")
///     .with_body(Some("application/x-www-form-urlencoded"), b"status=hi");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RequestParts<'a> {
    method: &'a str,
    pub(super) url: &'a str,
    host: Option<&'a str>,
    content_type: Option<&'a str>,
    pub(super) body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// A request without a body.
    pub fn new(method: &'a str, url: &'a str) -> Self {
        RequestParts {
            method,
            url,
            host: None,
            content_type: None,
            body: &[],
        }
    }

    /// Sets the body and its `Content-Type`. Only `application/x-www-form-urlencoded`
    /// bodies are signed parameter by parameter; others get `oauth_body_hash`.
    pub fn with_body(mut self, content_type: Option<&'a str>, body: &'a [u8]) -> Self {
        self.content_type = content_type;
        self.body = body;
        self
    }

    /// Sets the `Host` header, which replaces the URL's host and port in the signature.
    pub fn with_host(mut self, host: &'a str) -> Self {
        self.host = Some(host);
        self
    }

    /// The method in upper case (borrowed when it is already); an error unless it is
    /// an HTTP method token.
    pub(super) fn method(&self) -> Result<Cow<'a, str>, SignError> {
        let method = self.method;
        if method.is_empty() || !method.bytes().all(is_token_byte) {
            return Err(SignError::InvalidRequest {
                problem: format!("{:?} is not an HTTP method", display_name(method)),
            });
        }
        Ok(if method.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(method.to_ascii_uppercase())
        } else {
            Cow::Borrowed(method)
        })
    }

    /// The base string URI and the request's own parameters (RFC 5849 §3.4.1.2 and
    /// §3.4.1.3.1): the query's, and a form body's.
    pub(super) fn normalize(&self) -> Result<NormalizedRequest<'a>, SignError> {
        let base_uri = base_uri(self.url, self.host)?;

        let without_fragment = &self.url[..self.url.find('#').unwrap_or(self.url.len())];
        let query = without_fragment.split_once('?').map(|(_, q)| q);
        // one vector for the query's, the body's and (added by the signer) the protocol
        // parameters
        let mut params = Vec::with_capacity(16);
        if let Some(q) = query {
            parse_form_into(&mut params, q, "query")?;
        }
        let query_len = params.len();

        let is_form = self.content_type.is_some_and(is_form_content_type);
        if is_form {
            let body = std::str::from_utf8(self.body).map_err(|_| SignError::InvalidRequest {
                problem: "the form body is not UTF-8 text; percent-encode it".into(),
            })?;
            parse_form_into(&mut params, body, "form body")?;
        }
        Ok(NormalizedRequest {
            base_uri,
            query,
            params,
            query_len,
            is_form,
        })
    }
}

/// What [`RequestParts::normalize`] found.
pub(super) struct NormalizedRequest<'a> {
    /// The base string URI (borrowed from the URL when it spells it already).
    pub(super) base_uri: Cow<'a, str>,
    /// The query as written (without the fragment), for the query placement.
    pub(super) query: Option<&'a str>,
    /// The query's parameters, then the form body's (none when the body is not a form),
    /// decoded (borrowed when they need no decoding).
    pub(super) params: Pairs<'a>,
    /// How many of `params` come from the query.
    pub(super) query_len: usize,
    /// True when the body is `application/x-www-form-urlencoded`.
    pub(super) is_form: bool,
}

/// The result of [`Signer::sign_parts`](super::Signer::sign_parts): what to send, and the intermediate values for
/// debugging a signature a server rejects.
///
/// `Debug` shows the URL without its query and the parameter names only, because the
/// header, body, base string and (PLAINTEXT) signature carry token values or secrets.
///
/// ```
/// use auth_flows::oauth1::{Placement, RequestParts, Signer};
/// let signed = Signer::new("k", "s").with_placement(Placement::Body)
///     .sign_parts(&RequestParts::new("POST", "https://a.example/x")).unwrap();
/// assert!(signed.authorization_header().is_none());
/// assert!(String::from_utf8_lossy(signed.body().unwrap()).contains("oauth_signature="));
/// ```
#[derive(Clone)]
pub struct SignedRequest {
    /// The signature base string, as the bytes that were signed (read as text only when
    /// asked for).
    pub(super) base: Vec<u8>,
    /// One buffer: the `Authorization` header (header placement), then the URL as given
    /// (unless `url` holds a rewritten one).
    pub(super) text: String,
    /// Where the header ends in `text` (0 when there is none).
    pub(super) header_end: usize,
    /// The URL with the protocol parameters, for the query placement.
    pub(super) url: Option<String>,
    pub(super) body: Option<Vec<u8>>,
    /// The protocol parameters, `oauth_signature` last.
    pub(super) protocol: Protocol,
}

impl SignedRequest {
    /// The signature base string (RFC 5849 §3.4.1.1).
    pub fn base_string(&self) -> &str {
        // written from `&str` pieces and ASCII escapes, so always UTF-8
        std::str::from_utf8(&self.base).unwrap_or_default()
    }

    /// The `oauth_signature` value before percent-encoding.
    pub fn signature(&self) -> &str {
        self.protocol.last_value()
    }

    /// The `Authorization` header value, for the header placement.
    pub fn authorization_header(&self) -> Option<&str> {
        (self.header_end > 0).then(|| &self.text[..self.header_end])
    }

    /// The URL to send: with the protocol parameters for the query placement, else the
    /// URL as given.
    pub fn url(&self) -> &str {
        self.url.as_deref().unwrap_or(&self.text[self.header_end..])
    }

    /// The new body, for the body placement.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The protocol parameters sent (decoded), in order, `oauth_signature` last.
    pub fn protocol_parameters(&self) -> impl Iterator<Item = (&str, &str)> {
        self.protocol.iter()
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("url", &display_url(self.url()))
            .field(
                "protocol_parameters",
                &self.protocol.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

pub(super) const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

fn is_form_content_type(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(FORM_CONTENT_TYPE))
}

/// RFC 7230 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub(super) fn append_form(out: &mut String, params: &Protocol) {
    for (i, (name, value, plain)) in params.marked().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        encode_known_into(out, value, plain);
    }
}

/// The name of a protocol parameter, in the order the names sort in (RFC 5849
/// §3.4.1.3.2), so the protocol parameters need no sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Param {
    BodyHash,
    Callback,
    ConsumerKey,
    Nonce,
    Signature,
    SignatureMethod,
    Timestamp,
    Token,
    Verifier,
    Version,
}

impl Param {
    /// Every name, in sorted order.
    const NAMES: [&'static str; Protocol::MAX] = [
        "oauth_body_hash",
        "oauth_callback",
        "oauth_consumer_key",
        "oauth_nonce",
        "oauth_signature",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_token",
        "oauth_verifier",
        "oauth_version",
    ];

    /// The parameter's name, e.g. `oauth_nonce`.
    pub(super) fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// The protocol parameters of a signed request, in the order they are sent: the values
/// in one buffer, the names and value ranges in a fixed array (no allocation per
/// parameter), and where each name is, so they can also be read in sorted order.
#[derive(Clone, Default)]
pub(super) struct Protocol {
    values: String,
    /// Name, value range, and whether the value is all unreserved bytes (so its
    /// encodings, once or twice, are the value itself: checked once, copied whole).
    entries: [(&'static str, usize, usize, bool); Protocol::MAX],
    len: usize,
    /// For each [`Param`], 1 + its index in `entries`, or 0 when it is absent.
    slots: [u8; Protocol::MAX],
}

impl Protocol {
    /// How many protocol parameters there can be: one per [`Param`].
    pub(super) const MAX: usize = 10;

    /// No parameters yet, with room for `capacity` bytes of values.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Protocol {
            values: String::with_capacity(capacity),
            ..Protocol::default()
        }
    }

    /// Adds a parameter whose value `write` appends to the buffer; each name is added
    /// at most once.
    pub(super) fn push_with<E>(
        &mut self,
        param: Param,
        write: impl FnOnce(&mut String) -> Result<(), E>,
    ) -> Result<(), E> {
        let start = self.values.len();
        write(&mut self.values)?;
        debug_assert!(self.slots[param as usize] == 0, "{param:?} added twice");
        if let Some(entry) = self.entries.get_mut(self.len) {
            let plain = is_plain(&self.values[start..]);
            *entry = (param.name(), start, self.values.len(), plain);
            self.len += 1;
            self.slots[param as usize] = self.len as u8;
        }
        Ok(())
    }

    /// Adds a parameter.
    pub(super) fn push(&mut self, param: Param, value: &str) {
        let written: Result<(), std::convert::Infallible> = self.push_with(param, |out| {
            out.push_str(value);
            Ok(())
        });
        let Ok(()) = written;
    }

    /// The parameters, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.marked().map(|(name, value, _)| (name, value))
    }

    /// The parameters, in order, each with whether its value needs no encoding.
    pub(super) fn marked(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.entries[..self.len]
            .iter()
            .map(|&(name, start, end, plain)| (name, &self.values[start..end], plain))
    }

    /// The parameters sorted by name (and so by encoded name: the names are unreserved),
    /// each with whether its value needs no encoding.
    pub(super) fn sorted(&self) -> impl Iterator<Item = (&str, &str, bool)> + Clone {
        self.slots.iter().filter_map(|&slot| {
            let &(name, start, end, plain) = self.entries.get(usize::from(slot).checked_sub(1)?)?;
            Some((name, &self.values[start..end], plain))
        })
    }

    /// True when a parameter is named `name`.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.iter().any(|(n, _)| n == name)
    }

    /// The value of the last parameter (`oauth_signature` once signed).
    pub(super) fn last_value(&self) -> &str {
        self.iter().last().map_or("", |(_, value)| value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_parameters_come_sorted_in_any_order_they_were_added() {
        assert!(Param::NAMES.windows(2).all(|w| w[0] < w[1]));
        let mut protocol = Protocol::default();
        for (param, value) in [
            (Param::Version, "1.0"),
            (Param::Nonce, "n"),
            (Param::Token, "t"),
            (Param::ConsumerKey, "k"),
        ] {
            protocol.push(param, value);
        }
        assert_eq!(
            protocol
                .sorted()
                .map(|(n, v, _)| (n, v))
                .collect::<Vec<_>>(),
            [
                ("oauth_consumer_key", "k"),
                ("oauth_nonce", "n"),
                ("oauth_token", "t"),
                ("oauth_version", "1.0"),
            ]
        );
        assert_eq!(protocol.iter().next(), Some(("oauth_version", "1.0")));
    }
}
