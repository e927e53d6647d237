//! `authctl`: log in once, then `authctl token` in scripts.
//!
//! Exit codes: 0 ok, 1 error, 2 usage, 3 login needed, 4 HTTP error from `api`.
//! The command line is in `cli`, each command in `commands`, the profile in
//! `config` and its objects in `app`.

use std::process::ExitCode;

use auth_core::Error;
use clap::Parser;

mod app;
mod cli;
mod commands;
mod config;
mod hints;
mod redis_store;
mod ui;

/// Exit code of an error.
const EXIT_ERROR: u8 = 1;
/// Exit code when a person must log in.
const EXIT_LOGIN: u8 = 3;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(&cli) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// Prints an error on stderr and picks its exit code.
fn report(e: &Error) -> ExitCode {
    let code = if e.needs_login() {
        EXIT_LOGIN
    } else {
        EXIT_ERROR
    };
    eprintln!("error: {e}");
    if let Some(advice) = hints::advice(e) {
        eprintln!("  {advice}");
    }
    ExitCode::from(code)
}
