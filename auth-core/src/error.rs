//! The one error type of the toolkit, and [`Hint`]: the next step an error calls for, as
//! data, so that each program words it in its own terms (a command line names its commands
//! and flags, a GUI its buttons). Messages here speak to library users and name no
//! program's commands, flags or environment switches.
//!
//! The module stays whole (about 730 lines, a third of them docs and examples): the error,
//! its wording, its hints and its scrubbing ([`Error::without_values`], the `Debug` that
//! never shows raw server text) must change together when a variant is added.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

fn describe_iss(received: Option<&str>) -> String {
    match received {
        Some(iss) => format!("names issuer {iss:?}"),
        None => "carries no `iss` although the authorization server says it sends one".into(),
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when obtaining, keeping or using a token.
///
/// Every message names the problem and the next step, and none contains a secret:
/// response bodies appear only as short excerpts with token-like values masked
/// (see [`crate::redact::excerpt`]), and flows remove the secret values they sent from
/// the errors they build ([`Error::without_values`]). Text a server chose is shown through
/// [`crate::text::printable`], so it cannot drive a terminal. `Debug` prints the variant
/// and the same message as `Display`, never a raw server description.
/// [`Error::hint`] gives the next step as a [`Hint`].
///
/// ```
/// use auth_core::{CredentialField, Error};
///
/// let err = Error::MissingCredentials {
///     provider: "acme".into(),
///     missing: vec![CredentialField::Password],
///     hint: "set ACME_PASSWORD".into(),
/// };
/// assert!(err.to_string().contains("password"));
/// assert!(matches!(err, Error::MissingCredentials { .. }));
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Credentials a flow needs are absent. `missing` lists exactly which; `hint` says
    /// where they can come from (argument, environment variable, keyring).
    #[error("missing credentials for {provider}: {}; {hint}", CredentialField::list(.missing))]
    MissingCredentials {
        /// The provider or profile name.
        provider: String,
        /// The fields that no source supplied.
        missing: Vec<CredentialField>,
        /// Where they can be supplied from.
        hint: String,
    },

    /// The server answered with an RFC 6749 §5.2 error response.
    #[error("{0}")]
    OAuth(OAuthError),

    /// The server answered something that is not what the protocol says: HTML, garbage,
    /// a JSON document without the required fields.
    #[error(
        "invalid response from {} (HTTP {status}): {}; the body starts with {excerpt:?}. \
         Check that the endpoint URL is right for this provider",
        crate::text::printable(.url),
        crate::text::printable(.problem)
    )]
    InvalidResponse {
        /// The endpoint that answered (without query string).
        url: String,
        /// Its HTTP status.
        status: u16,
        /// What is wrong with it.
        problem: String,
        /// A short, secret-free excerpt of the body.
        excerpt: String,
    },

    /// The request did not get an HTTP answer: DNS, refused connection, timeout, TLS.
    #[error("could not reach {host}: {kind}: {message}. {}", .kind.next_step())]
    Transport {
        /// The host (and port) the request was for.
        host: String,
        /// The class of failure.
        kind: TransportErrorKind,
        /// The underlying library's description.
        message: String,
    },

    /// A plain `http://` URL for a host that is not loopback.
    #[error(
        "refusing to send credentials over plain http to {url}: use https, or {}",
        Hint::InsecureHttp
    )]
    InsecureTransport {
        /// The refused URL.
        url: String,
    },

    /// The response body is larger than the configured cap.
    #[error(
        "the response from {url} is larger than the {limit} byte limit; raise \
         max_response_bytes if this endpoint is trusted to send that much"
    )]
    ResponseTooLarge {
        /// The endpoint.
        url: String,
        /// The cap in bytes.
        limit: u64,
    },

    /// The `state` in the authorization callback is missing or does not match.
    #[error(
        "the authorization callback carried a missing or wrong `state`, so it may not come from \
         the login you started; run the login again"
    )]
    StateMismatch,

    /// The authorization response's `iss` (RFC 9207) is missing or names another
    /// authorization server than the one the login started with: the response may have
    /// been sent to the wrong server's login (a mix-up attack), so nothing is stored.
    #[error(
        "the authorization response {}, but this login expects issuer {expected:?}: it may come \
         from another authorization server (a mix-up attack, RFC 9207), so nothing was stored; \
         run the login again, and check the issuer configured for this provider",
        describe_iss(.received.as_deref())
    )]
    IssuerMismatch {
        /// The issuer the provider is known by (its metadata, or the configuration).
        expected: String,
        /// The `iss` the response carried (control characters removed), if any.
        received: Option<String>,
    },

    /// The user or the server refused the authorization.
    #[error("authorization was denied{}; run the login again and approve the request", describe(.description))]
    AccessDenied {
        /// The server's `error_description`, when it gave one.
        description: Option<String>,
    },

    /// Waiting for a person (browser, device approval) took too long.
    #[error("timed out after {}s waiting for {what}; {}", .waited.as_secs(), Hint::LongerTimeout)]
    TimedOut {
        /// What was awaited.
        what: String,
        /// How long.
        waited: Duration,
    },

    /// A token store failed: unreadable, corrupt, locked, wrong permissions.
    #[error("{backend} store{}: {message}{}", at_path(.path), hint_suffix(.hint))]
    Store {
        /// Which store ("file", "keyring", "memory", ...).
        backend: String,
        /// The file concerned, for file-backed stores.
        path: Option<PathBuf>,
        /// What went wrong.
        message: String,
        /// What to do about it (may be empty).
        hint: String,
    },

    /// A folder holding tokens (or one of its parents) may be changed by another user:
    /// it is group- or world-writable, or owned by someone other than the current user
    /// or root. Another user could then swap the token file for their own, so nothing
    /// was read from it or written to it. `fix` says what makes it safe again
    /// ([`Hint::MakePrivate`]).
    #[error("{backend} store: {}: {problem}; nothing was read or written there; {fix}", .path.display())]
    NotPrivate {
        /// Which store ("file", ...).
        backend: String,
        /// The folder concerned.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
        /// What makes it safe ([`Hint::MakePrivate`]).
        fix: Hint,
    },

    /// No system keyring answered (no D-Bus session, locked collection, sandbox).
    #[error(
        "the system keyring is unavailable: {message}; {}",
        Hint::KeyringUnavailable
    )]
    KeyringUnavailable {
        /// Why.
        message: String,
    },

    /// The configuration is wrong: unknown key, bad value, missing endpoint, a port that
    /// cannot be listened on.
    #[error("configuration error: {}", crate::text::printable(.message))]
    Config {
        /// What is wrong and how to fix it.
        message: String,
        /// The next step as data, when there is one a program may word itself
        /// (e.g. [`Hint::OtherPort`]).
        hint: Option<Hint>,
    },

    /// No usable token is stored and getting one needs a person.
    #[error("no valid token for {profile}: log in again for this profile")]
    LoginRequired {
        /// The profile (or provider) name.
        profile: String,
    },

    /// A hook (browser opener, code prompt) failed.
    #[error("{}", crate::text::printable(.0))]
    Interaction(String),

    /// A URL was not opened in a browser: only `https`, or `http` to this machine
    /// (a loopback host), is opened ([`crate::http::check_browser_url`]). Other schemes
    /// (`javascript:`, `file:`, a Windows share path) could run code or read files.
    #[error(
        "refusing to open {} in a browser: {reason}; {}",
        crate::text::printable(.url),
        Hint::UnsafeBrowserUrl
    )]
    UnsafeBrowserUrl {
        /// The refused URL, as received.
        url: String,
        /// Why it was refused.
        reason: String,
    },

    /// An ID token failed validation (OpenID Connect Core §3.1.3.7): its signature, issuer,
    /// audience, times or nonce. Nothing was stored.
    ///
    /// ```
    /// let e = auth_core::Error::IdTokenInvalid { issuer: "https://idp.example".into(), problem: "the nonce does not match".into() };
    /// assert!(e.to_string().contains("nonce does not match"));
    /// ```
    #[error(
        "the ID token from {issuer} was refused: {problem}; nothing was stored. Log in again; \
         if this persists, check the profile's issuer and client id"
    )]
    IdTokenInvalid {
        /// The issuer the token was expected from.
        issuer: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The variant and the `Display` message: the message shows server text only as
/// printable, masked excerpts, where a derived `Debug` would show it raw.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            Error::MissingCredentials { .. } => "MissingCredentials",
            Error::OAuth(_) => "OAuth",
            Error::InvalidResponse { .. } => "InvalidResponse",
            Error::Transport { .. } => "Transport",
            Error::InsecureTransport { .. } => "InsecureTransport",
            Error::ResponseTooLarge { .. } => "ResponseTooLarge",
            Error::StateMismatch => "StateMismatch",
            Error::AccessDenied { .. } => "AccessDenied",
            Error::TimedOut { .. } => "TimedOut",
            Error::Store { .. } => "Store",
            Error::KeyringUnavailable { .. } => "KeyringUnavailable",
            Error::Config { .. } => "Config",
            Error::LoginRequired { .. } => "LoginRequired",
            Error::Interaction(_) => "Interaction",
            Error::UnsafeBrowserUrl { .. } => "UnsafeBrowserUrl",
            Error::IssuerMismatch { .. } => "IssuerMismatch",
            Error::IdTokenInvalid { .. } => "IdTokenInvalid",
            Error::NotPrivate { .. } => "NotPrivate",
        };
        write!(f, "{variant}({:?})", self.to_string())
    }
}

