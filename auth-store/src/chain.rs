//! [`StaticSource`] and [`ChainSource`].

use std::fmt;
use std::sync::Arc;

use auth_core::{CredentialField, CredentialSource, Credentials, Error, Provider, async_trait};

/// Credentials given explicitly: command-line flags, values a program passes in.
///
/// `Debug` shows the name and which fields are set, never a secret.
///
/// ```
/// use auth_core::{Credentials, CredentialSource, Provider};
/// use auth_store::StaticSource;
///
/// let flags = StaticSource::new(Credentials { username: Some("ana".into()), ..Default::default() })
///     .named("command line");
/// assert_eq!(flags.name(), "command line");
/// let c = pollster::block_on(flags.credentials(&Provider::new("x"))).unwrap();
/// assert_eq!(c.username.as_deref(), Some("ana"));
/// ```
#[derive(Clone, Debug)]
pub struct StaticSource {
    name: String,
    credentials: Credentials,
}

impl StaticSource {
    /// A source named `explicit` holding `credentials`.
    ///
    /// ```
    /// use auth_core::CredentialSource;
    /// assert_eq!(auth_store::StaticSource::new(Default::default()).name(), "explicit");
    /// ```
    pub fn new(credentials: Credentials) -> Self {
        StaticSource {
            name: "explicit".into(),
            credentials,
        }
    }

