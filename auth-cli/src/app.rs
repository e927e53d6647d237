//! Putting the pieces together for one profile: store, credentials, transport, flow.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use auth_core::{
    AuthFlow, CredentialField, CredentialNames, CredentialSource, Credentials, Error, FlowContext,
    HttpBackend, HttpConfig, Interaction, Secret, Token, TokenKey, TokenStore,
};
use auth_flows::oauth1::{OAuth1Flow, RsaKey, SigningBackend};
use auth_flows::{
    AuthorizationCodeFlow, ClientCredentialsFlow, DeviceFlow, LoopbackConfig, PasswordFlow,
    Redirect, TokenManager,
};
use auth_store::{ChainSource, EnvSource, ResolvedCredentials, StaticSource};

use crate::accounts::{Chosen, DEFAULT_ACCOUNT};
use crate::config::{ENDPOINTS, FlowKind, Home, Profile, StoreKind};

/// Options of one invocation that shape the profile's objects.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    pub(crate) store: Option<StoreKind>,
    pub(crate) quiet: bool,
    pub(crate) verbose: bool,
    /// `--account` or `AUTHCTL_ACCOUNT`.
    pub(crate) account: Option<String>,
    /// Credentials from flags and stdin.
    pub(crate) explicit: Credentials,
    /// `login --subject-token-stdin`: the subject token of a token exchange.
    pub(crate) subject_token: Option<Secret>,
}

/// One profile, ready.
pub(crate) struct App {
    pub(crate) home: Home,
    pub(crate) profile: Profile,
    pub(crate) options: Options,
    /// Set when `store = "auto"` could not reach the keyring and turned to the file: why.
    pub(crate) keyring_missed: Arc<OnceLock<String>>,
}

/// What token keys are made of, resolved once per command ([`App::key_names`]).
struct KeyNames {
    /// The client id: from flags, environment or config, else empty.
    client_id: String,
    /// A username from flags or the environment (not the config file).
    typed_username: Option<String>,
    /// The username from flags, environment or config file.
    username: Option<String>,
}

impl App {
    /// The transport. The profile's `insecure_http` reaches it on each request (flows and
    /// clients mark requests to the provider with it).
    pub(crate) fn http(&self) -> Result<Arc<dyn HttpBackend>, Error> {
        Ok(Arc::new(
            auth_http::UreqBackend::new(HttpConfig::default())?,
        ))
    }

    /// Opens the store the profile (or `--store`) asks for, and describes it. A keyring
    /// store is probed first, so a command fails before a person starts a login whose
    /// token could not be kept.
    pub(crate) fn store(&self) -> Result<Arc<dyn TokenStore>, Error> {
        self.open_store(true)
    }

    /// [`App::store`] for a command whose first use of the store is a read (the commands
    /// that run without a person): no probe of the keyring, since that read fails with
    /// the same "keyring unavailable" error, and a probe is one more Secret Service search.
    pub(crate) fn store_for_reading(&self) -> Result<Arc<dyn TokenStore>, Error> {
        self.open_store(false)
    }

    fn open_store(&self, probe: bool) -> Result<Arc<dyn TokenStore>, Error> {
        let kind = self.options.store.unwrap_or(self.profile.store);
        let file = || auth_store::FileStore::new(&self.home.data);
        match kind {
            StoreKind::File => Ok(Arc::new(file())),
            StoreKind::Memory => Ok(Arc::new(auth_store::MemoryStore::new())),
            StoreKind::Keyring => keyring_store(&self.home.data, probe),
            StoreKind::Auto => Ok(auto_store(file(), Arc::clone(&self.keyring_missed))),
            StoreKind::Redis => crate::redis_store::open(&self.profile),
        }
    }

    /// The account a command uses, and how it was chosen: `--account` or
    /// `AUTHCTL_ACCOUNT`; else the username from flags or the environment; else the
    /// store's active account (the latest login); else the username of the config file
    /// (for a password profile on first use, of the keyring too); else `default`.
    /// The keyring is asked only in that last case, so reading a cached token never
    /// touches it.
    fn account(&self, names: &KeyNames, store: &dyn TokenStore) -> Result<(String, Chosen), Error> {
        if let Some(account) = self.named(names) {
            return Ok((account, Chosen::Named));
        }
        if let Some(active) = pollster::block_on(store.active_account(&self.profile.name))? {
            return Ok((active, Chosen::Active));
        }
        self.configured_account(names)
    }

