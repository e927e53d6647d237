//! [`EnvSource`]: credentials from environment variables with a prefix.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use auth_core::{
    CredentialField, CredentialSource, Credentials, Error, Provider, Secret, async_trait,
};

type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

#[derive(Clone)]
enum Lookup {
    Process,
    Custom(Arc<LookupFn>),
}

/// Credentials from `{PREFIX}USERNAME`, `{PREFIX}PASSWORD`, `{PREFIX}APP_ID` and
/// `{PREFIX}APP_SECRET`, with `{PREFIX}CLIENT_ID` and `{PREFIX}CLIENT_SECRET` accepted
/// as aliases (the `APP_` names win when both are set). Empty variables count as unset.
///
/// iNaturalist uses the prefix `INAT_`, exactly as pyinaturalist does; other profiles
/// use the upper-cased profile name and `_` ([`EnvSource::prefix_for_profile`]).
///
/// The lookup is injectable ([`EnvSource::from_pairs`], [`EnvSource::with_lookup`]), so
/// tests never touch the process environment. `Debug` and [`CredentialSource::name`]
/// show the prefix, never a value.
///
/// ```
/// use auth_core::{CredentialSource, Provider};
/// use auth_store::EnvSource;
///
/// let env = EnvSource::from_pairs("INAT_", [
///     ("INAT_USERNAME", "ana"),
///     ("INAT_PASSWORD", "hunter2"),
///     ("INAT_CLIENT_ID", "app-1"),
/// ]);
/// let c = pollster::block_on(env.credentials(&Provider::new("inaturalist"))).unwrap();
/// assert_eq!(c.username.as_deref(), Some("ana"));
/// assert_eq!(c.client_id.as_deref(), Some("app-1"));
/// assert_eq!(c.password.unwrap().expose(), "hunter2");
/// assert_eq!(env.name(), "env INAT_*");
/// ```
#[derive(Clone)]
pub struct EnvSource {
    prefix: String,
    lookup: Lookup,
}

impl EnvSource {
    /// A source reading the process environment with `prefix`.
    ///
    /// ```
    /// let env = auth_store::EnvSource::new("GITHUB_");
    /// assert_eq!(env.prefix(), "GITHUB_");
    /// ```
    pub fn new(prefix: impl Into<String>) -> Self {
        EnvSource {
            prefix: prefix.into(),
            lookup: Lookup::Process,
        }
    }

    /// A source reading the process environment with the profile's conventional prefix.
    ///
    /// ```
    /// assert_eq!(auth_store::EnvSource::for_profile("inaturalist").prefix(), "INAT_");
    /// ```
    pub fn for_profile(profile: &str) -> Self {
        Self::new(Self::prefix_for_profile(profile))
    }

    /// The conventional prefix of a profile: `INAT_` for `inaturalist` (pyinaturalist's
    /// names), otherwise the profile name upper-cased with every character that is not a
    /// letter or digit turned into `_`, followed by `_`.
    ///
    /// ```
    /// use auth_store::EnvSource;
    /// assert_eq!(EnvSource::prefix_for_profile("inaturalist"), "INAT_");
    /// assert_eq!(EnvSource::prefix_for_profile("github"), "GITHUB_");
    /// assert_eq!(EnvSource::prefix_for_profile("my-app.dev"), "MY_APP_DEV_");
    /// ```
    pub fn prefix_for_profile(profile: &str) -> String {
        if profile == "inaturalist" {
            return "INAT_".into();
        }
        let mut prefix: String = profile
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        prefix.push('_');
        prefix
    }

    /// A source that asks `lookup` instead of the process environment.
    ///
    /// ```
    /// use auth_core::{CredentialSource, Provider};
    /// let env = auth_store::EnvSource::with_lookup("X_", |name| (name == "X_APP_ID").then(|| "id".to_owned()));
    /// let c = pollster::block_on(env.credentials(&Provider::new("x"))).unwrap();
    /// assert_eq!(c.client_id.as_deref(), Some("id"));
    /// ```
    pub fn with_lookup(
        prefix: impl Into<String>,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        EnvSource {
            prefix: prefix.into(),
            lookup: Lookup::Custom(Arc::new(lookup)),
        }
    }

    /// A source over a fixed set of variables, for tests.
    ///
    /// ```
    /// use auth_core::{CredentialSource, Provider};
    /// let env = auth_store::EnvSource::from_pairs("X_", [("X_USERNAME", "ana")]);
    /// let c = pollster::block_on(env.credentials(&Provider::new("x"))).unwrap();
    /// assert_eq!(c.username.as_deref(), Some("ana"));
    /// ```
    pub fn from_pairs<K, V>(
        prefix: impl Into<String>,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map: HashMap<String, String> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self::with_lookup(prefix, move |name| map.get(name).cloned())
    }

