//! `authctl kube-credential` as kubectl's exec credential plugin, with the real `kubectl`
//! against a fake API server on 127.0.0.1 (TLS with a certificate made at test time,
//! given as `certificate-authority-data`; kubectl sends no credentials over plain http)
//! that checks the bearer token against the token server's current access token.
//!
//! The kubectl tests are `#[ignore]`d: `cargo xtask conformance` installs kubectl
//! (Debian's `kubernetes-client`) and runs them.

mod common;
#[path = "support/https.rs"]
mod https;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::TokenStore;
use auth_testkit::{StrictConfig, StrictTokenServer};
use base64::Engine;
use https::{HttpsServer, Response};

const PASSWORD: &str = "CLUSTER-PASSWORD-1";
const VERSION: &str = r#"{"major":"1","minor":"30","gitVersion":"v1.30.0-authctl-fake"}"#;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fake API server: `/version` for the token server's current access token, 401
/// otherwise; counts the requests it authorized.
fn api_server(tokens: &Arc<StrictTokenServer>) -> HttpsServer {
    let tokens = Arc::clone(tokens);
    HttpsServer::start(move |request| {
        let current = tokens.current_access_token();
        if request.bearer().is_some() && request.bearer() == current.as_deref() {
            Response::new(200, "application/json", VERSION)
        } else {
            Response::new(
                401,
                "application/json",
                r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#,
            )
        }
    })
}

/// A person's home: the `cluster` profile logs in with a browser (PKCE) at `tokens`, so
/// only a renewal can get a token without a person; `$BROWSER` is a script that leaves a
/// mark, to show that none was opened.
struct Person {
    home: tempfile::TempDir,
}

