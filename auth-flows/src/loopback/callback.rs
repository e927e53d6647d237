//! The callback: what the browser's redirect carries and what it is answered.
//!
//! - [`CallbackQuery`] and [`parse_callback_query`]: the request target, decoded as a form
//!   (`+` is a space, malformed escapes kept as they are, never a panic);
//! - [`authorization_code_verdict`]: the OAuth 2 rules, with the `state` compared in
//!   constant time ([`Secret::constant_time_eq`]), and [`authorization_response_verdict`],
//!   which adds the `iss` check of RFC 9207 ([`IssuerCheck`]);
//! - `Page`: the small HTML page every request is answered with, its text HTML-escaped.
//!
//! At about 730 lines, about 190 of them tests, the module stays whole: the
//! query, the verdict on it and the page that answers it are one question, what the
//! redirect said and what the browser is told.

use std::fmt;
use std::io::Write;
use std::net::{Shutdown, TcpStream};

use auth_core::{Error, OAuthError, Secret};

use super::checks::IssuerCheck;

/// What a successful OAuth 2 authorization response carried.
///
/// ```
/// use auth_core::Secret;
/// use auth_flows::loopback::{authorization_code_verdict, parse_callback_query, CallbackVerdict};
///
/// let query = parse_callback_query("/?code=abc&state=s&iss=https%3A%2F%2Fid.example");
/// let CallbackVerdict::Accept(callback) = authorization_code_verdict(&query, &Secret::new("s")) else {
///     panic!("not accepted");
/// };
/// assert_eq!(callback.code.expose(), "abc");
/// assert_eq!(callback.query.get("iss"), Some("https://id.example"));
/// assert!(!format!("{callback:?}").contains("abc"));
/// ```
#[derive(Clone, Debug)]
pub struct AuthorizationCallback {
    /// The authorization code, to exchange at the token endpoint.
    pub code: Secret,
    /// The whole callback (for `iss` (RFC 9207) and provider-specific parameters).
    pub query: CallbackQuery,
}

/// What [`LoopbackServer::wait`](super::LoopbackServer::wait)'s check decides about a callback.
///
/// ```
/// use auth_flows::loopback::CallbackVerdict;
/// let v: CallbackVerdict<u8> = CallbackVerdict::Ignore;
/// assert!(matches!(v, CallbackVerdict::Ignore));
/// ```
#[derive(Debug)]
pub enum CallbackVerdict<T> {
    /// This is the callback: answer the success page and end the flow with the value.
    Accept(T),
    /// Not a callback (no parameters the flow looks for): answer a "still waiting"
    /// page and keep waiting.
    Ignore,
    /// A callback that ends the flow with an error: answer an error page showing the
    /// error's message (HTML-escaped) and end the flow with it.
    Fail(Error),
}

/// The decoded query of a request to the redirect server, with the path it asked for.
///
/// Parameters keep their order and repetitions. `Debug` masks the values of `code`,
/// `state`, `oauth_token`, `oauth_verifier` and every other name in
/// [`auth_core::redact::SECRET_FIELD_NAMES`].
///
/// ```
/// use auth_flows::loopback::parse_callback_query;
///
/// let q = parse_callback_query("/cb?code=s3cr3t&scope=a+b&scope=c");
/// assert_eq!(q.path(), "/cb");
/// assert_eq!(q.get("scope"), Some("a b"));
/// assert_eq!(q.get_all("scope").collect::<Vec<_>>(), ["a b", "c"]);
/// assert_eq!(q.count("code"), 1);
/// assert!(!format!("{q:?}").contains("s3cr3t"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CallbackQuery {
    path: String,
    params: Vec<(String, String)>,
}

