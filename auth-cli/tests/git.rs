//! `authctl git-credential` and `git-setup` with the real `git`: a repository served by
//! `git http-backend` behind an HTTPS server that demands Basic auth whose password is the
//! token server's current access token. A person logs in once; git, in other processes
//! with another environment (no credentials), clones, pushes and fetches through the
//! helper; a refused token is erased and renewed; parallel fetches share one refresh.
//!
//! Skipped, with the reason printed, only when `git` is not installed.

mod common;
#[path = "support/https.rs"]
mod https;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::TokenStore;
use auth_testkit::{StrictConfig, StrictTokenServer};
use https::{HttpsServer, Request, Response};

const PASSWORD: &str = "FORGE-PASSWORD-1";

fn git_missing() -> bool {
    let found = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: `git` is not installed; install git to run the git credential tests");
    }
    !found
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A git forge: bare repositories under `root`, served over HTTPS to whoever sends the
/// token server's current access token as the Basic password (and is not refused).
struct Forge {
    server: HttpsServer,
    root: tempfile::TempDir,
    refused: Arc<Mutex<HashSet<String>>>,
    users: Arc<Mutex<Vec<String>>>,
}

impl Forge {
    fn start(tokens: &Arc<StrictTokenServer>) -> Forge {
        let root = tempfile::tempdir().unwrap();
        seed(root.path());
        let refused = Arc::new(Mutex::new(HashSet::new()));
        let users = Arc::new(Mutex::new(Vec::new()));
        let tokens = Arc::clone(tokens);
        let current = move || tokens.current_access_token();
        let server = {
            let root = root.path().to_owned();
            let refused = Arc::clone(&refused);
            let users = Arc::clone(&users);
            HttpsServer::start(move |request| {
                let authorized = request.basic().filter(|(_, password)| {
                    Some(password.as_str()) == current().as_deref()
                        && !refused.lock().unwrap().contains(password)
                });
                match authorized {
                    Some((user, _)) => {
                        users.lock().unwrap().push(user.clone());
                        http_backend(&root, &request, &user)
                    }
                    None => Response::new(401, "text/plain", "who are you?")
                        .with_header("WWW-Authenticate", "Basic realm=\"forge\""),
                }
            })
        };
        Forge {
            server,
            root,
            refused,
            users,
        }
    }

    fn url(&self) -> String {
        format!("{}/repo.git", self.server.url())
    }

    fn refuse(&self, token: &str) {
        self.refused.lock().unwrap().insert(token.to_owned());
    }
}

fn token_server(config: StrictConfig) -> Arc<StrictTokenServer> {
    Arc::new(StrictTokenServer::start(config))
}

/// Runs `git http-backend` (CGI) for one request.
fn http_backend(root: &Path, request: &Request, user: &str) -> Response {
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((request.target.as_str(), ""));
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", &request.method)
        .env("CONTENT_TYPE", request.header("content-type").unwrap_or(""))
        .env("CONTENT_LENGTH", request.body.len().to_string())
        .env("REMOTE_USER", user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(encoding) = request.header("content-encoding") {
        cmd.env("HTTP_CONTENT_ENCODING", encoding);
    }
    if let Some(protocol) = request.header("git-protocol") {
        cmd.env("GIT_PROTOCOL", protocol);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let body = request.body.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| {
            out.stdout
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, 2))
        });
    let Some((end, gap)) = split else {
        return Response::new(500, "text/plain", text(&out.stderr));
    };
    let mut response = Response {
        status: 200,
        headers: Vec::new(),
        body: out.stdout[end + gap..].to_vec(),
    };
    for line in text(&out.stdout[..end]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            response.status = value[..3].parse().unwrap_or(500);
        } else {
            response.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    response
}