    /// Renames the source (the name appears in [`ResolvedCredentials`] reports).
    ///
    /// ```
    /// use auth_core::CredentialSource;
    /// assert_eq!(auth_store::StaticSource::new(Default::default()).named("flags").name(), "flags");
    /// ```
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

#[async_trait]
impl CredentialSource for StaticSource {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn credentials(&self, _provider: &Provider) -> Result<Credentials, Error> {
        Ok(self.credentials.clone())
    }
}

/// What a [`ChainSource`] found: the merged credentials, which source supplied each
/// field, and which sources were skipped because they were unavailable.
///
/// `Debug` and [`ResolvedCredentials::summary`] name sources, never values.
///
/// ```
/// use auth_core::{CredentialField, Credentials, Provider};
/// use auth_store::{ChainSource, StaticSource};
///
/// let chain = ChainSource::new()
///     .with(StaticSource::new(Credentials { password: Some("pw".into()), ..Default::default() }));
/// let r = pollster::block_on(chain.resolve(&Provider::new("x"))).unwrap();
/// assert_eq!(r.origin(CredentialField::Password), Some("explicit"));
/// assert_eq!(r.origin(CredentialField::Username), None);
/// assert_eq!(r.summary(), "username: not set; password: explicit; client id: not set; client secret: not set");
/// assert!(!format!("{r:?}").contains("pw"));
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ResolvedCredentials {
    /// The merged credentials.
    pub credentials: Credentials,
    /// For each field that is set, the name of the source that supplied it, in
    /// [`CredentialField::ALL`] order.
    pub origins: Vec<(CredentialField, String)>,
    /// Sources that could not be asked (a keyring that does not answer), with why.
    pub unavailable: Vec<(String, String)>,
}

impl ResolvedCredentials {
    /// The name of the source that supplied `field`, or `None` when no source had it.
    ///
    /// ```
    /// let r = auth_store::ResolvedCredentials::default();
    /// assert_eq!(r.origin(auth_core::CredentialField::ClientId), None);
    /// ```
    pub fn origin(&self, field: CredentialField) -> Option<&str> {
        self.origins
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, source)| source.as_str())
    }

    /// One line for people: each field and where it came from (`not set` when nowhere).
    ///
    /// ```
    /// let r = auth_store::ResolvedCredentials::default();
    /// assert!(r.summary().starts_with("username: not set"));
    /// ```
    pub fn summary(&self) -> String {
        CredentialField::ALL
            .iter()
            .map(|f| format!("{f}: {}", self.origin(*f).unwrap_or("not set")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Asks several sources in order and fills only the fields still missing, so the first
/// source to supply a field wins. Use the order explicit > env > keyring > config file.
///
/// Once every field is set, later sources are not asked (no keyring prompt when the
/// environment had everything). A source failing with [`Error::KeyringUnavailable`] is
/// skipped and listed in [`ResolvedCredentials::unavailable`]; any other error stops the
/// chain, because a broken config file must be fixed, not ignored.
///
/// ```
/// use auth_core::{Credentials, CredentialSource, Provider};
/// use auth_store::{ChainSource, StaticSource};
///
/// // In a program: StaticSource (flags), EnvSource, KeyringSource, ConfigFileSource.
/// let flags = StaticSource::new(Credentials { username: Some("ana".into()), ..Default::default() });
/// let env = StaticSource::new(Credentials {
///     username: Some("bob".into()),
///     password: Some("pw".into()),
///     ..Default::default()
/// })
/// .named("env INAT_*");
/// let chain = ChainSource::new().with(flags).with(env);
/// let c = pollster::block_on(chain.credentials(&Provider::new("inaturalist"))).unwrap();
/// assert_eq!(c.username.as_deref(), Some("ana"));
/// assert_eq!(c.password.unwrap().expose(), "pw");
/// assert_eq!(chain.name(), "chain(explicit, env INAT_*)");
/// ```
#[derive(Clone, Default)]
pub struct ChainSource {
    sources: Vec<Arc<dyn CredentialSource>>,
}

impl ChainSource {
    /// An empty chain (it supplies nothing).
    ///
    /// ```
    /// use auth_core::CredentialSource;
    /// assert_eq!(auth_store::ChainSource::new().name(), "chain()");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a source; it is asked after the ones already in the chain.
    ///
    /// ```
    /// use auth_store::{ChainSource, StaticSource};
    /// let chain = ChainSource::new().with(StaticSource::new(Default::default()));
    /// assert_eq!(chain.len(), 1);
    /// ```
    pub fn with(self, source: impl CredentialSource + 'static) -> Self {
        self.with_shared(Arc::new(source))
    }

    /// Appends a shared source.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_store::{ChainSource, StaticSource};
    /// let chain = ChainSource::new().with_shared(Arc::new(StaticSource::new(Default::default())));
    /// assert_eq!(chain.len(), 1);
    /// ```
    pub fn with_shared(mut self, source: Arc<dyn CredentialSource>) -> Self {
        self.sources.push(source);
        self
    }

    /// How many sources the chain has.
    ///
    /// ```
    /// assert_eq!(auth_store::ChainSource::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// True when the chain has no source.
    ///
    /// ```
    /// assert!(auth_store::ChainSource::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Asks the sources in order and reports where each field came from.
    ///
    /// ```
    /// use auth_core::{CredentialField, Credentials, Provider};
    /// use auth_store::{ChainSource, StaticSource};
    /// let chain = ChainSource::new()
    ///     .with(StaticSource::new(Credentials { client_id: Some("a".into()), ..Default::default() }).named("flags"))
    ///     .with(StaticSource::new(Credentials { client_id: Some("b".into()), ..Default::default() }).named("config"));
    /// let r = pollster::block_on(chain.resolve(&Provider::new("x"))).unwrap();
    /// assert_eq!(r.credentials.client_id.as_deref(), Some("a"));
    /// assert_eq!(r.origin(CredentialField::ClientId), Some("flags"));
    /// ```
    pub async fn resolve(&self, provider: &Provider) -> Result<ResolvedCredentials, Error> {
        let mut resolved = ResolvedCredentials::default();
        for source in &self.sources {
            if resolved
                .credentials
                .missing(&CredentialField::ALL)
                .is_empty()
            {
                break;
            }
            match source.credentials(provider).await {
                Ok(found) => {
                    let name = source.name();
                    for field in resolved.credentials.fill_missing_from(&found) {
                        resolved.origins.push((field, name.clone()));
                    }
                }
                Err(Error::KeyringUnavailable { message }) => {
                    resolved.unavailable.push((source.name(), message));
                }
                Err(other) => return Err(other),
            }
        }
        resolved.origins.sort_by_key(|(field, _)| *field);
        Ok(resolved)
    }
}

impl fmt::Debug for ChainSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.sources.iter().map(|s| s.name()))
            .finish()
    }
}

#[async_trait]
impl CredentialSource for ChainSource {
    fn name(&self) -> String {
        let names: Vec<String> = self.sources.iter().map(|s| s.name()).collect();
        format!("chain({})", names.join(", "))
    }

    async fn credentials(&self, provider: &Provider) -> Result<Credentials, Error> {
        self.resolve(provider).await.map(|r| r.credentials)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use auth_core::Secret;

    /// A source that counts how often it is asked and answers a fixed result.
    struct Counting {
        name: &'static str,
        answer: fn() -> Result<Credentials, Error>,
        asked: AtomicUsize,
    }

    impl Counting {
        fn new(name: &'static str, answer: fn() -> Result<Credentials, Error>) -> Arc<Self> {
            Arc::new(Counting {
                name,
                answer,
                asked: AtomicUsize::new(0),
            })
        }
    }

    #[async_trait]
    impl CredentialSource for Counting {
        fn name(&self) -> String {
            self.name.into()
        }
        async fn credentials(&self, _: &Provider) -> Result<Credentials, Error> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            (self.answer)()
        }
    }

