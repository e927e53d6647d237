//! One module per command; this one dispatches and holds what several commands share.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use auth_core::{Credentials, Error, Token};

use crate::app::{App, Options};
use crate::cli::{Cli, Command};
use crate::config::{self, Home};

mod api;
mod completions;
mod credentials;
mod login;
mod logout;
mod providers;
mod status;
mod token;

/// Runs the command line's command.
pub(crate) fn run(cli: &Cli) -> Result<ExitCode, Error> {
    match &cli.command {
        Command::Login(args) => login::run(cli, args),
        Command::Token(args) => token::run(cli, args),
        Command::Status => status::run(cli),
        Command::Logout(args) => logout::run(cli, args),
        Command::Api(args) => api::run(cli, args),
        Command::Credentials(command) => credentials::run(cli, command),
        Command::Providers => providers::run(cli.json),
        Command::Completions(args) => completions::run(args),
    }
}

/// The profile of the command line, resolved once: the config file is read and checked
/// here and nowhere else.
fn app(cli: &Cli, explicit: Credentials) -> Result<App, Error> {
    let home = Home::locate(cli.config.as_deref())?;
    let file = config::load(&home.config)?;
    let name = config::profile_name(cli.profile.as_deref());
    let profile = config::resolve(&file, &name)?;
    Ok(App {
        home,
        profile,
        options: Options {
            store: cli.store,
            quiet: cli.quiet,
            verbose: cli.verbose > 0,
            explicit,
        },
    })
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
