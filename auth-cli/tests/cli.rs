//! `authctl` as a person and a script use it: every command, every exit code, bad
//! input, and a scan of a whole session's output for secrets.
//!
//! The tests that need a real OAuth server are ignored unless `cargo xtask conformance`
//! runs them with `AUTHCTL_TEST_OAUTH_ISSUER` set.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;

/// `authctl` with a private home and no inherited profile or credentials.
fn authctl(home: &Path) -> Command {
    common::authctl(home, &["INAT_", "ACME_", "MOCK_"])
}

fn run(home: &Path, args: &[&str]) -> Output {
    authctl(home).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    home
}

#[test]
fn help_has_examples_for_every_command() {
    let home = tempfile::tempdir().unwrap();
    for cmd in [
        "login",
        "token",
        "status",
        "logout",
        "api",
        "credentials",
        "providers",
        "completions",
    ] {
        let out = run(home.path(), &[cmd, "--help"]);
        assert!(out.status.success(), "{cmd} --help");
        let help = text(&out.stdout);
        assert!(help.contains("Usage: authctl"), "{cmd}: {help}");
    }
    for cmd in [
        "login",
        "token",
        "status",
        "logout",
        "api",
        "credentials",
        "providers",
        "completions",
    ] {
        assert!(
            text(&run(home.path(), &[cmd, "--help"]).stdout).contains("Example"),
            "{cmd} --help shows examples"
        );
    }
    assert!(text(&run(home.path(), &["--help"]).stdout).contains("Exit codes"));
}

