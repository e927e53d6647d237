//! [`TerminalInteraction`]: the default way flows reach a person at a terminal.
//!
//! The system's browser is opened by the `open` crate (`xdg-open` and friends, `open` on
//! macOS, the Shell API on Windows: never `cmd /C start`, which cuts a URL at its first
//! `&` and runs the rest as commands). `$BROWSER` stays a user override.
//!
//! On Windows, the workspace turns on `open`'s `shellexecute-on-windows` feature, and
//! `open::that_detached` then calls `ShellExecuteExW` (the system's URL handler) directly;
//! `open` builds a `cmd /c start` command only under its `insecure` feature, which we do
//! not enable. So no ShellExecute call of our own is needed.
//!
//! Every URL is first checked by [`auth_core::http::check_browser_url`] (only `https`, or
//! `http` to a loopback host), and the normalised URL is what is printed and opened.
//! Codes a server chose are printed through [`auth_core::text::printable`].

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use auth_core::http::check_browser_url;
use auth_core::text::printable;
use auth_core::{DeviceCode, Error, Interaction, RedirectPaste, Url};

/// The default [`Interaction`] for programs run from a terminal: URLs and codes are
/// printed on stderr (stdout stays clean for data); the browser is opened with the
/// `$BROWSER` command (given the URL as its last argument) or else the system's opener
/// (through the `open` crate); with `open_browser` off the URL is only printed and the
/// flow waits. Codes and verifiers are read from stdin. With
/// [`with_redirect_paste`](Self::with_redirect_paste), while a loopback server waits, the
/// address the browser ended on may also be pasted on stdin.
///
/// ```
/// use auth_core::Interaction;
/// let person = auth_flows::TerminalInteraction::new(false);
/// assert!(person.can_prompt());
/// ```
#[derive(Clone, Debug)]
pub struct TerminalInteraction {
    open_browser: bool,
    browser: Option<String>,
    redirect_paste: bool,
}

impl TerminalInteraction {
    /// Opens a browser when `open_browser`, using `$BROWSER` if set.
    pub fn new(open_browser: bool) -> Self {
        TerminalInteraction {
            open_browser,
            browser: std::env::var("BROWSER")
                .ok()
                .filter(|b| !b.trim().is_empty()),
            redirect_paste: false,
        }
    }

    /// While a loopback server waits for the browser, also reads stdin for the address
    /// the browser ended on (for a browser on another machine, where that address fails to
    /// load). Each line is checked like the redirect; a refused one is reported on stderr
    /// and another may follow. The reading thread ends at the end of stdin or after the
    /// answer that ends the wait; a line still being typed when the browser answers
    /// first keeps it until the program exits or the line ends.
    ///
    /// ```
    /// let person = auth_flows::TerminalInteraction::new(false).with_redirect_paste(true);
    /// # let _ = person;
    /// ```
    pub fn with_redirect_paste(mut self, on: bool) -> Self {
        self.redirect_paste = on;
        self
    }

    /// Uses `command` (split on spaces; the URL is appended) instead of `$BROWSER`.
    ///
    /// ```
    /// let person = auth_flows::TerminalInteraction::new(true).with_browser_command("firefox --new-window");
    /// # let _ = person;
    /// ```
    pub fn with_browser_command(mut self, command: impl Into<String>) -> Self {
        self.browser = Some(command.into());
        self
    }

    /// Starts the browser on `url` without waiting for it: the `$BROWSER` command (its
    /// words, then the URL as one argument, no shell), else the system's opener. Only a
    /// URL that passed [`check_browser_url`] can be given.
    fn launch(&self, url: &Url) -> Result<(), String> {
        let url = url.as_str();
        let Some(browser) = &self.browser else {
            return open::that_detached(url).map_err(|e| format!("the system's opener: {e}"));
        };
        let mut parts = browser.split_whitespace();
        let program = parts.next().unwrap_or_default();
        Command::new(program)
            .args(parts)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|e| format!("{program}: {e}"))
    }
}

#[async_trait]
impl Interaction for TerminalInteraction {
    async fn open_url(&self, url: &str) -> Result<(), Error> {
        let url = check_browser_url(url)?;
        eprintln!("Open this URL in a browser to log in:\n\n  {url}\n");
        if self.open_browser
            && let Err(e) = self.launch(&url)
        {
            eprintln!("(could not open a browser: {e}; open the URL yourself)");
        }
        Ok(())
    }

