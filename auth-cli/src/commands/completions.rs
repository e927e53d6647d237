//! `authctl completions`: print a shell completion script.

use std::process::ExitCode;

use auth_core::Error;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, describe_everything};

pub(super) fn run(args: &CompletionsArgs) -> Result<ExitCode, Error> {
    clap_complete::generate(
        args.shell,
        &mut describe_everything(Cli::command),
        "authctl",
        &mut std::io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}
