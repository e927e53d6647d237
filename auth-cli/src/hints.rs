//! The library's structured hints ([`auth_core::Hint`]) in authctl's own words: the
//! commands, flags, profile keys and environment switches that carry out the next step.
//!
//! The library crates name no authctl command; this file is the one place that does so
//! for their errors.

use auth_core::{Error, Hint};

/// What authctl says after `error: ...`, when the error calls for a next step authctl
/// can name.
///
/// Missing credentials get no line here: `App::explain` already words their hint with
/// the profile's exact environment variables and `authctl credentials set`.
pub(crate) fn advice(err: &Error) -> Option<String> {
    Some(match err.hint()? {
        Hint::LoginRequired { profile } => {
            format!("run `authctl login --profile {profile}`")
        }
        Hint::KeyringUnavailable => {
            "use the file store instead: `store = \"file\"` in the profile, or --store file".into()
        }
        Hint::InsecureHttp => "if this server is on a trusted network, opt in with \
                               `insecure_http = true` in the profile (or AUTHCTL_INSECURE_HTTP=1)"
            .into(),
        Hint::LongerTimeout => "run the command again, with a longer --timeout if needed".into(),
        Hint::OtherPort => {
            "pick another port with --port (`--port 0` picks any free port; the redirect URI \
             registered with the provider must then allow it)"
                .into()
        }
        Hint::UnsafeBrowserUrl => "authctl opens only https URLs (or http to this machine); \
                                   check the profile's endpoints with `authctl providers`, or \
                                   copy a printed https URL into the browser yourself"
            .into(),
        Hint::MakePrivate { path, chmod, chown } => {
            let dir = auth_store::shell_quote(&path.display().to_string());
            let mut steps = Vec::new();
            if let Some(uid) = chown {
                steps.push(format!("`sudo chown {uid} {dir}`"));
            }
            if let Some(mode) = chmod {
                steps.push(format!("`chmod {mode:o} {dir}`"));
            }
            format!(
                "run {}, or keep tokens in another folder (AUTHCTL_HOME)",
                steps.join(" then ")
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn hints_become_authctl_wording() {
        let login = Error::LoginRequired {
            profile: "inaturalist".into(),
        };
        assert_eq!(
            advice(&login).unwrap(),
            "run `authctl login --profile inaturalist`"
        );
        let keyring = Error::KeyringUnavailable {
            message: "no D-Bus session".into(),
        };
        assert!(advice(&keyring).unwrap().contains("--store file"));
        let http = Error::InsecureTransport {
            url: "http://example.com/token".into(),
        };
        assert!(advice(&http).unwrap().contains("AUTHCTL_INSECURE_HTTP=1"));
        let timeout = Error::TimedOut {
            what: "the browser".into(),
            waited: Duration::from_secs(1),
        };
        assert!(advice(&timeout).unwrap().contains("--timeout"));
        let port = Error::config_with_hint("port 80 is taken", Hint::OtherPort);
        assert!(advice(&port).unwrap().contains("--port 0"));
        let url = auth_core::http::check_browser_url("javascript:alert(1)").unwrap_err();
        assert!(advice(&url).unwrap().contains("only https"));
        let folder = Error::NotPrivate {
            backend: "file".into(),
            path: "/tmp/my tokens".into(),
            problem: "the token folder may be changed by its group (mode 0770)".into(),
            fix: Hint::MakePrivate {
                path: "/tmp/my tokens".into(),
                chmod: Some(0o700),
                chown: Some(1000),
            },
        };
        assert_eq!(
            advice(&folder).unwrap(),
            "run `sudo chown 1000 '/tmp/my tokens'` then `chmod 700 '/tmp/my tokens'`, or keep \
             tokens in another folder (AUTHCTL_HOME)"
        );
        assert_eq!(advice(&Error::StateMismatch), None);
        assert_eq!(advice(&Error::config("bad key")), None);
    }
}
