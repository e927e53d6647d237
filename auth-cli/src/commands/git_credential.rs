//! `authctl git-credential`: git's credential-helper protocol (gitcredentials(7)).
//!
//! git writes `key=value` lines and a blank line on stdin; `get` answers `username`,
//! `password` (the profile's access token) and `password_expiry_utc` (Unix seconds), only
//! for the hosts of the profile's `git_hosts` and only over https. `erase` (git saw the
//! token refused) marks the stored token so the next `get` renews it; `store` does
//! nothing, since authctl keeps the token itself. Unknown keys and operations are ignored.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use auth_core::{Credentials, Error, Secret};

use super::{app, unattended_manager, unattended_token};
use crate::app::App;
use crate::cli::{Cli, GitCredentialArgs};

/// The most of stdin that is read; the rest is drained unread.
const MAX_INPUT: u64 = 64 * 1024;
/// A longer line is ignored.
const MAX_LINE: usize = 8 * 1024;
/// The user name given to git when the profile names none.
pub(super) const DEFAULT_GIT_USERNAME: &str = "oauth2";
/// How long the token given to git must stay valid.
const MIN_VALID: Duration = Duration::from_secs(60);

/// What git said about the credential it wants.
#[derive(Debug, Default, PartialEq, Eq)]
struct Request {
    protocol: Option<String>,
    host: Option<String>,
    password: Option<String>,
}

