//! `cargo xtask`: the project's automation.
//!
//! - `cargo xtask ci`: formatting, clippy, the dependency-tree checks, the tests of each
//!   crate once per feature set that matters, then the conformance run. Ends with a table
//!   of what passed and the line `N passed, M failed`.
//! - `cargo xtask conformance`: the conformance suites per backend and store feature, and
//!   the flows and `authctl` against real services (a private Secret Service, a local
//!   OAuth server), which it starts and stops itself.
//! - `cargo xtask bench`: the benchmarks (medians and ratios, not timed tests).
//! - `cargo xtask demo`: authctl against a real OAuth server, every command shown.

use std::process::{Command, ExitCode};
use std::time::Instant;

mod bench;
mod demo;
mod oauth_server;
mod secret_service;
mod util;

/// One step of a run: a name people read, and what it runs.
struct Step {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// For dependency checks: crate names that must not appear in the output.
    forbidden: Vec<&'static str>,
}

impl Step {
    fn cargo(name: &str, args: &str) -> Step {
        Step {
            name: name.to_owned(),
            args: args.split_whitespace().map(str::to_owned).collect(),
            env: Vec::new(),
            forbidden: Vec::new(),
        }
    }

    /// `cargo tree` whose output must not name any of `forbidden`.
    fn tree_without(name: &str, args: &str, forbidden: &[&'static str]) -> Step {
        Step {
            forbidden: forbidden.to_vec(),
            ..Step::cargo(name, args)
        }
    }

    fn with_env(mut self, env: &[(String, String)]) -> Step {
        self.env.extend(env.iter().cloned());
        self
    }
}

/// Each crate's tests once per feature set that matters: each backend alone, each store
/// alone, each flow alone, everything, nothing. Doctests run once, with all features (they
/// are what the documentation shows); the single-feature runs take unit and integration
/// tests, which keeps CI within its time on two cores. Doctests run once, with all features (they
/// are what the documentation shows); the single-feature runs take unit and integration
/// tests, which keeps CI within its time on two cores.
fn unit_matrix() -> Vec<Step> {
    let mut steps = vec![
        Step::tree_without(
            "deps: auth-http with only ureq has no tokio or reqwest",
            "tree -e normal -p auth-http --no-default-features --features ureq",
            &["tokio", "reqwest", "hyper"],
        ),
        Step::tree_without(
            "deps: auth-store with only file has no D-Bus or keyring",
            "tree -e normal -p auth-store --no-default-features --features file",
            &["zbus", "keyring", "dbus", "secret-service"],
        ),
        Step::tree_without(
            "deps: auth-flows + ureq + file stack has no tokio, keyring or reqwest",
            "tree -e normal -p auth-flows -p auth-http -p auth-store --no-default-features --features auth-flows/password,auth-http/ureq,auth-store/file",
            &["tokio", "reqwest", "zbus", "keyring"],
        ),
        Step::cargo("auth-core: no features", "test -p auth-core --lib --tests"),
        Step::cargo(
            "auth-http: ureq only",
            "test -p auth-http --no-default-features --features ureq --lib --tests",
        ),
        Step::cargo(
            "auth-http: reqwest only",
            "test -p auth-http --no-default-features --features reqwest --lib --tests",
        ),
    ];
    for store in ["memory", "file", "env", "keyring", "config"] {
        steps.push(Step::cargo(
            &format!("auth-store: {store} only"),
            &format!("test -p auth-store --no-default-features --features {store} --lib --tests"),
        ));
    }
    for flow in [
        "password",
        "client-credentials",
        "authorization-code",
        "device",
        "inaturalist",
        "oauth1",
    ] {
        steps.push(Step::cargo(
            &format!("auth-flows: {flow} only"),
            &format!("test -p auth-flows --no-default-features --features {flow} --lib --tests"),
        ));
    }
    steps.push(Step::cargo(
        "workspace: all features",
        "test --workspace --all-features",
    ));
    steps.push(Step::cargo(
        "workspace: no default features",
        "test --workspace --no-default-features --lib --tests",
    ));
    steps
}

fn run_steps(steps: Vec<Step>) -> Vec<(String, bool, f64)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut results = Vec::new();
    for step in steps {
        eprintln!("\n==> {} (cargo {})", step.name, step.args.join(" "));
        let started = Instant::now();
        let mut command = Command::new(&cargo);
        command
            .args(&step.args)
            .envs(step.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let ok = if step.forbidden.is_empty() {
            command.status().is_ok_and(|s| s.success())
        } else {
            match command.output() {
                Ok(out) if out.status.success() => {
                    let tree = String::from_utf8_lossy(&out.stdout);
                    let found: Vec<&str> = step
                        .forbidden
                        .iter()
                        .copied()
                        .filter(|f| tree.contains(f))
                        .collect();
                    if !found.is_empty() {
                        eprintln!("{tree}\nfound {} in the tree", found.join(", "));
                    }
                    found.is_empty()
                }
                Ok(out) => {
                    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                    false
                }
                Err(e) => {
                    eprintln!("{e}");
                    false
                }
            }
        };
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "<== {}: {} in {secs:.0}s",
            step.name,
            if ok { "ok" } else { "FAILED" }
        );
        results.push((step.name, ok, secs));
    }
    results
}

