//! A `tracing` subscriber that records every span and event as text, so a test can run a
//! whole flow and then search what the library told its subscribers for secrets.
//!
//! ```
//! use auth_testkit::TraceCapture;
//!
//! let capture = TraceCapture::new();
//! capture.in_scope(|| {
//!     let span = tracing::info_span!("token_request", grant = "password");
//!     let _entered = span.enter();
//!     tracing::debug!(status = 200, "token endpoint answered");
//! });
//! let text = capture.text();
//! assert!(text.contains("token_request"));
//! assert!(text.contains("grant=\"password\""));
//! assert!(text.contains("status=200"));
//! capture.assert_free_of(&["s3cr3t-value"]);
//! ```

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span (with its fields, and fields recorded later) and every event, at
/// every level, as one line of text each.
#[derive(Clone, Debug, Default)]
pub struct TraceCapture {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<Mutex<u64>>,
}

impl TraceCapture {
    /// An empty capture.
    ///
    /// ```
    /// assert!(auth_testkit::TraceCapture::new().lines().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` with this capture as the thread's default subscriber.
    ///
    /// ```
    /// let capture = auth_testkit::TraceCapture::new();
    /// capture.in_scope(|| tracing::warn!(target: "demo", "hello"));
    /// assert!(capture.text().contains("WARN demo: hello"));
    /// ```
    pub fn in_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::subscriber::with_default(self.clone(), f)
    }

    /// Every recorded line, in order.
    ///
    /// ```
    /// let capture = auth_testkit::TraceCapture::new();
    /// capture.in_scope(|| tracing::info!(n = 1));
    /// assert_eq!(capture.lines().len(), 1);
    /// ```
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("trace capture lock").clone()
    }

    /// Every recorded line, joined by newlines.
    ///
    /// ```
    /// let capture = auth_testkit::TraceCapture::new();
    /// capture.in_scope(|| tracing::info!("a"));
    /// assert!(capture.text().ends_with("a"));
    /// ```
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    /// Panics, naming the line, when any recorded line contains one of `secrets`.
    ///
    /// ```should_panic
    /// let capture = auth_testkit::TraceCapture::new();
    /// capture.in_scope(|| tracing::info!(token = "abc123"));
    /// capture.assert_free_of(&["abc123"]);
    /// ```
    pub fn assert_free_of(&self, secrets: &[&str]) {
        for line in self.lines() {
            for secret in secrets {
                assert!(
                    secret.is_empty() || !line.contains(secret),
                    "a secret reached a tracing field: {line:?}"
                );
            }
        }
    }

    fn push(&self, line: String) {
        self.lines.lock().expect("trace capture lock").push(line);
    }
}

/// Formats fields as `name=value`, strings quoted, messages bare.
#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

fn head(kind: &str, metadata: &Metadata<'_>) -> String {
    format!("{kind} {} {}:", metadata.level(), metadata.target())
}

impl Subscriber for TraceCapture {
    fn enabled(&self, _metadata: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::default();
        span.record(&mut fields);
        let mut line = head("span", span.metadata());
        let _ = write!(line, " {}{}", span.metadata().name(), fields.0);
        self.push(line);
        let mut next = self.next_id.lock().expect("trace capture lock");
        *next += 1;
        Id::from_u64(*next)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        self.push(format!("record span {}:{}", span.into_u64(), fields.0));
    }

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        let line = format!("{} {}:{}", metadata.level(), metadata.target(), fields.0);
        self.push(line);
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}