/// The next step an [`Error`] calls for, as data ([`Error::hint`]).
///
/// A library user can act on it; a program turns it into its own wording (a command line
/// names the command or flag that does it). `Display` gives the library wording, which
/// is also what the error's message says.
///
/// ```
/// use auth_core::{Error, Hint};
/// let err = Error::LoginRequired { profile: "work".into() };
/// match err.hint() {
///     Some(Hint::LoginRequired { profile }) => assert_eq!(profile, "work"),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(Hint::OtherPort.to_string(), "use another port (port 0 picks any free port)");
/// let fix = Hint::MakePrivate { path: "/d".into(), chmod: Some(0o700), chown: None };
/// assert_eq!(fix.to_string(), "make /d private: set its mode to 700, or choose another folder");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hint {
    /// A person must log in (again) for this profile: no token is stored, or it can no
    /// longer be renewed.
    LoginRequired {
        /// The profile (or provider) name.
        profile: String,
    },
    /// Credentials a flow needs are missing and must be supplied.
    SupplyCredentials {
        /// The provider or profile name.
        provider: String,
        /// The fields that no source supplied.
        missing: Vec<CredentialField>,
    },
    /// The system keyring cannot be used: keep tokens in a file store instead.
    KeyringUnavailable,
    /// A plain `http://` URL was refused: allow it with `Provider::insecure_http` if the
    /// server is on a trusted network.
    InsecureHttp,
    /// Waiting for a person took too long: try again, allowing more time.
    LongerTimeout,
    /// The loopback redirect server could not listen on its port: use another one
    /// (port 0 picks any free port).
    OtherPort,
    /// A URL was not opened in a browser because it is not `https` (or `http` to a
    /// loopback host): check where it came from (the provider's endpoints or answer); an
    /// `https` URL that is printed can still be opened by hand.
    UnsafeBrowserUrl,
    /// A folder holding secrets may be changed by other users: set its mode to `chmod`
    /// (when given) and give it to the user id `chown` (when given).
    MakePrivate {
        /// The folder.
        path: PathBuf,
        /// The permission bits it should have (e.g. `0o700`), when its mode is wrong.
        chmod: Option<u32>,
        /// The user id that should own it (the current user), when its owner is wrong.
        chown: Option<u32>,
    },
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::LoginRequired { profile } => write!(f, "log in again for profile {profile}"),
            Hint::SupplyCredentials { missing, .. } => write!(
                f,
                "supply the {} (in `Credentials`, or through a credential source)",
                CredentialField::list(missing)
            ),
            Hint::KeyringUnavailable => f.write_str("keep tokens in a file store instead"),
            Hint::InsecureHttp => f.write_str(
                "if this server is on a trusted network, allow plain http with \
                 `Provider::insecure_http`",
            ),
            Hint::LongerTimeout => f.write_str("try again, allowing more time if needed"),
            Hint::OtherPort => f.write_str("use another port (port 0 picks any free port)"),
            Hint::UnsafeBrowserUrl => f.write_str(
                "only https URLs (or http to this machine) are opened; check the provider's \
                 endpoints and answers",
            ),
            Hint::MakePrivate { path, chmod, chown } => {
                write!(f, "make {} private", path.display())?;
                if let Some(mode) = chmod {
                    write!(f, ": set its mode to {mode:o}")?;
                }
                if let Some(uid) = chown {
                    let and = if chmod.is_some() { " and" } else { ":" };
                    write!(f, "{and} give it to user id {uid}")?;
                }
                f.write_str(", or choose another folder")
            }
        }
    }
}