/// `git` with only the given global config, no system config, no prompts.
fn git(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Ana")
        .env("GIT_AUTHOR_EMAIL", "ana@example.com")
        .env("GIT_COMMITTER_NAME", "Ana")
        .env("GIT_COMMITTER_EMAIL", "ana@example.com")
        // the forge's CA comes from the config file, not from a CA bundle of the machine
        .env_remove("GIT_SSL_CAINFO")
        .env_remove("GIT_SSL_CAPATH")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .env_remove("FORGE_USERNAME")
        .env_remove("FORGE_PASSWORD")
        .stdin(Stdio::null());
    cmd
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// A bare `repo.git` under `root` with one commit on `main`.
fn seed(root: &Path) {
    let work = tempfile::tempdir().unwrap();
    let home = work.path();
    std::fs::write(home.join("gitconfig"), "").unwrap();
    ok(
        git(home, &["init", "-q", "--bare", "-b", "main"])
            .arg(root.join("repo.git"))
            .output()
            .unwrap(),
        "init --bare",
    );
    let src = home.join("src");
    ok(
        git(home, &["init", "-q", "-b", "main"])
            .arg(&src)
            .output()
            .unwrap(),
        "init",
    );
    std::fs::write(src.join("README"), "hello\n").unwrap();
    ok(
        git(home, &["-C", src.to_str().unwrap(), "add", "README"])
            .output()
            .unwrap(),
        "add",
    );
    ok(
        git(
            home,
            &["-C", src.to_str().unwrap(), "commit", "-qm", "first"],
        )
        .output()
        .unwrap(),
        "commit",
    );
    let bare = root.join("repo.git");
    ok(
        git(
            home,
            &[
                "-C",
                src.to_str().unwrap(),
                "push",
                "-q",
                bare.to_str().unwrap(),
                "main",
            ],
        )
        .output()
        .unwrap(),
        "seed push",
    );
}

/// A person's setup: an authctl home whose `forge` profile logs in with the password
/// grant at `tokens` and lists the forge's host in `git_hosts`; logged in once; git set up
/// with `authctl git-setup` in a private global git config that trusts the forge's CA.
struct Person {
    home: tempfile::TempDir,
}

impl Person {
    fn new(tokens: &StrictTokenServer, forge: &Forge) -> Person {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            format!(
                "[profiles.forge]\ntoken_url = \"{}\"\nflow = \"password\"\nstore = \"file\"\n\
                 insecure_http = true\nclient_id = \"forge-client\"\n\
                 git_hosts = [\"{}\"]\ngit_username = \"x-token\"\n",
                tokens.token_url(),
                forge.server.host()
            ),
        )
        .unwrap();
        let ca = home.path().join("forge-ca.pem");
        std::fs::write(&ca, forge.server.ca_pem()).unwrap();
        std::fs::write(
            home.path().join("gitconfig"),
            format!("[http]\n\tsslCAInfo = {}\n", ca.display()),
        )
        .unwrap();
        let person = Person { home };
        let mut login = person.authctl(&[
            "login",
            "--profile",
            "forge",
            "--username",
            "ana",
            "--password-stdin",
        ]);
        login
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = login.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
        ok(child.wait_with_output().unwrap(), "authctl login");
        let out = ok(
            person
                .authctl(&["git-setup", "--profile", "forge"])
                .env("GIT_CONFIG_GLOBAL", person.path().join("gitconfig"))
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .unwrap(),
            "authctl git-setup",
        );
        assert!(text(&out.stderr).contains(&forge.server.host()));
        person
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    fn authctl(&self, args: &[&str]) -> Command {
        let mut cmd = common::authctl(self.path(), &["FORGE_"]);
        cmd.args(args);
        cmd
    }

    /// git as the person runs it: only `AUTHCTL_HOME` tells the helper where authctl
    /// keeps things (no credentials in the environment).
    fn git(&self, args: &[&str]) -> Command {
        let mut cmd = git(self.path(), args);
        cmd.env("AUTHCTL_HOME", self.path())
            .env_remove("AUTHCTL_PROFILE")
            .env_remove("AUTHCTL_ACCOUNT")
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/authctl-test-bus",
            );
        cmd
    }

    fn clone_dir(&self) -> PathBuf {
        self.path().join("clone")
    }

    fn in_clone(&self, args: &[&str]) -> Command {
        let dir = self.clone_dir();
        let mut all = vec!["-C", dir.to_str().unwrap()];
        all.extend_from_slice(args);
        self.git(&all)
    }

    fn stored(&self) -> auth_core::Token {
        let store = auth_store::FileStore::new(self.path());
        pollster::block_on(async {
            let keys = store.keys("forge").await.unwrap();
            assert_eq!(keys.len(), 1, "{keys:?}");
            store.load(&keys[0]).await.unwrap().unwrap()
        })
    }

    /// Makes the stored token expired, keeping its refresh token.
    fn expire(&self) {
        let store = auth_store::FileStore::new(self.path());
        pollster::block_on(async {
            let key = store.keys("forge").await.unwrap().remove(0);
            let mut token = store.load(&key).await.unwrap().unwrap();
            token.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
            store.save(&key, &token).await.unwrap();
        });
    }
}

