//! `authctl login` in a real browser: headless Chromium, as `$BROWSER`, opens the
//! authorization URL, follows the authorization server's redirect into authctl's loopback
//! server, and shows its page. The page is checked as a person would see it: the DOM
//! Chromium rendered, and a screenshot that must not be blank. Then another `authctl`
//! process uses what the login stored (or, for a denied login, finds nothing stored).
//!
//! Ignored unless `cargo xtask conformance` (or `cargo xtask browser`) runs them with
//! `AUTHCTL_TEST_OAUTH_ISSUER` (a local oauth2-mock-server, which answers `access_denied`
//! to client `denied-client`) and `AUTHCTL_TEST_CHROMIUM` (the Chromium it installed).
//! Where Chromium cannot be installed, xtask lists them as skipped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;

/// How long authctl waits for the browser, and the test for Chromium to finish.
const PATIENCE: Duration = Duration::from_secs(20);

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `cargo xtask browser`, which installs Chromium and starts the OAuth server")
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A home whose profile `mock` logs in with PKCE at the test's OAuth server, as client
/// `client_id`, and keeps its token in a file.
fn home_for(client_id: &str) -> (tempfile::TempDir, impl Fn(&[&str]) -> Command) {
    let issuer = required_env("AUTHCTL_TEST_OAUTH_ISSUER");
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[profiles.mock]\nissuer = \"{issuer}\"\napi_base_url = \"{issuer}\"\nflow = \"pkce\"\nstore = \"file\"\nscopes = [\"openid\"]\n"
        ),
    )
    .unwrap();
    let path = home.path().to_path_buf();
    let client_id = client_id.to_owned();
    let authctl = move |args: &[&str]| {
        let mut cmd = common::authctl(&path, &["INAT_", "ACME_", "MOCK_"]);
        cmd.env("MOCK_APP_ID", &client_id).args(args);
        cmd
    };
    (home, authctl)
}

/// `authctl login --profile mock` with Chromium as its `$BROWSER`.
fn login_in(chromium: &Chromium, authctl: &impl Fn(&[&str]) -> Command) -> Output {
    let timeout = PATIENCE.as_secs().to_string();
    authctl(&[
        "login",
        "--profile",
        "mock",
        "--port",
        "0",
        "--timeout",
        &timeout,
    ])
    .env("BROWSER", chromium.browser_command())
    .output()
    .unwrap()
}

/// Headless Chromium as `$BROWSER`: a small script that authctl runs with the URL as its
/// argument. It starts Chromium in a process group of its own (`setsid`), which saves the
/// final page's DOM and a 900×600 screenshot and exits; the test stops whatever is left
/// of the group when it is dropped. Chromium's background services are switched off: they
/// would only try to reach the network.
struct Chromium {
    dir: tempfile::TempDir,
}

/// What Chromium showed: the DOM of the last page it loaded, and its screenshot.
struct Page {
    dom: String,
    screenshot: Vec<u8>,
}

impl Chromium {
    fn new() -> Chromium {
        let chromium = required_env("AUTHCTL_TEST_CHROMIUM");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let script = format!(
            "#!/bin/sh\n\
             export HOME='{d}/home'\n\
             setsid '{chromium}' --headless=new --no-sandbox --disable-gpu --disable-quic \
             --no-first-run --disable-background-networking --disable-component-update \
             --disable-sync --user-data-dir='{d}/profile' --window-size=900,600 \
             --screenshot='{d}/page.png' --dump-dom \"$1\" > '{d}/dom.html' 2> '{d}/chromium.log' &\n\
             echo $! > '{d}/chromium.pid'\n\
             wait $!\n\
             echo $? > '{d}/chromium.exit'\n"
        );
        let path = dir.path().join("browser.sh");
        std::fs::write(&path, script).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Chromium { dir }
    }

