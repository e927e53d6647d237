//! [`EnvSource`]: credentials from environment variables with a prefix.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use auth_core::{
    CredentialField, CredentialNames, CredentialSource, Credentials, Error, Provider, async_trait,
};

type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

#[derive(Clone)]
enum Lookup {
    Process,
    Custom(Arc<LookupFn>),
}

/// Credentials from environment variables with a prefix: by default
/// `{PREFIX}USERNAME`, `{PREFIX}PASSWORD`, `{PREFIX}CLIENT_ID` and `{PREFIX}CLIENT_SECRET`.
/// A provider's [`CredentialNames`] can change the prefix and, per field, the names tried
/// (a main name, then aliases: the first set one wins). Empty variables count as unset.
///
/// [`EnvSource::for_provider`] takes the provider's names, with the prefix derived from
/// its name when they fix none ([`EnvSource::prefix_for_name`]).
///
/// The lookup is injectable ([`EnvSource::from_pairs`], [`EnvSource::with_lookup`]), so
/// tests never touch the process environment. `Debug` and [`CredentialSource::name`]
/// show the prefix, never a value.
///
/// ```
/// use auth_core::{CredentialField, CredentialNames, CredentialSource, Provider};
/// use auth_store::EnvSource;
///
/// let env = EnvSource::from_pairs("ACME_", [
///     ("ACME_USERNAME", "ana"),
///     ("ACME_PASSWORD", "hunter2"),
///     ("ACME_CLIENT_ID", "app-1"),
/// ]);
/// let c = pollster::block_on(env.credentials(&Provider::new("acme"))).unwrap();
/// assert_eq!(c.username.as_deref(), Some("ana"));
/// assert_eq!(c.client_id.as_deref(), Some("app-1"));
/// assert_eq!(c.password.unwrap().expose(), "hunter2");
/// assert_eq!(env.name(), "env ACME_*");
///
/// // a provider that names its variables
/// let names = CredentialNames::new()
///     .with_env_prefix("AC_")
///     .with_env_variables(CredentialField::ClientId, ["KEY", "CLIENT_ID"]);
/// let env = EnvSource::for_provider(&Provider::new("acme").with_credential_names(names));
/// assert_eq!(env.variables(CredentialField::ClientId), ["AC_KEY", "AC_CLIENT_ID"]);
/// ```
#[derive(Clone)]
pub struct EnvSource {
    prefix: String,
    /// For each field, the names after the prefix, in the order they are tried.
    variables: BTreeMap<CredentialField, Vec<String>>,
    lookup: Lookup,
}

/// The generic variable name (after the prefix) of a field.
fn generic_variable(field: CredentialField) -> &'static str {
    match field {
        CredentialField::Username => "USERNAME",
        CredentialField::Password => "PASSWORD",
        CredentialField::ClientId => "CLIENT_ID",
        CredentialField::ClientSecret => "CLIENT_SECRET",
    }
}

impl EnvSource {
    /// A source reading the process environment with `prefix` and the generic names.
    ///
    /// ```
    /// let env = auth_store::EnvSource::new("GITHUB_");
    /// assert_eq!(env.prefix(), "GITHUB_");
    /// ```
    pub fn new(prefix: impl Into<String>) -> Self {
        EnvSource {
            prefix: prefix.into(),
            variables: CredentialField::ALL
                .into_iter()
                .map(|f| (f, vec![generic_variable(f).to_owned()]))
                .collect(),
            lookup: Lookup::Process,
        }
    }

    /// A source reading the process environment under the provider's
    /// [`CredentialNames`]; what they leave open is generic, with the prefix
    /// [`EnvSource::prefix_for_name`] of the provider's name.
    ///
    /// ```
    /// use auth_core::{CredentialNames, Provider};
    /// use auth_store::EnvSource;
    /// assert_eq!(EnvSource::for_provider(&Provider::new("my-app")).prefix(), "MY_APP_");
    /// let named = Provider::new("x").with_credential_names(CredentialNames::new().with_env_prefix("Y_"));
    /// assert_eq!(EnvSource::for_provider(&named).prefix(), "Y_");
    /// ```
    pub fn for_provider(provider: &Provider) -> Self {
        let env = Self::new(Self::prefix_for_name(&provider.name));
        match &provider.credential_names {
            Some(names) => env.with_names(names),
            None => env,
        }
    }

