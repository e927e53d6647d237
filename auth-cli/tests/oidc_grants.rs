//! authctl's JWT bearer grant, Google service-account keys, token exchange, resource
//! indicators and pushed authorization requests against a strict OpenID provider
//! (panva's `oidc-provider` in the project's configuration,
//! `xtask/oidc-provider/server.mjs`, whose JWT bearer and token exchange handlers verify
//! signatures, claims and single use). Every test is ignored unless
//! `cargo xtask conformance` (or `cargo xtask with-oidc -- cargo test ...`) runs it with
//! the `AUTHCTL_TEST_OIDC_*` environment set.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;

const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// A variable of the provider's environment.
fn env(name: &str) -> String {
    let key = format!("AUTHCTL_TEST_OIDC_{name}");
    std::env::var(&key).unwrap_or_else(|_| panic!("{key}: run `cargo xtask conformance`"))
}

/// `authctl` in `home`, with the provider's stand-in browser.
fn authctl(home: &Path) -> Command {
    let mut cmd = common::authctl(home, &["OIDC_", "GOOGLE_"]);
    cmd.env("BROWSER", env("BROWSER"));
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    authctl(home).args(args).output().unwrap()
}

/// Runs authctl with `input` on stdin.
fn run_with_stdin(home: &Path, args: &[&str], input: &str) -> Output {
    let mut child = authctl(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{input}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

/// A home whose config (it may hold a secret) is private.
fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("config.toml");
    std::fs::write(&file, config).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    home
}

fn status_json(home: &Path, profile: &str) -> serde_json::Value {
    let out = run(home, &["status", "--profile", profile, "--json"]);
    serde_json::from_str(&ok(&out, "status --json")).unwrap()
}

/// Every file under `dir`, read as text.
fn all_files(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.push_str(&all_files(&path));
        } else if let Ok(t) = std::fs::read_to_string(&path) {
            all.push_str(&t);
        }
    }
    all
}

/// The token is used, then `logout` removes it: no file of the home holds it any more,
/// and `status` shows no token.
fn logout_leaves_nothing(home: &Path, profile: &str, token: &str) {
    ok(&run(home, &["logout", "--profile", profile]), "logout");
    assert!(!all_files(home).contains(token), "{profile}: token left");
    assert!(status_json(home, profile)["token"].is_null());
}

fn jwt_bearer_profile(name: &str, key_file: &str, more: &str) -> String {
    format!(
        "[profiles.{name}]\nissuer = \"{issuer}\"\nflow = \"jwt-bearer\"\nstore = \"file\"\n\
         assertion_key_file = \"{key_file}\"\nassertion_issuer = \"{iss}\"\n\
         assertion_subject = \"svc-7\"\n{more}\n",
        issuer = env("ISSUER"),
        iss = env("ASSERTION_ISSUER"),
    )
}

/// The JWT bearer grant: `token` signs an assertion and gets a token; another process,
/// with a different environment, reads the same token from the store; `--refresh` signs a
/// new assertion (a new `jti`, which the server requires); logout leaves nothing. The
/// key never shows.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn jwt_bearer_token_then_another_process_then_logout() {
    let key_file = env("ASSERTION_KEY_FILE");
    let home = home_with(&jwt_bearer_profile(
        "jb",
        &key_file,
        "scopes = [\"openid\", \"email\"]",
    ));
    let first = ok(&run(home.path(), &["token", "--profile", "jb"]), "token");
    let again = authctl(home.path())
        .args(["token", "--profile", "jb"])
        .env("AUTHCTL_TEST_OTHER_PROCESS", "1")
        .output()
        .unwrap();
    assert_eq!(ok(&again, "token again"), first, "the stored token");
    let renewed = ok(
        &run(home.path(), &["token", "--profile", "jb", "--refresh"]),
        "token --refresh",
    );
    assert_ne!(renewed, first, "a new assertion, a new token");
    let status = status_json(home.path(), "jb");
    assert_eq!(
        status["token"]["scopes"],
        serde_json::json!(["openid", "email"])
    );
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(!all_files(home.path()).contains(key.lines().nth(1).unwrap()));
    logout_leaves_nothing(home.path(), "jb", &renewed);
}

