//! The login's loopback redirect server and discovery under attack, through the real
//! `authctl login --no-browser`: a web page's navigation with a wrong `state`, idle
//! connections filling the reader slots, a rebound host name (DNS rebinding), a wrong or
//! missing `iss` (RFC 9207 mix-up), a discovery document redirected to another origin or
//! too large. The test plays the person: it reads the authorization URL authctl prints,
//! then sends (or pastes on stdin) the redirect the authorization server would cause.
//! Also: the pasted address of a headless login, and PKCE kept with a client secret.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use auth_core::Url;

use crate::common::authctl;

const ACCESS: &str = "ACCESS-loopback-7Hq2";

/// A home whose config holds `config`, with the file store.
fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    home
}

/// A profile `p` on the mock server: authorize and token endpoints, a public client.
fn profile(server: &mockito::Server, extra: &str) -> String {
    let url = server.url();
    format!(
        "[profiles.p]\nauthorize_url = \"{url}/authorize\"\ntoken_url = \"{url}/token\"\n\
         client_id = \"cid\"\nflow = \"pkce\"\nstore = \"file\"\n{extra}"
    )
}

/// A token endpoint that answers every code with [`ACCESS`].
fn token_endpoint(server: &mut mockito::Server) -> mockito::Mock {
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(format!(
            r#"{{"access_token":"{ACCESS}","token_type":"Bearer","expires_in":3600}}"#
        ))
        .create()
}

/// A running `authctl login --no-browser`, its stderr read line by line.
struct Login {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: String,
}

impl Login {
    fn start(home: &Path, env: &[(&str, &str)]) -> Login {
        Login::start_with_timeout(home, env, 20)
    }

    fn start_with_timeout(home: &Path, env: &[(&str, &str)], timeout: u32) -> Login {
        let mut cmd = authctl(home, &["P_"]);
        cmd.args([
            "login",
            "--profile",
            "p",
            "--no-browser",
            "--port",
            "0",
            "--timeout",
            &timeout.to_string(),
        ])
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Login {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: String::new(),
        }
    }

    /// The authorization URL authctl printed.
    fn authorize_url(&mut self) -> Url {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(20)) {
            self.seen.push_str(&line);
            self.seen.push('\n');
            if let Some(url) = line.trim().strip_prefix("http://")
                && url.contains("/authorize?")
            {
                return Url::parse(&format!("http://{url}")).unwrap();
            }
        }
        panic!("no authorization URL printed:\n{}", self.seen);
    }

    /// Writes a line on authctl's stdin, as a person pasting.
    fn paste(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for authctl to exit; its stderr is everything it printed.
    fn finish(mut self) -> Output {
        drop(self.stdin.take());
        let mut out = self.child.wait_with_output().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        out.stderr = self.seen.into_bytes();
        out
    }
}

/// What the authorization server puts in the redirect: the redirect URI and the state.
fn redirect_of(url: &Url) -> (Url, String) {
    let get = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {url}"))
    };
    (Url::parse(&get("redirect_uri")).unwrap(), get("state"))
}

fn addr_of(redirect: &Url) -> SocketAddr {
    redirect.socket_addrs(|| None).unwrap()[0]
}