impl CallbackQuery {
    /// The path the request asked for, as sent (percent-encoded), `/` when it was empty.
    ///
    /// ```
    /// assert_eq!(auth_flows::loopback::parse_callback_query("/favicon.ico").path(), "/favicon.ico");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The first value of a parameter.
    ///
    /// ```
    /// let q = auth_flows::loopback::parse_callback_query("/?a=1&a=2");
    /// assert_eq!(q.get("a"), Some("1"));
    /// assert_eq!(q.get("b"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter, in order.
    ///
    /// ```
    /// let q = auth_flows::loopback::parse_callback_query("/?a=1&b=x&a=2");
    /// assert_eq!(q.get_all("a").collect::<Vec<_>>(), ["1", "2"]);
    /// ```
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// How many times a parameter appears.
    ///
    /// ```
    /// assert_eq!(auth_flows::loopback::parse_callback_query("/?a&a=&b").count("a"), 2);
    /// ```
    pub fn count(&self, name: &str) -> usize {
        self.params.iter().filter(|(k, _)| k == name).count()
    }

    /// Every parameter, decoded, in order.
    ///
    /// ```
    /// let q = auth_flows::loopback::parse_callback_query("/?x=%41&y");
    /// assert_eq!(q.params(), [("x".to_owned(), "A".to_owned()), ("y".to_owned(), String::new())]);
    /// ```
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// True when the request had no query parameters.
    ///
    /// ```
    /// assert!(auth_flows::loopback::parse_callback_query("/").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

impl fmt::Debug for CallbackQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Params<'a>(&'a [(String, String)]);
        impl fmt::Debug for Params<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, v)| {
                        let shown = if is_masked(k) { "***" } else { v.as_str() };
                        (k, shown)
                    }))
                    .finish()
            }
        }
        f.debug_struct("CallbackQuery")
            .field("path", &self.path)
            .field("params", &Params(&self.params))
            .finish()
    }
}

fn is_masked(name: &str) -> bool {
    name.eq_ignore_ascii_case("state")
        || auth_core::redact::SECRET_FIELD_NAMES
            .iter()
            .any(|secret| name.eq_ignore_ascii_case(secret))
}

/// Parses a request target (`/path?query`, or the absolute form
/// `http://host:port/path?query`) into its path and decoded query parameters.
///
/// The query is decoded as `application/x-www-form-urlencoded` (RFC 6749 Appendix B):
/// `+` is a space, malformed percent-escapes stay as they are, and bytes that do not form
/// UTF-8 become U+FFFD. A fragment, if any, is dropped. The function never fails and
/// never panics.
///
/// ```
/// use auth_flows::loopback::parse_callback_query;
///
/// let q = parse_callback_query("http://127.0.0.1:8080/cb?code=a%2Bb+c&bad=%zz&utf=%FF#frag");
/// assert_eq!(q.path(), "/cb");
/// assert_eq!(q.get("code"), Some("a+b c"));
/// assert_eq!(q.get("bad"), Some("%zz"));
/// assert_eq!(q.get("utf"), Some("\u{FFFD}"));
/// assert_eq!(parse_callback_query("").path(), "/");
/// ```
pub fn parse_callback_query(target: &str) -> CallbackQuery {
    let target = target.split_once('#').map_or(target, |(before, _)| before);
    let origin_form = strip_scheme_and_authority(target);
    let (path, query) = origin_form.split_once('?').unwrap_or((origin_form, ""));
    let path = if path.is_empty() { "/" } else { path };
    CallbackQuery {
        path: path.to_owned(),
        params: form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    }
}

/// `http://host:port/p?q` → `/p?q`; other targets unchanged.
fn strip_scheme_and_authority(target: &str) -> &str {
    match split_absolute(target) {
        Some((_, _, rest)) => rest,
        None => target,
    }
}

/// The authority of an absolute-form target (`http://host:port/p?q` → `host:port`).
pub(super) fn target_authority(target: &str) -> Option<&str> {
    split_absolute(target).map(|(_, authority, _)| authority)
}

/// The scheme of an absolute-form target (`http://host:port/p?q` → `http`).
pub(super) fn target_scheme(target: &str) -> Option<&str> {
    split_absolute(target).map(|(scheme, _, _)| scheme)
}

/// `scheme://authority/rest` → (scheme, authority, `/rest`); `None` for other targets.
fn split_absolute(target: &str) -> Option<(&str, &str, &str)> {
    let colon = target.find("://")?;
    let scheme = &target[..colon];
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let after = &target[colon + 3..];
    Some(match after.find(['/', '?']) {
        Some(i) => (scheme, &after[..i], &after[i..]),
        None => (scheme, after, ""),
    })
}

