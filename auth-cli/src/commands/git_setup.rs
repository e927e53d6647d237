//! `authctl git-setup`: makes git ask `authctl git-credential` for each host of the
//! profile's `git_hosts`, as `gh auth setup-git` does: `credential.https://HOST.helper` in
//! the global git config (or `--file`), replacing the other helpers of that host.

use std::path::Path;
use std::process::{Command, ExitCode};

use auth_core::{Credentials, Error};

use super::app;
use super::git_credential::git_hosts;
use crate::cli::{Cli, GitSetupArgs};

pub(super) fn run(cli: &Cli, args: &GitSetupArgs) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    let hosts = git_hosts(&app)?;
    if hosts.is_empty() {
        return Err(Error::config(format!(
            "profile `{}` lists no git_hosts: add `git_hosts = [\"git.example.com\"]` to \
             [profiles.{}] in {}",
            app.profile.name,
            app.profile.name,
            app.profile.config_path.display()
        )));
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::config(format!("cannot find this authctl's own path: {e}")))?;
    let helper = helper_command(&exe, &app.profile.name, cli.globals.config.as_deref());
    let target = match &args.file {
        Some(file) => vec!["--file".to_owned(), file.display().to_string()],
        None => vec!["--global".to_owned()],
    };
    for host in &hosts {
        let name = format!("credential.https://{host}.helper");
        // An empty helper first resets the helpers inherited from other config files.
        git_config(&target, &["--replace-all", &name, ""])?;
        git_config(&target, &["--add", &name, &helper])?;
        if !cli.globals.quiet {
            eprintln!(
                "git asks authctl (profile {}) for https://{host}",
                app.profile.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The helper line git runs through the shell: `!'EXE' git-credential --profile 'P'`
/// (and `--config 'F'` when this command had one).
fn helper_command(exe: &Path, profile: &str, config: Option<&Path>) -> String {
    let mut line = format!(
        "!{} git-credential --profile {}",
        shell_quote(&exe.display().to_string()),
        shell_quote(profile)
    );
    if let Some(config) = config {
        line.push_str(&format!(
            " --config {}",
            shell_quote(&config.display().to_string())
        ));
    }
    line
}

/// `text` in single quotes for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Runs `git config TARGET ARGS`.
fn git_config(target: &[String], args: &[&str]) -> Result<(), Error> {
    let out = Command::new("git")
        .arg("config")
        .args(target)
        .args(args)
        .output()
        .map_err(|e| {
            Error::config(format!(
                "cannot run git ({e}): install git, or put it on PATH"
            ))
        })?;
    if !out.status.success() {
        return Err(Error::config(format!(
            "`git config {}` failed: {}",
            target.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_line_survives_the_shell() {
        let line = helper_command(
            Path::new("/opt/my tools/authctl"),
            "o'brien",
            Some(Path::new("/etc/a c.toml")),
        );
        assert_eq!(
            line,
            r"!'/opt/my tools/authctl' git-credential --profile 'o'\''brien' --config '/etc/a c.toml'"
        );
    }
}
