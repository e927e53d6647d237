//! Putting the pieces together for one profile: store, credentials, transport, flow.

use std::sync::Arc;
use std::time::Duration;

use auth_core::{
    AuthFlow, CredentialField, CredentialNames, Credentials, Error, FlowContext, HttpBackend,
    HttpConfig, Interaction, Secret, TokenKey, TokenStore,
};
use auth_flows::oauth1::{OAuth1Flow, RsaKey, SigningBackend};
use auth_flows::{
    AuthorizationCodeFlow, ClientCredentialsFlow, DeviceFlow, LoopbackConfig, PasswordFlow,
    Redirect, TokenManager,
};
use auth_store::{ChainSource, EnvSource, ResolvedCredentials, StaticSource};

use crate::config::{ENDPOINTS, FlowKind, Home, Profile, StoreKind};

/// Options of one invocation that shape the profile's objects.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    pub(crate) store: Option<StoreKind>,
    pub(crate) quiet: bool,
    pub(crate) verbose: bool,
    /// Credentials from flags and stdin.
    pub(crate) explicit: Credentials,
}

/// One profile, ready.
pub(crate) struct App {
    pub(crate) home: Home,
    pub(crate) profile: Profile,
    pub(crate) options: Options,
}

impl App {
    /// The transport. The profile's `insecure_http` reaches it on each request (flows and
    /// clients mark requests to the provider with it).
    pub(crate) fn http(&self) -> Result<Arc<dyn HttpBackend>, Error> {
        Ok(Arc::new(
            auth_http::UreqBackend::new(HttpConfig::default())?,
        ))
    }

    /// Opens the store the profile (or `--store`) asks for, and describes it.
    pub(crate) fn store(&self) -> Result<Arc<dyn TokenStore>, Error> {
        let kind = self.options.store.unwrap_or(self.profile.store);
        let file = || auth_store::FileStore::new(&self.home.data);
        match kind {
            StoreKind::File => Ok(Arc::new(file())),
            StoreKind::Memory => Ok(Arc::new(auth_store::MemoryStore::new())),
            StoreKind::Keyring => keyring_store(),
            StoreKind::Auto => Ok(auto_store(file(), self.options.quiet)),
            StoreKind::Redis => crate::redis_store::open(&self.profile),
        }
    }

    /// The key of the profile's token: profile name, account (the username from flags,
    /// environment or config, else `default`), client id (likewise, else empty). The
    /// keyring is not asked here, so reading a cached token never touches it.
    pub(crate) fn key(&self) -> Result<TokenKey, Error> {
        let cheap =
            pollster::block_on(self.chain(false).resolve(&self.profile.provider))?.credentials;
        Ok(TokenKey::new(
            &self.profile.name,
            cheap.username.unwrap_or_else(|| "default".into()),
            cheap.client_id.unwrap_or_default(),
        ))
    }

    /// The credential sources in order: arguments > environment > keyring > config file.
    pub(crate) fn chain(&self, with_keyring: bool) -> ChainSource {
        let mut chain = ChainSource::new()
            .with(StaticSource::new(self.options.explicit.clone()).named("arguments"))
            .with(env_source(&self.profile.name).with_prefix(self.profile.env_prefix.clone()));
        if with_keyring {
            chain = add_keyring_source(chain, &self.profile.name);
        }
        chain.with(self.profile.credentials.clone())
    }

    /// All credentials, with where each came from.
    pub(crate) fn credentials(&self) -> Result<ResolvedCredentials, Error> {
        pollster::block_on(self.chain(true).resolve(&self.profile.provider))
    }

    /// The provider, discovered from its issuer first when the profile says so.
    pub(crate) fn provider(
        &self,
        http: &Arc<dyn HttpBackend>,
    ) -> Result<auth_core::Provider, Error> {
        let Some(issuer) = &self.profile.issuer else {
            return Ok(self.profile.provider.clone());
        };
        let mut discovered = pollster::block_on(auth_flows::discover(
            http.as_ref(),
            &self.profile.name,
            issuer,
        ))?;
        let configured = &self.profile.provider;
        // explicit endpoints of the profile win over discovered ones
        for slot in ENDPOINTS {
            if let Some(mine) = slot.get(configured) {
                discovered = slot.set(discovered, mine.as_str())?;
            }
        }
        if self.profile.config.client_auth.is_some() {
            discovered.client_auth = configured.client_auth;
        }
        discovered
            .default_scopes
            .clone_from(&configured.default_scopes);
        discovered.insecure_http = configured.insecure_http;
        Ok(discovered)
    }