    /// [`App::key`] and the token stored under that key, with one read of a store that
    /// keeps the active account next to its tokens (the file store).
    pub(crate) fn key_and_token(
        &self,
        store: &dyn TokenStore,
    ) -> Result<(TokenKey, Chosen, Option<Token>), Error> {
        let names = self.key_names()?;
        let key_of = |account: &str| self.key_in(&names, account);
        let (account, chosen) = match self.named(&names) {
            Some(account) => (account, Chosen::Named),
            None => {
                let active = pollster::block_on(store.load_active(&self.profile.name, &key_of))?;
                if let Some((key, token)) = active {
                    return Ok((key, Chosen::Active, token));
                }
                self.configured_account(&names)?
            }
        };
        let key = key_of(&account);
        let token = pollster::block_on(store.load(&key))?;
        Ok((key, chosen, token))
    }

    /// The last choices of [`App::account`]: the username of the config file (for a
    /// password profile on first use, of the keyring too), else `default`.
    fn configured_account(&self, names: &KeyNames) -> Result<(String, Chosen), Error> {
        let configured = if self.profile.flow == FlowKind::Password {
            self.resolve(self.chain(true))?.username
        } else {
            names.username.clone()
        };
        Ok(match configured {
            Some(user) => (user, Chosen::Configured),
            None => (DEFAULT_ACCOUNT.to_owned(), Chosen::Default),
        })
    }

    /// The account named by `--account`, `AUTHCTL_ACCOUNT`, or a username from flags or
    /// the environment.
    pub(crate) fn named_account(&self) -> Result<Option<String>, Error> {
        Ok(self.named(&self.key_names()?))
    }

    fn named(&self, names: &KeyNames) -> Option<String> {
        let flag = self.options.account.clone().filter(|a| !a.is_empty());
        flag.or_else(|| names.typed_username.clone())
    }

    /// The key of the token of `account`: profile name, account, client id (from flags,
    /// environment or config, else empty).
    pub(crate) fn key_of(&self, account: &str) -> Result<TokenKey, Error> {
        Ok(self.key_in(&self.key_names()?, account))
    }

    /// The key of the command's token ([`App::account`]) and how its account was chosen.
    pub(crate) fn key(&self, store: &dyn TokenStore) -> Result<(TokenKey, Chosen), Error> {
        let names = self.key_names()?;
        let (account, chosen) = self.account(&names, store)?;
        Ok((self.key_in(&names, &account), chosen))
    }

    /// The key of the token of `account`, from `names`.
    fn key_in(&self, names: &KeyNames, account: &str) -> TokenKey {
        TokenKey::new(&self.profile.name, account, &names.client_id)
    }

    /// What token keys are made of, from one pass over arguments > environment > config
    /// file (the keyring is not asked).
    fn key_names(&self) -> Result<KeyNames, Error> {
        let resolved = pollster::block_on(self.chain(false).resolve(&self.profile.provider))?;
        let config = self.profile.credentials.name();
        let typed = resolved
            .origin(CredentialField::Username)
            .is_some_and(|origin| origin != config);
        let username = resolved.credentials.username;
        Ok(KeyNames {
            client_id: resolved.credentials.client_id.unwrap_or_default(),
            typed_username: username.clone().filter(|_| typed),
            username,
        })
    }

    fn resolve(&self, chain: ChainSource) -> Result<Credentials, Error> {
        Ok(pollster::block_on(chain.resolve(&self.profile.provider))?.credentials)
    }

    /// Arguments > environment: the sources a person sets for one command.
    fn direct_chain(&self) -> ChainSource {
        ChainSource::new()
            .with(StaticSource::new(self.options.explicit.clone()).named("arguments"))
            .with(self.profile.env.clone())
    }

