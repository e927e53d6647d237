//! `authctl logout`: delete the stored token, revoking it at the provider first when
//! asked.

use std::process::ExitCode;

use auth_core::{Credentials, Error};

use super::app;
use crate::cli::{Cli, LogoutArgs};

pub(super) fn run(cli: &Cli, args: &LogoutArgs) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    let store = app.store()?;
    let key = app.key()?;
    let stored = pollster::block_on(store.load(&key))?;
    if args.revoke
        && let Some(token) = &stored
    {
        let http = app.http()?;
        let provider = app.provider(&http)?;
        let creds = app.credentials()?.credentials;
        pollster::block_on(auth_flows::revoke(&provider, &creds, &http, token))
            .map_err(|e| app.explain(e))?;
        if !cli.quiet {
            eprintln!("Revoked the token at {}", provider.name);
        }
    }
    let deleted = pollster::block_on(store.delete(&key))?;
    if !cli.quiet {
        eprintln!(
            "{} {}",
            if deleted {
                "Deleted the stored token of"
            } else {
                "No stored token for"
            },
            app.profile.name
        );
    }
    Ok(ExitCode::SUCCESS)
}
