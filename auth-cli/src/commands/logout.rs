//! `authctl logout`: delete the stored token of an account (the active one, or the one
//! given) or of every account, revoking it at the provider first when asked; then make
//! the most recently logged-in remaining account active.
//!
//! It never says "No stored token" unless every place that may hold one was checked:
//! when `store = "auto"` could not reach the keyring, it fails.

use std::process::ExitCode;

use auth_core::{Credentials, Error, TokenKey, TokenStore};

use super::app;
use crate::accounts::History;
use crate::app::App;
use crate::cli::{Cli, LogoutArgs};

pub(super) fn run(cli: &Cli, args: &LogoutArgs) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    let store = app.store()?;
    let profile = app.profile.name.clone();
    let listed = pollster::block_on(store.keys(&profile))?;
    let active = pollster::block_on(store.active_account(&profile))?;
    let (keys, leaving): (Vec<TokenKey>, Vec<String>) = if args.all {
        let mut accounts: Vec<String> = listed.iter().map(|k| k.account.clone()).collect();
        accounts.extend(active.clone());
        accounts.sort();
        accounts.dedup();
        (listed.clone(), accounts)
    } else {
        let (key, _) = app.key(store.as_ref())?;
        // every client id's token of the account, and the command's own key
        let mut keys: Vec<TokenKey> = listed
            .iter()
            .filter(|k| k.account == key.account)
            .cloned()
            .collect();
        if !keys.contains(&key) {
            keys.push(key.clone());
        }
        (keys, vec![key.account])
    };
    let mut deleted = 0;
    for key in &keys {
        if args.revoke {
            revoke(&app, store.as_ref(), key, cli.globals.quiet)?;
        }
        if pollster::block_on(store.delete(key))? {
            deleted += 1;
        }
    }
    let promoted = promote(&app, store.as_ref(), active.as_deref(), &leaving)?;
    let who = if args.all {
        format!("every account of {profile}")
    } else {
        format!("{profile} (account {})", leaving.join(", "))
    };
    if let Some(reason) = app.keyring_missed.get() {
        return Err(Error::KeyringUnavailable {
            message: format!(
                "logout could not reach the system keyring ({reason}), so a token of {who} kept \
                 there may survive; {} in the plaintext file",
                if deleted > 0 {
                    "it was deleted"
                } else {
                    "there was none"
                }
            ),
        });
    }
    if !cli.globals.quiet {
        eprintln!(
            "{} {who}",
            if deleted > 0 {
                "Deleted the stored token of"
            } else {
                "No stored token for"
            }
        );
        if let Some(next) = promoted {
            eprintln!("Active account of {profile}: {next}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Revokes the stored token of `key` at the provider, when there is one.
fn revoke(app: &App, store: &dyn TokenStore, key: &TokenKey, quiet: bool) -> Result<(), Error> {
    let Some(token) = pollster::block_on(store.load(key))? else {
        return Ok(());
    };
    let http = app.http()?;
    let provider = app.provider(&http)?;
    let creds = app.credentials()?.credentials;
    pollster::block_on(auth_flows::revoke(&provider, &creds, &http, &token))
        .map_err(|e| app.explain(e))?;
    if !quiet {
        eprintln!("Revoked the token of {} at {}", key.account, provider.name);
    }
    Ok(())
}

/// After `leaving` logged out: when the active account was one of them, the remaining
/// account that logged in most recently becomes active (none: no active account).
/// Returns the newly active account.
fn promote(
    app: &App,
    store: &dyn TokenStore,
    active: Option<&str>,
    leaving: &[String],
) -> Result<Option<String>, Error> {
    let profile = &app.profile.name;
    let history = History::in_folder(&app.home.data);
    if let Err(e) = history.forget(profile, leaving)
        && !app.options.quiet
    {
        eprintln!("warning: {e}");
    }
    if active.is_some_and(|a| !leaving.iter().any(|l| l == a)) {
        return Ok(None);
    }
    let mut remaining: Vec<String> = pollster::block_on(store.keys(profile))?
        .into_iter()
        .map(|k| k.account)
        .filter(|a| !leaving.contains(a))
        .collect();
    remaining.sort();
    remaining.dedup();
    let next = history.most_recent(profile, &remaining);
    if active.is_some() || next.is_some() {
        pollster::block_on(store.set_active_account(profile, next.as_deref()))?;
    }
    Ok(next)
}