/// A Google service-account key file used as it comes (`service_account_file` with the
/// `google` preset): the token endpoint is its `token_uri`, the scopes travel in the
/// assertion, and the flow needs no `flow` key.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn google_service_account_file_as_it_comes() {
    let home = home_with(&format!(
        "[profiles.gcp]\nprovider = \"google\"\nstore = \"file\"\n\
         service_account_file = \"{}\"\nscopes = [\"openid\"]\n",
        env("SERVICE_ACCOUNT_FILE")
    ));
    let token = ok(&run(home.path(), &["token", "--profile", "gcp"]), "token");
    assert!(!token.is_empty());
    let again = ok(&run(home.path(), &["token", "--profile", "gcp"]), "again");
    assert_eq!(again, token);
    let status = status_json(home.path(), "gcp");
    assert_eq!(status["token"]["scopes"], serde_json::json!(["openid"]));
    logout_leaves_nothing(home.path(), "gcp", &token);
}

/// An assertion signed with a key the server does not trust for that issuer is refused,
/// and authctl says the assertion was rejected and what to check, without the key.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn a_wrong_assertion_key_is_refused_clearly() {
    let wrong = env("WRONG_EC_KEY_FILE");
    let home = home_with(&jwt_bearer_profile("bad", &wrong, ""));
    let out = run(home.path(), &["token", "--profile", "bad"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid_grant") && stderr.contains("signature verification failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("check its key, issuer and subject"),
        "{stderr}"
    );
    let key = std::fs::read_to_string(&wrong).unwrap();
    assert!(!stderr.contains(key.lines().nth(1).unwrap()));
    assert!(status_json(home.path(), "bad")["token"].is_null());
}

/// A JWT signed by the trusted assertion issuer, as another system would hand one over.
fn signed_jwt(sub: &str) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let pem = std::fs::read(env("ASSERTION_KEY_FILE")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": env("ASSERTION_ISSUER"),
        "sub": sub,
        "aud": env("ISSUER"),
        "iat": now,
        "exp": now + 120,
        "jti": format!("jti-{sub}-{now}"),
    });
    jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &claims,
        &EncodingKey::from_ec_pem(&pem).unwrap(),
    )
    .unwrap()
}

/// Token exchange of a token given on stdin (a JWT of a trusted issuer): the first
/// exchange works and `status --json` shows the `issued_token_type`; the same JWT again
/// (a replayed `jti`) is refused, and authctl says so and what to do.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn token_exchange_from_stdin_and_a_replayed_jti() {
    let home = home_with(&format!(
        "[profiles.tx]\nissuer = \"{}\"\nflow = \"token-exchange\"\nstore = \"file\"\n\
         client_id = \"{}\"\nclient_secret = \"{}\"\nsubject_token_type = \"{JWT_TYPE}\"\n\
         requested_token_type = \"{ACCESS_TOKEN_TYPE}\"\n",
        env("ISSUER"),
        env("BASIC_CLIENT"),
        env("BASIC_SECRET"),
    ));
    let jwt = signed_jwt("ana");
    let login = ["login", "--profile", "tx", "--subject-token-stdin"];
    ok(&run_with_stdin(home.path(), &login, &jwt), "login");
    let status = status_json(home.path(), "tx");
    assert_eq!(status["token"]["issued_token_type"], ACCESS_TOKEN_TYPE);
    let token = ok(&run(home.path(), &["token", "--profile", "tx"]), "token");

    let replay = run_with_stdin(home.path(), &login, &jwt);
    assert!(!replay.status.success());
    let stderr = text(&replay.stderr);
    assert!(
        stderr.contains("invalid_grant") && stderr.contains("already used (jti replayed)"),
        "{stderr}"
    );
    assert!(stderr.contains("each one is used once"), "{stderr}");
    assert!(!stderr.contains(&jwt));
    logout_leaves_nothing(home.path(), "tx", &token);
}

fn robot(name: &str, more: &str) -> String {
    format!(
        "[profiles.{name}]\nissuer = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\
         flow = \"client-credentials\"\nstore = \"file\"\n{more}\n",
        env("ISSUER"),
        env("BASIC_CLIENT"),
        env("BASIC_SECRET"),
    )
}