#[test]
fn clone_push_and_a_refused_token_renewed_through_the_helper() {
    if git_missing() {
        return;
    }
    let tokens = token_server(StrictConfig::new().with_refresh_delay(Duration::ZERO));
    let forge = Forge::start(&tokens);
    let person = Person::new(&tokens, &forge);
    // git-setup wrote one helper for the forge's host, after an empty one
    let out = ok(
        person
            .git(&[
                "config",
                "--global",
                "--get-all",
                &format!("credential.https://{}.helper", forge.server.host()),
            ])
            .output()
            .unwrap(),
        "git config",
    );
    let helpers = text(&out.stdout);
    let lines: Vec<&str> = helpers.lines().collect();
    assert_eq!(lines.len(), 2, "{helpers}");
    assert_eq!(lines[0], "");
    assert!(
        lines[1].starts_with("!'") && lines[1].ends_with("' git-credential --profile 'forge'"),
        "{helpers}"
    );

    let clone = person.clone_dir();
    ok(
        person
            .git(&["clone", "-q", &forge.url(), clone.to_str().unwrap()])
            .output()
            .unwrap(),
        "git clone",
    );
    assert_eq!(
        std::fs::read_to_string(clone.join("README")).unwrap(),
        "hello\n"
    );
    assert_eq!(
        forge.users.lock().unwrap().last().map(String::as_str),
        Some("x-token")
    );

    std::fs::write(clone.join("NOTES"), "pushed through authctl\n").unwrap();
    ok(person.in_clone(&["add", "NOTES"]).output().unwrap(), "add");
    ok(
        person
            .in_clone(&["commit", "-qm", "second"])
            .output()
            .unwrap(),
        "commit",
    );
    ok(
        person
            .in_clone(&["push", "-q", "origin", "main"])
            .output()
            .unwrap(),
        "git push",
    );
    let bare = forge.root.path().join("repo.git");
    let out = ok(
        git(
            person.path(),
            &[
                "--git-dir",
                bare.to_str().unwrap(),
                "log",
                "--format=%s",
                "main",
            ],
        )
        .output()
        .unwrap(),
        "log",
    );
    assert_eq!(text(&out.stdout), "second\nfirst\n");
    assert_eq!(tokens.refreshes(), 0, "the stored token was valid");

    // The forge refuses the token (revoked there): git erases it, the person stays
    // logged in, and the next git command gets a renewed token.
    let first = person.stored();
    forge.refuse(first.access_token.expose());
    let out = person.in_clone(&["fetch", "-q"]).output().unwrap();
    assert!(!out.status.success(), "the refused token fails this fetch");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("refused the token of profile forge"),
        "{stderr}"
    );
    assert!(!stderr.contains(first.access_token.expose()), "{stderr}");
    let marked = person.stored();
    assert_eq!(marked.access_token, first.access_token, "not logged out");
    assert!(marked.refresh_token.is_some(), "the refresh token stays");
    assert!(
        marked.is_expired(SystemTime::now(), Duration::ZERO),
        "marked for renewal"
    );

    ok(
        person.in_clone(&["fetch", "-q"]).output().unwrap(),
        "git fetch after erase",
    );
    assert_eq!(tokens.refreshes(), 1, "one refresh after the refusal");
    let renewed = person.stored();
    assert_ne!(renewed.access_token, first.access_token);
    assert_eq!(
        tokens.current_access_token().as_deref(),
        Some(renewed.access_token.expose())
    );
}