/// A parsed RFC 6749 §5.2 error response.
///
/// ```
/// let e = auth_core::OAuthError::new("invalid_grant", 400);
/// assert!(e.to_string().contains("invalid_grant"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The `error` code, e.g. `invalid_grant`.
    pub code: String,
    /// The `error_description`, if any.
    pub description: Option<String>,
    /// The `error_uri`, if any.
    pub uri: Option<String>,
    /// The HTTP status of the response.
    pub status: u16,
}

impl OAuthError {
    /// An error with a code and status and nothing else.
    ///
    /// ```
    /// let e = auth_core::OAuthError::new("invalid_client", 401);
    /// assert_eq!(e.status, 401);
    /// ```
    pub fn new(code: impl Into<String>, status: u16) -> Self {
        OAuthError {
            code: code.into(),
            description: None,
            uri: None,
            status,
        }
    }

    /// Adds a description.
    ///
    /// ```
    /// let e = auth_core::OAuthError::new("invalid_grant", 400).with_description("expired");
    /// assert_eq!(e.description.as_deref(), Some("expired"));
    /// ```
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the description when there is one.
    ///
    /// ```
    /// let e = auth_core::OAuthError::new("slow_down", 400).with_description_opt(None);
    /// assert!(e.description.is_none());
    /// ```
    pub fn with_description_opt(mut self, description: Option<String>) -> Self {
        self.description = description;
        self
    }