/// Token exchange of another profile's token (`subject_profile`, with an actor from
/// `actor_profile`): `token` runs the subject profile's own flow when it has no token,
/// then exchanges; another process reads the stored result; `--refresh` exchanges again;
/// `status --json` shows the `issued_token_type`.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn token_exchange_of_another_profiles_token() {
    let config = [
        robot("robot", ""),
        robot("actor", ""),
        format!(
            "[profiles.tx]\nissuer = \"{}\"\nflow = \"token-exchange\"\nstore = \"file\"\n\
             client_id = \"{}\"\nclient_secret = \"{}\"\nsubject_profile = \"robot\"\n\
             actor_profile = \"actor\"\nresource = [\"{}\"]\n",
            env("ISSUER"),
            env("BASIC_CLIENT"),
            env("BASIC_SECRET"),
            env("RESOURCE"),
        ),
    ]
    .join("\n");
    let home = home_with(&config);
    let exchanged = ok(&run(home.path(), &["token", "--profile", "tx"]), "token");
    let subject = ok(
        &run(home.path(), &["token", "--profile", "robot"]),
        "subject",
    );
    assert_ne!(exchanged, subject);
    let again = ok(&run(home.path(), &["token", "--profile", "tx"]), "again");
    assert_eq!(again, exchanged);
    let renewed = ok(
        &run(home.path(), &["token", "--profile", "tx", "--refresh"]),
        "refresh",
    );
    assert_ne!(renewed, exchanged);
    let status = status_json(home.path(), "tx");
    assert_eq!(status["token"]["issued_token_type"], ACCESS_TOKEN_TYPE);
    logout_leaves_nothing(home.path(), "tx", &renewed);
}

/// Resource indicators on the token request: with `resource`, the client may ask for the
/// API's scope `api:read` (the server grants it only for that resource); an unknown
/// resource is refused with `invalid_target`.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn resource_indicators_on_the_token_request() {
    let config = [
        robot(
            "api",
            &format!(
                "resource = [\"{}\"]\nscopes = [\"api:read\"]",
                env("RESOURCE")
            ),
        ),
        robot(
            "elsewhere",
            "resource = [\"https://unknown.example.test/\"]\nscopes = [\"api:read\"]",
        ),
    ]
    .join("\n");
    let home = home_with(&config);
    let token = ok(&run(home.path(), &["token", "--profile", "api"]), "token");
    let status = status_json(home.path(), "api");
    assert_eq!(status["token"]["scopes"], serde_json::json!(["api:read"]));
    let out = run(home.path(), &["token", "--profile", "elsewhere"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("invalid_target"),
        "{}",
        text(&out.stderr)
    );
    logout_leaves_nothing(home.path(), "api", &token);
}

/// Resource indicators on the authorization, token and refresh requests of a login: the
/// person logs in for the API's scope, and a refresh keeps to that resource.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn resource_indicators_on_a_login_and_its_refresh() {
    let home = home_with(&format!(
        "[profiles.op]\nissuer = \"{}\"\nclient_id = \"{}\"\nflow = \"pkce\"\nstore = \"file\"\n\
         scopes = [\"openid\", \"offline_access\", \"api:read\"]\nresource = [\"{}\"]\n\
         redirect_port = 0\n",
        env("ISSUER"),
        env("NATIVE_CLIENT"),
        env("RESOURCE"),
    ));
    ok(
        &run(
            home.path(),
            &["login", "--profile", "op", "--timeout", "30"],
        ),
        "login",
    );
    let first = ok(&run(home.path(), &["token", "--profile", "op"]), "token");
    let renewed = ok(
        &run(home.path(), &["token", "--profile", "op", "--refresh"]),
        "refresh",
    );
    assert_ne!(first, renewed);
    let scopes = status_json(home.path(), "op")["token"]["scopes"].clone();
    assert!(
        scopes.as_array().unwrap().iter().any(|s| s == "api:read"),
        "{scopes}"
    );
    logout_leaves_nothing(home.path(), "op", &renewed);
}

fn par_profile(name: &str, issuer: &str, secret: &str, more: &str) -> String {
    format!(
        "[profiles.{name}]\nissuer = \"{issuer}\"\nclient_id = \"{}\"\nclient_secret = \"{secret}\"\n\
         flow = \"auth-code\"\nstore = \"file\"\nscopes = [\"openid\"]\nredirect_port = 0\n{more}\n",
        env("PAR_CLIENT"),
    )
}