    async fn prompt_code(&self, prompt: &str) -> Result<String, Error> {
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Error::Interaction(format!("could not read the code from the terminal: {e}"))
        })?;
        Ok(line.trim().to_owned())
    }

    async fn show_device_code(&self, code: &DeviceCode) -> Result<(), Error> {
        let uri = check_browser_url(&code.verification_uri)?;
        let complete = code
            .verification_uri_complete
            .as_deref()
            .map(check_browser_url)
            .transpose()?;
        eprintln!(
            "To log in, visit\n\n  {uri}\n\nand enter the code\n\n  {}\n",
            printable(&code.user_code)
        );
        if let Some(complete) = &complete {
            eprintln!("(or open {complete})");
        }
        if self.open_browser {
            let _ = self.launch(complete.as_ref().unwrap_or(&uri));
        }
        Ok(())
    }

    async fn waiting(&self, what: &str, timeout: Duration) {
        eprintln!("Waiting for {what} (up to {}s)...", timeout.as_secs());
    }

    fn offer_redirect_paste(&self, paste: Arc<dyn RedirectPaste>) {
        if !self.redirect_paste {
            return;
        }
        eprintln!(
            "If the browser runs on another machine, it ends on an address starting with \
             http://127.0.0.1 that does not load: paste that whole address here and press Enter.\n"
        );
        let spawned = std::thread::Builder::new()
            .name("redirect-paste".into())
            .spawn(move || read_pasted_redirects(&mut std::io::stdin().lock(), paste.as_ref()));
        if let Err(e) = spawned {
            eprintln!("(cannot read a pasted address: {e}; use the browser)");
        }
    }
}

/// Hands each non-empty line of `input` to `paste` until one ends the wait, the wait is
/// over, or the input ends; says on stderr why a line was refused.
fn read_pasted_redirects(input: &mut dyn BufRead, paste: &dyn RedirectPaste) {
    let mut line = String::new();
    while paste.is_waiting() {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line.trim().is_empty() => {}
            Ok(_) => match paste.submit(line.trim()) {
                Ok(()) => return,
                Err(e) if paste.is_waiting() => {
                    eprintln!(
                        "That address was not accepted: {e}\nStill waiting: paste another address, or finish in the browser."
                    );
                }
                Err(_) => return,
            },
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_browser_command_gets_the_url() {
        let dir = std::env::temp_dir().join(format!("authctl-browser-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("opened.txt");
        let script = dir.join("browser.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf %s \"$2\" > {}\n", out.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
        let person = TerminalInteraction::new(true)
            .with_browser_command(format!("{} --flag", script.display()));
        pollster::block_on(person.open_url("https://auth.example.com/authorize?x=1")).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !out.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "https://auth.example.com/authorize?x=1"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Accepts the second line it is given.
    #[derive(Default)]
    struct SecondLine(std::sync::Mutex<Vec<String>>);

    impl RedirectPaste for SecondLine {
        fn submit(&self, pasted: &str) -> Result<(), Error> {
            let mut seen = self.0.lock().unwrap();
            seen.push(pasted.to_owned());
            if seen.len() == 2 {
                Ok(())
            } else {
                Err(Error::StateMismatch)
            }
        }
        fn is_waiting(&self) -> bool {
            self.0.lock().unwrap().len() < 2
        }
    }

    #[test]
    fn pasted_lines_are_submitted_until_one_is_accepted() {
        let paste = SecondLine::default();
        let mut input = std::io::Cursor::new("\n  first \nsecond\nthird\n");
        read_pasted_redirects(&mut input, &paste);
        assert_eq!(*paste.0.lock().unwrap(), ["first", "second"]);
    }

    #[test]
    fn unsafe_urls_never_reach_the_browser_command() {
        let dir =
            std::env::temp_dir().join(format!("authctl-browser-refuse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("opened.txt");
        let script = dir.join("browser.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf %s \"$1\" >> {}\n", out.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
        let person =
            TerminalInteraction::new(true).with_browser_command(script.display().to_string());
        let bad = [
            "javascript:alert(document.cookie)",
            "file:///etc/passwd",
            "x&\\\\host\\share\\p.exe",
            "http://evil.example/authorize",
        ];
        for url in bad {
            let err = pollster::block_on(person.open_url(url)).unwrap_err();
            assert!(
                matches!(err, Error::UnsafeBrowserUrl { .. }),
                "{url}: {err}"
            );
            let device = DeviceCode {
                user_code: "ABCD".into(),
                verification_uri: "https://auth.example/device".into(),
                verification_uri_complete: Some(url.into()),
                expires_in: Duration::from_secs(60),
            };
            let err = pollster::block_on(person.show_device_code(&device)).unwrap_err();
            assert_eq!(err.hint(), Some(auth_core::Hint::UnsafeBrowserUrl), "{url}");
        }
        std::thread::sleep(Duration::from_millis(300));
        assert!(!out.exists(), "the browser was started on a refused URL");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_browser_is_reported_not_fatal() {
        let person =
            TerminalInteraction::new(true).with_browser_command("/nonexistent/browser-binary");
        let url = check_browser_url("https://x.example").unwrap();
        assert!(person.launch(&url).unwrap_err().contains("nonexistent"));
        assert!(
            pollster::block_on(person.open_url("https://x.example")).is_ok(),
            "the URL is still printed"
        );
    }
}
