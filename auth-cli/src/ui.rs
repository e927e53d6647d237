//! The person at the terminal: opening the browser, prompts, the waiting spinner.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use auth_core::{DeviceCode, Error, Interaction, async_trait};

/// [`Interaction`] on the terminal. URLs and codes go to stderr, so stdout stays clean
/// for data.
pub(crate) struct Terminal {
    pub(crate) open_browser: bool,
    pub(crate) quiet: bool,
    done: Arc<AtomicBool>,
}

impl Terminal {
    pub(crate) fn new(open_browser: bool, quiet: bool) -> Self {
        Terminal {
            open_browser,
            quiet,
            done: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Stops the spinner.
    pub(crate) fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Opens `url` with `$BROWSER` (a command given the URL) or the system's opener.
fn launch_browser(url: &str) -> Result<(), String> {
    let candidates: Vec<(String, Vec<String>)> = match std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        Some(browser) => {
            let mut parts = browser.split_whitespace().map(str::to_owned);
            let program = parts.next().unwrap_or_default();
            let mut args: Vec<String> = parts.collect();
            args.push(url.to_owned());
            vec![(program, args)]
        }
        None if cfg!(target_os = "macos") => vec![("open".into(), vec![url.into()])],
        None if cfg!(windows) => vec![(
            "cmd".into(),
            vec!["/C".into(), "start".into(), String::new(), url.into()],
        )],
        None => vec![
            ("xdg-open".into(), vec![url.into()]),
            ("gio".into(), vec!["open".into(), url.into()]),
        ],
    };
    let mut last = String::from("no browser opener found");
    for (program, args) in candidates {
        match Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{program}: {e}"),
        }
    }
    Err(last)
}

#[async_trait]
impl Interaction for Terminal {
    async fn open_url(&self, url: &str) -> Result<(), Error> {
        eprintln!("Open this URL in a browser to log in:\n\n  {url}\n");
        if self.open_browser
            && let Err(e) = launch_browser(url)
        {
            eprintln!("(could not open a browser: {e}; open the URL yourself)");
        }
        Ok(())
    }

    async fn prompt_code(&self, prompt: &str) -> Result<String, Error> {
        self.finish();
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Error::Interaction(format!("could not read the code from the terminal: {e}"))
        })?;
        Ok(line.trim().to_owned())
    }

    async fn show_device_code(&self, code: &DeviceCode) -> Result<(), Error> {
        eprintln!(
            "To log in, visit\n\n  {}\n\nand enter the code\n\n  {}\n",
            code.verification_uri, code.user_code
        );
        if let Some(complete) = &code.verification_uri_complete {
            eprintln!("(or open {complete})");
        }
        if self.open_browser {
            let url = code
                .verification_uri_complete
                .as_deref()
                .unwrap_or(&code.verification_uri);
            let _ = launch_browser(url);
        }
        Ok(())
    }

    async fn waiting(&self, what: &str, timeout: Duration) {
        if self.quiet || !std::io::stderr().is_terminal() {
            eprintln!("Waiting for {what} (up to {}s)...", timeout.as_secs());
            return;
        }
        let done = Arc::clone(&self.done);
        let what = what.to_owned();
        std::thread::spawn(move || {
            let start = Instant::now();
            let frames = ['|', '/', '-', '\\'];
            let mut i = 0;
            while !done.load(Ordering::SeqCst) && start.elapsed() < timeout {
                let left = timeout.saturating_sub(start.elapsed()).as_secs();
                eprint!(
                    "\r{} Waiting for {what}: {}:{:02} left ",
                    frames[i % 4],
                    left / 60,
                    left % 60
                );
                let _ = std::io::stderr().flush();
                i += 1;
                std::thread::sleep(Duration::from_millis(150));
            }
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        });
    }

    fn can_prompt(&self) -> bool {
        true
    }
}

/// Reads one secret: the first line of stdin with `--*-stdin`, else a hidden prompt on
/// the terminal.
pub(crate) fn read_secret(from_stdin: bool, prompt: &str) -> Result<String, Error> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::Interaction(format!("could not read stdin: {e}")))?;
        let value = line.trim_end_matches(['\r', '\n']).to_owned();
        if value.is_empty() {
            return Err(Error::Interaction(
                "stdin was empty: pipe the secret in, e.g. `printf %s \"$PW\" | authctl ...`"
                    .into(),
            ));
        }
        return Ok(value);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Interaction(format!(
            "{prompt}: no terminal to ask on; use the --*-stdin flag or the environment"
        )));
    }
    rpassword::prompt_password(format!("{prompt}: "))
        .map_err(|e| Error::Interaction(format!("could not read from the terminal: {e}")))
}
