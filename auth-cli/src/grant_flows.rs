//! The flows of `flow = "jwt-bearer"` and `flow = "token-exchange"`, built from a
//! profile's keys, and the token manager of another profile that a token exchange takes
//! its subject or actor token from.

use std::sync::Arc;

use auth_core::Error;
use auth_flows::{JwtBearerFlow, SubjectToken, TokenExchangeFlow, TokenManager, token_types};

use crate::app::{App, Options};
use crate::config::FlowKind;

impl App {
    /// A configuration error about this profile.
    pub(crate) fn config_error(&self, message: &str) -> Error {
        Error::config(format!(
            "{}: profile `{}`: {message}",
            self.profile.config_path.display(),
            self.profile.name
        ))
    }

    /// `flow = "jwt-bearer"`: the profile's service-account key, else its
    /// `assertion_key_file` and `assertion_issuer`; `assertion_subject` and
    /// `assertion_audience` apply to both.
    pub(crate) fn jwt_bearer_flow(&self) -> Result<JwtBearerFlow, Error> {
        let config = &self.profile.config;
        let mut flow = match &self.profile.service_account {
            Some(account) => account.flow(),
            None => {
                let (Some(path), Some(issuer)) =
                    (&config.assertion_key_file, &config.assertion_issuer)
                else {
                    return Err(self.config_error(
                        "flow = \"jwt-bearer\" needs assertion_key_file (a PEM private key) and \
                         assertion_issuer, or service_account_file (a Google service-account key)",
                    ));
                };
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    self.config_error(&format!(
                        "assertion_key_file {} cannot be read: {e}",
                        path.display()
                    ))
                })?;
                let mut key = auth_core::ClientKey::new(pem);
                if let Some(kid) = &config.assertion_key_id {
                    key = key.with_key_id(kid);
                }
                JwtBearerFlow::new(key, issuer)
            }
        };
        if let Some(subject) = &config.assertion_subject {
            flow = flow.with_subject(subject);
        }
        if let Some(audience) = &config.assertion_audience {
            flow = flow.with_audience(audience);
        }
        Ok(flow)
    }

    /// `flow = "token-exchange"`: the subject token from stdin (`login
    /// --subject-token-stdin`) or from `subject_profile`'s manager, the actor token from
    /// `actor_profile`'s, and the token types of the profile (access tokens by default).
    pub(crate) fn token_exchange_flow(&self) -> Result<TokenExchangeFlow, Error> {
        let config = &self.profile.config;
        let kind = |t: &Option<String>| {
            t.clone()
                .unwrap_or_else(|| token_types::ACCESS_TOKEN.to_owned())
        };
        let subject = match (&self.options.subject_token, &config.subject_profile) {
            (Some(token), _) => {
                SubjectToken::given(token.clone(), kind(&config.subject_token_type))
            }
            (None, Some(profile)) => SubjectToken::from_manager(
                Arc::new(self.manager_of(profile)?),
                kind(&config.subject_token_type),
            ),
            (None, None) => {
                return Err(self.config_error(&format!(
                    "flow = \"token-exchange\" needs subject_profile (the profile whose token is \
                     exchanged), or the token on stdin: authctl login --profile {} --subject-token-stdin",
                    self.profile.name
                )));
            }
        };
        let mut flow = TokenExchangeFlow::new(subject);
        if let Some(profile) = &config.actor_profile {
            flow = flow.with_actor(SubjectToken::from_manager(
                Arc::new(self.manager_of(profile)?),
                kind(&config.actor_token_type),
            ));
        }
        if let Some(requested) = &config.requested_token_type {
            flow = flow.with_requested_token_type(requested);
        }
        Ok(flow)
    }

    /// The token manager of another profile's current account, as `token` would use it
    /// (its unattended flow, never a browser): the source of a subject or actor token.
    fn manager_of(&self, name: &str) -> Result<TokenManager, Error> {
        let file = crate::config::load(&self.home.config)?;
        let profile = crate::config::resolve(&file, name)?;
        if profile.flow == FlowKind::TokenExchange {
            return Err(self.config_error(&format!(
                "profile `{name}` is itself a token exchange; name a profile that logs in \
                 another way as subject_profile or actor_profile"
            )));
        }
        let other = App {
            home: self.home.clone(),
            profile,
            options: Options {
                store: self.options.store,
                quiet: true,
                verbose: self.options.verbose,
                ..Options::default()
            },
            keyring_missed: Default::default(),
        };
        let store = other.store()?;
        let (key, _) = other.key(store.as_ref())?;
        let hooks = Arc::new(auth_core::NoInteraction {
            profile: name.to_owned(),
        });
        let flow = other.unattended_flow()?;
        other.manager(key, store, hooks, flow)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Home, Profile, parse, resolve};

    fn profile(dir: &Path, text: &str, name: &str) -> Result<Profile, Error> {
        let config = dir.join("config.toml");
        std::fs::write(&config, text).unwrap();
        resolve(&parse(text.to_owned(), &config)?, name)
    }

    fn app(dir: &Path, profile: Profile) -> App {
        App {
            home: Home {
                config: dir.join("config.toml"),
                data: dir.to_owned(),
            },
            profile,
            options: Options::default(),
            keyring_missed: Default::default(),
        }
    }

    #[test]
    fn a_service_account_file_sets_the_flow_and_token_endpoint_and_keys_reach_the_provider() {
        let dir = tempfile::tempdir().unwrap();
        let sa = dir.path().join("sa.json");
        std::fs::write(
            &sa,
            r#"{"type":"service_account","client_email":"r@p.iam.gserviceaccount.com",
                "private_key":"-----BEGIN PRIVATE KEY-----\nSECRETKEYTEXT\n-----END PRIVATE KEY-----\n",
                "private_key_id":"k1","token_uri":"https://oauth2.example/token"}"#,
        )
        .unwrap();
        let text = format!(
            "[profiles.g]\nprovider = \"google\"\nservice_account_file = \"{}\"\npar = true\n\
             resource = [\"https://api.example/\"]\naudience = \"orders\"\n\
             client_assertion_audience = \"issuer\"\n",
            sa.display()
        );
        let p = profile(dir.path(), &text, "g").unwrap();
        assert_eq!(p.flow, FlowKind::JwtBearer);
        assert_eq!(
            p.provider.endpoints.token.as_ref().unwrap().as_str(),
            "https://oauth2.example/token"
        );
        assert!(p.provider.par);
        assert_eq!(p.provider.resources, ["https://api.example/"]);
        assert_eq!(p.provider.audience.as_deref(), Some("orders"));
        assert_eq!(
            p.provider.client_assertion_audience,
            auth_core::AssertionAudience::Issuer
        );
        assert!(!format!("{p:?}").contains("SECRETKEYTEXT"));
        assert!(app(dir.path(), p).jwt_bearer_flow().is_ok());

        std::fs::write(
            &sa,
            r#"{"private_key": "SECRETKEYTEXT", "client_email": 5}"#,
        )
        .unwrap();
        let err = profile(dir.path(), &text, "g").unwrap_err().to_string();
        assert!(err.contains("service_account_file"), "{err}");
        assert!(!err.contains("SECRETKEYTEXT"), "{err}");
    }

    #[test]
    fn a_grant_missing_its_keys_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[profiles.jb]\ntoken_url = \"https://as.example/token\"\nflow = \"jwt-bearer\"\n\
                    [profiles.tx]\ntoken_url = \"https://as.example/token\"\nflow = \"token-exchange\"\n\
                    [profiles.loop]\ntoken_url = \"https://as.example/token\"\nflow = \"token-exchange\"\n\
                    subject_profile = \"tx\"\n";
        let jb = app(dir.path(), profile(dir.path(), text, "jb").unwrap());
        let err = jb.jwt_bearer_flow().unwrap_err().to_string();
        assert!(
            err.contains("assertion_key_file") && err.contains("service_account_file"),
            "{err}"
        );
        let tx = app(dir.path(), profile(dir.path(), text, "tx").unwrap());
        let err = tx.token_exchange_flow().unwrap_err().to_string();
        assert!(
            err.contains("subject_profile") && err.contains("--subject-token-stdin"),
            "{err}"
        );
        let looped = app(dir.path(), profile(dir.path(), text, "loop").unwrap());
        let err = looped.token_exchange_flow().unwrap_err().to_string();
        assert!(err.contains("itself a token exchange"), "{err}");
    }
}