    /// The token manager with the profile's flow and the given person.
    pub(crate) fn manager(
        &self,
        interaction: Arc<dyn Interaction>,
        flow: Option<Arc<dyn AuthFlow>>,
    ) -> Result<TokenManager, Error> {
        let http = self.http()?;
        let provider = self.provider(&http)?;
        let resolved = self.credentials()?;
        if self.options.verbose {
            eprintln!("credentials: {}", resolved.summary());
        }
        let ctx =
            FlowContext::new(provider, resolved.credentials, http).with_interaction(interaction);
        let mut manager =
            TokenManager::new(self.key()?, self.store()?, ctx).with_jwt(self.profile.jwt);
        if let Some(flow) = flow {
            manager = manager.with_flow(flow);
        }
        Ok(manager)
    }

    /// The flow of the profile (or `--flow`), with the loopback settings.
    pub(crate) fn flow(
        &self,
        kind: FlowKind,
        port: Option<u16>,
        timeout: Option<Duration>,
    ) -> Result<Arc<dyn AuthFlow>, Error> {
        let mut loopback = LoopbackConfig::default();
        if let Some(p) = port.or(self.profile.config.redirect_port) {
            loopback = loopback.with_port(p);
        }
        if let Some(path) = &self.profile.config.redirect_path {
            loopback = loopback.with_path(path.clone());
        }
        if let Some(t) = timeout {
            loopback = loopback.with_timeout(t);
        }
        Ok(match kind {
            FlowKind::Password => Arc::new(PasswordFlow),
            FlowKind::ClientCredentials => Arc::new(ClientCredentialsFlow),
            FlowKind::Pkce => Arc::new(AuthorizationCodeFlow::new(Redirect::Loopback(loopback))),
            FlowKind::AuthCode => {
                let mut flow = AuthorizationCodeFlow::new(Redirect::Loopback(loopback));
                flow.pkce = false;
                Arc::new(flow)
            }
            FlowKind::Oob => Arc::new(AuthorizationCodeFlow::new(Redirect::Oob)),
            FlowKind::Device => Arc::new(DeviceFlow::default()),
            FlowKind::Oauth1 => Arc::new(self.oauth1_flow(OAuth1Flow::with_callback(Arc::new(
                auth_flows::oauth1::LoopbackCallback::bind(loopback)?,
            )))?),
        })
    }

