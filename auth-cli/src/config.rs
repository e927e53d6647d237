//! `config.toml`: read and checked once per command into one resolved [`Profile`]: its
//! provider (presets, endpoints), flow, store, and the credentials of the file
//! (`auth_store::ConfigFileSource`, the last source of the chain), after the
//! file-permission check.
//!
//! The keys: the endpoint table [`ENDPOINTS`], the settings of [`ProfileConfig`], and the
//! credential keys of `auth_store::ConfigFileSource` (`username`, `client_id`,
//! `client_secret`; `password`, `app_id` and `app_secret` are refused).
//!
//! The module stays whole (about 750 lines, a third of them tests) because it is the one
//! reader of the file: the keys, their checks and the resolution into a profile belong
//! together.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use auth_core::{ClientAuth, Endpoint, Error, Provider, Secret, Url};
use auth_store::ConfigFileSource;
use serde::Deserialize;
use toml::de::{DeTable, DeValue};

/// One endpoint a profile can set: a [`Provider`] endpoint, or the base URL that `api`
/// joins relative paths to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// An endpoint of [`auth_core::Endpoints`] that [`Endpoint`] names.
    Url(Endpoint),
    /// `api_base_url`.
    ApiBase,
}

/// The endpoint table: every endpoint key of a profile, in the order they are listed.
/// Config keys, overrides of presets and discovery, and the `providers` listing all go
/// through it.
pub(crate) const ENDPOINTS: [Slot; 11] = [
    Slot::Url(Endpoint::Authorize),
    Slot::Url(Endpoint::Token),
    Slot::Url(Endpoint::DeviceAuthorization),
    Slot::Url(Endpoint::Revocation),
    Slot::Url(Endpoint::Introspection),
    Slot::Url(Endpoint::Userinfo),
    Slot::Url(Endpoint::Jwt),
    Slot::Url(Endpoint::RequestToken),
    Slot::Url(Endpoint::AccessToken),
    Slot::Url(Endpoint::PushedAuthorization),
    Slot::ApiBase,
];

impl Slot {
    /// The profile key, e.g. `token_url`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Slot::Url(which) => which.config_key(),
            Slot::ApiBase => "api_base_url",
        }
    }

    /// The provider's URL for this slot, if it has one.
    pub(crate) fn get(self, provider: &Provider) -> Option<&Url> {
        match self {
            Slot::Url(which) => provider.endpoint(which).ok(),
            Slot::ApiBase => provider.endpoints.api_base.as_ref(),
        }
    }

    /// Sets this slot of `provider` from a URL string; a bad URL is a config error.
    pub(crate) fn set(self, provider: Provider, url: &str) -> Result<Provider, Error> {
        match self {
            Slot::Url(which) => provider.with_endpoint(which, url),
            Slot::ApiBase => {
                let mut provider = provider;
                provider.endpoints.api_base = Some(Url::parse(url).map_err(|e| {
                    Error::config(format!("api_base_url is not a URL ({e}): {url:?}"))
                })?);
                Ok(provider)
            }
        }
    }
}

/// The whole file, as read.
#[derive(Debug, Default)]
pub(crate) struct ConfigFile {
    /// Where it was read from (or would be: a missing file is an empty config).
    pub(crate) path: PathBuf,
    /// Its text, which `auth_store::ConfigFileSource` takes the credentials from. It may
    /// hold a client secret: a `Secret`, so `Debug` shows `***` and it is zeroized on drop.
    text: Secret,
    /// The file's metadata, for the permission check; `None` when there is no file.
    metadata: Option<Metadata>,
    /// The `[profiles.NAME]` tables.
    pub(crate) profiles: BTreeMap<String, ProfileConfig>,
    /// The credentials of each profile table, taken from the same parse of the text;
    /// `None` when the credential keys have a problem, which [`resolve`] reports (after
    /// the checks of the profile's own settings, as a second look at the text).
    credentials: Option<BTreeMap<String, ConfigFileSource>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    profiles: BTreeMap<String, ProfileConfig>,
}