    /// The prefix derived from a provider or profile name: the name upper-cased with
    /// every character that is not a letter or digit turned into `_`, followed by `_`.
    ///
    /// ```
    /// use auth_store::EnvSource;
    /// assert_eq!(EnvSource::prefix_for_name("github"), "GITHUB_");
    /// assert_eq!(EnvSource::prefix_for_name("my-app.dev"), "MY_APP_DEV_");
    /// ```
    pub fn prefix_for_name(name: &str) -> String {
        let mut prefix: String = name
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

    /// Takes the prefix and the per-field names that `names` sets; keeps the rest.
    ///
    /// ```
    /// use auth_core::{CredentialField, CredentialNames};
    /// let names = CredentialNames::new().with_env_variables(CredentialField::Password, ["PASS", "PW"]);
    /// let env = auth_store::EnvSource::new("P_").with_names(&names);
    /// assert_eq!(env.variables(CredentialField::Password), ["P_PASS", "P_PW"]);
    /// assert_eq!(env.variables(CredentialField::Username), ["P_USERNAME"]);
    /// ```
    pub fn with_names(mut self, names: &CredentialNames) -> Self {
        if let Some(prefix) = &names.env_prefix {
            self.prefix.clone_from(prefix);
        }
        for (field, variables) in &names.env_variables {
            self.variables.insert(*field, variables.clone());
        }
        self
    }

    /// Replaces the prefix (a profile setting that overrides the provider's).
    ///
    /// ```
    /// assert_eq!(auth_store::EnvSource::new("A_").with_prefix("B_").prefix(), "B_");
    /// ```
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// A source that asks `lookup` instead of the process environment.
    ///
    /// ```
    /// use auth_core::{CredentialSource, Provider};
    /// let env = auth_store::EnvSource::with_lookup("X_", |name| (name == "X_CLIENT_ID").then(|| "id".to_owned()));
    /// let c = pollster::block_on(env.credentials(&Provider::new("x"))).unwrap();
    /// assert_eq!(c.client_id.as_deref(), Some("id"));
    /// ```
    pub fn with_lookup(
        prefix: impl Into<String>,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        EnvSource {
            lookup: Lookup::Custom(Arc::new(lookup)),
            ..Self::new(prefix)
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

    /// The variables consulted for `field`, in order: the main name, then the aliases.
    ///
    /// ```
    /// use auth_core::CredentialField;
    /// let env = auth_store::EnvSource::new("ACME_");
    /// assert_eq!(env.variables(CredentialField::ClientSecret), vec!["ACME_CLIENT_SECRET"]);
    /// assert_eq!(env.variables(CredentialField::Username), vec!["ACME_USERNAME"]);
    /// ```
    pub fn variables(&self, field: CredentialField) -> Vec<String> {
        self.variables
            .get(&field)
            .into_iter()
            .flatten()
            .map(|name| format!("{}{name}", self.prefix))
            .collect()
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
        Credentials::try_from_fields(|field| self.field(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::Secret;

    fn creds(env: &EnvSource) -> Credentials {
        pollster::block_on(env.credentials(&Provider::new("p"))).unwrap()
    }

    #[test]
    fn main_names_win_over_aliases_and_empty_counts_as_unset() {
        let names = CredentialNames::new()
            .with_env_variables(CredentialField::ClientId, ["APP_ID", "CLIENT_ID"])
            .with_env_variables(
                CredentialField::ClientSecret,
                ["APP_SECRET", "CLIENT_SECRET"],
            );
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
        )
        .with_names(&names);
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
    fn a_provider_without_names_gets_the_generic_ones_under_its_name() {
        let env = EnvSource::for_provider(&Provider::new("work"));
        assert_eq!(env.prefix(), "WORK_");
        assert_eq!(
            env.variables(CredentialField::ClientId),
            vec!["WORK_CLIENT_ID"]
        );
        let names = CredentialNames::new().with_env_prefix("W_");
        let env = EnvSource::for_provider(&Provider::new("work").with_credential_names(names))
            .with_prefix("OVERRIDE_");
        assert_eq!(
            env.variables(CredentialField::Password),
            vec!["OVERRIDE_PASSWORD"]
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