    /// The `$BROWSER` value: the script (a path without spaces, as `$BROWSER` is split
    /// at spaces).
    fn browser_command(&self) -> String {
        let command = self.dir.path().join("browser.sh").display().to_string();
        assert!(!command.contains(char::is_whitespace), "{command}");
        command
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Waits for Chromium to exit (it does after saving the page), then reads the page.
    fn finish(&self) -> Page {
        let deadline = Instant::now() + PATIENCE;
        let exit = loop {
            if let Ok(exit) = std::fs::read_to_string(self.file("chromium.exit"))
                && exit.ends_with('\n')
            {
                break exit;
            }
            assert!(
                Instant::now() < deadline,
                "Chromium did not finish within {}s; its log:\n{}",
                PATIENCE.as_secs(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(
            exit.trim(),
            "0",
            "Chromium failed; its log:\n{}",
            self.log()
        );
        Page {
            dom: std::fs::read_to_string(self.file("dom.html")).unwrap(),
            screenshot: std::fs::read(self.file("page.png"))
                .unwrap_or_else(|e| panic!("no screenshot ({e}); Chromium's log:\n{}", self.log())),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.file("chromium.log")).unwrap_or_default()
    }

    /// The process group Chromium runs in (its first process's id), once it started.
    fn group(&self) -> Option<u32> {
        std::fs::read_to_string(self.file("chromium.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Chromium {
    /// Stops every process left in Chromium's group: asks, then forces after 3 s.
    fn drop(&mut self) {
        let Some(group) = self.group() else {
            return;
        };
        let signal = |sig: &str| {
            Command::new("kill")
                .args([sig, "--", &format!("-{group}")])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !signal("-TERM") {
            return; // nothing left
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if !signal("-0") {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("-KILL");
    }
}

/// What a screenshot shows, in numbers.
#[derive(Debug)]
struct Looks {
    width: u32,
    height: u32,
    /// Distinct colours.
    colours: usize,
    /// Pixels of another colour than the background (the most common colour).
    ink: usize,
}

/// Decodes a PNG (any colour type, normalised to 8 bits per sample).
fn looks(png_bytes: &[u8]) -> Looks {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("the screenshot is a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    let info = reader.next_frame(&mut buf).expect("the PNG decodes");
    let pixels = &buf[..info.buffer_size()];
    let mut counts: HashMap<&[u8], usize> = HashMap::new();
    for pixel in pixels.chunks_exact(info.color_type.samples()) {
        *counts.entry(pixel).or_default() += 1;
    }
    let total = (info.width * info.height) as usize;
    let background = counts.values().copied().max().unwrap_or(0);
    Looks {
        width: info.width,
        height: info.height,
        colours: counts.len(),
        ink: total - background,
    }
}

/// The screenshot is the 900×600 window with a page drawn on it: more than one colour, and
/// at least a heading's worth of text (a one-line heading is over a thousand pixels).
fn assert_not_blank(png_bytes: &[u8]) {
    assert!(
        png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is not a PNG"
    );
    let looks = looks(png_bytes);
    eprintln!("screenshot: {looks:?}");
    assert_eq!((looks.width, looks.height), (900, 600), "{looks:?}");
    assert!(looks.colours > 1, "the screenshot is blank: {looks:?}");
    assert!(
        looks.ink > 1000,
        "the screenshot shows almost nothing: {looks:?}"
    );
}

#[test]
#[ignore = "needs Chromium and a real OAuth server: cargo xtask browser"]
fn a_login_in_chromium_shows_the_success_page_and_another_process_gets_the_token() {
    let started = Instant::now();
    let chromium = Chromium::new();
    let (home, authctl) = home_for("browser-client");

    let login = login_in(&chromium, &authctl);
    let login_err = text(&login.stderr);
    assert!(login.status.success(), "login failed:\n{login_err}");
    assert!(
        login_err.contains("Open this URL in a browser"),
        "{login_err}"
    );
    assert!(login_err.contains("Logged in: profile mock"), "{login_err}");

    let page = chromium.finish();
    assert!(
        page.dom.contains("<title>Signed in</title>") && page.dom.contains("<h1>Signed in</h1>"),
        "Chromium did not end on the success page:\n{}",
        page.dom
    );
    assert!(page.dom.contains("You can close this tab"), "{}", page.dom);
    let lower = page.dom.to_lowercase();
    for word in ["failed", "error", "denied"] {
        assert!(
            !lower.contains(word),
            "the success page says {word:?}:\n{}",
            page.dom
        );
    }
    assert_not_blank(&page.screenshot);

    // Another process uses the stored login.
    let token = authctl(&["token", "--profile", "mock"]).output().unwrap();
    assert!(token.status.success(), "{}", text(&token.stderr));
    let access = text(&token.stdout).trim().to_owned();
    assert!(
        auth_flows::jwt_claims::claims(&access).is_some(),
        "authctl token printed no JWT: {access}"
    );
    let stored = std::fs::read_to_string(home.path().join("tokens.json")).unwrap();
    assert!(
        stored.contains(&access),
        "the printed token is the stored one"
    );
    for (what, seen) in [("the page", &page.dom), ("the login's output", &login_err)] {
        assert!(!seen.contains(&access), "{what} shows the access token");
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the browser login took {:?}",
        started.elapsed()
    );
}

#[test]
#[ignore = "needs Chromium and a real OAuth server: cargo xtask browser"]
fn a_denied_login_in_chromium_shows_the_error_page_and_stores_nothing() {
    let started = Instant::now();
    let chromium = Chromium::new();
    // The test's server answers this client with error=access_denied.
    let (home, authctl) = home_for("denied-client");

    let login = login_in(&chromium, &authctl);
    let login_err = text(&login.stderr);
    assert!(
        !login.status.success(),
        "a denied login succeeded:\n{login_err}"
    );
    for words in [
        "authorization was denied",
        "The person declined the request",
        "run the login again",
    ] {
        assert!(
            login_err.contains(words),
            "{words:?} missing from:\n{login_err}"
        );
    }

    let page = chromium.finish();
    assert!(
        page.dom.contains("<title>Sign-in failed</title>"),
        "Chromium did not end on the error page:\n{}",
        page.dom
    );
    for words in [
        "authorization was denied",
        "The person declined the request",
    ] {
        assert!(
            page.dom.contains(words),
            "{words:?} missing from:\n{}",
            page.dom
        );
    }
    assert!(!page.dom.contains("Signed in"), "{}", page.dom);
    assert_not_blank(&page.screenshot);

    // Nothing was stored: another process finds no login.
    assert!(
        !home.path().join("tokens.json").exists(),
        "a denied login wrote a token file"
    );
    let token = authctl(&["token", "--profile", "mock"]).output().unwrap();
    assert_eq!(token.status.code(), Some(3), "{}", text(&token.stderr));
    assert!(token.stdout.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the denied browser login took {:?}",
        started.elapsed()
    );
}

/// The screenshot check fails on what a person would call blank: a one-colour image,
/// and an image with only a few stray pixels.
#[test]
fn a_blank_screenshot_is_told_apart_from_a_page() {
    let encode = |pixels: &[u8]| {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 900, 600);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .unwrap()
            .write_image_data(pixels)
            .unwrap();
        out
    };
    let mut white = vec![255u8; 900 * 600 * 3];
    let blank = encode(&white);
    assert!(std::panic::catch_unwind(|| assert_not_blank(&blank)).is_err());
    white[..30].fill(0); // ten black pixels
    let specks = encode(&white);
    assert!(std::panic::catch_unwind(|| assert_not_blank(&specks)).is_err());
    // a black band of 900×2 pixels: a page with something on it
    white[..900 * 2 * 3].fill(0);
    let drawn = encode(&white);
    assert_not_blank(&drawn);
    assert_eq!(looks(&drawn).colours, 2);
}