/// How a token is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FlowKind {
    /// Resource owner password credentials.
    Password,
    /// Authorization code with PKCE through the loopback server.
    Pkce,
    /// Authorization code with the client secret, through the loopback server.
    AuthCode,
    /// Authorization code, copy and paste (no server).
    Oob,
    /// Client credentials.
    ClientCredentials,
    /// Device authorization.
    Device,
    /// OAuth 1.0a three-legged flow.
    Oauth1,
    /// The JWT bearer grant (RFC 7523 §2.1): a signed assertion, no person.
    JwtBearer,
    /// Token exchange (RFC 8693): another profile's token (or one from stdin) traded.
    TokenExchange,
}

impl FlowKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FlowKind::Password => "password",
            FlowKind::Pkce => "pkce",
            FlowKind::AuthCode => "auth-code",
            FlowKind::Oob => "oob",
            FlowKind::ClientCredentials => "client-credentials",
            FlowKind::Device => "device",
            FlowKind::Oauth1 => "oauth1",
            FlowKind::JwtBearer => "jwt-bearer",
            FlowKind::TokenExchange => "token-exchange",
        }
    }

    fn parse(name: &str) -> Option<FlowKind> {
        <FlowKind as clap::ValueEnum>::from_str(name, false).ok()
    }
}

/// Where tokens are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum StoreKind {
    /// The system keyring when one answers, otherwise the file store (with a warning).
    #[default]
    Auto,
    /// The system keyring; an error when none answers.
    Keyring,
    /// A JSON file (mode 0600) in the authctl home.
    File,
    /// This process only (for tests).
    Memory,
    /// A Redis server shared by many machines (`redis_url`), tokens encrypted with the key
    /// of `AUTHCTL_STORE_KEY` or `store_key_file`.
    Redis,
}

