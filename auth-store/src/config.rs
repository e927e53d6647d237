//! [`ConfigFileSource`]: credentials from a profile table of a TOML config file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use auth_core::{CredentialSource, Credentials, Error, Provider, Secret, async_trait};
use serde::Deserialize;
use toml::{Spanned, Value};

use crate::perms::{describe_mode, shared_mode};
use crate::sanitize::shell_quote;

/// The keys read from a profile table, with the field each fills. `app_id` and
/// `app_secret` are accepted as the iNaturalist names of `client_id` and `client_secret`.
const KEYS: [(&str, Field); 6] = [
    ("username", Field::Username),
    ("password", Field::Password),
    ("client_id", Field::ClientId),
    ("app_id", Field::ClientId),
    ("client_secret", Field::ClientSecret),
    ("app_secret", Field::ClientSecret),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    Password,
    ClientId,
    ClientSecret,
}

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    profiles: BTreeMap<String, BTreeMap<String, Spanned<Value>>>,
}

/// Credentials from the `[profiles.NAME]` table of a TOML file: the keys `username`,
/// `password`, `client_id` (or `app_id`) and `client_secret` (or `app_secret`). Other
/// keys of the table are the config's business and are ignored here.
///
/// Secrets in a config file are discouraged (the environment or the keyring are
/// better), and a file that holds a `password` or client secret must be private: on
/// Unix, [`ConfigFileSource::load`] refuses it when its group or other users may read it,
/// and says which `chmod` to run. Errors name the file, the key and the line, never a
/// value.
///
/// ```
/// use auth_core::{CredentialSource, Provider};
/// use auth_store::ConfigFileSource;
///
/// let text = r#"
/// [profiles.work]
/// token_url = "https://auth.example.com/token"
/// client_id = "app-1"
/// "#;
/// let source = ConfigFileSource::from_toml_str(text, "config.toml", "work").unwrap();
/// let c = pollster::block_on(source.credentials(&Provider::new("work"))).unwrap();
/// assert_eq!(c.client_id.as_deref(), Some("app-1"));
/// assert_eq!(source.name(), "config config.toml");
/// ```
#[derive(Clone, Debug)]
pub struct ConfigFileSource {
    path: PathBuf,
    profile: String,
    credentials: Credentials,
}

impl ConfigFileSource {
    /// Reads `path` and takes the credentials of `profile`. A missing file, or a file
    /// without that profile, gives a source with no credentials.
    ///
    /// ```
    /// use auth_core::{CredentialSource, Provider};
    /// let dir = tempfile::tempdir().unwrap();
    /// let source = auth_store::ConfigFileSource::load(dir.path().join("config.toml"), "x").unwrap();
    /// let c = pollster::block_on(source.credentials(&Provider::new("x"))).unwrap();
    /// assert_eq!(c, Default::default());
    /// ```
    pub fn load(path: impl Into<PathBuf>, profile: &str) -> Result<Self, Error> {
        let path = path.into();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ConfigFileSource {
                    path,
                    profile: profile.to_owned(),
                    credentials: Credentials::default(),
                });
            }
            Err(e) => {
                return Err(Error::config(format!(
                    "cannot read the config file {}: {e}",
                    path.display()
                )));
            }
        };
        let source = Self::from_toml_str(&text, &path, profile)?;
        let has_secret =
            source.credentials.password.is_some() || source.credentials.client_secret.is_some();
        if has_secret {
            let metadata = std::fs::metadata(&path)
                .map_err(|e| Error::config(format!("cannot inspect {}: {e}", path.display())))?;
            if let Some(mode) = shared_mode(&metadata) {
                return Err(Error::config(format!(
                    "{} holds a password or client secret for profile {profile} but is not \
                     private ({}): run `chmod 600 {}`, or move the secret to the environment \
                     or the keyring",
                    path.display(),
                    describe_mode(mode),
                    shell_quote(&path.display().to_string())
                )));
            }
        }
        Ok(source)
    }

    /// Takes the credentials of `profile` from TOML `text`; `path` names it in messages.
    ///
    /// ```
    /// let err = auth_store::ConfigFileSource::from_toml_str(
    ///     "[profiles.x]\nclient_id = 5\n", "config.toml", "x").unwrap_err();
    /// let text = err.to_string();
    /// assert!(text.contains("client_id") && text.contains("line 2") && text.contains("config.toml"));
    /// ```
    pub fn from_toml_str(text: &str, path: impl AsRef<Path>, profile: &str) -> Result<Self, Error> {
        let path = path.as_ref();
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let at = |span: Option<std::ops::Range<usize>>| match span {
            Some(span) => format!("{}, line {}", path.display(), line_of(span.start)),
            None => path.display().to_string(),
        };

        // Syntax first: the parser's messages describe the problem without quoting the
        // text (its Display would show the line, which may hold a secret).
        if let Err(e) = toml::from_str::<toml::Table>(text) {
            return Err(Error::config(format!(
                "{} is not valid TOML: {}; fix that line",
                at(e.span()),
                e.message().trim()
            )));
        }
        let doc: Document = toml::from_str(text).map_err(|e| {
            Error::config(format!(
                "{}: `profiles` must be a table of `[profiles.NAME]` tables",
                at(e.span())
            ))
        })?;

        let mut credentials = Credentials::default();
        let mut seen: Vec<(Field, &str)> = Vec::new();
        if let Some(table) = doc.profiles.get(profile) {
            for (key, field) in KEYS {
                let Some(value) = table.get(key) else {
                    continue;
                };
                let Value::String(s) = value.get_ref() else {
                    return Err(Error::config(format!(
                        "{}: `{key}` in [profiles.{profile}] must be a string (in quotes)",
                        at(Some(value.span()))
                    )));
                };
                if let Some((_, other)) = seen.iter().find(|(f, _)| *f == field) {
                    return Err(Error::config(format!(
                        "{}: [profiles.{profile}] sets both `{other}` and `{key}`, which mean \
                         the same; keep one",
                        at(Some(value.span()))
                    )));
                }
                seen.push((field, key));
                if s.is_empty() {
                    continue;
                }
                match field {
                    Field::Username => credentials.username = Some(s.clone()),
                    Field::Password => credentials.password = Some(Secret::new(s.as_str())),
                    Field::ClientId => credentials.client_id = Some(s.clone()),
                    Field::ClientSecret => {
                        credentials.client_secret = Some(Secret::new(s.as_str()));
                    }
                }
            }
        }
        Ok(ConfigFileSource {
            path: path.to_owned(),
            profile: profile.to_owned(),
            credentials,
        })
    }

    /// The config file.
    ///
    /// ```
    /// let s = auth_store::ConfigFileSource::from_toml_str("", "c.toml", "x").unwrap();
    /// assert_eq!(s.path(), std::path::Path::new("c.toml"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile whose table is read.
    ///
    /// ```
    /// let s = auth_store::ConfigFileSource::from_toml_str("", "c.toml", "x").unwrap();
    /// assert_eq!(s.profile(), "x");
    /// ```
    pub fn profile(&self) -> &str {
        &self.profile
    }
}

