//! `authctl kube-credential`: kubectl's exec credential plugin. Prints an
//! `ExecCredential` with the profile's token and its expiry (RFC 3339), in the
//! `apiVersion` kubectl asked for in `KUBERNETES_EXEC_INFO`. A login runs only when
//! kubectl says the session is interactive; otherwise a login need is an error on stderr,
//! which kubectl shows.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use auth_core::{Credentials, Error, Secret};
use serde::Deserialize;

use super::{app, unattended_token};
use crate::cli::{Cli, LoginArgs};

/// The variable kubectl describes its request in.
const EXEC_INFO: &str = "KUBERNETES_EXEC_INFO";
/// The API versions spoken, newest first (the first is the default).
const API_VERSIONS: [&str; 2] = [
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
];
/// A longer `KUBERNETES_EXEC_INFO` is refused.
const MAX_EXEC_INFO: usize = 1024 * 1024;
/// How long the token given to kubectl must stay valid (kubectl keeps it until it expires).
const MIN_VALID: Duration = Duration::from_secs(60);

/// What kubectl asked for.
#[derive(Debug, PartialEq, Eq)]
struct ExecInfo {
    api_version: &'static str,
    interactive: bool,
}

#[derive(Deserialize)]
struct RawInfo {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    spec: RawSpec,
}

#[derive(Deserialize, Default)]
struct RawSpec {
    #[serde(default)]
    interactive: bool,
}

pub(super) fn run(cli: &Cli) -> Result<ExitCode, Error> {
    let info = exec_info(std::env::var(EXEC_INFO).ok().as_deref())?;
    let app = app(cli, Credentials::default())?;
    let token = match unattended_token(&app, MIN_VALID, false) {
        Ok(token) => token,
        Err(e) if e.needs_login() && info.interactive => {
            super::login::run(cli, &interactive_login())?;
            unattended_token(&app, MIN_VALID, false)?
        }
        Err(e) if e.needs_login() => {
            eprintln!(
                "authctl: kubectl runs this without a terminal, so authctl cannot log in here"
            );
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let mut status = serde_json::json!({ "token": token.access_token.expose() });
    if let Some(at) = token.expires_at {
        status["expirationTimestamp"] = humantime::format_rfc3339_seconds(at).to_string().into();
    }
    let credential = serde_json::json!({
        "apiVersion": info.api_version,
        "kind": "ExecCredential",
        "status": status,
    });
    let text = Secret::new(credential.to_string());
    drop(credential);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", text.expose())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Interaction(format!("stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// A login as `authctl login` with no flags runs it: the profile's flow, a browser.
fn interactive_login() -> LoginArgs {
    LoginArgs {
        flow: None,
        no_browser: false,
        port: None,
        timeout: None,
        scopes: Vec::new(),
        username: None,
        password_stdin: false,
        oob: false,
        subject_token_stdin: false,
    }
}

/// Reads `KUBERNETES_EXEC_INFO`; without it (run by hand), the newest API version and no
/// person to log in.
fn exec_info(raw: Option<&str>) -> Result<ExecInfo, Error> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(ExecInfo {
            api_version: API_VERSIONS[0],
            interactive: false,
        });
    };
    if raw.len() > MAX_EXEC_INFO {
        return Err(Error::config(format!(
            "{EXEC_INFO} is longer than {MAX_EXEC_INFO} bytes; kubectl never sends so much"
        )));
    }
    let info: RawInfo = serde_json::from_str(raw).map_err(|e| {
        Error::config(format!(
            "{EXEC_INFO} is not the ExecCredential JSON kubectl sends ({e})"
        ))
    })?;
    let api_version = match info.api_version.as_deref() {
        None => API_VERSIONS[0],
        Some(asked) => API_VERSIONS
            .into_iter()
            .find(|v| *v == asked)
            .ok_or_else(|| {
                Error::config(format!(
                    "kubectl asked for apiVersion {asked:?}; authctl speaks {}: set one of them \
                     as users[].user.exec.apiVersion in the kubeconfig",
                    API_VERSIONS.join(" and ")
                ))
            })?,
    };
    Ok(ExecInfo {
        api_version,
        interactive: info.spec.interactive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_the_version_kubectl_asked_for() {
        let v1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}"#;
        assert_eq!(
            exec_info(Some(v1)).unwrap(),
            ExecInfo {
                api_version: "client.authentication.k8s.io/v1",
                interactive: true
            }
        );
        let beta = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}"#;
        assert_eq!(
            exec_info(Some(beta)).unwrap(),
            ExecInfo {
                api_version: "client.authentication.k8s.io/v1beta1",
                interactive: false
            }
        );
        assert!(!exec_info(None).unwrap().interactive);
        let err = exec_info(Some(
            r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("v1alpha1") && err.contains("kubeconfig"),
            "{err}"
        );
        let err = exec_info(Some("{not json")).unwrap_err().to_string();
        assert!(err.contains(EXEC_INFO), "{err}");
        assert!(exec_info(Some(&"[".repeat(MAX_EXEC_INFO + 1))).is_err());
    }
}
