//! `authctl token`: print a valid access token, renewing it without a person when it
//! must.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use auth_core::{Credentials, Error};

use super::{app, login_hint, print_token, ran, settle, unattended_manager};
use crate::cli::{Cli, TokenArgs};

pub(super) fn run(cli: &Cli, args: &TokenArgs) -> Result<ExitCode, Error> {
    // One config read (in `app`); the fast path then needs only the store and the key.
    let app = app(cli, Credentials::default())?;
    let min_valid = Duration::from_secs(args.min_valid);
    let store = app.store()?;
    let (key, chosen) = app.key(store.as_ref())?;
    // The fast path: a stored token that is valid long enough. No runtime, no network.
    if !args.refresh
        && let Some(token) = pollster::block_on(store.load(&key))?
        && !token.is_expired(SystemTime::now(), min_valid)
    {
        settle(&app, store.as_ref(), &key.account, chosen, false)?;
        return print_token(&token);
    }
    let (manager, logged_in) = unattended_manager(&app, store.clone(), &key)?;
    let token = if args.refresh {
        pollster::block_on(manager.force_refresh(None))
    } else {
        pollster::block_on(manager.token_valid_for(min_valid))
    };
    let token = token.map_err(|e| login_hint(&app, e))?;
    settle(&app, store.as_ref(), &key.account, chosen, ran(&logged_in))?;
    print_token(&token)
}