/// The settings of one `[profiles.NAME]` table. Every key of the table is checked so that
/// unknown keys and bad values are reported with their line: the settings here, the
/// endpoint keys of [`ENDPOINTS`], and the credential keys, which
/// `auth_store::ConfigFileSource` reads, checks or refuses from the same text. [`parse`]
/// takes the last two out of the table before serde reads the rest.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileConfig {
    pub(crate) provider: Option<String>,
    pub(crate) issuer: Option<String>,
    /// The endpoint keys the table sets, in [`ENDPOINTS`] order.
    #[serde(skip)]
    pub(crate) endpoints: Vec<(Slot, String)>,
    pub(crate) client_auth: Option<ClientAuth>,
    pub(crate) flow: Option<FlowKind>,
    pub(crate) scopes: Option<Vec<String>>,
    /// Origins besides `api_base_url`'s that `authctl api` may send the token to
    /// (`host`, `host:port` for https, or `scheme://host[:port]`).
    pub(crate) api_hosts: Option<Vec<String>>,
    pub(crate) redirect_port: Option<u16>,
    pub(crate) redirect_path: Option<String>,
    /// `false`: the authorization code flows send no PKCE challenge (for a server that
    /// rejects PKCE); the client secret is then required.
    pub(crate) pkce: Option<bool>,
    pub(crate) jwt: Option<bool>,
    /// Bind tokens to a per-account key with DPoP (RFC 9449).
    pub(crate) dpop: Option<bool>,
    pub(crate) env_prefix: Option<String>,
    pub(crate) store: Option<StoreKind>,
    /// `store = "redis"`: the server (`AUTHCTL_REDIS_URL` overrides it).
    pub(crate) redis_url: Option<String>,
    /// `store = "redis"`: a file holding the base64 encryption key (`AUTHCTL_STORE_KEY`
    /// overrides it).
    pub(crate) store_key_file: Option<PathBuf>,
    /// `store = "redis"`: the PEM certificate of the CA to trust for `rediss://` instead of
    /// the system's roots (`AUTHCTL_REDIS_CA_FILE` overrides it).
    pub(crate) redis_ca_file: Option<PathBuf>,
    pub(crate) insecure_http: Option<bool>,
    /// `authctl git-credential`: the hosts whose git remotes get the profile's token, as
    /// git names them, `host[:port]` (`git-setup` writes a helper for each).
    pub(crate) git_hosts: Option<Vec<String>>,
    /// `authctl git-credential`: the user name given to git with the token (default
    /// `oauth2`).
    pub(crate) git_username: Option<String>,
    pub(crate) signature_method: Option<String>,
    pub(crate) signature_placement: Option<String>,
    pub(crate) rsa_key_file: Option<PathBuf>,
    /// Known deviations of the provider to fix, by name (replaces the preset's list).
    pub(crate) quirks: Option<Vec<auth_core::hooks::Quirk>>,
    /// Where the access token goes on API requests: `header`, `query` or `body`.
    pub(crate) token_placement: Option<String>,
    /// The query or form parameter of `token_placement` (default `access_token`).
    pub(crate) token_parameter: Option<String>,
    /// `client_auth = "private_key_jwt"`: the PEM file of the client's private key.
    pub(crate) client_key_file: Option<PathBuf>,
    /// The `kid` of `client_key_file`, when the server wants one.
    pub(crate) client_key_id: Option<String>,
    /// What client assertions name as `aud`: `token-endpoint` (default) or `issuer`.
    pub(crate) client_assertion_audience: Option<auth_core::AssertionAudience>,
    /// Push authorization requests (RFC 9126); on by itself when discovery requires it.
    pub(crate) par: Option<bool>,
    /// Resource indicators (RFC 8707) for the authorization, token and refresh requests.
    pub(crate) resource: Option<Vec<String>>,
    /// The `audience` parameter of those requests (and of token exchange).
    pub(crate) audience: Option<String>,
    /// `flow = "jwt-bearer"`: the PEM private key that signs the assertion.
    pub(crate) assertion_key_file: Option<PathBuf>,
    /// `flow = "jwt-bearer"`: the `kid` of `assertion_key_file`.
    pub(crate) assertion_key_id: Option<String>,
    /// `flow = "jwt-bearer"`: the assertion's `iss`.
    pub(crate) assertion_issuer: Option<String>,
    /// `flow = "jwt-bearer"`: the assertion's `sub`.
    pub(crate) assertion_subject: Option<String>,
    /// `flow = "jwt-bearer"`: the assertion's `aud` (default: the token endpoint).
    pub(crate) assertion_audience: Option<String>,
    /// A Google service-account JSON key (`flow = "jwt-bearer"` with its key, e-mail and
    /// token URI).
    pub(crate) service_account_file: Option<PathBuf>,
    /// `flow = "token-exchange"`: the profile whose current token is the subject token.
    pub(crate) subject_profile: Option<String>,
    /// `flow = "token-exchange"`: the subject token's type (default: access token).
    pub(crate) subject_token_type: Option<String>,
    /// `flow = "token-exchange"`: the profile whose token is the actor token.
    pub(crate) actor_profile: Option<String>,
    /// `flow = "token-exchange"`: the actor token's type (default: access token).
    pub(crate) actor_token_type: Option<String>,
    /// `flow = "token-exchange"`: `requested_token_type`.
    pub(crate) requested_token_type: Option<String>,
}