#[test]
fn usage_errors_exit_2() {
    let home = tempfile::tempdir().unwrap();
    assert_eq!(run(home.path(), &["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(home.path(), &["token", "--min-valid", "soon"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn bad_config_names_the_key_the_file_and_the_line() {
    let home = home_with(
        "[profiles.acme]\ntoken_url = \"https://auth.example.com/token\"\ncolour = \"red\"\n",
    );
    let out = run(home.path(), &["status", "--profile", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("colour") && err.contains("config.toml") && err.contains("line 3"),
        "{err}"
    );

    let home = home_with("[profiles.acme]\nflow = \"teleport\"\n");
    let err = text(&run(home.path(), &["status", "--profile", "acme"]).stderr);
    assert!(err.contains("teleport") && err.contains("line 2"), "{err}");

    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["status", "--profile", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no profile `nope`"));
}

#[test]
fn token_without_login_exits_3_and_says_what_to_run() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &["token", "--profile", "inaturalist", "--store", "file"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("authctl login --profile inaturalist"));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when there is no token"
    );
}

#[test]
fn missing_credentials_name_the_fields_and_the_variables() {
    let home = home_with(
        "[profiles.acme]\ntoken_url = \"http://127.0.0.1:9/token\"\nflow = \"password\"\nstore = \"file\"\n",
    );
    let out = run(home.path(), &["login", "--profile", "acme"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("username") && err.contains("ACME_USERNAME") && err.contains("ACME_APP_ID"),
        "{err}"
    );
}

#[test]
fn a_corrupt_token_file_is_reported_and_kept() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("tokens.json");
    std::fs::write(&file, "{\"version\":1,\"tokens\":{trunc").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = run(
        home.path(),
        &["token", "--profile", "inaturalist", "--store", "file"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("tokens.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"version\":1,\"tokens\":{trunc",
        "never overwritten"
    );
}

#[test]
fn providers_and_status_json_parse() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["providers", "--json"]);
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inat = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "inaturalist")
        .unwrap();
    assert_eq!(inat["token_url"], "https://www.inaturalist.org/oauth/token");
    assert_eq!(
        inat["jwt_url"],
        "https://www.inaturalist.org/users/api_token"
    );

    let out = authctl(home.path())
        .args([
            "status",
            "--profile",
            "inaturalist",
            "--json",
            "--store",
            "file",
        ])
        .env("INAT_APP_ID", "my-app")
        .env("INAT_APP_SECRET", "SUPER-SECRET-VALUE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["token"], serde_json::Value::Null);
    assert_eq!(status["credentials"]["client_secret"], "env INAT_*");
    assert_eq!(status["client_id"], "my-app");
    assert!(!text(&out.stdout).contains("SUPER-SECRET-VALUE"));
}

/// The profile `authctl status --json` reports for these arguments and `AUTHCTL_PROFILE`.
fn profile_shown(home: &Path, env_profile: Option<&str>, args: &[&str]) -> String {
    let mut cmd = authctl(home);
    if let Some(profile) = env_profile {
        cmd.env("AUTHCTL_PROFILE", profile);
    }
    let out = cmd.args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", text(&out.stdout)));
    status["profile"].as_str().unwrap().to_owned()
}

#[test]
fn options_go_before_or_after_the_command_and_a_typed_one_beats_the_environment() {
    let config = "[profiles.one]\ntoken_url = \"https://one.example.com/token\"\n\
                  client_id = \"c1\"\nstore = \"file\"\n\n\
                  [profiles.two]\ntoken_url = \"https://two.example.com/token\"\n\
                  client_id = \"c2\"\nstore = \"file\"\n";
    let home = home_with(config);
    let home = home.path();
    // Before the command, after it, or both (the later wins).
    assert_eq!(
        profile_shown(home, None, &["--profile", "two", "status", "--json"]),
        "two"
    );
    assert_eq!(
        profile_shown(home, None, &["status", "--profile", "two", "--json"]),
        "two"
    );
    assert_eq!(
        profile_shown(
            home,
            None,
            &["--json", "--profile", "one", "status", "--profile", "two"]
        ),
        "two"
    );
    // The environment names the profile when no flag does, wherever the flag would go...
    assert_eq!(
        profile_shown(home, Some("two"), &["status", "--json"]),
        "two"
    );
    // ...and a typed flag beats it, before or after the command.
    assert_eq!(
        profile_shown(home, Some("one"), &["--profile", "two", "status", "--json"]),
        "two"
    );
    assert_eq!(
        profile_shown(home, Some("one"), &["status", "--profile", "two", "--json"]),
        "two"
    );

    // A command with subcommands takes them at every level.
    let out = run(home, &["--json", "credentials", "show", "--profile", "two"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "credentials show --json is not JSON ({e}): {}",
            text(&out.stdout)
        )
    });

    // -v and -q still refuse each other in one place.
    let out = run(home, &["token", "--profile", "two", "-q", "-v"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn completions_are_generated() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = run(home.path(), &["completions", shell]);
        assert!(out.status.success());
        assert!(text(&out.stdout).contains("authctl"), "{shell}");
    }
}

#[test]
fn credentials_without_a_keyring_say_to_use_the_environment_or_file() {
    let home = tempfile::tempdir().unwrap();
    let out = run(
        home.path(),
        &[
            "credentials",
            "set",
            "--profile",
            "inaturalist",
            "--username",
            "ana",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("keyring"),
        "{}",
        text(&out.stderr)
    );
}

// ---- against a real OAuth server ------------------------------------------------------

fn issuer() -> String {
    std::env::var("AUTHCTL_TEST_OAUTH_ISSUER")
        .expect("AUTHCTL_TEST_OAUTH_ISSUER: run `cargo xtask conformance`")
}

/// `authctl login --no-browser`, with the test as the person: read the URL it prints,
/// open it, wait for the command.
fn login_as_person(
    home: &Path,
    profile: &str,
    extra_env: &[(&str, &str)],
    extra_args: &[&str],
) -> Output {
    let mut cmd = authctl(home);
    cmd.args([
        "login",
        "--profile",
        profile,
        "--no-browser",
        "--timeout",
        "30",
    ])
    .args(extra_args)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(url) = line
            .trim()
            .strip_prefix("http://")
            .filter(|u| u.contains("authorize"))
        {
            let url = format!("http://{url}");
            std::thread::spawn(move || common::browse(&url));
        }
    }
    let mut out = child.wait_with_output().unwrap();
    out.stderr = seen.into_bytes();
    out
}

#[test]
#[ignore = "needs a real OAuth server: cargo xtask conformance"]
fn a_whole_session_works_and_never_shows_a_secret() {
    let issuer = issuer();
    let home = home_with(&format!(
        "[profiles.mock]\nissuer = \"{issuer}\"\napi_base_url = \"{issuer}\"\nflow = \"pkce\"\nstore = \"file\"\nscopes = [\"openid\"]\n"
    ));
    let secret_env = [
        ("MOCK_APP_ID", "cli-client"),
        ("MOCK_APP_SECRET", "CLIENT-SECRET-7f3a"),
    ];
    let mut transcript = String::new();
    let mut record = |label: &str, out: &Output| {
        transcript.push_str(&format!(
            "== {label}\n{}\n{}\n",
            text(&out.stdout),
            text(&out.stderr)
        ));
    };
    let with_env = |args: &[&str]| {
        let mut cmd = authctl(home.path());
        cmd.args(args);
        for (k, v) in secret_env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };

    let login = login_as_person(home.path(), "mock", &secret_env, &["--port", "0"]);
    assert!(login.status.success(), "login: {}", text(&login.stderr));
    record("login", &login);

    // the token file is private
    let file = home.path().join("tokens.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let stored_text = stored.to_string();
    let refresh_token = stored_text
        .split("\"refresh_token\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();

    let status = with_env(&["status", "--profile", "mock", "--json"]);
    assert!(status.status.success());
    let parsed: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(parsed["token"]["refresh_token"], true);
    assert_eq!(
        parsed["store"].as_str().unwrap(),
        format!("file {}", file.display())
    );
    assert!(parsed["token"]["expires_in_seconds"].as_i64().unwrap() > 3000);
    record("status --json", &status);
    record("status", &with_env(&["status", "--profile", "mock"]));

    let token = with_env(&["token", "--profile", "mock"]);
    assert!(token.status.success());
    let access = text(&token.stdout).trim().to_owned();
    assert!(
        auth_flows::jwt_claims::claims(&access).is_some(),
        "the access token is printed alone: {access}"
    );
    assert_eq!(text(&token.stdout), format!("{access}\n"));

    let api = with_env(&["api", "--profile", "mock", "/userinfo"]);
    assert_eq!(api.status.code(), Some(0), "{}", text(&api.stderr));
    let me: serde_json::Value = serde_json::from_slice(&api.stdout).unwrap();
    assert_eq!(me["sub"], "johndoe");
    assert!(text(&api.stderr).contains("200"));
    record("api", &api);
    let missing = with_env(&["api", "--profile", "mock", "/no-such-endpoint"]);
    assert_eq!(missing.status.code(), Some(4), "{}", text(&missing.stderr));
    record("api 404", &missing);
    let included = with_env(&["api", "--profile", "mock", "--include", "/userinfo"]);
    assert!(text(&included.stdout).starts_with("HTTP/1.1 200"));
    record("api --include", &included);

    let refreshed = with_env(&["token", "--profile", "mock", "--refresh"]);
    assert!(refreshed.status.success(), "{}", text(&refreshed.stderr));
    // (the access token may repeat: the server's JWTs are deterministic within a second)
    assert!(
        auth_flows::jwt_claims::claims(text(&refreshed.stdout).trim()).is_some(),
        "--refresh prints the renewed token"
    );
    let rotated = std::fs::read_to_string(&file).unwrap();
    assert!(
        !rotated.contains(&refresh_token),
        "the rotated refresh token replaced the old one"
    );

    let logout = with_env(&["logout", "--profile", "mock", "--revoke"]);
    assert!(logout.status.success(), "{}", text(&logout.stderr));
    record("logout", &logout);
    let after = with_env(&["token", "--profile", "mock"]);
    assert_eq!(after.status.code(), Some(3));
    record("token after logout", &after);

    for secret in ["CLIENT-SECRET-7f3a", &refresh_token, &access] {
        assert!(
            !transcript.contains(secret),
            "a secret appears in the session's output:\n{transcript}"
        );
    }
}

#[test]
#[ignore = "needs a real OAuth server: cargo xtask conformance"]
fn scripts_get_tokens_without_a_person_when_credentials_allow() {
    let issuer = issuer();
    let home = home_with(&format!(
        "[profiles.robot]\nissuer = \"{issuer}\"\nflow = \"client-credentials\"\nstore = \"file\"\n\n\
         [profiles.pw]\nissuer = \"{issuer}\"\nflow = \"password\"\nstore = \"file\"\n"
    ));
    let out = authctl(home.path())
        .args(["token", "--profile", "robot"])
        .env("ROBOT_CLIENT_ID", "robot")
        .env("ROBOT_CLIENT_SECRET", "ROBOT-SECRET-1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("ROBOT-SECRET-1"));

    let pw = |user: &str| {
        authctl(home.path())
            .args(["token", "--profile", "pw"])
            .env("PW_USERNAME", user)
            .env("PW_PASSWORD", "PASSWORD-9x")
            .env("PW_APP_ID", "pw-client")
            .output()
            .unwrap()
    };
    let ok = pw("ana");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let rejected = pw("reject");
    assert_eq!(
        rejected.status.code(),
        Some(3),
        "a rejected password grant means log in: {}",
        text(&rejected.stderr)
    );
    for out in [&ok, &rejected] {
        assert!(!text(&out.stderr).contains("PASSWORD-9x"));
    }

    // Without a username the active account (ana, the last login) answers; an account
    // with no token and no password must log in.
    let active = authctl(home.path())
        .args(["token", "--profile", "pw"])
        .env("PW_APP_ID", "pw-client")
        .output()
        .unwrap();
    assert!(active.status.success(), "{}", text(&active.stderr));
    assert_eq!(
        text(&active.stdout),
        text(&ok.stdout),
        "the active account's token"
    );
    let none = authctl(home.path())
        .args(["token", "--profile", "pw", "--account", "nobody"])
        .env("PW_APP_ID", "pw-client")
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(3), "no password, no token: log in");
}

#[test]
fn oauth1_profile_logs_in_through_the_loopback_and_signs_api_requests() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let callback = format!("http%3A%2F%2F127.0.0.1%3A{port}");
    // (the callback is the loopback server's URI, path `/`)
    let mut server = mockito::Server::new();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen_by_server = seen.clone();
    let request_token = server
        .mock("POST", "/request_token")
        .with_body_from_request(move |r| {
            let header = r
                .header("authorization")
                .first()
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            *seen_by_server.lock().unwrap() = header;
            b"oauth_token=REQ&oauth_token_secret=REQ-SECRET&oauth_callback_confirmed=true".to_vec()
        })
        .create();
    let authorize = server
        .mock("GET", "/authorize")
        .match_query(mockito::Matcher::UrlEncoded(
            "oauth_token".into(),
            "REQ".into(),
        ))
        .with_status(302)
        .with_header(
            "location",
            &format!("http://127.0.0.1:{port}/?oauth_token=REQ&oauth_verifier=VER"),
        )
        .create();
    let access_token = server
        .mock("POST", "/access_token")
        .match_header(
            "authorization",
            mockito::Matcher::Regex(r#"oauth_verifier="VER""#.into()),
        )
        .match_header(
            "authorization",
            mockito::Matcher::Regex(r#"oauth_token="REQ""#.into()),
        )
        .with_body("oauth_token=ACC&oauth_token_secret=ACC-SECRET-1&user_id=42")
        .create();
    let api = server
        .mock("GET", "/photos")
        .match_header(
            "authorization",
            mockito::Matcher::Regex(r#"^OAuth .*oauth_token="ACC".*oauth_signature=""#.into()),
        )
        .with_body("{\"photos\":[]}")
        .create();
    let url = server.url();
    let home = home_with(&format!(
        "[profiles.photos]\nflow = \"oauth1\"\nrequest_token_url = \"{url}/request_token\"\nauthorize_url = \"{url}/authorize\"\n\
         access_token_url = \"{url}/access_token\"\napi_base_url = \"{url}\"\nclient_id = \"consumer\"\n\
         redirect_port = {port}\nstore = \"file\"\n"
    ));
    let secret = [("PHOTOS_APP_SECRET", "CONSUMER-SECRET-2")];
    let login = login_as_person(home.path(), "photos", &secret, &[]);
    assert!(login.status.success(), "{}", text(&login.stderr));
    request_token.assert();
    let header = seen.lock().unwrap().clone();
    assert!(
        header.starts_with("OAuth ") && header.contains(r#"oauth_signature_method="HMAC-SHA1""#),
        "{header}"
    );
    assert!(
        header.contains(&format!(r#"oauth_callback="{callback}%2F""#)),
        "the loopback callback: {header}"
    );
    authorize.assert();
    access_token.assert();

    let mut cmd = authctl(home.path());
    cmd.args(["api", "--profile", "photos", "/photos"])
        .env(secret[0].0, secret[0].1);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"photos\":[]}");
    api.assert();

    let status = authctl(home.path())
        .args(["status", "--profile", "photos", "--json"])
        .output()
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(parsed["token"]["kind"], "oauth1");
    let transcript = format!(
        "{}{}{}{}",
        text(&login.stderr),
        text(&out.stderr),
        text(&status.stdout),
        text(&status.stderr)
    );
    for secret in ["CONSUMER-SECRET-2", "ACC-SECRET-1", "REQ-SECRET"] {
        assert!(!transcript.contains(secret), "{transcript}");
    }

    // a bad signature_method names the key and the file
    let home = home_with(
        "[profiles.photos]\nflow = \"oauth1\"\nsignature_method = \"MD5\"\nrequest_token_url = \"https://a.example/r\"\n",
    );
    let out = authctl(home.path())
        .args(["login", "--profile", "photos", "--oob"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("signature_method"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn verbose_shows_the_library_trace_on_stderr_without_a_secret() {
    let mut server = mockito::Server::new();
    let token = server
        .mock("POST", "/token")
        .match_query(mockito::Matcher::Any)
        .match_body(mockito::Matcher::UrlEncoded(
            "grant_type".into(),
            "client_credentials".into(),
        ))
        .with_body(
            r#"{"access_token":"ACCESS-cli-tr4ce","refresh_token":"REFRESH-cli-tr4ce","expires_in":3600}"#,
        )
        .expect(1)
        .create();
    let refresh = server
        .mock("POST", "/token")
        .match_query(mockito::Matcher::Any)
        .match_body(mockito::Matcher::AllOf(vec![
            mockito::Matcher::UrlEncoded("grant_type".into(), "refresh_token".into()),
            mockito::Matcher::UrlEncoded("refresh_token".into(), "REFRESH-cli-tr4ce".into()),
        ]))
        .with_body(
            r#"{"access_token":"ACCESS2-cli-tr4ce","refresh_token":"REFRESH2-cli-tr4ce","expires_in":3600}"#,
        )
        .expect(1)
        .create();
    let url = server.url();
    let home = home_with(&format!(
        "[profiles.robot]\ntoken_url = \"{url}/token?tenant=q-cli-tr4ce\"\nflow = \"client-credentials\"\nstore = \"file\"\n"
    ));
    let token_cmd = |verbosity: &str, refresh: bool| {
        let mut cmd = authctl(home.path());
        cmd.args([verbosity, "token", "--profile", "robot"])
            .env_remove("RUST_LOG")
            .env("ROBOT_CLIENT_ID", "robot")
            .env("ROBOT_CLIENT_SECRET", "SECRET-cli-tr4ce");
        if refresh {
            cmd.arg("--refresh");
        }
        cmd.output().unwrap()
    };

    let out = token_cmd("-vv", false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "ACCESS-cli-tr4ce\n",
        "stdout holds only the token"
    );
    let stderr = text(&out.stderr);
    for line in [
        "credentials: ",
        "token_request{grant_type=\"client_credentials\"",
        "token endpoint answered status=200",
        "http hop method=POST",
        "token store op=\"save\"",
    ] {
        assert!(stderr.contains(line), "no {line:?} in:\n{stderr}");
    }
    assert!(
        !stderr.contains('\u{1b}'),
        "no colours when stderr is a pipe"
    );

    // -v: the token requests and renewals, not each hop.
    let info = token_cmd("-v", true);
    assert!(info.status.success(), "{}", text(&info.stderr));
    assert_eq!(text(&info.stdout), "ACCESS2-cli-tr4ce\n");
    let info_err = text(&info.stderr);
    assert!(
        info_err.contains("token_request{grant_type=\"refresh_token\"")
            && info_err.contains("token endpoint answered")
            && !info_err.contains("http hop"),
        "{info_err}"
    );
    token.assert();
    refresh.assert();

    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode("robot:SECRET-cli-tr4ce")
    };
    for secret in [
        "SECRET-cli-tr4ce",
        basic.as_str(),
        "ACCESS-cli-tr4ce",
        "REFRESH-cli-tr4ce",
        "ACCESS2-cli-tr4ce",
        "REFRESH2-cli-tr4ce",
        "q-cli-tr4ce",
    ] {
        for stderr in [&stderr, &info_err] {
            assert!(!stderr.contains(secret), "{secret} on stderr:\n{stderr}");
        }
    }
}