    /// The prefix.
    ///
    /// ```
    /// assert_eq!(auth_store::EnvSource::new("P_").prefix(), "P_");
    /// ```
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The variables consulted for `field`, in order: the main name, then the alias.
    ///
    /// ```
    /// use auth_core::CredentialField;
    /// let env = auth_store::EnvSource::new("INAT_");
    /// assert_eq!(env.variables(CredentialField::ClientSecret), vec!["INAT_APP_SECRET", "INAT_CLIENT_SECRET"]);
    /// assert_eq!(env.variables(CredentialField::Username), vec!["INAT_USERNAME"]);
    /// ```
    pub fn variables(&self, field: CredentialField) -> Vec<String> {
        let mut names = vec![format!("{}{}", self.prefix, field.env_suffix())];
        match field {
            CredentialField::ClientId => names.push(format!("{}CLIENT_ID", self.prefix)),
            CredentialField::ClientSecret => names.push(format!("{}CLIENT_SECRET", self.prefix)),
            _ => {}
        }
        names
    }

    fn get(&self, name: &str) -> Result<Option<String>, Error> {
        let value = match &self.lookup {
            Lookup::Custom(f) => f(name),
            Lookup::Process => match std::env::var_os(name) {
                None => None,
                Some(v) => Some(v.into_string().map_err(|_| {
                    Error::config(format!(
                        "the environment variable {name} is not valid UTF-8: set it to the \
                         plain text value, or unset it"
                    ))
                })?),
            },
        };
        Ok(value.filter(|v| !v.is_empty()))
    }

    fn field(&self, field: CredentialField) -> Result<Option<String>, Error> {
        for name in self.variables(field) {
            if let Some(v) = self.get(&name)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }
}

impl fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvSource")
            .field("prefix", &self.prefix)
            .field(
                "lookup",
                &match self.lookup {
                    Lookup::Process => "process environment",
                    Lookup::Custom(_) => "custom",
                },
            )
            .finish()
    }
}

#[async_trait]
impl CredentialSource for EnvSource {
    fn name(&self) -> String {
        format!("env {}*", self.prefix)
    }

    async fn credentials(&self, _provider: &Provider) -> Result<Credentials, Error> {
        Ok(Credentials {
            username: self.field(CredentialField::Username)?,
            password: self.field(CredentialField::Password)?.map(Secret::new),
            client_id: self.field(CredentialField::ClientId)?,
            client_secret: self.field(CredentialField::ClientSecret)?.map(Secret::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(env: &EnvSource) -> Credentials {
        pollster::block_on(env.credentials(&Provider::new("p"))).unwrap()
    }

    #[test]
    fn main_names_win_over_aliases_and_empty_counts_as_unset() {
        let env = EnvSource::from_pairs(
            "INAT_",
            [
                ("INAT_APP_ID", "main-id"),
                ("INAT_CLIENT_ID", "alias-id"),
                ("INAT_APP_SECRET", ""),
                ("INAT_CLIENT_SECRET", "alias-secret"),
                ("INAT_USERNAME", ""),
                ("OTHER_PASSWORD", "not-mine"),
            ],
        );
        let c = creds(&env);
        assert_eq!(c.client_id.as_deref(), Some("main-id"));
        assert_eq!(
            c.client_secret.as_ref().map(Secret::expose),
            Some("alias-secret")
        );
        assert_eq!(c.username, None);
        assert_eq!(
            c.password, None,
            "another prefix's variable must not be read"
        );
    }

    #[test]
    fn nothing_set_gives_empty_credentials() {
        let c = creds(&EnvSource::from_pairs("X_", Vec::<(String, String)>::new()));
        assert_eq!(c, Credentials::default());
    }

    #[test]
    fn debug_and_name_never_show_values() {
        let env = EnvSource::from_pairs("INAT_", [("INAT_PASSWORD", "hunter2")]);
        let shown = format!("{env:?} {} {:?}", env.name(), creds(&env));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("INAT_"), "{shown}");
    }

    #[test]
    fn the_process_environment_is_read() {
        // Read only (tests run in parallel): compare with std::env for PATH, which every
        // test process has, and for a name nobody sets.
        let env = EnvSource::new("");
        let path = std::env::var("PATH").ok().filter(|v| !v.is_empty());
        assert!(path.is_some(), "the test environment has no PATH");
        assert_eq!(env.get("PATH").unwrap(), path);
        assert_eq!(env.get("AUTH_STORE_TEST_NEVER_SET_0D9F").unwrap(), None);
    }
}