/// Decides about an OAuth 2 authorization response (RFC 6749 §4.1.2 and §4.1.2.1), as
/// [`LoopbackServer::wait_for_code`](super::LoopbackServer::wait_for_code) does:
///
/// - neither `code` nor `error`: [`CallbackVerdict::Ignore`];
/// - `state` missing, repeated or different from `expected_state` (compared in constant
///   time; an empty `expected_state` never matches): [`Error::StateMismatch`]. The state
///   is checked before anything else, errors included;
/// - `error=access_denied`: [`Error::AccessDenied`] with the `error_description`;
/// - any other `error`: [`Error::OAuth`] with the code, description and `error_uri`
///   (control characters removed) and status 302, the redirect that carried it;
/// - `code` repeated or empty: [`Error::Interaction`] (a real server never sends that);
/// - otherwise [`CallbackVerdict::Accept`].
///
/// ```
/// use auth_core::{Error, Secret};
/// use auth_flows::loopback::{authorization_code_verdict as verdict, parse_callback_query as parse, CallbackVerdict};
///
/// let state = Secret::new("s");
/// assert!(matches!(verdict(&parse("/?code=c&state=s"), &state), CallbackVerdict::Accept(_)));
/// assert!(matches!(verdict(&parse("/"), &state), CallbackVerdict::Ignore));
/// assert!(matches!(verdict(&parse("/?code=c&state=t"), &state), CallbackVerdict::Fail(Error::StateMismatch)));
/// assert!(matches!(verdict(&parse("/?code=c"), &state), CallbackVerdict::Fail(Error::StateMismatch)));
/// let CallbackVerdict::Fail(Error::OAuth(e)) = verdict(&parse("/?error=invalid_scope&state=s"), &state) else {
///     panic!()
/// };
/// assert_eq!(e.code, "invalid_scope");
/// ```
pub fn authorization_code_verdict(
    query: &CallbackQuery,
    expected_state: &Secret,
) -> CallbackVerdict<AuthorizationCallback> {
    authorization_response_verdict(query, expected_state, &IssuerCheck::default())
}

/// [`authorization_code_verdict`] with the `iss` check of RFC 9207: after the `state`
/// matched, and before an `error` or a `code` is looked at, `issuer` must accept the
/// response; a failure is [`CallbackVerdict::Fail`] with [`Error::IssuerMismatch`].
///
/// ```
/// use auth_core::{Error, Provider, Secret};
/// use auth_flows::loopback::{authorization_response_verdict as verdict, parse_callback_query as parse, CallbackVerdict, IssuerCheck};
///
/// let check = IssuerCheck::for_provider(&Provider::new("x").with_issuer("https://a.example"));
/// let state = Secret::new("s");
/// assert!(matches!(verdict(&parse("/?code=c&state=s&iss=https://a.example"), &state, &check), CallbackVerdict::Accept(_)));
/// assert!(matches!(verdict(&parse("/?code=c&state=s&iss=https://b.example"), &state, &check), CallbackVerdict::Fail(Error::IssuerMismatch { .. })));
/// ```
pub fn authorization_response_verdict(
    query: &CallbackQuery,
    expected_state: &Secret,
    issuer: &IssuerCheck,
) -> CallbackVerdict<AuthorizationCallback> {
    let codes = query.count("code");
    let has_error = query.count("error") > 0;
    if codes == 0 && !has_error {
        return CallbackVerdict::Ignore;
    }
    let mut states = query.get_all("state");
    let state_ok = match (states.next(), states.next()) {
        (Some(state), None) => !expected_state.is_empty() && expected_state.constant_time_eq(state),
        _ => false,
    };
    tracing::debug!(
        state_matched = state_ok,
        error = query.get("error").map(clean_error_field),
        "authorization callback"
    );
    if !state_ok {
        return CallbackVerdict::Fail(Error::StateMismatch);
    }
    if let Err(mismatch) = issuer.check(query) {
        return CallbackVerdict::Fail(mismatch);
    }
    if has_error {
        return CallbackVerdict::Fail(error_from_callback(query));
    }
    if codes > 1 {
        return CallbackVerdict::Fail(Error::Interaction(
            "the authorization callback carried `code` more than once, which an authorization \
             server never sends; run the login again"
                .into(),
        ));
    }
    match query.get("code") {
        Some(code) if !code.is_empty() => CallbackVerdict::Accept(AuthorizationCallback {
            code: Secret::new(code),
            query: query.clone(),
        }),
        _ => CallbackVerdict::Fail(Error::Interaction(
            "the authorization callback carried an empty `code`; run the login again".into(),
        )),
    }
}