#[async_trait]
impl CredentialSource for ConfigFileSource {
    fn name(&self) -> String {
        format!("config {}", self.path.display())
    }

    async fn credentials(&self, _provider: &Provider) -> Result<Credentials, Error> {
        Ok(self.credentials.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(text: &str, profile: &str) -> Result<Credentials, Error> {
        let source = ConfigFileSource::from_toml_str(text, "/etc/authctl/config.toml", profile)?;
        pollster::block_on(source.credentials(&Provider::new(profile)))
    }

    #[test]
    fn reads_the_profile_table_and_its_aliases() {
        let text = r#"
[profiles.inaturalist]
username = "ana"
app_id = "inat-app"
app_secret = "inat-secret"
scopes = ["read"]

[profiles.work]
client_id = "work-app"
password = "work-pw"
"#;
        let c = creds(text, "inaturalist").unwrap();
        assert_eq!(c.username.as_deref(), Some("ana"));
        assert_eq!(c.client_id.as_deref(), Some("inat-app"));
        assert_eq!(
            c.client_secret.as_ref().map(Secret::expose),
            Some("inat-secret")
        );
        assert_eq!(
            c.password, None,
            "another profile's password must not leak in"
        );
        let c = creds(text, "work").unwrap();
        assert_eq!(c.client_id.as_deref(), Some("work-app"));
        assert_eq!(creds(text, "absent").unwrap(), Credentials::default());
        assert_eq!(creds("", "x").unwrap(), Credentials::default());
    }

    #[test]
    fn errors_name_file_key_and_line_but_never_the_value() {
        let cases: &[(&str, &[&str])] = &[
            (
                "[profiles.x]\nusername = \"ana\"\npassword = 12345\n",
                &["`password`", "line 3", "config.toml", "string"],
            ),
            (
                "[profiles.x]\nclient_id = \"a\"\napp_id = \"b\"\n",
                &["`client_id`", "`app_id`", "keep one", "line 3"],
            ),
            (
                "[profiles.x]\npassword = \"SECRETVALUE\nnext = 1\n",
                &["not valid TOML", "line 2"],
            ),
            (
                "profiles = \"SECRETVALUE\"\n",
                &["`profiles` must be a table", "line 1"],
            ),
            (
                "[profiles]\npassword = \"SECRETVALUE\"\n",
                &["`profiles` must be a table", "line 2"],
            ),
        ];
        for (text, expected) in cases {
            let err = creds(text, "x").unwrap_err();
            let shown = err.to_string();
            assert!(matches!(err, Error::Config { .. }), "{shown}");
            for e in *expected {
                assert!(shown.contains(e), "{text:?}: missing {e:?} in {shown}");
            }
            assert!(
                !shown.contains("SECRETVALUE") && !shown.contains("12345"),
                "{shown}"
            );
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let text = "[profiles.x]\npassword = \"SECRETVALUE\"\nclient_secret = \"CS\"\n";
        let source = ConfigFileSource::from_toml_str(text, "c.toml", "x").unwrap();
        let shown = format!("{source:?}");
        assert!(
            !shown.contains("SECRETVALUE") && !shown.contains("\"CS\""),
            "{shown}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_file_with_secrets_is_refused_with_the_chmod_to_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[profiles.x]\npassword = \"pw\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = ConfigFileSource::load(&path, "x").unwrap_err().to_string();
        assert!(
            err.contains(&format!("chmod 600 {}", path.display())) && err.contains("0644"),
            "{err}"
        );
        // a profile without secrets in the same shared file is fine
        std::fs::write(&path, "[profiles.x]\nclient_id = \"id\"\n").unwrap();
        assert!(ConfigFileSource::load(&path, "x").is_ok());
        // and a private file with secrets is fine
        std::fs::write(&path, "[profiles.x]\npassword = \"pw\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let source = ConfigFileSource::load(&path, "x").unwrap();
        let c = pollster::block_on(source.credentials(&Provider::new("x"))).unwrap();
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("pw"));
    }
}