    /// The profile's flow when it needs no person (password, client credentials): what
    /// `token` and `api` may run on their own.
    pub(crate) fn unattended_flow(&self) -> Result<Option<Arc<dyn AuthFlow>>, Error> {
        match self.profile.flow {
            FlowKind::Password | FlowKind::ClientCredentials => {
                self.flow(self.profile.flow, None, None).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The OAuth 1 flow with the profile's signature settings applied.
    pub(crate) fn oauth1_flow(&self, flow: OAuth1Flow) -> Result<OAuth1Flow, Error> {
        let config = &self.profile.config;
        let at = |key: &str, e: &dyn std::fmt::Display| {
            Error::config(format!(
                "{}: profile `{}`: {key}: {e}",
                self.profile.config_path.display(),
                self.profile.name
            ))
        };
        let mut flow = flow;
        if let Some(method) = &config.signature_method {
            flow = flow.with_method(
                method
                    .parse()
                    .map_err(|e: Error| at("signature_method", &e))?,
            );
        }
        if let Some(placement) = &config.signature_placement {
            flow = flow.with_placement(
                placement
                    .parse()
                    .map_err(|e: Error| at("signature_placement", &e))?,
            );
        }
        if let Some(path) = &config.rsa_key_file {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                at(
                    "rsa_key_file",
                    &format!("cannot read {}: {e}", path.display()),
                )
            })?;
            flow = flow.with_rsa_key(RsaKey::from_pem(&pem).map_err(|e| at("rsa_key_file", &e))?);
        }
        Ok(flow)
    }

    /// A transport that signs every request with the profile's OAuth 1 token.
    pub(crate) fn oauth1_client(
        &self,
        token: &auth_core::Token,
    ) -> Result<Arc<dyn HttpBackend>, Error> {
        let auth_core::TokenKind::OAuth1 { token_secret } = &token.kind else {
            return Err(Error::LoginRequired {
                profile: self.profile.name.clone(),
            });
        };
        let http = self.http()?;
        let provider = self.provider(&http)?;
        let credentials = self.credentials()?.credentials;
        let signer = self
            .oauth1_flow(OAuth1Flow::oob())?
            .signer(&credentials, &provider)
            .map_err(|e| self.explain(e))?
            .with_token(token.access_token.clone(), token_secret.clone());
        Ok(Arc::new(
            SigningBackend::new(http, signer).for_provider(&provider),
        ))
    }

    /// Rewrites a missing-credentials hint with this profile's exact sources.
    pub(crate) fn explain(&self, error: Error) -> Error {
        match error {
            Error::MissingCredentials {
                provider, missing, ..
            } => {
                let env: Vec<String> = missing
                    .iter()
                    .map(|f| match f {
                        CredentialField::ClientId => {
                            format!("{p}APP_ID (or {p}CLIENT_ID)", p = self.profile.env_prefix)
                        }
                        CredentialField::ClientSecret => {
                            format!(
                                "{p}APP_SECRET (or {p}CLIENT_SECRET)",
                                p = self.profile.env_prefix
                            )
                        }
                        other => format!("{}{}", self.profile.env_prefix, other.env_suffix()),
                    })
                    .collect();
                let hint = format!(
                    "set {}, or store them with `authctl credentials set --profile {}`{}",
                    env.join(", "),
                    self.profile.name,
                    if missing.contains(&CredentialField::ClientId) {
                        ", or set client_id in the profile"
                    } else {
                        ""
                    }
                );
                Error::MissingCredentials {
                    provider,
                    missing,
                    hint,
                }
            }
            other => other,
        }
    }
}

/// What authctl calls a profile's credentials in the environment and the keyring. A
/// profile named after a preset that names them (iNaturalist: pyinaturalist's `INAT_*`
/// variables and `/inaturalist` keyring service) uses the preset's names; every other
/// profile uses the same field names under its own prefix and `authctl:<profile>`
/// service (`WORK_APP_ID`, or `WORK_CLIENT_ID`).
pub(crate) fn credential_names(profile: &str) -> CredentialNames {
    let of = |name: &str| auth_flows::preset(name).and_then(|p| p.provider.credential_names);
    of(profile).unwrap_or_else(|| {
        let mut fields = of("inaturalist").unwrap_or_default();
        fields.env_prefix = None;
        fields.keyring_service = None;
        fields
    })
}

/// The profile as the credential sources see it: its name and [`credential_names`].
fn named(profile: &str) -> auth_core::Provider {
    auth_core::Provider::new(profile).with_credential_names(credential_names(profile))
}

/// The profile's environment variables (before a profile's own `env_prefix`).
pub(crate) fn env_source(profile: &str) -> EnvSource {
    EnvSource::for_provider(&named(profile))
}

/// The profile's keyring entries.
#[cfg(feature = "keyring")]
fn keyring_source(profile: &str) -> auth_store::KeyringSource {
    auth_store::KeyringSource::for_provider(&named(profile))
}

#[cfg(feature = "keyring")]
fn keyring_store() -> Result<Arc<dyn TokenStore>, Error> {
    let store = auth_store::KeyringStore::new();
    store.probe()?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "keyring"))]
fn keyring_store() -> Result<Arc<dyn TokenStore>, Error> {
    Err(no_keyring())
}

