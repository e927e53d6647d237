//! `authctl token`: print a valid access token, renewing it without a person when it
//! must.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::{Credentials, Error, NoInteraction};

use super::{app, login_hint, print_token};
use crate::cli::{Cli, TokenArgs};

pub(super) fn run(cli: &Cli, args: &TokenArgs) -> Result<ExitCode, Error> {
    // One config read (in `app`); the fast path then needs only the store and the key.
    let app = app(cli, Credentials::default())?;
    let min_valid = Duration::from_secs(args.min_valid);
    let store = app.store()?;
    let key = app.key()?;
    // The fast path: a stored token that is valid long enough. No runtime, no network.
    if !args.refresh
        && let Some(token) = pollster::block_on(store.load(&key))?
        && !token.is_expired(SystemTime::now(), min_valid)
    {
        return print_token(&token);
    }
    let unattended = app.unattended_flow()?;
    let hooks = Arc::new(NoInteraction {
        profile: app.profile.name.clone(),
    });
    let manager = app.manager(hooks, unattended).map_err(|e| app.explain(e))?;
    let token = if args.refresh {
        pollster::block_on(manager.force_refresh(None))
    } else {
        pollster::block_on(manager.token_valid_for(min_valid))
    };
    let token = token.map_err(|e| login_hint(&app, e))?;
    print_token(&token)
}
