//! One module per command; this one dispatches and holds what several commands share.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use auth_core::{AuthFlow, Credentials, Error, NoInteraction, Token, TokenKey, TokenStore};
use auth_flows::TokenManager;

use crate::accounts::{Chosen, History, Recorded};
use crate::app::{App, Options};
use crate::cli::{Cli, Command};
use crate::config::{self, Home};

mod api;
mod completions;
mod credentials;
mod git_credential;
mod git_setup;
mod kube_credential;
mod login;
mod logout;
mod proof;
mod providers;
mod status;
mod token;
mod userinfo;

/// Runs the command line's command.
pub(crate) fn run(cli: &Cli) -> Result<ExitCode, Error> {
    match &cli.command {
        Command::Login(args) => login::run(cli, args),
        Command::Token(args) => token::run(cli, args),
        Command::Status(_) => status::run(cli),
        Command::Logout(args) => logout::run(cli, args),
        Command::Api(args) => api::run(cli, args),
        Command::Credentials(command) => credentials::run(cli, command),
        Command::Providers(_) => providers::run(cli.globals.json),
        Command::Completions(args) => completions::run(args),
        Command::GitCredential(args) => git_credential::run(cli, args),
        Command::GitSetup(args) => git_setup::run(cli, args),
        Command::KubeCredential(_) => kube_credential::run(cli),
        Command::Proof(args) => proof::run(cli, args),
        Command::Userinfo(_) => userinfo::run(cli),
    }
}

/// The profile of the command line, resolved once: the config file is read and checked
/// here and nowhere else.
fn app(cli: &Cli, explicit: Credentials) -> Result<App, Error> {
    let home = Home::locate(cli.globals.config.as_deref())?;
    let file = config::load(&home.config)?;
    let name = config::profile_name(cli.globals.profile.as_deref());
    let profile = config::resolve(&file, &name)?;
    Ok(App {
        home,
        profile,
        options: Options {
            store: cli.globals.store,
            quiet: cli.globals.quiet,
            verbose: cli.globals.verbose > 0,
            account: cli.globals.account.clone(),
            explicit,
            subject_token: None,
        },
        keyring_missed: Default::default(),
    })
}

/// The token manager of a command that runs without a person (`token`, `api`), with the
/// profile's unattended flow (if any), and the flag that flow sets when it logs in.
fn unattended_manager(
    app: &App,
    store: Arc<dyn TokenStore>,
    key: &TokenKey,
) -> Result<(TokenManager, Arc<AtomicBool>), Error> {
    let flow = app
        .unattended_flow()?
        .map(|f| Recorded::new(f, Some(key.account.clone())));
    let ran = flow
        .as_ref()
        .map_or_else(|| Arc::new(AtomicBool::new(false)), Recorded::ran);
    let hooks = Arc::new(NoInteraction {
        profile: app.profile.name.clone(),
    });
    let manager = app
        .manager(
            key.clone(),
            store,
            hooks,
            flow.map(|f| Arc::new(f) as Arc<dyn AuthFlow>),
        )
        .map_err(|e| app.explain(e))?;
    Ok((manager, ran))
}

/// A token valid for `min_valid` (renewed first when `refresh`), for a command that
/// runs without a person (`token`, the git and kubectl helpers): the stored token when it
/// is valid long enough (no runtime, no network), else the manager's renewal or the
/// profile's unattended flow. Never opens a browser. Settles the active account.
fn unattended_token(app: &App, min_valid: Duration, refresh: bool) -> Result<Token, Error> {
    let store = app.store_for_reading()?;
    let (key, chosen) = if refresh {
        app.key(store.as_ref())?
    } else {
        let (key, chosen, stored) = app.key_and_token(store.as_ref())?;
        if let Some(token) = stored
            && !token.is_expired(SystemTime::now(), min_valid)
        {
            settle(app, store.as_ref(), &key.account, chosen, false)?;
            return Ok(token);
        }
        (key, chosen)
    };
    let (manager, logged_in) = unattended_manager(app, store.clone(), &key)?;
    let token = if refresh {
        pollster::block_on(manager.force_refresh(None))
    } else {
        pollster::block_on(manager.token_valid_for(min_valid))
    };
    let token = token.map_err(|e| login_hint(app, e))?;
    settle(app, store.as_ref(), &key.account, chosen, ran(&logged_in))?;
    Ok(token)
}

/// After a command got a token for `account`: a login (by a person, or by the profile's
/// flow on its own) makes the account active; so does any use while the profile has no
/// active account yet.
fn settle(
    app: &App,
    store: &dyn TokenStore,
    account: &str,
    chosen: Chosen,
    logged_in: bool,
) -> Result<(), Error> {
    if logged_in || matches!(chosen, Chosen::Configured | Chosen::Default) {
        make_active(app, store, account)?;
    }
    Ok(())
}

/// Marks `account` active for the profile and records its login in the history.
fn make_active(app: &App, store: &dyn TokenStore, account: &str) -> Result<(), Error> {
    pollster::block_on(store.set_active_account(&app.profile.name, Some(account)))?;
    if let Err(e) = History::in_folder(&app.home.data).record_login(&app.profile.name, account)
        && !app.options.quiet
    {
        eprintln!("warning: {e}");
    }
    Ok(())
}

/// Whether the flag of [`unattended_manager`] was set.
fn ran(flag: &AtomicBool) -> bool {
    flag.load(Ordering::SeqCst)
}

fn login_hint(app: &App, e: Error) -> Error {
    match e {
        Error::MissingCredentials { .. } => Error::LoginRequired {
            profile: app.profile.name.clone(),
        },
        other => app.explain(other),
    }
}

fn print_token(token: &Token) -> Result<ExitCode, Error> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", token.access_token.expose())
        .map_err(|e| Error::Interaction(format!("stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

fn expiry_phrase(token: &Token) -> Option<String> {
    let at = token.expires_at?;
    let now = SystemTime::now();
    Some(match at.duration_since(now) {
        Ok(left) => format!("expires in {}", human(left)),
        Err(ago) => format!("expired {} ago", human(ago.duration())),
    })
}

fn human(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}
