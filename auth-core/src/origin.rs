//! [`AllowedOrigins`]: the one rule for where a token may go.
//!
//! An origin is a scheme, a host and a port (RFC 6454), with the scheme's default port
//! filled in, compared exactly: `https://api.example` and `https://api.example:443` are
//! the same origin; `http://api.example`, `https://api.example:8443` and
//! `https://www.api.example` are three others. Every place that attaches a token (the
//! bearer hook, the client middlewares, a program's own request commands) asks
//! [`AllowedOrigins::allows`] and nothing else.

use std::fmt;

use url::{Origin, Url};

use crate::error::Error;
use crate::provider::Provider;

/// A set of origins that may receive a token.
///
/// Built from URLs (their origin is taken) or from configuration entries
/// ([`AllowedOrigins::with_entry`]): a full origin `scheme://host[:port]`, or a bare
/// `host[:port]`, which means `https`. Only `http` and `https` origins can be allowed.
///
/// ```
/// use auth_core::AllowedOrigins;
///
/// let api: auth_core::Url = "https://api.example/v1/".parse()?;
/// let allowed = AllowedOrigins::new()
///     .with_url(&api)
///     .with_entry("uploads.example")?
///     .with_entry("http://127.0.0.1:8080")?;
///
/// assert!(allowed.allows(&"https://api.example:443/v1/me".parse()?));
/// assert!(allowed.allows(&"https://uploads.example/x".parse()?));
/// assert!(allowed.allows(&"http://127.0.0.1:8080/x".parse()?));
/// // Another scheme, port or host is another origin.
/// assert!(!allowed.allows(&"http://api.example/v1/me".parse()?));
/// assert!(!allowed.allows(&"https://api.example:8443/v1/me".parse()?));
/// assert!(!allowed.allows(&"https://evil.api.example/".parse()?));
/// assert_eq!(
///     allowed.to_string(),
///     "https://api.example, https://uploads.example, http://127.0.0.1:8080"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    origins: Vec<Origin>,
}

impl AllowedOrigins {
    /// No origin allowed.
    ///
    /// ```
    /// let none = auth_core::AllowedOrigins::new();
    /// assert!(none.is_empty());
    /// assert!(!none.allows(&"https://api.example/".parse().unwrap()));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The origin of the provider's API (`endpoints.api_base`), or none when it has no
    /// API base URL.
    ///
    /// ```
    /// use auth_core::{AllowedOrigins, Provider};
    /// let mut provider = Provider::new("acme");
    /// assert!(AllowedOrigins::for_provider(&provider).is_empty());
    /// provider.endpoints.api_base = Some("https://api.acme.example/v2/".parse().unwrap());
    /// let allowed = AllowedOrigins::for_provider(&provider);
    /// assert!(allowed.allows(&"https://api.acme.example/v2/users".parse().unwrap()));
    /// assert!(!allowed.allows(&"https://acme.example/".parse().unwrap()));
    /// ```
    pub fn for_provider(provider: &Provider) -> Self {
        let mut allowed = Self::new();
        if let Some(base) = &provider.endpoints.api_base {
            allowed.insert(base.origin());
        }
        allowed
    }

    /// Adds the origin of `url` (its path, query and user are ignored). A URL without an
    /// `http`/`https` origin adds nothing.
    ///
    /// ```
    /// let a = auth_core::AllowedOrigins::new().with_url(&"https://a.example/x?y".parse().unwrap());
    /// assert!(a.allows(&"https://a.example/other".parse().unwrap()));
    /// assert!(auth_core::AllowedOrigins::new().with_url(&"file:///etc/passwd".parse().unwrap()).is_empty());
    /// ```
    pub fn with_url(mut self, url: &Url) -> Self {
        self.insert(url.origin());
        self
    }

    /// Adds one configuration entry: `scheme://host[:port]` (a longer URL counts by its
    /// origin), or a bare `host[:port]`, which means `https`. Anything else is a
    /// configuration error naming the entry.
    ///
    /// ```
    /// use auth_core::AllowedOrigins;
    /// let a = AllowedOrigins::new().with_entry("api.example:8443").unwrap();
    /// assert!(a.allows(&"https://api.example:8443/".parse().unwrap()));
    /// assert!(!a.allows(&"http://api.example:8443/".parse().unwrap()));
    /// assert!(AllowedOrigins::new().with_entry("api.example/v1").is_err());
    /// assert!(AllowedOrigins::new().with_entry("ftp://api.example").is_err());
    /// assert!(AllowedOrigins::new().with_entry("").is_err());
    /// ```
    pub fn with_entry(mut self, entry: &str) -> Result<Self, Error> {
        self.insert(parse_entry(entry)?);
        Ok(self)
    }

