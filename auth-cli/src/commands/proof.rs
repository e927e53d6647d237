//! `authctl proof`: print a DPoP proof (RFC 9449) for one request with the account's key
//! and token, for use with curl.

use std::process::ExitCode;

use auth_core::{Credentials, Error};

use super::{app, login_hint, ran, settle, unattended_manager};
use crate::cli::{Cli, ProofArgs};

pub(super) fn run(cli: &Cli, args: &ProofArgs) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    let url = url::Url::parse(&args.url)
        .map_err(|e| Error::config(format!("--url {:?} is not a URL: {e}", args.url)))?;
    let method = http::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::config(format!("{:?} is not an HTTP method", args.method)))?;
    let store = app.store()?;
    let (key, chosen) = app.key(store.as_ref())?;
    let (manager, logged_in) = unattended_manager(&app, store.clone(), &key)?;
    let token = pollster::block_on(manager.token()).map_err(|e| login_hint(&app, e))?;
    settle(&app, store.as_ref(), &key.account, chosen, ran(&logged_in))?;
    let stored = token.dpop_key.as_ref().filter(|_| token.is_dpop()).ok_or_else(|| {
        Error::config(format!(
            "the token of profile `{}` is not DPoP-bound: set `dpop = true` in the profile and run `authctl login --profile {}`",
            app.profile.name, app.profile.name
        ))
    })?;
    let dpop_key = auth_flows::dpop::DpopKey::from_secret(stored)?;
    let proof = dpop_key.proof(
        &method,
        &url,
        Some(&token.access_token),
        args.nonce.as_deref(),
    )?;
    println!("{proof}");
    Ok(ExitCode::SUCCESS)
}