pub(super) fn run(cli: &Cli, args: &GitCredentialArgs) -> Result<ExitCode, Error> {
    let request = read_request(&mut std::io::stdin().lock());
    match args.operation.as_str() {
        "get" | "erase" => {}
        // `store`: authctl already keeps the token; anything else is a newer git's.
        _ => return Ok(ExitCode::SUCCESS),
    }
    let app = app(cli, Credentials::default())?;
    let Some(host) = served_host(&app, &request, cli.globals.verbose > 0)? else {
        return Ok(ExitCode::SUCCESS);
    };
    if args.operation == "erase" {
        return erase(&app, &request, &host);
    }
    let username = git_username(&app)?;
    let token = unattended_token(&app, MIN_VALID, false)?;
    let password = token.access_token.expose();
    if !value_fits(password) {
        return Err(Error::config(format!(
            "the token of profile `{}` holds a line break or NUL, which git's credential \
             protocol cannot carry",
            app.profile.name
        )));
    }
    let mut answer = format!("username={username}\npassword={password}\n");
    if let Some(at) = token.expires_at {
        let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        answer.push_str(&format!("password_expiry_utc={secs}\n"));
    }
    let answer = Secret::new(answer);
    let mut out = std::io::stdout().lock();
    out.write_all(answer.expose().as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Interaction(format!("stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// `erase`: when the password git saw refused is the stored token, mark it expired so the
/// next `get` renews it. The account stays logged in.
fn erase(app: &App, request: &Request, host: &str) -> Result<ExitCode, Error> {
    let Some(password) = request.password.as_deref().filter(|p| !p.is_empty()) else {
        return Ok(ExitCode::SUCCESS);
    };
    let store = app.store()?;
    let (key, _) = app.key(store.as_ref())?;
    let (manager, _) = unattended_manager(app, store, &key)?;
    let marked = pollster::block_on(manager.reject(&Secret::new(password)))?;
    if marked && !app.options.quiet {
        eprintln!(
            "authctl: {host} refused the token of profile {} (account {}); the next use renews it",
            app.profile.name, key.account
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The request's host when the profile serves it: listed in `git_hosts` and asked for over
/// https. Others get nothing (said on stderr only with `-v`, or for plain http to a
/// listed host, which never gets the token).
fn served_host(app: &App, request: &Request, verbose: bool) -> Result<Option<String>, Error> {
    let hosts = git_hosts(app)?;
    let Some(host) = request.host.as_deref() else {
        return Ok(None);
    };
    let listed = hosts.iter().any(|h| h.eq_ignore_ascii_case(host));
    let https = request.protocol.as_deref() == Some("https");
    if listed && !https {
        eprintln!(
            "authctl: not giving the token of profile {} to {host} over {}: only https is served",
            app.profile.name,
            request.protocol.as_deref().unwrap_or("an unknown protocol")
        );
        return Ok(None);
    }
    if !listed {
        if verbose {
            eprintln!(
                "authctl: {host:?} is not in the git_hosts of profile {}; no answer",
                app.profile.name
            );
        }
        return Ok(None);
    }
    Ok(Some(host.to_owned()))
}

/// The profile's `git_hosts`, each checked to be `host[:port]`.
pub(super) fn git_hosts(app: &App) -> Result<Vec<String>, Error> {
    let hosts = app.profile.config.git_hosts.clone().unwrap_or_default();
    for host in &hosts {
        if !is_host(host) {
            return Err(Error::config(format!(
                "{}: profile `{}`: git_hosts: {host:?} is not a host as git names it \
                 (host or host:port, e.g. \"git.example.com\")",
                app.profile.config_path.display(),
                app.profile.name
            )));
        }
    }
    Ok(hosts)
}

/// The profile's `git_username` (default `oauth2`), checked to fit on a protocol line.
fn git_username(app: &App) -> Result<String, Error> {
    let name = app
        .profile
        .config
        .git_username
        .clone()
        .unwrap_or_else(|| DEFAULT_GIT_USERNAME.to_owned());
    if name.is_empty() || !value_fits(&name) {
        return Err(Error::config(format!(
            "{}: profile `{}`: git_username must be a non-empty name on one line",
            app.profile.config_path.display(),
            app.profile.name
        )));
    }
    Ok(name)
}

/// `host` or `host:port`, with a DNS name, an IPv4 address or a bracketed IPv6 address.
fn is_host(text: &str) -> bool {
    let (name, port) = match text.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') || name.ends_with(']') => (name, Some(port)),
        _ => (text, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    let name_ok = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !name.is_empty()
                && name.len() <= 253
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        }
    };
    port_ok && name_ok
}

/// Whether `value` can stand on one line of git's protocol.
fn value_fits(value: &str) -> bool {
    !value.contains(['\n', '\r', '\0'])
}

/// Reads git's request: at most [`MAX_INPUT`] bytes (the rest is drained), up to the first
/// blank line or the end. Unknown keys, over-long lines and lines without `=` are ignored;
/// the last line may lack its newline. Never fails: a broken request just names no host.
fn read_request(input: &mut impl Read) -> Request {
    let mut bytes = Vec::new();
    let _ = input.by_ref().take(MAX_INPUT).read_to_end(&mut bytes);
    let truncated = bytes.len() as u64 == MAX_INPUT;
    // Drain the rest so git never writes into a closed pipe.
    let _ = std::io::copy(input, &mut std::io::sink());
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if truncated {
        // the last line may be cut short: ignore it
        lines.pop();
    }
    let mut request = Request::default();
    for line in lines {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.len() > MAX_LINE || line.contains('\0') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let slot = match key {
            "protocol" => &mut request.protocol,
            "host" => &mut request.host,
            "password" => &mut request.password,
            _ => continue,
        };
        *slot = Some(value.to_owned());
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Request {
        read_request(&mut &text[..])
    }

    #[test]
    fn reads_the_keys_it_needs_and_ignores_the_rest() {
        let request = parse(
            b"capability[]=authtype\nprotocol=https\nhost=git.example.com:8443\nwwwauth[]=Basic realm=\"x\"\n\
              username=me\npassword=p=q\nnew_key=1\n\nhost=after.blank\n",
        );
        assert_eq!(
            request,
            Request {
                protocol: Some("https".into()),
                host: Some("git.example.com:8443".into()),
                password: Some("p=q".into()),
            }
        );
        // no trailing newline, CRLF line ends
        let request = parse(b"protocol=https\r\nhost=h.example");
        assert_eq!(request.host.as_deref(), Some("h.example"));
    }

    #[test]
    fn hostile_input_names_no_host_and_never_panics() {
        let mut long = b"host=".to_vec();
        long.extend(std::iter::repeat_n(b'a', 200_000));
        assert_eq!(parse(&long).host, None, "an over-long line is ignored");
        let mut long_then_host = vec![b'x'; 10_000];
        long_then_host.extend(b"\nprotocol=https\nhost=h\n");
        assert_eq!(parse(&long_then_host).host.as_deref(), Some("h"));
        assert_eq!(parse(b"host=h\0x\n").host, None);
        assert_eq!(parse(b"\xff\xfe=\x01\nhost\n=\n").host, None);
        assert_eq!(parse(b"").host, None);
    }

    #[test]
    fn hosts_are_host_and_port_as_git_names_them() {
        for good in [
            "github.com",
            "git.example.com:8443",
            "127.0.0.1:9",
            "[::1]:443",
            "[::1]",
        ] {
            assert!(is_host(good), "{good}");
        }
        for bad in [
            "",
            "https://github.com",
            "github.com/org",
            "a b",
            "h:0",
            "h:99999",
            "h:",
            "::1",
            "h\n",
        ] {
            assert!(!is_host(bad), "{bad:?}");
        }
    }
}
