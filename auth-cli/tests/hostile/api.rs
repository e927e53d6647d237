//! `authctl api` and a URL on another origin: the token goes only to the origin of the
//! profile's `api_base_url`, its `api_hosts` and hosts given with `--allow-host`; a
//! redirect elsewhere carries no token, and a 401 from elsewhere renews nothing.

use std::path::Path;
use std::process::Output;

use auth_testkit::{RecordingServer as Recorder, respond};
use mockito::Matcher;

use crate::common::authctl;

const ACCESS: &str = "AT-origin-7f3a";
const REFRESH: &str = "RT-origin-91c4";

/// A token endpoint for the client credentials grant that also hands out a refresh token,
/// and a mock that counts refreshes (none expected).
fn token_server() -> (mockito::ServerGuard, mockito::Mock) {
    let mut idp = mockito::Server::new();
    let refresh = idp
        .mock("POST", "/token")
        .match_body(Matcher::UrlEncoded(
            "grant_type".into(),
            "refresh_token".into(),
        ))
        .with_body(
            r#"{"access_token":"AT-rotated","refresh_token":"RT-rotated","expires_in":3600}"#,
        )
        .expect(0)
        .create();
    idp.mock("POST", "/token")
        .match_body(Matcher::UrlEncoded(
            "grant_type".into(),
            "client_credentials".into(),
        ))
        .with_body(format!(
            r#"{{"access_token":"{ACCESS}","refresh_token":"{REFRESH}","expires_in":3600}}"#
        ))
        .create();
    (idp, refresh)
}

fn home(idp: &mockito::ServerGuard, api: &Recorder, extra: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.h]\ntoken_url = \"{}/token\"\napi_base_url = \"{}/v1/\"\n\
             flow = \"client-credentials\"\nstore = \"file\"\n{extra}",
            idp.url(),
            api.origin()
        ),
    )
    .unwrap();
    home
}

fn api(home: &Path, args: &[&str]) -> Output {
    authctl(home, &["H_"])
        .env("H_CLIENT_ID", "robot")
        .env("H_CLIENT_SECRET", "robot-secret")
        .arg("api")
        .args(["--profile", "h"])
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_url_on_another_origin_is_refused_until_allowed_and_only_then_gets_the_token() {
    let (idp, _) = token_server();
    let api_server = Recorder::start(|_| respond("200 OK", "", "me"));
    let other = Recorder::start(|_| respond("200 OK", "", "other"));
    let home = home(&idp, &api_server, "");

    // The API origin works, by path and by full URL.
    let me = api(home.path(), &["/me"]);
    assert!(me.status.success(), "{}", text(&me.stderr));
    let full = api(home.path(), &[&api_server.url("/v1/me")]);
    assert!(full.status.success(), "{}", text(&full.stderr));
    assert_eq!(authorized(&api_server), 2);

    // Another origin: refused before anything is sent, naming it and both ways to allow it.
    let target = format!("{}/steal", other.origin());
    let refused = api(home.path(), &[&target]);
    assert!(!refused.status.success());
    assert!(other.heads().is_empty(), "nothing reached the other server");
    let err = text(&refused.stderr);
    assert!(err.contains(other.origin()), "{err}");
    assert!(
        err.contains(&format!("--allow-host {}", other.origin())),
        "{err}"
    );
    assert!(err.contains("api_hosts"), "{err}");
    assert!(!err.contains(ACCESS) && !text(&refused.stdout).contains(ACCESS));

    // Allowed for this command: it goes, with the token.
    let allowed = api(home.path(), &["--allow-host", other.origin(), &target]);
    assert!(allowed.status.success(), "{}", text(&allowed.stderr));
    assert_eq!(text(&allowed.stdout), "other");
    let heads = other.heads();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].contains(&format!("Bearer {ACCESS}")), "{heads:?}");

    // The next command without the flag is refused again.
    assert!(!api(home.path(), &[&target]).status.success());
    assert_eq!(other.heads().len(), 1);
}

#[test]
fn hosts_the_profile_lists_in_api_hosts_get_the_token() {
    let (idp, _) = token_server();
    let api_server = Recorder::start(|_| respond("200 OK", "", "me"));
    let other = Recorder::start(|_| respond("200 OK", "", "listed"));
    let home = home(
        &idp,
        &api_server,
        &format!("api_hosts = [\"{}\"]\n", other.origin()),
    );
    let out = api(home.path(), &[&format!("{}/x", other.origin())]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(authorized(&other), 1);

    // A bare host means https: the same host over http is another origin.
    let home = home_with_hosts(&idp, &api_server, &other);
    let out = api(home.path(), &[&format!("{}/x", other.origin())]);
    assert!(!out.status.success());
    assert_eq!(other.heads().len(), 1);
}

fn home_with_hosts(
    idp: &mockito::ServerGuard,
    api: &Recorder,
    other: &Recorder,
) -> tempfile::TempDir {
    let bare = other.origin().trim_start_matches("http://");
    home(idp, api, &format!("api_hosts = [\"{bare}\"]\n"))
}

#[test]
fn a_bad_api_hosts_entry_is_a_clear_configuration_error() {
    let (idp, _) = token_server();
    let api_server = Recorder::start(|_| respond("200 OK", "", "me"));
    let home = home(&idp, &api_server, "api_hosts = [\"files.example/v1\"]\n");
    let out = api(home.path(), &["/me"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("api_hosts") && err.contains("files.example/v1"),
        "{err}"
    );
    assert!(api_server.heads().is_empty());
}

#[test]
fn a_redirect_to_another_origin_carries_no_token_and_its_401_renews_nothing() {
    let (idp, refresh) = token_server();
    let other = Recorder::start(|_| respond("401 Unauthorized", "", "who are you"));
    let blob = other.url("/blob/1");
    let api_server =
        Recorder::start(move |_| respond("302 Found", &format!("Location: {blob}\r\n"), ""));
    let home = home(&idp, &api_server, "");

    let out = api(home.path(), &["/files/1"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert_eq!(authorized(&api_server), 1, "the API origin got the token");
    assert_eq!(other.heads().len(), 1, "the redirect was followed");
    assert_eq!(authorized(&other), 0, "{:?}", other.heads());
    refresh.assert();
    let stored = std::fs::read_to_string(home.path().join("tokens.json")).unwrap();
    assert!(
        stored.contains(REFRESH),
        "the refresh token was not rotated"
    );

    // The next command still uses the same token.
    let again = api(home.path(), &["/files/1"]);
    assert_eq!(again.status.code(), Some(4));
    assert_eq!(authorized(&api_server), 2);
    refresh.assert();
}

/// How many requests to `server` carried an `Authorization` header.
fn authorized(server: &Recorder) -> usize {
    server.authorizations().iter().flatten().count()
}