/// The most characters kept from an error code, description or URI of a callback.
const MAX_ERROR_FIELD_CHARS: usize = 500;

fn error_from_callback(query: &CallbackQuery) -> Error {
    let code = clean_error_field(query.get("error").unwrap_or_default());
    let description = query.get("error_description").map(clean_error_field);
    if code == "access_denied" {
        return Error::AccessDenied { description };
    }
    let code = if code.is_empty() {
        "(empty error code)".to_owned()
    } else {
        code
    };
    let mut error = OAuthError::new(code, 302);
    error.description = description;
    error.uri = query.get("error_uri").map(clean_error_field);
    Error::OAuth(error)
}

/// Unsafe characters (terminal escapes, bidi controls) become spaces, by the one rule
/// [`auth_core::text::printable`]; the length is capped.
pub(super) fn clean_error_field(value: &str) -> String {
    let capped: String = value.chars().take(MAX_ERROR_FIELD_CHARS).collect();
    auth_core::text::printable(&capped).trim().to_owned()
}

/// `&`, `<`, `>`, `"` and `'` as HTML entities.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small HTML answer.
#[derive(Debug)]
pub(super) struct Page {
    status: u16,
    reason: &'static str,
    title: &'static str,
    /// Already HTML-escaped.
    message_html: String,
    allow_get_only: bool,
}

impl Page {
    fn new(status: u16, reason: &'static str, title: &'static str, message: &str) -> Self {
        Page {
            status,
            reason,
            title,
            message_html: escape_html(message),
            allow_get_only: false,
        }
    }

    pub(super) fn success() -> Self {
        Page::new(
            200,
            "OK",
            "Signed in",
            "The application received the sign-in. You can close this tab and return to it.",
        )
    }

    pub(super) fn waiting() -> Self {
        Page::new(
            200,
            "OK",
            "Waiting for the sign-in",
            "This address receives the answer of the sign-in page. This request carried none, \
             so the application is still waiting: finish signing in in the other tab.",
        )
    }

    pub(super) fn failure(error: &Error) -> Self {
        Page::new(400, "Bad Request", "Sign-in failed", &error.to_string())
    }

    pub(super) fn not_found(path: &str) -> Self {
        Page::new(
            404,
            "Not Found",
            "Not found",
            &format!("This server only receives the sign-in answer, at {path}."),
        )
    }

    pub(super) fn method_not_allowed() -> Self {
        Page {
            allow_get_only: true,
            ..Page::new(
                405,
                "Method Not Allowed",
                "Method not allowed",
                "This server only receives the sign-in answer, as the browser's GET redirect.",
            )
        }
    }

    pub(super) fn finished() -> Self {
        Page::new(
            410,
            "Gone",
            "Sign-in over",
            "The application is no longer waiting for a sign-in here; run the login again if needed.",
        )
    }

    pub(super) fn misdirected(listening: &str) -> Self {
        Page::new(
            421,
            "Misdirected Request",
            "Wrong address",
            &format!(
                "This server only answers requests addressed to {listening} (or localhost on \
                 the same port)."
            ),
        )
    }

    pub(super) fn bad_request() -> Self {
        Page::new(
            400,
            "Bad Request",
            "Bad request",
            "The request could not be read.",
        )
    }

    pub(super) fn head_too_large() -> Self {
        Page::new(
            431,
            "Request Header Fields Too Large",
            "Request too large",
            "The request is larger than this server reads.",
        )
    }

    pub(super) fn request_timeout() -> Self {
        Page::new(
            408,
            "Request Timeout",
            "Request timeout",
            "The request took too long to arrive.",
        )
    }