#[test]
fn four_parallel_fetches_on_an_expired_token_send_one_refresh() {
    if git_missing() {
        return;
    }
    let tokens = token_server(StrictConfig::new().with_refresh_delay(Duration::from_millis(300)));
    let forge = Forge::start(&tokens);
    let person = Person::new(&tokens, &forge);
    let clone = person.clone_dir();
    ok(
        person
            .git(&["clone", "-q", &forge.url(), clone.to_str().unwrap()])
            .output()
            .unwrap(),
        "git clone",
    );
    person.expire();
    let children: Vec<_> = (0..4)
        .map(|_| {
            person
                .in_clone(&["fetch", "-q"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        ok(child.wait_with_output().unwrap(), "parallel git fetch");
    }
    assert_eq!(tokens.refreshes(), 1, "one refresh for four git processes");
    assert_eq!(tokens.reuses(), 0);
    assert!(!tokens.any_grant_revoked());
}

#[test]
fn git_gets_the_token_and_its_expiry_and_no_other_host_gets_anything() {
    if git_missing() {
        return;
    }
    let tokens = token_server(StrictConfig::new().with_refresh_delay(Duration::ZERO));
    let forge = Forge::start(&tokens);
    let person = Person::new(&tokens, &forge);
    let fill = |protocol: &str, host: &str, extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend(["credential", "fill"]);
        let mut child = person
            .git(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        write!(
            child.stdin.take().unwrap(),
            "protocol={protocol}\nhost={host}\ncapability[]=authtype\n\n"
        )
        .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = ok(
        fill("https", &forge.server.host(), &[]),
        "git credential fill",
    );
    let answer = text(&out.stdout);
    let token = tokens.current_access_token().unwrap();
    assert!(answer.contains("username=x-token\n"), "{answer}");
    assert!(answer.contains(&format!("password={token}\n")), "{answer}");
    let expiry: u64 = answer
        .lines()
        .find_map(|l| l.strip_prefix("password_expiry_utc="))
        .expect("password_expiry_utc")
        .parse()
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        expiry > now + 3500 && expiry <= now + 3600,
        "{expiry} vs {now}"
    );

    // A helper for every host (as a person might configure it): another host, or the
    // listed host over plain http, gets nothing from authctl.
    let exe = assert_cmd::cargo::cargo_bin("authctl");
    let everywhere = format!(
        "credential.helper=!'{}' git-credential --profile forge",
        exe.display()
    );
    for (protocol, host) in [
        ("https", "other.example"),
        ("http", forge.server.host().as_str()),
    ] {
        let out = fill(protocol, host, &["-c", &everywhere]);
        assert!(
            !out.status.success(),
            "git has no password for {protocol}://{host}"
        );
        assert!(!text(&out.stdout).contains(&token));
        assert!(!text(&out.stderr).contains(&token));
    }

    // The helper itself, as git runs it: nothing on stdout for another host.
    let mut child = person
        .authctl(&["git-credential", "--profile", "forge", "get"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"protocol=https\nhost=other.example\n\n")
        .unwrap();
    let out = ok(child.wait_with_output().unwrap(), "helper for another host");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn without_a_login_the_helper_answers_nothing_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[profiles.forge]\ntoken_url = \"https://idp.example/token\"\nflow = \"pkce\"\n\
         store = \"file\"\ngit_hosts = [\"git.example.com\"]\n",
    )
    .unwrap();
    let mut child = common::authctl(home.path(), &["FORGE_"])
        .args(["git-credential", "--profile", "forge", "get"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"protocol=https\nhost=git.example.com\n\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("authctl login --profile forge"), "{stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");

    // git-setup refuses a profile without git_hosts, naming the key
    std::fs::write(
        home.path().join("config.toml"),
        "[profiles.forge]\ntoken_url = \"https://idp.example/token\"\n",
    )
    .unwrap();
    let out = common::authctl(home.path(), &["FORGE_"])
        .args(["git-setup", "--profile", "forge", "--file"])
        .arg(home.path().join("gitconfig"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("git_hosts"),
        "{}",
        text(&out.stderr)
    );
}