    /// Adds several entries (see [`AllowedOrigins::with_entry`]).
    ///
    /// ```
    /// let a = auth_core::AllowedOrigins::new().with_entries(["a.example", "b.example:444"]).unwrap();
    /// assert!(a.allows(&"https://b.example:444/".parse().unwrap()));
    /// ```
    pub fn with_entries<I, S>(self, entries: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        entries
            .into_iter()
            .try_fold(self, |allowed, entry| allowed.with_entry(entry.as_ref()))
    }

    /// Adds every origin of `other`.
    ///
    /// ```
    /// use auth_core::AllowedOrigins;
    /// let mut a = AllowedOrigins::new().with_entry("a.example").unwrap();
    /// a.extend(&AllowedOrigins::new().with_entry("b.example").unwrap());
    /// assert_eq!(a.to_string(), "https://a.example, https://b.example");
    /// ```
    pub fn extend(&mut self, other: &AllowedOrigins) {
        for origin in &other.origins {
            self.insert(origin.clone());
        }
    }

    /// True when `url`'s origin is one of the allowed origins.
    ///
    /// ```
    /// let a = auth_core::AllowedOrigins::new().with_entry("API.Example").unwrap();
    /// assert!(a.allows(&"https://api.example/".parse().unwrap()));
    /// ```
    pub fn allows(&self, url: &Url) -> bool {
        let origin = url.origin();
        origin.is_tuple() && self.origins.contains(&origin)
    }

    /// [`AllowedOrigins::allows`] for an `http::Uri` (what HTTP client libraries carry);
    /// a URI that is not an absolute URL is not allowed.
    ///
    /// ```
    /// let a = auth_core::AllowedOrigins::new().with_entry("api.example").unwrap();
    /// assert!(a.allows_uri(&"https://api.example/me".parse().unwrap()));
    /// assert!(!a.allows_uri(&"/me".parse().unwrap()));
    /// ```
    pub fn allows_uri(&self, uri: &http::Uri) -> bool {
        Url::parse(&uri.to_string()).is_ok_and(|url| self.allows(&url))
    }

    /// True when no origin is allowed.
    ///
    /// ```
    /// assert!(auth_core::AllowedOrigins::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// The origin of `url` as written in messages and entries (`https://api.example`,
    /// `http://127.0.0.1:8080`); `None` for a URL without an `http`/`https` origin.
    ///
    /// ```
    /// use auth_core::AllowedOrigins;
    /// let url = "https://api.example:443/x?secret=1".parse().unwrap();
    /// assert_eq!(AllowedOrigins::origin_of(&url).as_deref(), Some("https://api.example"));
    /// ```
    pub fn origin_of(url: &Url) -> Option<String> {
        let origin = url.origin();
        is_web(&origin).then(|| origin.ascii_serialization())
    }

    fn insert(&mut self, origin: Origin) {
        if is_web(&origin) && !self.origins.contains(&origin) {
            self.origins.push(origin);
        }
    }
}

impl fmt::Display for AllowedOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, origin) in self.origins.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&origin.ascii_serialization())?;
        }
        Ok(())
    }
}

fn is_web(origin: &Origin) -> bool {
    matches!(origin, Origin::Tuple(scheme, _, _) if scheme == "http" || scheme == "https")
}

fn parse_entry(entry: &str) -> Result<Origin, Error> {
    let invalid = |why: &str| {
        Error::config(format!(
            "{entry:?} is not an origin ({why}): write `host`, `host:port` or `scheme://host[:port]`"
        ))
    };
    let trimmed = entry.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    let url = if trimmed.contains("://") {
        Url::parse(trimmed).map_err(|e| invalid(&e.to_string()))?
    } else {
        let url = Url::parse(&format!("https://{trimmed}")).map_err(|e| invalid(&e.to_string()))?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a bare host has no path"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("a bare host has no user"));
        }
        url
    };
    let origin = url.origin();
    if !is_web(&origin) || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("only http and https origins can receive a token"));
    }
    Ok(origin)
}