/// Starts the services, runs the conformance steps, stops the services.
fn conformance() -> Vec<(String, bool, f64)> {
    let mut results = run_steps(vec![
        Step::cargo(
            "conformance: HttpBackend, ureq",
            "test -p auth-http --no-default-features --features ureq --test conformance",
        ),
        Step::cargo(
            "conformance: HttpBackend, reqwest",
            "test -p auth-http --no-default-features --features reqwest --test conformance",
        ),
    ]);
    match secret_service::SecretService::start() {
        Ok(service) => {
            results.extend(run_steps(vec![
                Step::cargo(
                    "conformance: keyring store and source, real Secret Service",
                    "test -p auth-store --no-default-features --features keyring --test secret_service -- --ignored",
                )
                .with_env(&service.env()),
            ]));
            drop(service);
        }
        Err(e) => {
            eprintln!("could not start a Secret Service: {e}");
            results.push(("conformance: Secret Service".into(), false, 0.0));
        }
    }
    match oauth_server::OAuthServer::start() {
        Ok(server) => {
            results.extend(run_steps(vec![
                Step::cargo(
                    "conformance: flows with each transport, real OAuth server",
                    "test -p auth-cli --test flows_conformance -- --ignored",
                )
                .with_env(&server.env()),
                Step::cargo(
                    "conformance: authctl end to end, real OAuth server",
                    "test -p auth-cli --test cli -- --ignored",
                )
                .with_env(&server.env()),
            ]));
            drop(server);
        }
        Err(e) => {
            eprintln!("could not start the OAuth server: {e}");
            results.push(("conformance: OAuth server".into(), false, 0.0));
        }
    }
    results
}

fn report(results: &[(String, bool, f64)]) -> ExitCode {
    eprintln!("\n{:<72} {:>8} {:>7}", "combination", "result", "time");
    for (name, ok, secs) in results {
        eprintln!(
            "{name:<72} {:>8} {secs:>6.0}s",
            if *ok { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.1)
        .map(|r| r.0.as_str())
        .collect();
    let passed = results.len() - failed.len();
    if !failed.is_empty() {
        eprintln!("\nfailed: {}", failed.join("; "));
    }
    println!("xtask: {passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn outcome(result: Result<(), String>, what: &str) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{what} failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "ci" => {
            let mut steps = vec![
                Step::cargo("rustfmt", "fmt --all -- --check"),
                Step::cargo(
                    "clippy (all features, all targets)",
                    "clippy --workspace --all-targets --all-features -- -D warnings",
                ),
                Step::cargo(
                    "clippy (no default features)",
                    "clippy --workspace --all-targets --no-default-features -- -D warnings",
                ),
            ];
            steps.extend(unit_matrix());
            let mut results = run_steps(steps);
            results.extend(conformance());
            report(&results)
        }
        "conformance" => report(&conformance()),
        "bench" => outcome(bench::bench(), "bench"),
        "demo" => outcome(demo::demo(), "demo"),
        "browse" => match args.get(1) {
            Some(url) => outcome(demo::browse(url), "browse"),
            None => {
                eprintln!("usage: cargo xtask browse URL");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 ci           fmt, clippy, dependency checks, tests per feature set, conformance\n  \
                 conformance  conformance suites per backend and store, with real services\n  \
                 bench        benchmarks: token lifecycle, OAuth 1 signing, authctl token\n  \
                 demo         authctl against a real OAuth server on 127.0.0.1, every command shown\n  \
                 browse URL   GET a URL following redirects (the demo's stand-in browser)"
            );
            if matches!(task, "help" | "--help" | "-h") {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
    }
}