    pub(super) fn render(&self, head_only: bool) -> Vec<u8> {
        let body = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{title}</title></head>\n<body><h1>{title}</h1>\n<p>{message}</p></body></html>\n",
            title = self.title,
            message = self.message_html,
        );
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Connection: close\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
             X-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'\r\n",
            self.status,
            self.reason,
            body.len()
        );
        if self.allow_get_only {
            out.push_str("Allow: GET\r\n");
        }
        out.push_str("\r\n");
        if !head_only {
            out.push_str(&body);
        }
        out.into_bytes()
    }

    /// Writes the page and closes the connection; errors (the browser went away) are
    /// ignored.
    pub(super) fn write(&self, stream: &mut TcpStream, head_only: bool) {
        let _ = stream.write_all(&self.render(head_only));
        let _ = stream.flush();
        let _ = stream.shutdown(Shutdown::Both);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn verdict(target: &str, state: &str) -> CallbackVerdict<AuthorizationCallback> {
        authorization_code_verdict(&parse_callback_query(target), &Secret::new(state))
    }

    #[test]
    fn parses_origin_and_absolute_targets() {
        let q = parse_callback_query("/cb?code=abc&state=x%20y");
        assert_eq!(q.path(), "/cb");
        assert_eq!(q.get("code"), Some("abc"));
        assert_eq!(q.get("state"), Some("x y"));

        let q = parse_callback_query("http://127.0.0.1:8080?code=1");
        assert_eq!((q.path(), q.get("code")), ("/", Some("1")));
        let q = parse_callback_query("HTTP://[::1]:9/p/q?x=1#y=2");
        assert_eq!(
            (q.path(), q.get("x"), q.get("y")),
            ("/p/q", Some("1"), None)
        );
        let q = parse_callback_query("http://host");
        assert_eq!((q.path(), q.is_empty()), ("/", true));
        // Not a scheme: the whole target is the path.
        assert_eq!(parse_callback_query("/a://b").path(), "/a://b");
        assert_eq!(parse_callback_query("?code=1").path(), "/");
    }

    #[test]
    fn debug_masks_secret_values_only() {
        let q = parse_callback_query(
            "/?code=C0DE&state=ST8&oauth_token=T0K&oauth_verifier=VER&Code=C2&scope=read",
        );
        let shown = format!("{q:?} {q:#?}");
        for secret in ["C0DE", "ST8", "T0K", "VER", "C2"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("read"), "{shown}");
        assert!(shown.contains("oauth_verifier"), "{shown}");
    }

    #[test]
    fn verdicts() {
        assert!(
            matches!(verdict("/?code=c&state=s", "s"), CallbackVerdict::Accept(cb) if cb.code.expose() == "c")
        );
        assert!(matches!(verdict("/?foo=bar", "s"), CallbackVerdict::Ignore));
        assert!(matches!(verdict("/?state=s", "s"), CallbackVerdict::Ignore));
        for target in [
            "/?code=c&state=S",
            "/?code=c",
            "/?code=c&state=",
            "/?code=c&state=s&state=s",
            "/?error=access_denied",
            "/?error=access_denied&state=t",
        ] {
            assert!(
                matches!(
                    verdict(target, "s"),
                    CallbackVerdict::Fail(Error::StateMismatch)
                ),
                "{target}"
            );
        }
        // An empty expected state never matches.
        assert!(matches!(
            verdict("/?code=c&state=", ""),
            CallbackVerdict::Fail(Error::StateMismatch)
        ));
        assert!(matches!(
            verdict("/?code=a&code=b&state=s", "s"),
            CallbackVerdict::Fail(Error::Interaction(m)) if m.contains("more than once")
        ));
        assert!(matches!(
            verdict("/?code=&state=s", "s"),
            CallbackVerdict::Fail(Error::Interaction(m)) if m.contains("empty")
        ));
        // An error wins over a code.
        assert!(matches!(
            verdict("/?code=c&error=access_denied&error_description=no&state=s", "s"),
            CallbackVerdict::Fail(Error::AccessDenied { description: Some(d) }) if d == "no"
        ));
    }

    #[test]
    fn other_errors_keep_code_description_and_uri_without_control_characters() {
        let CallbackVerdict::Fail(Error::OAuth(e)) = verdict(
            "/?error=invalid_scope%1B%5B31m&error_description=bad%0Ascope&error_uri=https%3A%2F%2Fx&state=s",
            "s",
        ) else {
            panic!("expected an OAuth error");
        };
        assert_eq!(e.code, "invalid_scope [31m");
        assert_eq!(e.description.as_deref(), Some("bad scope"));
        assert_eq!(e.uri.as_deref(), Some("https://x"));
        assert_eq!(e.status, 302);
        let CallbackVerdict::Fail(Error::OAuth(e)) = verdict("/?error=&state=s", "s") else {
            panic!("expected an OAuth error");
        };
        assert_eq!(e.code, "(empty error code)");
    }

    #[test]
    fn issuer_rules() {
        let check = IssuerCheck {
            issuer: Some("https://id.example/tenant".into()),
            required: true,
        };
        let state = Secret::new("s");
        let v = |target: &str| {
            authorization_response_verdict(&parse_callback_query(target), &state, &check)
        };
        assert!(matches!(
            v("/?code=c&state=s&iss=https%3A%2F%2Fid.example%2Ftenant"),
            CallbackVerdict::Accept(_)
        ));
        for target in [
            "/?code=c&state=s",
            "/?code=c&state=s&iss=https%3A%2F%2Fid.example%2Ftenant%2F",
            "/?code=c&state=s&iss=HTTPS%3A%2F%2Fid.example%2Ftenant",
            "/?code=c&state=s&iss=https%3A%2F%2Fevil.example",
            "/?code=c&state=s&iss=https%3A%2F%2Fid.example%2Ftenant&iss=https%3A%2F%2Fid.example%2Ftenant",
            "/?error=access_denied&state=s&iss=https%3A%2F%2Fevil.example",
        ] {
            assert!(
                matches!(
                    v(target),
                    CallbackVerdict::Fail(Error::IssuerMismatch { .. })
                ),
                "{target}"
            );
        }
        // The state is checked first.
        assert!(matches!(
            v("/?code=c&state=x&iss=https%3A%2F%2Fevil.example"),
            CallbackVerdict::Fail(Error::StateMismatch)
        ));
        let CallbackVerdict::Fail(err) = v("/?code=c&state=s&iss=%1B%5D0%3Bx%07evil") else {
            panic!("refused");
        };
        let text = err.to_string();
        assert!(
            text.contains("mix-up") && text.contains("https://id.example/tenant"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    #[test]
    fn pages_escape_and_frame() {
        let page = Page::failure(&Error::AccessDenied {
            description: Some("<script>alert('x')</script> & \"".into()),
        });
        let text = String::from_utf8(page.render(false)).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(
            text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"),
            "{text}"
        );
        assert!(!text.contains("<script>"));
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        let head_only = String::from_utf8(Page::method_not_allowed().render(true)).unwrap();
        assert!(head_only.ends_with("Allow: GET\r\n\r\n"), "{head_only}");
    }

    proptest! {
        #[test]
        fn callback_query_parsing_never_panics(target in any::<String>()) {
            let q = parse_callback_query(&target);
            prop_assert!(!q.path().is_empty() && !q.path().contains(['?', '#']));
            let _ = format!("{q:?}");
            let _ = authorization_code_verdict(&q, &Secret::new("s"));
        }

        #[test]
        fn callback_query_round_trips(params in proptest::collection::vec((".{0,12}", ".{0,12}"), 0..8)) {
            let params: Vec<(String, String)> = params.into_iter().filter(|(k, v)| !(k.is_empty() && v.is_empty())).collect();
            let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
            let q = parse_callback_query(&format!("/cb?{query}"));
            prop_assert_eq!(q.path(), "/cb");
            prop_assert_eq!(q.params(), params.as_slice());
        }

        #[test]
        fn escaped_html_has_no_markup(text in any::<String>()) {
            let escaped = escape_html(&text);
            prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
        }
    }
}
