//! [`Deferred`]: a command's flags described to clap only when that command runs.
//!
//! clap's derive describes every command and every flag before it parses anything, and
//! `authctl token` in a script pays for all of them. A command whose flags (or
//! subcommands) are wrapped in [`Deferred`] gets them from `Command::defer`: clap builds
//! them when that command is the one parsed, or when help or completions need the whole
//! tree. What a user sees is unchanged: help sorts flags by their declared order and name,
//! and shell completions are made from the command built the eager way
//! ([`describe_everything`]), so the flags come in the same order as before.

use std::cell::Cell;
use std::ops::Deref;

use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};

thread_local! {
    /// Set while [`describe_everything`] runs: every command is described at once.
    static EAGER: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every command described when it is made, not deferred. Shell
/// completion scripts list a command's own flags before the global ones; a deferred
/// command gets the global flags first, so the scripts are made this way.
pub(crate) fn describe_everything<R>(f: impl FnOnce() -> R) -> R {
    EAGER.with(|eager| eager.set(true));
    let result = f();
    EAGER.with(|eager| eager.set(false));
    result
}

/// Adds `describe` to `cmd` now (while [`describe_everything`] runs) or when clap
/// builds `cmd`.
fn described(cmd: Command, describe: fn(Command) -> Command) -> Command {
    if EAGER.with(Cell::get) {
        describe(cmd)
    } else {
        cmd.defer(describe)
    }
}

/// The flags `T` of a command (or its subcommands, for `#[command(subcommand)]`),
/// described to clap only when that command runs. Dereferences to `T`.
#[derive(Debug)]
pub(crate) struct Deferred<T>(T);

impl<T> Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

impl<T: Args> Args for Deferred<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: Command) -> Command {
        described(cmd, T::augment_args)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        described(cmd, T::augment_args_for_update)
    }
}

impl<T: Subcommand> Subcommand for Deferred<T> {
    fn augment_subcommands(cmd: Command) -> Command {
        described(cmd, T::augment_subcommands)
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        described(cmd, T::augment_subcommands_for_update)
    }

    fn has_subcommand(name: &str) -> bool {
        T::has_subcommand(name)
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::Cli;

    /// The names of a command's flags, in the order clap keeps them.
    fn flags(cmd: &Command, sub: &str) -> Vec<String> {
        let sub = cmd.find_subcommand(sub).unwrap();
        sub.get_arguments()
            .map(|a| a.get_id().to_string())
            .collect()
    }

    #[test]
    fn a_deferred_command_has_the_same_flags_as_an_eager_one() {
        let mut eager = describe_everything(Cli::command);
        eager.build();
        let mut deferred = Cli::command();
        deferred.build();
        for sub in ["login", "token", "api", "proof", "credentials"] {
            let mut want = flags(&eager, sub);
            let mut got = flags(&deferred, sub);
            assert!(want.contains(&"profile".to_owned()), "{sub}: {want:?}");
            want.sort();
            got.sort();
            assert_eq!(got, want, "{sub}");
        }
        assert!(!EAGER.with(Cell::get));
    }

    #[test]
    fn flags_of_a_deferred_command_parse() {
        let cli = Cli::try_parse_from(["authctl", "--json", "token", "--min-valid", "5"]).unwrap();
        let crate::cli::Command::Token(args) = &cli.command else {
            panic!("not the token command");
        };
        assert_eq!(args.min_valid, 5);
        assert!(cli.json);
        let cli = Cli::try_parse_from(["authctl", "credentials", "set", "--profile", "p"]).unwrap();
        assert_eq!(cli.profile.as_deref(), Some("p"));
        let err = Cli::try_parse_from(["authctl", "token", "--min-vali", "5"]).unwrap_err();
        assert!(err.to_string().contains("--min-valid"), "{err}");
    }
}
