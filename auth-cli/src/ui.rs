//! The person at the terminal: the library's [`TerminalInteraction`] plus a spinner
//! with the time left while a flow waits, and secret prompts.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use auth_core::{DeviceCode, Error, Interaction, RedirectPaste, async_trait};
use auth_flows::TerminalInteraction;

/// [`Interaction`] on the terminal, with a spinner on stderr while waiting.
pub(crate) struct Terminal {
    inner: TerminalInteraction,
    quiet: bool,
    done: Arc<AtomicBool>,
    /// Whether a pasted address is read from stdin (`--no-browser`).
    redirect_paste: bool,
    /// Set once stdin is read for a pasted address: no spinner then, it would draw over
    /// what the person types.
    pasting: AtomicBool,
}

impl Terminal {
    /// Without a browser (`--no-browser`) the address the browser ended on may be pasted
    /// on stdin while the loopback server waits.
    pub(crate) fn new(open_browser: bool, quiet: bool) -> Self {
        Terminal {
            inner: TerminalInteraction::new(open_browser).with_redirect_paste(!open_browser),
            quiet,
            done: Arc::new(AtomicBool::new(false)),
            redirect_paste: !open_browser,
            pasting: AtomicBool::new(false),
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

#[async_trait]
impl Interaction for Terminal {
    async fn open_url(&self, url: &str) -> Result<(), Error> {
        self.inner.open_url(url).await
    }

    async fn prompt_code(&self, prompt: &str) -> Result<String, Error> {
        self.finish();
        self.inner.prompt_code(prompt).await
    }

    async fn show_device_code(&self, code: &DeviceCode) -> Result<(), Error> {
        self.inner.show_device_code(code).await
    }

    fn offer_redirect_paste(&self, paste: Arc<dyn RedirectPaste>) {
        self.pasting.store(self.redirect_paste, Ordering::SeqCst);
        self.inner.offer_redirect_paste(paste);
    }

    async fn waiting(&self, what: &str, timeout: Duration) {
        if self.quiet || self.pasting.load(Ordering::SeqCst) || !std::io::stderr().is_terminal() {
            return self.inner.waiting(what, timeout).await;
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
