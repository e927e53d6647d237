//! `cargo xtask`: the project's automation.
//!
//! - `cargo xtask ci`: formatting, clippy, and the tests of each crate once per feature
//!   set that matters, then the conformance runs. Ends with a table of what passed.
//! - `cargo xtask conformance`: the conformance suites per backend and store feature,
//!   including the ones that need real services (a private Secret Service, a local
//!   OAuth server), which it starts and stops itself.

use std::process::{Command, ExitCode};
use std::time::Instant;

mod secret_service;
mod util;

/// One step of a run: a name people read and the cargo arguments.
struct Step {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Step {
    fn cargo(name: &str, args: &str) -> Step {
        Step {
            name: name.to_owned(),
            args: args.split_whitespace().map(str::to_owned).collect(),
            env: Vec::new(),
        }
    }

    fn with_env(mut self, env: &[(String, String)]) -> Step {
        self.env.extend(env.iter().cloned());
        self
    }
}

/// The feature sets tested one crate at a time: each backend and each store alone.
fn unit_matrix() -> Vec<Step> {
    vec![
        Step::cargo(
            "auth-core (all features)",
            "test -p auth-core --all-features",
        ),
        Step::cargo(
            "auth-http: ureq only",
            "test -p auth-http --no-default-features --features ureq",
        ),
        Step::cargo(
            "auth-http: reqwest only",
            "test -p auth-http --no-default-features --features reqwest",
        ),
        Step::cargo(
            "auth-store: memory only",
            "test -p auth-store --no-default-features --features memory",
        ),
        Step::cargo(
            "auth-store: file only",
            "test -p auth-store --no-default-features --features file",
        ),
        Step::cargo(
            "auth-store: env only",
            "test -p auth-store --no-default-features --features env",
        ),
        Step::cargo(
            "auth-store: keyring only (mock)",
            "test -p auth-store --no-default-features --features keyring",
        ),
        Step::cargo(
            "auth-flows: oauth1 only",
            "test -p auth-flows --no-default-features --features oauth1",
        ),
        Step::cargo("workspace: all features", "test --workspace --all-features"),
        Step::cargo(
            "workspace: no default features",
            "test --workspace --no-default-features --lib",
        ),
    ]
}

fn run_steps(steps: Vec<Step>) -> Vec<(String, bool, f64)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut results = Vec::new();
    for step in steps {
        eprintln!("\n==> {} (cargo {})", step.name, step.args.join(" "));
        let started = Instant::now();
        let ok = Command::new(&cargo)
            .args(&step.args)
            .envs(step.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
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

fn conformance_steps() -> Result<(Vec<Step>, Vec<Box<dyn std::any::Any>>), String> {
    let mut steps = Vec::new();
    let mut guards: Vec<Box<dyn std::any::Any>> = Vec::new();
    let service = secret_service::SecretService::start()?;
    steps.push(
        Step::cargo(
            "auth-store: keyring against a real Secret Service",
            "test -p auth-store --no-default-features --features keyring --test secret_service -- --ignored",
        )
        .with_env(&service.env()),
    );
    guards.push(Box::new(service));
    Ok((steps, guards))
}

fn report(results: &[(String, bool, f64)]) -> ExitCode {
    eprintln!("\n{:<58} {:>8} {:>7}", "combination", "result", "time");
    for (name, ok, secs) in results {
        eprintln!(
            "{name:<58} {:>8} {secs:>6.0}s",
            if *ok { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.1)
        .map(|r| r.0.as_str())
        .collect();
    let passed = results.len() - failed.len();
    println!("{passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("failed: {}", failed.join("; "));
        ExitCode::FAILURE
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
            ];
            steps.extend(unit_matrix());
            let mut results = run_steps(steps);
            match conformance_steps() {
                Ok((steps, guards)) => {
                    results.extend(run_steps(steps));
                    drop(guards);
                }
                Err(e) => {
                    eprintln!("could not start the services the conformance run needs: {e}");
                    results.push(("conformance services".into(), false, 0.0));
                }
            }
            report(&results)
        }
        "conformance" => match conformance_steps() {
            Ok((steps, guards)) => {
                let results = run_steps(steps);
                drop(guards);
                report(&results)
            }
            Err(e) => {
                eprintln!("could not start the services the conformance run needs: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  ci           fmt, clippy, tests per feature set, conformance\n  \
                 conformance  conformance suites per backend and store, with real services"
            );
            if task == "help" || task == "--help" || task == "-h" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
    }
}