    fn resolve(chain: &ChainSource) -> Result<ResolvedCredentials, Error> {
        pollster::block_on(chain.resolve(&Provider::new("p")))
    }

    #[test]
    fn fills_only_missing_fields_in_order_and_reports_origins() {
        let explicit = StaticSource::new(Credentials {
            username: Some("ana".into()),
            ..Default::default()
        });
        let env = StaticSource::new(Credentials {
            username: Some("bob".into()),
            password: Some(Secret::new("env-pw")),
            ..Default::default()
        })
        .named("env INAT_*");
        let keyring = StaticSource::new(Credentials {
            password: Some(Secret::new("keyring-pw")),
            client_id: Some("kr-id".into()),
            ..Default::default()
        })
        .named("keyring /inaturalist");
        let config = StaticSource::new(Credentials {
            client_id: Some("cfg-id".into()),
            client_secret: Some(Secret::new("cfg-secret")),
            ..Default::default()
        })
        .named("config");
        let chain = ChainSource::new()
            .with(explicit)
            .with(env)
            .with(keyring)
            .with(config);
        let r = resolve(&chain).unwrap();
        assert_eq!(r.credentials.username.as_deref(), Some("ana"));
        assert_eq!(
            r.credentials.password.as_ref().map(Secret::expose),
            Some("env-pw")
        );
        assert_eq!(r.credentials.client_id.as_deref(), Some("kr-id"));
        assert_eq!(
            r.credentials.client_secret.as_ref().map(Secret::expose),
            Some("cfg-secret")
        );
        assert_eq!(
            r.summary(),
            "username: explicit; password: env INAT_*; client id: keyring /inaturalist; \
             client secret: config"
        );
        let shown = format!("{r:?} {} {chain:?}", r.summary());
        for secret in ["env-pw", "keyring-pw", "cfg-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn stops_asking_once_everything_is_set() {
        let full = Counting::new("full", || {
            Ok(Credentials {
                username: Some("u".into()),
                password: Some("p".into()),
                client_id: Some("i".into()),
                client_secret: Some("s".into()),
            })
        });
        let later = Counting::new("later", || Ok(Credentials::default()));
        let chain = ChainSource::new()
            .with_shared(full.clone())
            .with_shared(later.clone());
        let r = resolve(&chain).unwrap();
        assert_eq!(r.origins.len(), 4);
        assert_eq!(full.asked.load(Ordering::SeqCst), 1);
        assert_eq!(
            later.asked.load(Ordering::SeqCst),
            0,
            "a source after a complete set must not be asked"
        );
    }

    #[test]
    fn an_unavailable_keyring_is_skipped_and_reported_other_errors_stop() {
        let keyring = Counting::new("keyring authctl:x", || {
            Err(Error::KeyringUnavailable {
                message: "no D-Bus session".into(),
            })
        });
        let config = Counting::new("config", || {
            Ok(Credentials {
                client_id: Some("id".into()),
                ..Default::default()
            })
        });
        let chain = ChainSource::new()
            .with_shared(keyring)
            .with_shared(config.clone());
        let r = resolve(&chain).unwrap();
        assert_eq!(r.origin(CredentialField::ClientId), Some("config"));
        assert_eq!(
            r.unavailable,
            vec![(
                "keyring authctl:x".to_owned(),
                "no D-Bus session".to_owned()
            )]
        );

        let broken = Counting::new("config", || Err(Error::config("bad value on line 3")));
        let chain = ChainSource::new()
            .with_shared(broken)
            .with_shared(config.clone());
        let err = resolve(&chain).unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn empty_values_do_not_count_as_supplied() {
        let empty = StaticSource::new(Credentials {
            username: Some(String::new()),
            ..Default::default()
        })
        .named("flags");
        let env = StaticSource::new(Credentials {
            username: Some("ana".into()),
            ..Default::default()
        })
        .named("env");
        let r = resolve(&ChainSource::new().with(empty).with(env)).unwrap();
        assert_eq!(r.credentials.username.as_deref(), Some("ana"));
        assert_eq!(r.origin(CredentialField::Username), Some("env"));
    }
}