    /// The credential sources in order: arguments > environment > keyring > config file.
    pub(crate) fn chain(&self, with_keyring: bool) -> ChainSource {
        let mut chain = self.direct_chain();
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
        let configured = &self.profile.provider;
        // the profile's one insecure-http switch reaches the discovery requests too
        let mut template = auth_core::Provider::new(&self.profile.name);
        template.insecure_http = configured.insecure_http;
        template.dpop = configured.dpop;
        template.par = configured.par;
        let mut discovered =
            pollster::block_on(auth_flows::discover(http.as_ref(), template, issuer))?;
        // explicit endpoints of the profile win over discovered ones
        for slot in ENDPOINTS {
            if let Some(mine) = slot.get(configured) {
                discovered = slot.set(discovered, mine.as_str())?;
            }
        }
        if self.profile.config.client_auth.is_some() {
            discovered.client_auth = configured.client_auth;
        }
        discovered.client_key.clone_from(&configured.client_key);
        discovered
            .default_scopes
            .clone_from(&configured.default_scopes);
        discovered.quirks.clone_from(&configured.quirks);
        discovered.placement.clone_from(&configured.placement);
        discovered.resources.clone_from(&configured.resources);
        discovered.audience.clone_from(&configured.audience);
        discovered.client_assertion_audience = configured.client_assertion_audience;
        Ok(discovered)
    }

    /// What a flow is given: the provider, the credentials, the transport and the person.
    pub(crate) fn context(&self, interaction: Arc<dyn Interaction>) -> Result<FlowContext, Error> {
        let http = self.http()?;
        let provider = self.provider(&http)?;
        let resolved = self.credentials()?;
        if self.options.verbose {
            eprintln!("credentials: {}", resolved.summary());
        }
        Ok(FlowContext::new(provider, resolved.credentials, http).with_interaction(interaction))
    }

    /// The token manager of `key` in `store`, with the profile's flow and the given person.
    pub(crate) fn manager(
        &self,
        key: TokenKey,
        store: Arc<dyn TokenStore>,
        interaction: Arc<dyn Interaction>,
        flow: Option<Arc<dyn AuthFlow>>,
    ) -> Result<TokenManager, Error> {
        let ctx = self.context(interaction)?;
        let mut manager = TokenManager::new(key, store, ctx).with_jwt(self.profile.jwt);
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
        // PKCE stays on with a client secret too; `pkce = false` is the explicit opt-out.
        let pkce = self.profile.config.pkce.unwrap_or(true);
        if !pkce && kind == FlowKind::Pkce {
            return Err(Error::config(format!(
                "{}: profile `{}` sets pkce = false, which the pkce flow cannot do without; \
                 use flow = \"auth-code\" (with the client secret) instead",
                self.profile.config_path.display(),
                self.profile.name
            )));
        }
        Ok(match kind {
            FlowKind::Password => Arc::new(PasswordFlow),
            FlowKind::ClientCredentials => Arc::new(ClientCredentialsFlow),
            FlowKind::Pkce => Arc::new(AuthorizationCodeFlow::new(Redirect::Loopback(loopback))),
            FlowKind::AuthCode => Arc::new(
                AuthorizationCodeFlow::new(Redirect::Loopback(loopback))
                    .with_client_secret(true)
                    .with_pkce(pkce),
            ),
            FlowKind::Oob => Arc::new(AuthorizationCodeFlow::new(Redirect::Oob).with_pkce(pkce)),
            FlowKind::Device => {
                let mut flow = DeviceFlow::default();
                if let Some(t) = timeout {
                    flow = flow.with_timeout(t);
                }
                Arc::new(flow)
            }
            FlowKind::Oauth1 => Arc::new(self.oauth1_flow(OAuth1Flow::with_callback(Arc::new(
                auth_flows::oauth1::LoopbackCallback::bind(loopback)?,
            )))?),
            FlowKind::JwtBearer => Arc::new(self.jwt_bearer_flow()?),
            FlowKind::TokenExchange => Arc::new(self.token_exchange_flow()?),
        })
    }