/// The keys [`ProfileConfig`] reads itself, as serde's derive names them.
fn setting_keys() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor, value::Error as Stop};
    /// A deserializer that only notes the field names of the struct it is asked for.
    struct FieldNames(&'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for &mut FieldNames {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = fields;
            Err(Stop::custom("noted"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut names = FieldNames(&[]);
    let _ = ProfileConfig::deserialize(&mut names);
    names.0
}

/// Where authctl keeps things.
#[derive(Clone, Debug)]
pub(crate) struct Home {
    /// The config file.
    pub(crate) config: PathBuf,
    /// The folder of the file token store.
    pub(crate) data: PathBuf,
}

impl Home {
    /// `$AUTHCTL_HOME` (config.toml and tokens inside) or the platform folders;
    /// `--config` overrides the config path.
    pub(crate) fn locate(config_flag: Option<&Path>) -> Result<Home, Error> {
        let (config_dir, data) = match std::env::var_os("AUTHCTL_HOME").filter(|v| !v.is_empty()) {
            Some(home) => (PathBuf::from(&home), PathBuf::from(home)),
            None => {
                let config = dirs::config_dir().map(|d| d.join("authctl"));
                let data = auth_store::FileStore::default_dir().ok();
                match (config, data) {
                    (Some(c), Some(d)) => (c, d),
                    _ => {
                        return Err(Error::config(
                            "no home folder found for authctl: set AUTHCTL_HOME to a folder it may use",
                        ));
                    }
                }
            }
        };
        let config = config_flag
            .map(Path::to_path_buf)
            .unwrap_or_else(|| config_dir.join("config.toml"));
        Ok(Home { config, data })
    }
}

/// Reads the config file once (its text and its metadata); a missing file is an empty
/// config.
pub(crate) fn load(path: &Path) -> Result<ConfigFile, Error> {
    let Some((text, metadata)) = ConfigFileSource::read_file(path)? else {
        return Ok(ConfigFile {
            path: path.to_owned(),
            ..ConfigFile::default()
        });
    };
    let mut config = parse(text, path)?;
    config.metadata = Some(metadata);
    Ok(config)
}

/// Parses config text; errors name the file, the line and the key.
pub(crate) fn parse(text: String, path: &Path) -> Result<ConfigFile, Error> {
    let at = |span: Option<std::ops::Range<usize>>, message: &str| {
        let line = span.map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
        Error::config(format!("{}{at}: {}", path.display(), message.trim()))
    };
    let toml_error = |e: toml::de::Error| at(e.span(), e.message());
    let mut root = DeTable::parse(&text).map_err(toml_error)?;
    let credentials = profile_credentials(root.get_ref(), &text, path);
    let mut endpoints = BTreeMap::new();
    if let Some(profiles) = root.get_mut().get_mut("profiles")
        && let DeValue::Table(profiles) = profiles.get_mut()
    {
        for (name, table) in profiles.iter_mut() {
            // anything but a table is the Document's error to report
            let DeValue::Table(table) = table.get_mut() else {
                continue;
            };
            let mut set = Vec::new();
            for slot in ENDPOINTS {
                let Some(value) = table.remove(slot.key()) else {
                    continue;
                };
                let DeValue::String(url) = value.get_ref() else {
                    return Err(at(
                        Some(value.span()),
                        &format!("`{}` must be a URL in quotes", slot.key()),
                    ));
                };
                set.push((slot, url.to_string()));
            }
            // the credential keys are `ConfigFileSource`'s to read, check or refuse
            for key in ConfigFileSource::KEYS
                .iter()
                .chain(&ConfigFileSource::REFUSED_KEYS)
            {
                table.remove(*key);
            }
            if let Some((key, _)) = table
                .iter()
                .find(|(key, _)| !setting_keys().contains(&key.get_ref().as_ref()))
            {
                let known: Vec<String> = setting_keys()
                    .iter()
                    .copied()
                    .chain(ENDPOINTS.iter().map(|slot| slot.key()))
                    .chain(ConfigFileSource::KEYS)
                    .map(|k| format!("`{k}`"))
                    .collect();
                return Err(at(
                    Some(key.span()),
                    &format!(
                        "unknown field `{}`, expected one of {}",
                        key.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
            endpoints.insert(name.get_ref().to_string(), set);
        }
    }
    let doc = Document::deserialize(toml::de::Deserializer::from(root)).map_err(toml_error)?;
    let mut profiles = doc.profiles;
    for (name, profile) in &mut profiles {
        profile.endpoints = endpoints.remove(name).unwrap_or_default();
    }
    Ok(ConfigFile {
        path: path.to_owned(),
        text: Secret::new(text),
        metadata: None,
        profiles,
        credentials,
    })
}

/// The credentials of every profile table of a parsed config file, `None` when
/// `ConfigFileSource` refuses the file.
fn profile_credentials(
    root: &DeTable<'_>,
    text: &str,
    path: &Path,
) -> Option<BTreeMap<String, ConfigFileSource>> {
    let mut sources = BTreeMap::new();
    match root.get("profiles").map(|p| p.get_ref()) {
        None => {}
        Some(DeValue::Table(profiles)) => {
            for name in profiles.keys() {
                let name = name.get_ref();
                let source = ConfigFileSource::from_toml_table(root, text, path, name).ok()?;
                sources.insert(name.to_string(), source);
            }
        }
        Some(_) => return None,
    }
    Some(sources)
}

/// A profile made ready to use.
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    pub(crate) name: String,
    pub(crate) config: ProfileConfig,
    pub(crate) provider: Provider,
    pub(crate) flow: FlowKind,
    pub(crate) jwt: bool,
    pub(crate) store: StoreKind,
    /// The profile's environment variables, with its `env_prefix` (made once per command).
    pub(crate) env: auth_store::EnvSource,
    pub(crate) config_path: PathBuf,
    /// Set when the provider still needs discovery from this issuer.
    pub(crate) issuer: Option<String>,
    /// The credentials of the profile's table: the last source of the chain.
    pub(crate) credentials: ConfigFileSource,
    /// The provider's own "who am I" call, from its preset (names the account at login).
    pub(crate) who_am_i: Option<auth_flows::WhoAmI>,
    /// The Google service-account key of `service_account_file`.
    pub(crate) service_account: Option<auth_flows::ServiceAccount>,
}

/// Picks the profile: the flag, else `$AUTHCTL_PROFILE`, else `default`.
pub(crate) fn profile_name(flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| {
            std::env::var("AUTHCTL_PROFILE")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "default".to_owned())
}

/// Turns a profile table (or a bare preset name) into a [`Profile`]: its provider, and
/// its credentials after the check that a file holding a secret is private.
pub(crate) fn resolve(file: &ConfigFile, name: &str) -> Result<Profile, Error> {
    let config_path = &file.path;
    let config = match (file.profiles.get(name), auth_flows::preset(name)) {
        (Some(c), _) => c.clone(),
        (None, Some(_)) => ProfileConfig::default(),
        (None, None) => {
            return Err(Error::config(format!(
                "no profile `{name}` in {}: add a [profiles.{name}] table, or use a built-in provider \
                 with --profile ({})",
                config_path.display(),
                auth_flows::PRESET_NAMES.join(", ")
            )));
        }
    };
    let credentials = match &file.credentials {
        Some(sources) => match sources.get(name) {
            Some(source) => source.clone(),
            None => ConfigFileSource::from_toml_table(&DeTable::new(), "", config_path, name)?,
        },
        None => ConfigFileSource::from_toml_str(file.text.expose(), config_path, name)?,
    };
    if let Some(metadata) = &file.metadata {
        credentials.check_private(metadata)?;
    }
    let preset_name = config
        .provider
        .clone()
        .or_else(|| auth_flows::preset(name).map(|_| name.to_owned()));
    let preset = match &preset_name {
        Some(p) => Some(auth_flows::preset(p).ok_or_else(|| {
            Error::config(format!(
                "{}: profile `{name}` names provider = {p:?}, which is not built in ({}); give its endpoints instead",
                config_path.display(),
                auth_flows::PRESET_NAMES.join(", ")
            ))
        })?),
        None => None,
    };
    let mut provider = preset
        .as_ref()
        .map(|p| p.provider.clone())
        .unwrap_or_else(|| Provider::new(name));
    provider.name = name.to_owned();
    for (slot, url) in &config.endpoints {
        provider = slot.set(provider, url).map_err(|e| {
            Error::config(format!("{}: profile `{name}`: {e}", config_path.display()))
        })?;
    }
    if let Some(auth) = config.client_auth {
        provider.client_auth = auth;
    }
    if let Some(path) = &config.client_key_file {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            Error::config(format!(
                "{}: profile `{name}`: client_key_file {} cannot be read: {e}",
                config_path.display(),
                path.display()
            ))
        })?;
        let key = auth_core::ClientKey::new(pem);
        provider.client_key = Some(match &config.client_key_id {
            Some(kid) => key.with_key_id(kid),
            None => key,
        });
    }
    if let Some(scopes) = &config.scopes {
        provider.default_scopes.clone_from(scopes);
    }
    provider.par = config.par.unwrap_or(false);
    provider.resources = config.resource.clone().unwrap_or_default();
    provider.audience.clone_from(&config.audience);
    if let Some(aud) = config.client_assertion_audience {
        provider.client_assertion_audience = aud;
    }
    let service_account = match &config.service_account_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::config(format!(
                    "{}: profile `{name}`: service_account_file {} cannot be read: {e}",
                    config_path.display(),
                    path.display()
                ))
            })?;
            let account = auth_flows::ServiceAccount::from_json(&text).map_err(|e| {
                Error::config(format!(
                    "{}: profile `{name}`: service_account_file {}: {e}",
                    config_path.display(),
                    path.display()
                ))
            })?;
            if !config
                .endpoints
                .iter()
                .any(|(slot, _)| *slot == Slot::Url(Endpoint::Token))
            {
                provider = provider.with_endpoint(Endpoint::Token, &account.token_uri)?;
            }
            Some(account)
        }
        None => None,
    };
    if let Some(quirks) = &config.quirks {
        provider.quirks.clone_from(quirks);
    }
    if config.token_placement.is_some() || config.token_parameter.is_some() {
        let placement = auth_core::hooks::TokenPlacement::parse(
            config.token_placement.as_deref().unwrap_or("header"),
            config.token_parameter.as_deref(),
        )
        .map_err(|e| Error::config(format!("{}: profile `{name}`: {e}", config_path.display())))?;
        provider.placement = Some(placement);
    }
    provider.insecure_http =
        config.insecure_http.unwrap_or(false) || env_flag("AUTHCTL_INSECURE_HTTP");
    // The issuer the authorization response's `iss` must equal (RFC 9207), with or
    // without discovery.
    provider.issuer.clone_from(&config.issuer);
    provider.dpop = config.dpop.unwrap_or(false);
    let flow = config
        .flow
        .or_else(|| service_account.as_ref().map(|_| FlowKind::JwtBearer))
        .or_else(|| {
            preset
                .as_ref()
                .and_then(|p| FlowKind::parse(p.default_flow))
        })
        .unwrap_or(FlowKind::Pkce);
    let issuer = config
        .issuer
        .clone()
        .filter(|_| provider.endpoints.token.is_none());
    if issuer.is_none()
        && preset.is_none()
        && provider.endpoints.token.is_none()
        && flow != FlowKind::Oauth1
    {
        return Err(Error::config(format!(
            "{}: profile `{name}` has no endpoints: set `provider` (one of {}), `issuer` for discovery, or `token_url`",
            config_path.display(),
            auth_flows::PRESET_NAMES.join(", ")
        )));
    }
    Ok(Profile {
        name: name.to_owned(),
        jwt: config
            .jwt
            .unwrap_or_else(|| preset.as_ref().is_some_and(|p| p.jwt)),
        store: config.store.unwrap_or_default(),
        env: match &config.env_prefix {
            Some(prefix) => crate::app::env_source(name).with_prefix(prefix.clone()),
            None => crate::app::env_source(name),
        },
        flow,
        provider,
        config,
        config_path: config_path.clone(),
        issuer,
        credentials,
        who_am_i: preset.and_then(|p| p.who_am_i),
        service_account,
    })
}