/// One GET to the loopback server with the given `Host`; the status and the page.
fn get(addr: SocketAddr, target: &str, host: &str) -> (u16, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// The browser's redirect with `query`, as a browser sends it.
fn callback(redirect: &Url, query: &str) -> (u16, String) {
    let addr = addr_of(redirect);
    get(
        addr,
        &format!("{}?{query}", redirect.path()),
        &addr.to_string(),
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `authctl token` in another process, with another environment (no `P_*` variables).
fn token(home: &Path) -> Output {
    authctl(home, &["P_"])
        .args(["token", "--profile", "p"])
        .output()
        .unwrap()
}

/// The login succeeded, and a later `authctl token` prints the token.
fn assert_logged_in(home: &Path, out: &Output) {
    assert!(out.status.success(), "login failed:\n{}", text(&out.stderr));
    let token = token(home);
    assert!(token.status.success(), "{}", text(&token.stderr));
    assert_eq!(text(&token.stdout).trim(), ACCESS);
}

/// The login stored nothing: `authctl token` has no token to print.
fn assert_nothing_stored(home: &Path) {
    let token = token(home);
    assert!(!token.status.success(), "{}", text(&token.stderr));
    assert!(!text(&token.stdout).contains(ACCESS));
}

#[test]
fn a_web_pages_navigation_with_a_wrong_state_does_not_end_the_login() {
    let mut server = mockito::Server::new();
    let _token = token_endpoint(&mut server);
    let home = home_with(&profile(&server, ""));
    let mut login = Login::start(home.path(), &[]);
    let (redirect, state) = redirect_of(&login.authorize_url());
    let (status, page) = callback(&redirect, "code=x&state=x");
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("state"), "{page}");
    let (status, _) = callback(&redirect, &format!("code=real&state={state}"));
    assert_eq!(status, 200);
    assert_logged_in(home.path(), &login.finish());
}

#[test]
fn idle_connections_do_not_block_the_real_callback() {
    let mut server = mockito::Server::new();
    let _token = token_endpoint(&mut server);
    let home = home_with(&profile(&server, ""));
    let mut login = Login::start(home.path(), &[]);
    let (redirect, state) = redirect_of(&login.authorize_url());
    let addr = addr_of(&redirect);
    let idle: Vec<TcpStream> = (0..32).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let (status, page) = callback(&redirect, &format!("code=real&state={state}"));
    assert_eq!(status, 200, "{page}");
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(idle);
    assert_logged_in(home.path(), &login.finish());
}

#[test]
fn a_rebound_host_name_is_refused_and_the_login_continues() {
    let mut server = mockito::Server::new();
    let _token = token_endpoint(&mut server);
    let home = home_with(&profile(&server, ""));
    let mut login = Login::start(home.path(), &[]);
    let (redirect, state) = redirect_of(&login.authorize_url());
    let addr = addr_of(&redirect);
    let target = format!("/?code=rebound&state={state}");
    let (status, page) = get(addr, &target, &format!("evil.example:{}", addr.port()));
    assert_eq!(status, 421, "{page}");
    let (status, _) = callback(&redirect, &format!("code=real&state={state}"));
    assert_eq!(status, 200);
    let out = login.finish();
    assert_logged_in(home.path(), &out);
}

/// A profile found by discovery on `server`, whose metadata says it sends `iss`.
fn discovered_profile(server: &mut mockito::Server) -> (String, mockito::Mock) {
    let url = server.url();
    let doc = server
        .mock("GET", "/.well-known/openid-configuration")
        .with_header("content-type", "application/json")
        .with_body(format!(
            r#"{{"issuer":"{url}","authorization_endpoint":"{url}/authorize","token_endpoint":"{url}/token",
                "authorization_response_iss_parameter_supported":true}}"#
        ))
        .create();
    let config = format!(
        "[profiles.p]\nissuer = \"{url}\"\nclient_id = \"cid\"\nflow = \"pkce\"\nstore = \"file\"\n"
    );
    (config, doc)
}

#[test]
fn a_wrong_or_missing_iss_is_refused_and_nothing_is_stored() {
    for iss in [Some("https://evil.example"), None] {
        let mut server = mockito::Server::new();
        let token = token_endpoint(&mut server).expect(0);
        let (config, _doc) = discovered_profile(&mut server);
        let home = home_with(&config);
        let mut login = Login::start(home.path(), &[]);
        let (redirect, state) = redirect_of(&login.authorize_url());
        let iss = iss.map(|i| format!("&iss={i}")).unwrap_or_default();
        let (status, page) = callback(&redirect, &format!("code=c&state={state}{iss}"));
        assert_eq!(status, 400, "{page}");
        let out = login.finish();
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains("mix-up"), "{stderr}");
        token.assert();
        assert_nothing_stored(home.path());
    }

    // The right `iss` passes.
    let mut server = mockito::Server::new();
    let _token = token_endpoint(&mut server);
    let (config, _doc) = discovered_profile(&mut server);
    let home = home_with(&config);
    let mut login = Login::start(home.path(), &[]);
    let (redirect, state) = redirect_of(&login.authorize_url());
    let iss = server.url();
    let (status, _) = callback(&redirect, &format!("code=c&state={state}&iss={iss}"));
    assert_eq!(status, 200);
    assert_logged_in(home.path(), &login.finish());
}

/// `authctl login` on a profile discovered from `server`; the login's output.
fn login_with_discovery(server: &mockito::Server) -> (tempfile::TempDir, Output) {
    let url = server.url();
    let home = home_with(&format!(
        "[profiles.p]\nissuer = \"{url}\"\nclient_id = \"cid\"\nflow = \"pkce\"\nstore = \"file\"\n"
    ));
    let out = authctl(home.path(), &["P_"])
        .args(["login", "--profile", "p", "--no-browser", "--timeout", "5"])
        .output()
        .unwrap();
    (home, out)
}