/// PAR: a provider whose discovery requires it gets every login pushed without any
/// setting; a client that must push on the main provider does so with `par = true`; a
/// `client_secret_jwt` client signs an assertion (aud: the issuer) for the PAR request and
/// the token request; each login's token is then used from another process.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn pushed_authorization_requests_by_discovery_and_by_setting() {
    let secret = env("PAR_SECRET");
    let jwt_secret = env("SECRET_JWT_SECRET");
    let config = [
        par_profile("required", &env("PAR_ISSUER"), &secret, ""),
        par_profile("chosen", &env("ISSUER"), &secret, "par = true"),
        // The signed client assertion at the PAR endpoint too, its aud the issuer.
        par_profile("signed", &env("ISSUER"), &jwt_secret, "par = true\nclient_auth = \"client_secret_jwt\"\nclient_assertion_audience = \"issuer\"")
            .replace(&env("PAR_CLIENT"), &env("SECRET_JWT_CLIENT")),
    ]
    .join("\n");
    let home = home_with(&config);
    for profile in ["required", "chosen", "signed"] {
        let login = run(
            home.path(),
            &["login", "--profile", profile, "--timeout", "30"],
        );
        ok(&login, profile);
        let token = ok(&run(home.path(), &["token", "--profile", profile]), profile);
        assert!(!token.is_empty());
        let all = text(&login.stdout) + &text(&login.stderr);
        assert!(!all.contains(&secret) && !all.contains(&jwt_secret));
        logout_leaves_nothing(home.path(), profile, &token);
    }
}

/// With PAR the browser's URL carries only `client_id` and `request_uri` (shown by
/// `--no-browser`); a PAR request the server refuses (a wrong client secret) is reported
/// as the server's `invalid_client`, without the secret, and nothing is stored.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn the_pushed_request_leaves_only_its_uri_and_a_refusal_is_clear() {
    let secret = env("PAR_SECRET");
    let config = [
        par_profile("shown", &env("PAR_ISSUER"), &secret, ""),
        par_profile("refused", &env("PAR_ISSUER"), "not-the-secret-123", ""),
    ]
    .join("\n");
    let home = home_with(&config);
    let out = run(
        home.path(),
        &[
            "login",
            "--profile",
            "shown",
            "--no-browser",
            "--timeout",
            "2",
        ],
    );
    let shown = text(&out.stdout) + &text(&out.stderr);
    let url = shown
        .split_whitespace()
        .find(|w| w.starts_with(&env("PAR_ISSUER")))
        .unwrap_or_else(|| panic!("no URL shown: {shown}"));
    let url = url::Url::parse(url).unwrap();
    let mut names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    names.sort();
    assert_eq!(names, ["client_id", "request_uri"], "{url}");

    let out = run(
        home.path(),
        &["login", "--profile", "refused", "--timeout", "10"],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(!stderr.contains("not-the-secret-123"), "{stderr}");
    assert!(status_json(home.path(), "refused")["token"].is_null());
}

/// `private_key_jwt` with the algorithm taken from discovery's
/// `token_endpoint_auth_signing_alg_values_supported` and the key (RSA: RS256; P-256:
/// ES256), and `client_assertion_audience = "issuer"`: the strict server accepts both.
#[test]
#[ignore = "needs the OpenID provider: cargo xtask conformance"]
fn private_key_assertions_with_the_issuer_as_audience() {
    let profile = |name: &str, client: &str, key: &str| {
        format!(
            "[profiles.{name}]\nissuer = \"{}\"\nclient_id = \"{client}\"\n\
             flow = \"client-credentials\"\nstore = \"file\"\nclient_auth = \"private_key_jwt\"\n\
             client_key_file = \"{key}\"\nclient_assertion_audience = \"issuer\"\n",
            env("ISSUER"),
        )
    };
    let config = [
        profile("rsa", &env("RSA_CLIENT"), &env("RSA_KEY_FILE")),
        profile("ec", &env("EC_CLIENT"), &env("EC_KEY_FILE")),
    ]
    .join("\n");
    let home = home_with(&config);
    for name in ["rsa", "ec"] {
        let token = ok(&run(home.path(), &["token", "--profile", name]), name);
        logout_leaves_nothing(home.path(), name, &token);
    }
}
