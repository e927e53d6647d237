//! A strict OpenID provider on 127.0.0.1 for the conformance run: panva's `oidc-provider`
//! (OpenID-certified), in this project's configuration, `xtask/oidc-provider/server.mjs`.
//! That script's header says what it switches on; this module installs the package,
//! starts the script, and hands its environment to the ignored tests.
//!
//! The environment (all `AUTHCTL_TEST_OIDC_*`), written by the script to `env.json`:
//!
//! | variable | what |
//! |---|---|
//! | `ISSUER`, `PAR_ISSUER` | the main provider; one whose discovery requires PAR |
//! | `RESOURCE` | a resource indicator the provider knows (`https://api.example.test/orders`) |
//! | `NATIVE_CLIENT` | a public native client (PKCE, any loopback port) |
//! | `BASIC_CLIENT`, `BASIC_SECRET` | `client_secret_basic` |
//! | `POST_CLIENT`, `POST_SECRET` | `client_secret_post` |
//! | `SECRET_JWT_CLIENT`, `SECRET_JWT_SECRET` | `client_secret_jwt` (HS256) |
//! | `RSA_CLIENT`, `RSA_KEY_FILE`, `RSA_KEY_ID` | `private_key_jwt`, RS256 or PS256 (PKCS#8 PEM) |
//! | `EC_CLIENT`, `EC_KEY_FILE` | `private_key_jwt`, ES256 only (SEC1 PEM) |
//! | `WRONG_RSA_KEY_FILE`, `WRONG_EC_KEY_FILE` | keys no client registered (PKCS#1, PKCS#8) |
//! | `PAR_CLIENT`, `PAR_SECRET` | a client that must push its requests (basic auth) |
//! | `DPOP_NONCE_CLIENT` | a public client whose DPoP proofs need a server nonce |
//! | `ASSERTION_ISSUER`, `ASSERTION_KEY_FILE` | a trusted JWT bearer issuer and its ES256 key |
//! | `SERVICE_ACCOUNT_FILE` | a Google-format service-account key whose `token_uri` is `ISSUER/token` |
//! | `BROWSER` | a command (`xtask browse`) that opens a URL like a person who approves at once |
//!
//! Every client may use every grant (authorization code, refresh, client credentials,
//! JWT bearer, token exchange), redirects to `http://127.0.0.1:ANY/` or `/callback`.
//! Logins need no person: the account is `login_hint`, else `alice`.

use std::path::PathBuf;

use crate::node_service::{NodeService, free_port};
use crate::util::Workspace;

/// Pinned: the version this configuration was written for.
const PACKAGE: &str = "oidc-provider@9.13.3";

/// The configuration and the added grants.
const SCRIPT: &str = include_str!("../oidc-provider/server.mjs");

/// A running provider pair; dropping it stops the process and removes its keys.
pub(crate) struct OidcProvider {
    service: Option<NodeService>,
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl OidcProvider {
    /// Installs the package when missing, starts both providers on free ports, waits
    /// until both answer and reads the environment the script wrote.
    pub(crate) fn start(ws: &Workspace) -> Result<OidcProvider, String> {
        let dir = ws.run_dir("oidc-provider-run")?;
        let (port, par_port) = (free_port()?, free_port()?);
        let args = [
            port.to_string(),
            par_port.to_string(),
            dir.display().to_string(),
        ];
        let service = NodeService::start(ws, PACKAGE, SCRIPT, &args, port)?;
        let mut provider = OidcProvider {
            service: Some(service),
            dir,
            env: Vec::new(),
        };
        provider.env = provider.read_env()?;
        if !crate::node_service::discovery_answers(par_port) {
            return Err("the PAR-requiring provider does not answer".into());
        }
        Ok(provider)
    }

    fn read_env(&self) -> Result<Vec<(String, String)>, String> {
        let file = self.dir.join("env.json");
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("read {}: {e}", file.display()))?;
        let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a JSON object: {e}", file.display()))?;
        let mut env: Vec<(String, String)> = json
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
            .collect();
        let xtask = std::env::current_exe().map_err(|e| e.to_string())?;
        env.push((
            "AUTHCTL_TEST_OIDC_BROWSER".into(),
            format!("{} browse", xtask.display()),
        ));
        Ok(env)
    }

    /// The environment the ignored tests read (see the module doc).
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        self.env.clone()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        drop(self.service.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `cargo xtask with-oidc CMD...`: runs CMD with the provider's environment, then stops
/// the provider.
pub(crate) fn run_with(ws: &Workspace, command: &[String]) -> Result<(), String> {
    let (program, args) = command
        .split_first()
        .ok_or("name a command to run, for example: cargo xtask with-oidc cargo test")?;
    let provider = OidcProvider::start(ws)?;
    let status = std::process::Command::new(program)
        .args(args)
        .envs(provider.env())
        .status()
        .map_err(|e| format!("run {program}: {e}"))?;
    drop(provider);
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} exited with {status}"))
    }
}