#[test]
fn a_discovery_document_redirected_to_another_origin_is_refused() {
    let mut elsewhere = mockito::Server::new();
    let evil = elsewhere.url();
    let served = elsewhere
        .mock("GET", mockito::Matcher::Any)
        .with_body(format!(
            r#"{{"issuer":"{evil}","authorization_endpoint":"{evil}/authorize","token_endpoint":"{evil}/token"}}"#
        ))
        .expect(0)
        .create();
    let mut server = mockito::Server::new();
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_status(302)
        .with_header(
            "location",
            &format!("{evil}/.well-known/openid-configuration"),
        )
        .create();
    let (home, out) = login_with_discovery(&server);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("another origin"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    served.assert();
    assert_nothing_stored(home.path());
}

#[test]
fn an_oversized_discovery_document_fails_clearly() {
    let mut server = mockito::Server::new();
    let url = server.url();
    let padding = "x".repeat(3 * 1024 * 1024);
    server
        .mock("GET", "/.well-known/openid-configuration")
        .with_body(format!(
            r#"{{"issuer":"{url}","token_endpoint":"{url}/token","pad":"{padding}"}}"#
        ))
        .create();
    let (home, out) = login_with_discovery(&server);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("larger than"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_nothing_stored(home.path());
}

#[test]
fn a_pasted_address_finishes_a_headless_login() {
    let mut server = mockito::Server::new();
    let _token = token_endpoint(&mut server);
    let home = home_with(&profile(&server, ""));
    let mut login = Login::start(home.path(), &[]);
    let (redirect, state) = redirect_of(&login.authorize_url());
    // What the browser on the person's own machine ended on, failing to load there.
    login.paste(&format!("{redirect}?code=pasted-code&state={state}"));
    let out = login.finish();
    assert!(
        text(&out.stderr).contains("paste that whole address"),
        "{}",
        text(&out.stderr)
    );
    assert_logged_in(home.path(), &out);
    // The loopback server stopped with the login.
    assert!(TcpStream::connect(addr_of(&redirect)).is_err());
}

#[test]
fn a_pasted_address_with_a_wrong_state_is_refused_clearly() {
    let mut server = mockito::Server::new();
    let token = token_endpoint(&mut server).expect(0);
    let home = home_with(&profile(&server, ""));
    let mut login = Login::start_with_timeout(home.path(), &[], 4);
    let (redirect, _state) = redirect_of(&login.authorize_url());
    login.paste(&format!(
        "{redirect}?code=old-code&state=from-another-login"
    ));
    // The refusal is said at once; then the person gives up (end of stdin) and the
    // browser never comes: the login times out.
    let out = login.finish();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("was not accepted"), "{stderr}");
    assert!(stderr.contains("wrong `state`"), "{stderr}");
    token.assert();
    assert_nothing_stored(home.path());
}

#[test]
fn auth_code_keeps_pkce_with_the_client_secret_and_pkce_false_opts_out() {
    for (pkce_key, verifier_sent) in [("", true), ("pkce = false\n", false)] {
        let mut server = mockito::Server::new();
        let secret = mockito::Matcher::Regex("client_secret=S3CR3T-auth-code".into());
        let body = if verifier_sent {
            mockito::Matcher::AllOf(vec![
                mockito::Matcher::Regex("code_verifier=".into()),
                secret,
            ])
        } else {
            secret
        };
        let token = server
            .mock("POST", "/token")
            .match_body(body)
            .with_header("content-type", "application/json")
            .with_body(format!(
                r#"{{"access_token":"{ACCESS}","token_type":"Bearer","expires_in":3600}}"#
            ))
            .create();
        let config = profile(&server, &format!("{pkce_key}client_auth = \"body\"\n"))
            .replace("flow = \"pkce\"", "flow = \"auth-code\"");
        let home = home_with(&config);
        let mut login = Login::start(home.path(), &[("P_CLIENT_SECRET", "S3CR3T-auth-code")]);
        let url = login.authorize_url();
        let has_challenge = url.query_pairs().any(|(k, _)| k == "code_challenge");
        assert_eq!(has_challenge, verifier_sent, "{url}");
        let (redirect, state) = redirect_of(&url);
        let (status, _) = callback(&redirect, &format!("code=c&state={state}"));
        assert_eq!(status, 200);
        let out = login.finish();
        assert!(
            !text(&out.stderr).contains("S3CR3T"),
            "{}",
            text(&out.stderr)
        );
        token.assert();
        assert_logged_in(home.path(), &out);
    }
}
