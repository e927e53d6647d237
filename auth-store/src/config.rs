//! [`ConfigFileSource`]: credentials from a profile table of a TOML config file.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use auth_core::{CredentialSource, Credentials, Error, Provider, Secret, async_trait};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::perms::{describe_mode, read_sized, shared_mode};
use crate::sanitize::shell_quote;

/// Keys that look like credentials but are refused, with what to do instead. A password
/// is never kept in a config file; `app_id` and `app_secret` are one provider's names,
/// which its preset maps in the environment, not here.
const REFUSED: [(&str, &str); 3] = [
    (
        "password",
        "a password is not read from a config file; keep it in the environment or the keyring",
    ),
    ("app_id", "the key is `client_id`"),
    ("app_secret", "the key is `client_secret`"),
];

/// `path`, and the line of `span` in `text` when known: where a message points.
fn location(text: &str, path: &Path, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("{}, line {line}", path.display())
        }
        None => path.display().to_string(),
    }
}

/// Credentials from the `[profiles.NAME]` table of a TOML file: the keys `username`,
/// `client_id` and `client_secret` ([`ConfigFileSource::KEYS`]). Other keys of the table
/// are the config's business and are ignored here, except the credential-like keys
/// [`ConfigFileSource::REFUSED_KEYS`]: `password` (a password never sits in a config
/// file) and `app_id` / `app_secret` (spelled `client_id` / `client_secret` here), which
/// are errors in every profile of the file.
///
/// A client secret in a config file is discouraged (the environment or the keyring are
/// better), and a file that holds one must be private: on Unix,
/// [`ConfigFileSource::check_private`] (which [`ConfigFileSource::load`] runs) refuses it
/// when its group or other users may read it, and says which `chmod` to run. Errors name
/// the file, the key and the line, never a value.
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
    /// The keys read from a profile table: the user name, the client id and the client
    /// secret. Empty strings count as unset.
    ///
    /// ```
    /// assert!(auth_store::ConfigFileSource::KEYS.contains(&"client_secret"));
    /// ```
    pub const KEYS: [&'static str; 3] = ["username", "client_id", "client_secret"];

    /// Credential-like keys that are errors in any profile table of the file: `password`,
    /// `app_id` and `app_secret`.
    ///
    /// ```
    /// let text = "[profiles.other]\npassword = \"pw\"\n";
    /// assert!(auth_store::ConfigFileSource::REFUSED_KEYS.contains(&"password"));
    /// assert!(auth_store::ConfigFileSource::from_toml_str(text, "c.toml", "x").is_err());
    /// ```
    pub const REFUSED_KEYS: [&'static str; 3] = [REFUSED[0].0, REFUSED[1].0, REFUSED[2].0];

    /// Reads `path` once, takes the credentials of `profile`, and checks that the file is
    /// private when they hold a secret ([`ConfigFileSource::check_private`]). A missing
    /// file, or a file without that profile, gives a source with no credentials.
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
        let Some((text, metadata)) = Self::read_file(&path)? else {
            return Ok(ConfigFileSource {
                path,
                profile: profile.to_owned(),
                credentials: Credentials::default(),
            });
        };
        let source = Self::from_toml_str(&text, &path, profile)?;
        source.check_private(&metadata)?;
        Ok(source)
    }

    /// Reads a config file once: its text, and the metadata of the same open file for
    /// [`ConfigFileSource::check_private`]. `None` when there is no file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("config.toml");
    /// assert!(auth_store::ConfigFileSource::read_file(&path).unwrap().is_none());
    /// std::fs::write(&path, "[profiles.x]\n").unwrap();
    /// let (text, _metadata) = auth_store::ConfigFileSource::read_file(&path).unwrap().unwrap();
    /// assert_eq!(text, "[profiles.x]\n");
    /// ```
    pub fn read_file(path: &Path) -> Result<Option<(String, Metadata)>, Error> {
        let cannot = |e: std::io::Error| {
            Error::config(format!(
                "cannot read the config file {}: {e}",
                path.display()
            ))
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(cannot(e)),
        };
        let metadata = file.metadata().map_err(cannot)?;
        let text =
            String::from_utf8(read_sized(&file, &metadata).map_err(cannot)?).map_err(|_| {
                cannot(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                ))
            })?;
        Ok(Some((text, metadata)))
    }

    /// Takes the credentials of `profile` from TOML `text`; `path` names it in messages.
    /// The credential keys of every profile are checked (strings, no refused key); only
    /// those of `profile` are taken. No file is read or inspected: a caller that read
    /// the file itself runs [`ConfigFileSource::check_private`] with its metadata.
    ///
    /// ```
    /// let err = auth_store::ConfigFileSource::from_toml_str(
    ///     "[profiles.x]\nclient_id = 5\n", "config.toml", "x").unwrap_err();
    /// let text = err.to_string();
    /// assert!(text.contains("client_id") && text.contains("line 2") && text.contains("config.toml"));
    /// ```
    pub fn from_toml_str(text: &str, path: impl AsRef<Path>, profile: &str) -> Result<Self, Error> {
        let path = path.as_ref();
        // The parser's messages describe the problem without quoting the text (its
        // Display would show the line, which may hold a secret).
        let root = DeTable::parse(text).map_err(|e| {
            Error::config(format!(
                "{} is not valid TOML: {}; fix that line",
                location(text, path, e.span()),
                e.message().trim()
            ))
        })?;
        Self::from_toml_table(root.get_ref(), text, path, profile)
    }

    /// [`ConfigFileSource::from_toml_str`] for a caller that has parsed the file's `text`
    /// itself (into `root`, with `toml`'s spans), so the file is parsed once. The same
    /// checks run: the credential keys of every profile, only those of `profile` taken.
    ///
    /// ```
    /// let text = "[profiles.x]\nclient_id = \"app-1\"\n[profiles.y]\npassword = \"pw\"\n";
    /// let root = toml::de::DeTable::parse(text).unwrap();
    /// let err = auth_store::ConfigFileSource::from_toml_table(root.get_ref(), text, "c.toml", "x")
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("`password` in [profiles.y]"));
    /// ```
    pub fn from_toml_table(
        root: &DeTable<'_>,
        text: &str,
        path: impl AsRef<Path>,
        profile: &str,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let at = |span: std::ops::Range<usize>| location(text, path, Some(span));
        let not_tables = |span| {
            Error::config(format!(
                "{}: `profiles` must be a table of `[profiles.NAME]` tables",
                at(span)
            ))
        };
        let mut credentials = Credentials::default();
        let profiles = match root.get("profiles").map(|p| (p.get_ref(), p.span())) {
            None => None,
            Some((DeValue::Table(profiles), _)) => Some(profiles),
            Some((_, span)) => return Err(not_tables(span)),
        };
        for (name, table) in profiles.into_iter().flatten() {
            let DeValue::Table(table) = table.get_ref() else {
                return Err(not_tables(table.span()));
            };
            let name = name.get_ref();
            for (key, why) in REFUSED {
                if let Some(value) = table.get(key) {
                    return Err(Error::config(format!(
                        "{}: `{key}` in [profiles.{name}] is refused: {why}",
                        at(value.span())
                    )));
                }
            }
            for key in Self::KEYS {
                if let Some(value) = table.get(key)
                    && !matches!(value.get_ref(), DeValue::String(_))
                {
                    return Err(Error::config(format!(
                        "{}: `{key}` in [profiles.{name}] must be a string (in quotes)",
                        at(value.span())
                    )));
                }
            }
            if name.as_ref() == profile {
                let value = |key: &str| match table.get(key).map(Spanned::get_ref) {
                    Some(DeValue::String(s)) if !s.is_empty() => Some(s.as_ref()),
                    _ => None,
                };
                credentials = Credentials {
                    username: value("username").map(str::to_owned),
                    password: None,
                    client_id: value("client_id").map(str::to_owned),
                    client_secret: value("client_secret").map(Secret::new),
                };
            }
        }
        Ok(ConfigFileSource {
            path: path.to_owned(),
            profile: profile.to_owned(),
            credentials,
        })
    }

    /// Refuses a config file that holds a secret for this profile while its group or
    /// other users may read it (Unix modes; always fine elsewhere), saying which `chmod`
    /// to run. `metadata` is that of the file the text was read from.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("config.toml");
    /// std::fs::write(&path, "[profiles.x]\nclient_id = \"id\"\n").unwrap();
    /// let text = std::fs::read_to_string(&path).unwrap();
    /// let source = auth_store::ConfigFileSource::from_toml_str(&text, &path, "x").unwrap();
    /// // no secret in the profile: any mode is fine
    /// source.check_private(&std::fs::metadata(&path).unwrap()).unwrap();
    /// ```
    pub fn check_private(&self, metadata: &Metadata) -> Result<(), Error> {
        if self.credentials.client_secret.is_none() {
            return Ok(());
        }
        match shared_mode(metadata) {
            None => Ok(()),
            Some(mode) => Err(Error::config(format!(
                "{} holds a client secret for profile {} but is not private ({}): run \
                 `chmod 600 {}`, or move the secret to the environment or the keyring",
                self.path.display(),
                self.profile,
                describe_mode(mode),
                shell_quote(&self.path.display().to_string())
            ))),
        }
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
    fn reads_the_profile_table_and_nothing_of_other_profiles() {
        let text = r#"
[profiles.inaturalist]
username = "ana"
client_id = "inat-app"
client_secret = "inat-secret"
scopes = ["read"]

[profiles.work]
client_id = "work-app"
username = ""
"#;
        let c = creds(text, "inaturalist").unwrap();
        assert_eq!(c.username.as_deref(), Some("ana"));
        assert_eq!(c.client_id.as_deref(), Some("inat-app"));
        assert_eq!(
            c.client_secret.as_ref().map(Secret::expose),
            Some("inat-secret")
        );
        let c = creds(text, "work").unwrap();
        assert_eq!(c.client_id.as_deref(), Some("work-app"));
        assert_eq!(c.username, None, "an empty string is unset");
        assert_eq!(
            c.client_secret, None,
            "another profile's secret must not leak in"
        );
        assert_eq!(creds(text, "absent").unwrap(), Credentials::default());
        assert_eq!(creds("", "x").unwrap(), Credentials::default());
    }

    #[test]
    fn passwords_and_provider_aliases_are_refused_in_every_profile() {
        for (key, next) in [
            ("password", "the environment or the keyring"),
            ("app_id", "`client_id`"),
            ("app_secret", "`client_secret`"),
        ] {
            let text = format!("[profiles.x]\n\n[profiles.other]\n{key} = \"SECRETVALUE\"\n");
            let shown = creds(&text, "x").unwrap_err().to_string();
            assert!(
                shown.contains(&format!("`{key}`"))
                    && shown.contains("[profiles.other]")
                    && shown.contains("line 4")
                    && shown.contains(next),
                "{shown}"
            );
            assert!(!shown.contains("SECRETVALUE"), "{shown}");
        }
    }

    #[test]
    fn errors_name_file_key_and_line_but_never_the_value() {
        let cases: &[(&str, &[&str])] = &[
            (
                "[profiles.x]\nusername = \"ana\"\nclient_secret = 12345\n",
                &["`client_secret`", "line 3", "config.toml", "string"],
            ),
            (
                "[profiles.y]\nusername = 12345\n",
                &["`username`", "[profiles.y]", "line 2", "string"],
            ),
            (
                "[profiles.x]\nclient_secret = \"SECRETVALUE\nnext = 1\n",
                &["not valid TOML", "line 2"],
            ),
            (
                "profiles = \"SECRETVALUE\"\n",
                &["`profiles` must be a table", "line 1"],
            ),
            (
                "[profiles]\nclient_secret = \"SECRETVALUE\"\n",
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
        let text = "[profiles.x]\nusername = \"ana\"\nclient_secret = \"SECRETVALUE\"\n";
        let source = ConfigFileSource::from_toml_str(text, "c.toml", "x").unwrap();
        let shown = format!("{source:?}");
        assert!(!shown.contains("SECRETVALUE"), "{shown}");
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_file_with_secrets_is_refused_with_the_chmod_to_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[profiles.x]\nclient_secret = \"cs\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = ConfigFileSource::load(&path, "x").unwrap_err().to_string();
        assert!(
            err.contains(&format!("chmod 600 {}", path.display())) && err.contains("0644"),
            "{err}"
        );
        // the same check, for a caller that read the file itself
        let text = std::fs::read_to_string(&path).unwrap();
        let source = ConfigFileSource::from_toml_str(&text, &path, "x").unwrap();
        let metadata = std::fs::metadata(&path).unwrap();
        assert!(source.check_private(&metadata).is_err());
        // another profile of the same shared file, without secrets, is fine
        assert!(ConfigFileSource::load(&path, "y").is_ok());
        // a profile without secrets in the same shared file is fine
        std::fs::write(&path, "[profiles.x]\nclient_id = \"id\"\n").unwrap();
        assert!(ConfigFileSource::load(&path, "x").is_ok());
        // and a private file with secrets is fine
        std::fs::write(&path, "[profiles.x]\nclient_secret = \"cs\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let source = ConfigFileSource::load(&path, "x").unwrap();
        let c = pollster::block_on(source.credentials(&Provider::new("x"))).unwrap();
        assert_eq!(c.client_secret.as_ref().map(Secret::expose), Some("cs"));
    }
}