/// `store = "auto"`: the keyring while it answers, else the file, with a one-line
/// warning when it turns to the file (unless quiet).
#[cfg(feature = "keyring")]
fn auto_store(file: auth_store::FileStore, quiet: bool) -> Arc<dyn TokenStore> {
    let store = auth_store::KeyringOrFileStore::new(auth_store::KeyringStore::new(), file);
    if quiet {
        return Arc::new(store);
    }
    Arc::new(store.on_fall_back(|event| {
        let what = match event.cause {
            auth_store::FallBackCause::NoKeyring => "no system keyring",
            auth_store::FallBackCause::Refused => "the system keyring refused",
        };
        eprintln!(
            "warning: {what} ({}); keeping tokens in {}",
            event.reason, event.file
        );
    }))
}

/// `store = "auto"` in a build without the keyring: the file, with a warning.
#[cfg(not(feature = "keyring"))]
fn auto_store(file: auth_store::FileStore, quiet: bool) -> Arc<dyn TokenStore> {
    if !quiet {
        eprintln!(
            "warning: no system keyring ({NO_KEYRING}); keeping tokens in {}",
            file.describe()
        );
    }
    Arc::new(file)
}

#[cfg(feature = "keyring")]
fn add_keyring_source(chain: ChainSource, profile: &str) -> ChainSource {
    chain.with(keyring_source(profile))
}

#[cfg(not(feature = "keyring"))]
fn add_keyring_source(chain: ChainSource, _profile: &str) -> ChainSource {
    chain
}

/// Stores credentials in the profile's keyring entries; returns the fields written and
/// the keyring service name.
#[cfg(feature = "keyring")]
pub(crate) fn keyring_set(
    profile: &str,
    credentials: &Credentials,
) -> Result<(Vec<CredentialField>, String), Error> {
    let source = keyring_source(profile);
    Ok((source.set(credentials)?, source.service().to_owned()))
}

/// Deletes the profile's keyring entries; returns the fields deleted and the service.
#[cfg(feature = "keyring")]
pub(crate) fn keyring_delete(profile: &str) -> Result<(Vec<CredentialField>, String), Error> {
    let source = keyring_source(profile);
    Ok((source.delete()?, source.service().to_owned()))
}

#[cfg(not(feature = "keyring"))]
const NO_KEYRING: &str = "this authctl was built without the `keyring` feature";

#[cfg(not(feature = "keyring"))]
fn no_keyring() -> Error {
    Error::KeyringUnavailable {
        message: NO_KEYRING.into(),
    }
}

/// Stores credentials in the keyring: unavailable in this build.
#[cfg(not(feature = "keyring"))]
pub(crate) fn keyring_set(
    _profile: &str,
    _credentials: &Credentials,
) -> Result<(Vec<CredentialField>, String), Error> {
    Err(no_keyring())
}

/// Deletes keyring credentials: unavailable in this build.
#[cfg(not(feature = "keyring"))]
pub(crate) fn keyring_delete(_profile: &str) -> Result<(Vec<CredentialField>, String), Error> {
    Err(no_keyring())
}

/// Reads a secret flag's value when asked.
pub(crate) fn secret_from(stdin: bool, prompt: &str) -> Result<Option<Secret>, Error> {
    if stdin {
        crate::ui::read_secret(true, prompt).map(|s| Some(Secret::new(s)))
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_keep_their_variable_and_keyring_names() {
        let inat = env_source("inaturalist");
        assert_eq!(inat.prefix(), "INAT_");
        assert_eq!(
            inat.variables(CredentialField::ClientId),
            ["INAT_APP_ID", "INAT_CLIENT_ID"]
        );
        let work = env_source("work");
        assert_eq!(work.prefix(), "WORK_");
        assert_eq!(
            work.variables(CredentialField::ClientSecret),
            ["WORK_APP_SECRET", "WORK_CLIENT_SECRET"]
        );
        assert_eq!(work.variables(CredentialField::Username), ["WORK_USERNAME"]);
        #[cfg(feature = "keyring")]
        for (profile, service) in [("inaturalist", "/inaturalist"), ("work", "authctl:work")] {
            let source = keyring_source(profile);
            assert_eq!(source.service(), service);
            let entries: Vec<&str> = CredentialField::ALL
                .iter()
                .map(|f| source.entry_name(*f))
                .collect();
            assert_eq!(entries, ["username", "password", "app_id", "app_secret"]);
        }
    }
}
