//! [`Deferred`]: a command's flags described to clap only when that command runs.
//!
//! clap's derive describes every command and every flag before it parses anything, and
//! `authctl token` in a script pays for all of them. A command whose flags (or
//! subcommands) are wrapped in [`Deferred`] gets them from `Command::defer`: clap builds
//! them when that command is the one parsed, or when help or completions need the whole
//! tree. The options every command takes ([`Globals`]) come with them, after the
//! command's own flags, so `authctl token --profile p` parses as `authctl --profile p
//! token` does. Help lists a command's own flags first, then those options; shell
//! completions are made from the whole tree, built the eager way
//! ([`describe_everything`]).

use std::cell::Cell;
use std::ops::Deref;

use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};

use super::Globals;

thread_local! {
    /// Set while [`describe_everything`] runs: every command is described at once.
    static EAGER: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every command described when it is made, not deferred: shell
/// completion scripts are made from the whole tree.
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

/// The flags `T` of a command (or its subcommands, for `#[command(subcommand)]`) and the
/// [`Globals`] typed after the command's name, described to clap only when that command
/// runs. Dereferences to `T`.
#[derive(Debug)]
pub(crate) struct Deferred<T> {
    flags: T,
    globals: Globals,
}

impl<T> Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.flags
    }
}

impl<T> Deferred<T> {
    /// The options typed after the command's name (and its subcommand's), taken out.
    pub(super) fn take_globals(&mut self) -> Globals {
        std::mem::take(&mut self.globals)
    }
}

/// The [`Globals`] typed at this command level and the levels of its subcommands, taken
/// out of `matches` (the command's own flags stay).
fn typed_globals(matches: &mut ArgMatches) -> Result<Globals, clap::Error> {
    let mut globals = Globals::typed(matches)?;
    if let Some((_, sub)) = matches.subcommand() {
        globals.join(typed_globals(&mut sub.clone())?);
    }
    Ok(globals)
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        let globals = typed_globals(matches)?;
        let flags = T::from_arg_matches_mut(matches)?;
        Ok(Deferred { flags, globals })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.update_from_arg_matches_mut(&mut matches.clone())
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        self.globals.join(typed_globals(matches)?);
        self.flags.update_from_arg_matches_mut(matches)
    }
}

/// `T`'s flags, then the [`Globals`].
fn flags_and_globals<T: Args>(cmd: Command) -> Command {
    Globals::augment_args(T::augment_args(cmd))
}

/// `T`'s subcommands, each with the [`Globals`], and the [`Globals`] at this level too.
fn subcommands_and_globals<T: Subcommand>(cmd: Command) -> Command {
    Globals::augment_args(T::augment_subcommands(cmd)).mut_subcommands(Globals::augment_args)
}

impl<T: Args> Args for Deferred<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: Command) -> Command {
        described(cmd, flags_and_globals::<T>)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        described(cmd, flags_and_globals::<T>)
    }
}

impl<T: Subcommand> Subcommand for Deferred<T> {
    fn augment_subcommands(cmd: Command) -> Command {
        described(cmd, subcommands_and_globals::<T>)
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        described(cmd, subcommands_and_globals::<T>)
    }

    fn has_subcommand(name: &str) -> bool {
        T::has_subcommand(name)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    /// The command line as `authctl` reads it.
    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::from_matches(&mut Cli::command().try_get_matches_from(args)?)
    }

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
        let cli = parse(&["authctl", "--json", "token", "--min-valid", "5"]).unwrap();
        let crate::cli::Command::Token(args) = &cli.command else {
            panic!("not the token command");
        };
        assert_eq!(args.min_valid, 5);
        assert!(cli.globals.json);
        let cli = parse(&["authctl", "credentials", "set", "--profile", "p"]).unwrap();
        assert_eq!(cli.globals.profile.as_deref(), Some("p"));
        let err = parse(&["authctl", "token", "--min-vali", "5"]).unwrap_err();
        assert!(err.to_string().contains("--min-valid"), "{err}");
    }

    #[test]
    fn options_typed_after_the_command_join_the_ones_before_it() {
        let cli = parse(&["authctl", "-v", "--store", "file", "status", "-v", "--json"]).unwrap();
        assert_eq!(cli.globals.verbose, 2);
        assert!(cli.globals.json);
        assert_eq!(cli.globals.store, Some(crate::config::StoreKind::File));
        let cli = parse(&[
            "authctl",
            "--account",
            "a",
            "credentials",
            "--account",
            "b",
            "show",
        ])
        .unwrap();
        assert_eq!(cli.globals.account.as_deref(), Some("b"));
        let cli = parse(&[
            "authctl",
            "--config",
            "x.toml",
            "credentials",
            "show",
            "--quiet",
        ])
        .unwrap();
        assert_eq!(
            cli.globals.config.as_deref(),
            Some(std::path::Path::new("x.toml"))
        );
        assert!(cli.globals.quiet);
        assert!(parse(&["authctl", "providers", "-q", "-v"]).is_err());
    }
}