    fn next_step(&self) -> &'static str {
        match self.code.as_str() {
            "invalid_grant" => {
                "the grant (password, code, refresh token, assertion or subject token) was rejected \
                 or has expired: log in again; for an assertion, check its key, issuer and \
                 subject (each one is used once: a new one is signed for every request)"
            }
            "invalid_client" | "unauthorized_client" => {
                "check the client id and client secret, and how the provider expects the client to authenticate (client_auth)"
            }
            "invalid_scope" => "check the requested scopes against what the provider offers",
            "unsupported_grant_type" => {
                "this provider does not allow this flow for this client: pick another flow"
            }
            "access_denied" => "the request was refused: approve it, or check the account's rights",
            "expired_token" => {
                "the device code expired before it was approved: run the login again"
            }
            "invalid_request" => {
                "the request was malformed: check the profile's endpoints and parameters"
            }
            "temporarily_unavailable" | "server_error" => {
                "the server had a problem: try again later"
            }
            _ => "see the provider's documentation for this error code",
        }
    }
}

/// Every field the server chose is shown through [`crate::text::printable`], the
/// description as a masked [`crate::redact::excerpt`].
impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server refused the request (HTTP {}): {}",
            self.status,
            crate::text::printable(&self.code)
        )?;
        if let Some(d) = &self.description {
            write!(f, " ({})", crate::redact::excerpt(d.as_bytes()))?;
        }
        if let Some(u) = &self.uri {
            write!(f, " [{}]", crate::text::printable(u))?;
        }
        write!(f, "; {}", self.next_step())
    }
}

/// Like `Display`: the code and URI printable, the description a masked excerpt.
impl fmt::Debug for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthError")
            .field("code", &crate::text::printable(&self.code))
            .field(
                "description",
                &self
                    .description
                    .as_ref()
                    .map(|d| crate::redact::excerpt(d.as_bytes())),
            )
            .field("uri", &self.uri.as_deref().map(crate::text::printable))
            .field("status", &self.status)
            .finish()
    }
}