    /// The profile's flow when it needs no person (password, client credentials, JWT
    /// bearer, a token exchange of another profile's token): what `token` and `api` may
    /// run on their own.
    pub(crate) fn unattended_flow(&self) -> Result<Option<Arc<dyn AuthFlow>>, Error> {
        match self.profile.flow {
            FlowKind::Password | FlowKind::ClientCredentials | FlowKind::JwtBearer => {
                self.flow(self.profile.flow, None, None).map(Some)
            }
            FlowKind::TokenExchange if self.profile.config.subject_profile.is_some() => {
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
                            format!("{p}APP_ID (or {p}CLIENT_ID)", p = self.profile.env.prefix())
                        }
                        CredentialField::ClientSecret => {
                            format!(
                                "{p}APP_SECRET (or {p}CLIENT_SECRET)",
                                p = self.profile.env.prefix()
                            )
                        }
                        other => format!("{}{}", self.profile.env.prefix(), other.env_suffix()),
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
    let of = auth_flows::preset_credential_names;
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

/// The keyring store, its renewal lock files in authctl's data folder (`AUTHCTL_HOME`
/// when set), like the file store's; probed first when `probe`.
#[cfg(feature = "keyring")]
fn keyring_store(lock_dir: &std::path::Path, probe: bool) -> Result<Arc<dyn TokenStore>, Error> {
    let store = auth_store::KeyringStore::new().with_lock_dir(lock_dir);
    if probe {
        store.probe()?;
    }
    Ok(Arc::new(store))
}

#[cfg(not(feature = "keyring"))]
fn keyring_store(_lock_dir: &std::path::Path, _probe: bool) -> Result<Arc<dyn TokenStore>, Error> {
    Err(no_keyring())
}

/// The warning that tokens are kept in a plaintext file, shown even with `-q`: a person
/// must know where their tokens are.
fn plaintext_warning(what: &str, reason: &str, file: &str) {
    eprintln!(
        "warning: {what} ({reason}); keeping tokens in the plaintext {file} \
         (set store = \"file\" in the profile to choose it and silence this)"
    );
}

/// `store = "auto"`: the keyring while it answers, else the file, with a one-line
/// warning when it turns to the file; `missed` records why, for `logout`.
#[cfg(feature = "keyring")]
fn auto_store(file: auth_store::FileStore, missed: Arc<OnceLock<String>>) -> Arc<dyn TokenStore> {
    let store = auth_store::KeyringOrFileStore::new(auth_store::KeyringStore::new(), file);
    Arc::new(store.on_fall_back(move |event| {
        let what = match event.cause {
            auth_store::FallBackCause::NoKeyring => "no system keyring",
            auth_store::FallBackCause::Refused => "the system keyring refused",
        };
        let _ = missed.set(event.reason.clone());
        plaintext_warning(what, &event.reason, &event.file);
    }))
}

/// `store = "auto"` in a build without the keyring: the file, with a warning. (No
/// keyring can hold this build's tokens, so nothing is recorded as missed.)
#[cfg(not(feature = "keyring"))]
fn auto_store(file: auth_store::FileStore, _missed: Arc<OnceLock<String>>) -> Arc<dyn TokenStore> {
    plaintext_warning("no system keyring", NO_KEYRING, &file.describe());
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

    /// Answers every request with the discovery document of `http://idp.intranet.example`,
    /// behind the real HTTP policy, which alone decides whether plain http goes out.
    struct IntranetIdp;

    impl auth_http::policy::SendOnce for IntranetIdp {
        async fn send_once(
            &self,
            _: auth_http::policy::Exchange<'_>,
        ) -> Result<auth_core::HttpResponse, Error> {
            let document = r#"{"issuer":"http://idp.intranet.example","token_endpoint":"http://idp.intranet.example/token"}"#;
            Ok(http::Response::builder()
                .status(200)
                .body(document.as_bytes().to_vec())
                .unwrap())
        }

        async fn sleep(&self, _: std::time::Duration) {}
    }

    fn intranet_app(insecure_http: bool) -> App {
        let text = format!(
            "[profiles.intranet]\nissuer = \"http://idp.intranet.example\"\ninsecure_http = {insecure_http}\n"
        );
        let file = crate::config::parse(text, std::path::Path::new("config.toml")).unwrap();
        App {
            home: Home {
                config: "config.toml".into(),
                data: std::env::temp_dir(),
            },
            profile: crate::config::resolve(&file, "intranet").unwrap(),
            options: Options::default(),
            keyring_missed: Arc::default(),
        }
    }

    #[test]
    fn discovery_follows_the_profiles_insecure_http() {
        let http: Arc<dyn HttpBackend> = Arc::new(
            auth_http::policy::PolicyBackend::with_transport(IntranetIdp, HttpConfig::default())
                .unwrap(),
        );
        let err = intranet_app(false).provider(&http).unwrap_err();
        assert!(
            matches!(err, Error::InsecureTransport { .. }),
            "without insecure_http discovery sends nothing: {err}"
        );
        let provider = intranet_app(true).provider(&http).unwrap();
        assert!(provider.insecure_http);
        assert_eq!(
            provider.endpoints.token.unwrap().as_str(),
            "http://idp.intranet.example/token"
        );
    }

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
