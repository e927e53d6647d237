//! `authctl`: log in once, then `authctl token` in scripts.
//!
//! Exit codes: 0 ok, 1 error, 2 usage, 3 login needed, 4 HTTP error from `api`.
//! The command line is in `cli`, each command in `commands`, the profile in
//! `config` and its objects in `app`.

use std::io::IsTerminal;
use std::process::ExitCode;

use auth_core::Error;
use clap::CommandFactory;
use tracing_subscriber::EnvFilter;

mod accounts;
mod app;
mod cli;
mod commands;
mod config;
mod grant_flows;
mod hints;
mod redis_store;
mod ui;

/// Exit code of an error.
const EXIT_ERROR: u8 = 1;
/// Exit code when a person must log in.
const EXIT_LOGIN: u8 = 3;

fn main() -> ExitCode {
    let cli = parse_command_line();
    trace_to_stderr(cli.globals.verbose);
    match commands::run(&cli) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// [`clap::Parser::parse`], without freeing clap's description of every command and the
/// matches afterwards: the process ends soon, and that freeing cost more than reading a
/// cached token. Help, usage and errors are clap's own, as `parse` prints them.
fn parse_command_line() -> cli::Cli {
    let mut command = cli::Cli::command();
    let mut matches = command.get_matches_mut();
    let cli =
        cli::Cli::from_matches(&mut matches).unwrap_or_else(|e| e.format(&mut command).exit());
    std::mem::forget((command, matches));
    cli
}

/// Shows the libraries' `tracing` spans and events on stderr: `-v` info, `-vv` debug,
/// `-vvv` trace, for the toolkit's crates only; `RUST_LOG`, when set, is the filter
/// instead. Colours only when stderr is a terminal. Nothing without `-v`.
fn trace_to_stderr(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let crates = [
            "authctl",
            "auth_core",
            "auth_http",
            "auth_store",
            "auth_flows",
        ];
        EnvFilter::new(crates.map(|c| format!("{c}={level}")).join(","))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
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