/// The class of a transport failure.
///
/// ```
/// let k = auth_core::TransportErrorKind::ConnectionRefused;
/// assert_eq!(k.to_string(), "connection refused");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The host name did not resolve.
    Dns,
    /// Nothing listens on the port.
    ConnectionRefused,
    /// The connection was reset or closed early.
    ConnectionReset,
    /// Connecting took longer than the connect timeout.
    ConnectTimeout,
    /// The server stopped sending for longer than the read timeout.
    ReadTimeout,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// A redirect loop or too many redirects.
    TooManyRedirects,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    fn next_step(self) -> &'static str {
        match self {
            Self::Dns => "Check the host name and your network connection",
            Self::ConnectionRefused => "Check that the server is running and the port is right",
            Self::ConnectionReset => "The server closed the connection; try again",
            Self::ConnectTimeout | Self::ReadTimeout => {
                "The server is slow or unreachable; try again, or raise the timeout"
            }
            Self::Tls => "Check the URL's host and the server's certificate (and the system clock)",
            Self::TooManyRedirects => "Check the endpoint URL; the server keeps redirecting",
            Self::Other => "Check the URL and your network connection",
        }
    }

    /// True for failures where the request may not have reached the server's application
    /// and a retry of an idempotent request is safe.
    ///
    /// ```
    /// assert!(auth_core::TransportErrorKind::ConnectionReset.is_retryable());
    /// assert!(!auth_core::TransportErrorKind::Tls.is_retryable());
    /// ```
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::ConnectionReset | Self::ConnectionRefused)
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dns => "host name not found",
            Self::ConnectionRefused => "connection refused",
            Self::ConnectionReset => "connection reset",
            Self::ConnectTimeout => "connect timed out",
            Self::ReadTimeout => "read timed out",
            Self::Tls => "TLS failure",
            Self::TooManyRedirects => "too many redirects",
            Self::Other => "transport error",
        })
    }
}

/// One field of [`crate::Credentials`], for "missing" reports.
///
/// ```
/// assert_eq!(auth_core::CredentialField::ClientId.to_string(), "client id");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CredentialField {
    /// The resource owner's user name.
    Username,
    /// The resource owner's password.
    Password,
    /// The OAuth client id (iNaturalist: app id).
    ClientId,
    /// The OAuth client secret (iNaturalist: app secret).
    ClientSecret,
}

impl CredentialField {
    /// All fields, in display order.
    pub const ALL: [CredentialField; 4] = [
        Self::Username,
        Self::Password,
        Self::ClientId,
        Self::ClientSecret,
    ];

    fn list(fields: &[CredentialField]) -> String {
        fields
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The conventional environment-variable suffix for the field (`USERNAME`,
    /// `PASSWORD`, `APP_ID`, `APP_SECRET`).
    ///
    /// ```
    /// assert_eq!(auth_core::CredentialField::ClientSecret.env_suffix(), "APP_SECRET");
    /// ```
    pub fn env_suffix(self) -> &'static str {
        match self {
            Self::Username => "USERNAME",
            Self::Password => "PASSWORD",
            Self::ClientId => "APP_ID",
            Self::ClientSecret => "APP_SECRET",
        }
    }
}

impl fmt::Display for CredentialField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Username => "username",
            Self::Password => "password",
            Self::ClientId => "client id",
            Self::ClientSecret => "client secret",
        })
    }
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) => format!(": {}", crate::redact::excerpt(d.as_bytes())),
        None => String::new(),
    }
}

fn at_path(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!(" at {}", p.display()),
        None => String::new(),
    }
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!("; {hint}")
    }
}