/// True when the environment variable is `1`, `true` or `yes`.
pub(crate) fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

#[cfg(test)]
#[path = "config_proptest.rs"]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<ConfigFile, Error> {
        parse(text.to_owned(), Path::new("config.toml"))
    }

    fn resolve_str(text: &str, name: &str) -> Result<Profile, Error> {
        resolve(&parse_str(text)?, name)
    }

    #[test]
    fn unknown_keys_and_bad_values_name_key_file_and_line() {
        let err = parse_str("[profiles.a]\nprovider = \"github\"\ncolour = \"red\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("config.toml, line 3") && err.contains("colour"),
            "{err}"
        );
        let err = parse_str("[profiles.a]\n\nflow = \"magic\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("magic"), "{err}");
        let err = parse_str("[profiles.a]\nredirect_port = 99999\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        let err = parse_str("[profiles.a]\nprovider = \"github\"\n\ntoken_url = 5\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 4") && err.contains("`token_url`"),
            "{err}"
        );
        let err = parse_str("[profiles.a]\nclient_auth = \"secret\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("basic"), "{err}");
    }

    #[test]
    fn presets_work_without_config_and_can_be_overridden() {
        let empty = ConfigFile::default();
        let p = resolve(&empty, "inaturalist").unwrap();
        assert_eq!(p.flow, FlowKind::Pkce);
        assert!(p.jwt);
        assert_eq!(p.env.prefix(), "INAT_");
        let file = parse_str(
            "[profiles.work]\nprovider = \"gitlab\"\ntoken_url = \"https://git.example.com/oauth/token\"\nflow = \"device\"\n",
        )
        .unwrap();
        let p = resolve(&file, "work").unwrap();
        assert_eq!(
            p.provider.endpoints.token.as_ref().unwrap().as_str(),
            "https://git.example.com/oauth/token"
        );
        assert_eq!(p.provider.name, "work");
        assert_eq!(p.env.prefix(), "WORK_");
        assert!(
            resolve(&empty, "default")
                .unwrap_err()
                .to_string()
                .contains("no profile `default`")
        );
        let file = parse_str("[profiles.x]\nprovider = \"nope\"\n").unwrap();
        assert!(
            resolve(&file, "x")
                .unwrap_err()
                .to_string()
                .contains("not built in")
        );
    }

    #[test]
    fn every_endpoint_of_the_table_is_a_key_that_sets_its_slot() {
        let mut text = String::from("[profiles.all]\nclient_auth = \"body\"\n");
        for (i, slot) in ENDPOINTS.iter().enumerate() {
            text.push_str(&format!("{} = \"https://e{i}.example/\"\n", slot.key()));
        }
        let p = resolve_str(&text, "all").unwrap();
        for (i, slot) in ENDPOINTS.iter().enumerate() {
            assert_eq!(
                slot.get(&p.provider).map(Url::as_str),
                Some(format!("https://e{i}.example/").as_str()),
                "{}",
                slot.key()
            );
        }
        assert_eq!(p.provider.client_auth, ClientAuth::Body);
        let err = resolve_str(
            "[profiles.x]\ntoken_url = \"https://a.example/t\"\napi_base_url = \"nope\"\n",
            "x",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("profile `x`") && err.contains("api_base_url"),
            "{err}"
        );
    }

    #[test]
    fn credential_keys_are_the_ones_of_the_credential_reader() {
        for key in ConfigFileSource::KEYS {
            let text =
                format!("[profiles.x]\ntoken_url = \"https://a.example/t\"\n{key} = \"v\"\n");
            assert!(resolve_str(&text, "x").is_ok(), "{key}");
        }
        for key in ConfigFileSource::REFUSED_KEYS {
            // refused in any profile, by the credential reader (not as an unknown key)
            let text = format!(
                "[profiles.x]\ntoken_url = \"https://a.example/t\"\n[profiles.y]\n{key} = \"SECRET\"\n"
            );
            let err = resolve_str(&text, "x").unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{key}`")) && err.contains("refused"),
                "{err}"
            );
            assert!(!err.contains("SECRET"), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_shared_file_holding_a_secret_is_refused_when_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[profiles.x]\ntoken_url = \"https://a.example/t\"\nclient_secret = \"cs\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let file = load(&path).unwrap();
        let err = resolve(&file, "x").unwrap_err().to_string();
        assert!(err.contains("chmod 600") && err.contains("0644"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let p = resolve(&load(&path).unwrap(), "x").unwrap();
        assert!(format!("{p:?}").contains("ConfigFileSource"));
        assert!(!format!("{p:?}").contains("\"cs\""));
    }

    #[test]
    fn the_config_text_never_shows_its_client_secret() {
        let file = parse_str(
            "[profiles.x]\ntoken_url = \"https://a.example/t\"\nclient_secret = \"Sup3r-secret-value\"\n",
        )
        .unwrap();
        let shown = format!("{file:?} {:?}", resolve(&file, "x").unwrap());
        assert!(!shown.contains("Sup3r-secret-value"), "{shown}");
    }
}
