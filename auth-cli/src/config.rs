//! `config.toml`: profiles, and how a profile becomes a provider, a flow and a store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use auth_core::{ClientAuth, Endpoint, Error, Provider};
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    pub(crate) profiles: BTreeMap<String, ProfileConfig>,
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
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClientAuthConfig {
    Basic,
    Body,
    None,
}

/// One `[profiles.NAME]` table. Every key is parsed here so that unknown keys and bad
/// values are reported with their line; the credential keys (`username`, `client_id`,
/// `client_secret`) are read by `auth_store::ConfigFileSource`, and the OAuth 1 keys
/// (`signature_method`, `signature_placement`, `rsa_key_file`) are validated but not yet
/// used by authctl.
#[derive(Clone, Debug, Default, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileConfig {
    pub(crate) provider: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) authorize_url: Option<String>,
    pub(crate) token_url: Option<String>,
    pub(crate) device_authorization_url: Option<String>,
    pub(crate) revocation_url: Option<String>,
    pub(crate) introspection_url: Option<String>,
    pub(crate) userinfo_url: Option<String>,
    pub(crate) jwt_url: Option<String>,
    pub(crate) api_base_url: Option<String>,
    pub(crate) request_token_url: Option<String>,
    pub(crate) access_token_url: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) client_auth: Option<ClientAuthConfig>,
    pub(crate) flow: Option<FlowKind>,
    pub(crate) scopes: Option<Vec<String>>,
    pub(crate) redirect_port: Option<u16>,
    pub(crate) redirect_path: Option<String>,
    pub(crate) jwt: Option<bool>,
    pub(crate) env_prefix: Option<String>,
    pub(crate) store: Option<StoreKind>,
    pub(crate) insecure_http: Option<bool>,
    pub(crate) signature_method: Option<String>,
    pub(crate) signature_placement: Option<String>,
    pub(crate) rsa_key_file: Option<PathBuf>,
    pub(crate) username: Option<String>,
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

/// Reads and checks the config file; a missing file is an empty config.
pub(crate) fn load(path: &Path) -> Result<ConfigFile, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(e) => {
            return Err(Error::config(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    parse(&text, path)
}

/// Parses config text; errors name the file, the line and the key.
pub(crate) fn parse(text: &str, path: &Path) -> Result<ConfigFile, Error> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
        Error::config(format!("{}{at}: {}", path.display(), e.message().trim()))
    })
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
    pub(crate) env_prefix: String,
    pub(crate) config_path: PathBuf,
    /// Set when the provider still needs discovery from this issuer.
    pub(crate) issuer: Option<String>,
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

/// Turns a profile table (or a bare preset name) into a [`Profile`].
pub(crate) fn resolve(file: &ConfigFile, name: &str, config_path: &Path) -> Result<Profile, Error> {
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
    let endpoints = [
        (Endpoint::Authorize, &config.authorize_url),
        (Endpoint::Token, &config.token_url),
        (
            Endpoint::DeviceAuthorization,
            &config.device_authorization_url,
        ),
        (Endpoint::Revocation, &config.revocation_url),
        (Endpoint::Introspection, &config.introspection_url),
        (Endpoint::Userinfo, &config.userinfo_url),
        (Endpoint::Jwt, &config.jwt_url),
        (Endpoint::RequestToken, &config.request_token_url),
        (Endpoint::AccessToken, &config.access_token_url),
    ];
    for (which, value) in endpoints {
        if let Some(url) = value {
            provider = provider.with_endpoint(which, url).map_err(|e| {
                Error::config(format!("{}: profile `{name}`: {e}", config_path.display()))
            })?;
        }
    }
    if let Some(base) = &config.api_base_url {
        provider.endpoints.api_base = Some(url::Url::parse(base).map_err(|e| {
            Error::config(format!(
                "{}: profile `{name}`: api_base_url is not a URL ({e}): {base:?}",
                config_path.display()
            ))
        })?);
    }
    if let Some(auth) = config.client_auth {
        provider.client_auth = match auth {
            ClientAuthConfig::Basic => ClientAuth::Basic,
            ClientAuthConfig::Body => ClientAuth::Body,
            ClientAuthConfig::None => ClientAuth::None,
        };
    }
    if let Some(scopes) = &config.scopes {
        provider.default_scopes.clone_from(scopes);
    }
    provider.insecure_http =
        config.insecure_http.unwrap_or(false) || env_flag("AUTHCTL_INSECURE_HTTP");
    let flow = config
        .flow
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
        env_prefix: config
            .env_prefix
            .clone()
            .unwrap_or_else(|| crate::app::env_source(name).prefix().to_owned()),
        flow,
        provider,
        config,
        config_path: config_path.to_owned(),
        issuer,
    })
}

/// True when the environment variable is `1`, `true` or `yes`.
pub(crate) fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<ConfigFile, Error> {
        parse(text, Path::new("config.toml"))
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
    }

    #[test]
    fn presets_work_without_config_and_can_be_overridden() {
        let empty = ConfigFile::default();
        let p = resolve(&empty, "inaturalist", Path::new("c.toml")).unwrap();
        assert_eq!(p.flow, FlowKind::Pkce);
        assert!(p.jwt);
        assert_eq!(p.env_prefix, "INAT_");
        let file = parse_str(
            "[profiles.work]\nprovider = \"gitlab\"\ntoken_url = \"https://git.example.com/oauth/token\"\nflow = \"device\"\n",
        )
        .unwrap();
        let p = resolve(&file, "work", Path::new("c.toml")).unwrap();
        assert_eq!(
            p.provider.endpoints.token.as_ref().unwrap().as_str(),
            "https://git.example.com/oauth/token"
        );
        assert_eq!(p.provider.name, "work");
        assert_eq!(p.env_prefix, "WORK_");
        assert!(
            resolve(&empty, "default", Path::new("c.toml"))
                .unwrap_err()
                .to_string()
                .contains("no profile `default`")
        );
        let file = parse_str("[profiles.x]\nprovider = \"nope\"\n").unwrap();
        assert!(
            resolve(&file, "x", Path::new("c.toml"))
                .unwrap_err()
                .to_string()
                .contains("not built in")
        );
    }
}