impl Error {
    /// A configuration error with a message.
    ///
    /// ```
    /// let e = auth_core::Error::config("profile `x` has no token_url: set it in config.toml");
    /// assert!(e.to_string().contains("token_url"));
    /// ```
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
            hint: None,
        }
    }

    /// A configuration error whose next step is also given as data.
    ///
    /// ```
    /// use auth_core::{Error, Hint};
    /// let e = Error::config_with_hint("port 8080 is in use; use another port", Hint::OtherPort);
    /// assert_eq!(e.hint(), Some(Hint::OtherPort));
    /// ```
    pub fn config_with_hint(message: impl Into<String>, hint: Hint) -> Self {
        Error::Config {
            message: message.into(),
            hint: Some(hint),
        }
    }

    /// The next step this error calls for, as data, when there is one: what a program
    /// turns into its own wording (see [`Hint`]).
    ///
    /// ```
    /// use auth_core::{Error, Hint};
    /// assert_eq!(Error::KeyringUnavailable { message: "no D-Bus".into() }.hint(), Some(Hint::KeyringUnavailable));
    /// assert_eq!(Error::StateMismatch.hint(), None);
    /// ```
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Error::LoginRequired { profile } => Some(Hint::LoginRequired {
                profile: profile.clone(),
            }),
            Error::MissingCredentials {
                provider, missing, ..
            } => Some(Hint::SupplyCredentials {
                provider: provider.clone(),
                missing: missing.clone(),
            }),
            Error::KeyringUnavailable { .. } => Some(Hint::KeyringUnavailable),
            Error::InsecureTransport { .. } => Some(Hint::InsecureHttp),
            Error::UnsafeBrowserUrl { .. } => Some(Hint::UnsafeBrowserUrl),
            Error::TimedOut { .. } => Some(Hint::LongerTimeout),
            Error::Config { hint, .. } => hint.clone(),
            Error::NotPrivate { fix, .. } => Some(fix.clone()),
            _ => None,
        }
    }

    /// A store error without a path.
    ///
    /// ```
    /// let e = auth_core::Error::store("memory", "poisoned lock", "");
    /// assert!(e.to_string().starts_with("memory store"));
    /// ```
    pub fn store(
        backend: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Error::Store {
            backend: backend.into(),
            path: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// This error with every occurrence of each of `values` in its text replaced by
    /// `***` ([`crate::redact::replace_values`]): what a flow calls on every error built
    /// while a request carried those secrets (client secret, password, code, PKCE
    /// verifier, tokens), so that a server echoing one back cannot make it appear.
    /// Values shorter than 4 characters are left alone (they would mangle ordinary
    /// words and are not secrets worth the name).
    ///
    /// ```
    /// use auth_core::{Error, OAuthError};
    /// let e = Error::OAuth(OAuthError::new("invalid_client", 401)
    ///     .with_description("client_secret 'S3cr3t-value' is wrong; password was hunter22"));
    /// let e = e.without_values(&["S3cr3t-value", "hunter22"]);
    /// assert!(!format!("{e} {e:?}").contains("S3cr3t") && !e.to_string().contains("hunter22"));
    /// ```
    pub fn without_values(self, values: &[&str]) -> Error {
        let values: Vec<&str> = values.iter().copied().filter(|v| v.len() >= 4).collect();
        if values.is_empty() {
            return self;
        }
        let clean = |text: String| crate::redact::replace_values(&text, values.iter().copied());
        let clean_opt = |text: Option<String>| text.map(clean);
        match self {
            Error::OAuth(e) => Error::OAuth(OAuthError {
                code: clean(e.code),
                description: clean_opt(e.description),
                uri: clean_opt(e.uri),
                status: e.status,
            }),
            Error::InvalidResponse {
                url,
                status,
                problem,
                excerpt,
            } => Error::InvalidResponse {
                url: clean(url),
                status,
                problem: clean(problem),
                excerpt: clean(excerpt),
            },
            Error::Transport {
                host,
                kind,
                message,
            } => Error::Transport {
                host,
                kind,
                message: clean(message),
            },
            Error::InsecureTransport { url } => Error::InsecureTransport { url: clean(url) },
            Error::ResponseTooLarge { url, limit } => Error::ResponseTooLarge {
                url: clean(url),
                limit,
            },
            Error::AccessDenied { description } => Error::AccessDenied {
                description: clean_opt(description),
            },
            Error::Store {
                backend,
                path,
                message,
                hint,
            } => Error::Store {
                backend,
                path,
                message: clean(message),
                hint,
            },
            Error::KeyringUnavailable { message } => Error::KeyringUnavailable {
                message: clean(message),
            },
            Error::Config { message, hint } => Error::Config {
                message: clean(message),
                hint,
            },
            Error::Interaction(message) => Error::Interaction(clean(message)),
            Error::UnsafeBrowserUrl { url, reason } => Error::UnsafeBrowserUrl {
                url: clean(url),
                reason,
            },
            other => other,
        }
    }

    /// True when the error means the person must log in (again): no token, or the
    /// server rejected the grant.
    ///
    /// ```
    /// use auth_core::{Error, OAuthError};
    /// assert!(Error::OAuth(OAuthError::new("invalid_grant", 400)).needs_login());
    /// assert!(!Error::StateMismatch.needs_login());
    /// ```
    pub fn needs_login(&self) -> bool {
        match self {
            Error::LoginRequired { .. } => true,
            Error::OAuth(e) => e.code == "invalid_grant",
            _ => false,
        }
    }
}