impl Person {
    fn new(tokens: &StrictTokenServer, api: &HttpsServer) -> Person {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            format!(
                "[profiles.cluster]\ntoken_url = \"{}\"\nauthorize_url = \"{}/authorize\"\n\
                 flow = \"pkce\"\nstore = \"file\"\ninsecure_http = true\n\
                 client_id = \"cluster-client\"\n",
                tokens.token_url(),
                tokens.url()
            ),
        )
        .unwrap();
        let browser = home.path().join("browser.sh");
        std::fs::write(
            &browser,
            format!(
                "#!/bin/sh\necho \"$1\" > '{}'\n",
                home.path().join("browser-opened").display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let ca = base64::engine::general_purpose::STANDARD.encode(api.ca_pem());
        let exe = assert_cmd::cargo::cargo_bin("authctl");
        std::fs::write(
            home.path().join("kubeconfig"),
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n    \
                 certificate-authority-data: {ca}\nusers:\n- name: ana\n  user:\n    exec:\n      \
                 apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n      \
                 args: [\"kube-credential\", \"--profile\", \"cluster\"]\ncontexts:\n- name: fake\n  \
                 context:\n    cluster: fake\n    user: ana\ncurrent-context: fake\n",
                api.url(),
                exe.display()
            ),
        )
        .unwrap();
        Person { home }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    /// Logs in once with the password grant (the person, at a terminal).
    fn login(&self) {
        let mut child = common::authctl(self.path(), &["CLUSTER_"])
            .args([
                "login",
                "--profile",
                "cluster",
                "--flow",
                "password",
                "--username",
                "ana",
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "login: {}", text(&out.stderr));
    }

    /// `kubectl --kubeconfig K get --raw /version`, with only `AUTHCTL_HOME` and
    /// `$BROWSER` in the environment beyond the machine's.
    fn kubectl_version(&self) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(self.path().join("kubeconfig"))
            .args(["get", "--raw", "/version"])
            .env("AUTHCTL_HOME", self.path())
            .env("BROWSER", self.path().join("browser.sh"))
            .env("HOME", self.path())
            .env_remove("KUBECONFIG")
            .env_remove("AUTHCTL_PROFILE")
            .env_remove("AUTHCTL_ACCOUNT")
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/authctl-test-bus",
            )
            .stdin(Stdio::null());
        match cmd.output() {
            Ok(out) => out,
            Err(e) => panic!(
                "cannot run kubectl ({e}): `cargo xtask conformance` installs it (Debian's \
                 kubernetes-client)"
            ),
        }
    }

    fn browser_opened(&self) -> bool {
        self.path().join("browser-opened").exists()
    }

    fn expire(&self) {
        let store = auth_store::FileStore::new(self.path());
        pollster::block_on(async {
            let keys = store.keys("cluster").await.unwrap();
            assert_eq!(keys.len(), 1, "{keys:?}");
            let mut token = store.load(&keys[0]).await.unwrap().unwrap();
            token.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
            store.save(&keys[0], &token).await.unwrap();
        });
    }
}

fn start() -> (Arc<StrictTokenServer>, HttpsServer) {
    let tokens = Arc::new(StrictTokenServer::start(
        StrictConfig::new().with_refresh_delay(Duration::ZERO),
    ));
    let api = api_server(&tokens);
    (tokens, api)
}

#[test]
#[ignore = "needs kubectl: cargo xtask conformance installs it and runs this"]
fn kubectl_uses_the_token_and_renews_it_without_a_browser() {
    let (tokens, api) = start();
    let person = Person::new(&tokens, &api);
    person.login();
    let out = person.kubectl_version();
    assert!(out.status.success(), "kubectl: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("v1.30.0-authctl-fake"));
    assert_eq!(tokens.refreshes(), 0, "the stored token was valid");

    // The token expires: the next kubectl gets a renewed one, and no browser opens.
    person.expire();
    let out = person.kubectl_version();
    assert!(out.status.success(), "kubectl: {}", text(&out.stderr));
    assert!(text(&out.stdout).contains("v1.30.0-authctl-fake"));
    assert_eq!(tokens.refreshes(), 1, "one refresh");
    assert!(!person.browser_opened(), "a renewal never opens a browser");
    let token = tokens.current_access_token().unwrap();
    assert!(!text(&out.stderr).contains(&token));
}

#[test]
#[ignore = "needs kubectl: cargo xtask conformance installs it and runs this"]
fn kubectl_without_a_login_shows_what_to_do() {
    let (tokens, api) = start();
    let person = Person::new(&tokens, &api);
    let out = person.kubectl_version();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("authctl login --profile cluster"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot log in here"), "{stderr}");
    assert!(
        !person.browser_opened(),
        "kubectl's session is not interactive"
    );
    assert_eq!(tokens.requests(), 0);
}

/// The plugin as kubectl runs it, for each API version it may ask for (the kubectl
/// tests use v1beta1, which every kubectl speaks).
#[test]
fn answers_an_exec_credential_in_the_asked_version() {
    let (tokens, api) = start();
    let person = Person::new(&tokens, &api);
    person.login();
    for version in ["v1", "v1beta1"] {
        let api_version = format!("client.authentication.k8s.io/{version}");
        let out = common::authctl(person.path(), &["CLUSTER_"])
            .args(["kube-credential", "--profile", "cluster"])
            .env(
                "KUBERNETES_EXEC_INFO",
                format!(
                    r#"{{"kind":"ExecCredential","apiVersion":"{api_version}","spec":{{"interactive":false}}}}"#
                ),
            )
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let credential: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(credential["apiVersion"], api_version.as_str());
        assert_eq!(credential["kind"], "ExecCredential");
        assert_eq!(
            credential["status"]["token"].as_str(),
            tokens.current_access_token().as_deref()
        );
        let expires = credential["status"]["expirationTimestamp"]
            .as_str()
            .unwrap();
        let at = humantime::parse_rfc3339(expires).unwrap();
        let left = at.duration_since(SystemTime::now()).unwrap();
        assert!(left > Duration::from_secs(3500), "{expires}");
    }
}
