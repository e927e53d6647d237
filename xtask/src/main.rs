//! `cargo xtask`: the project's automation.
//!
//! - `cargo xtask ci`: formatting, clippy, the docs, the examples, the dependency-tree
//!   checks, the tests of each crate once per feature set that matters, then the
//!   conformance run. Ends with a table of what passed and the line `N passed, M failed`.
//! - `cargo xtask deps`: only the dependency-tree checks of `ci`.
//! - `cargo xtask conformance`: the conformance suites per backend and store feature, and
//!   the flows and `authctl` against real services (a private Secret Service, a local
//!   OAuth server, a `redis-server`), which it starts and stops itself, and `authctl login`
//!   in headless Chromium (installed when missing; listed as skipped when it cannot be).
//! - `cargo xtask browser`: only the browser step of `conformance`.
//! - `cargo xtask bench [--check] [--rounds N]`: the benchmarks side by side with their
//!   anchors (medians and ratios, not timed tests); `--check` fails on a missed goal.
//! - `cargo xtask fuzz [--cases N]`: every parser's property tests with N hostile cases
//!   each (10,000 by default), and a table of cases run and panics per parser.
//! - `cargo xtask demo`: authctl against a real OAuth server, every command shown.
//! - `cargo xtask with-oidc CMD...`: CMD with the strict OpenID provider running and its
//!   `AUTHCTL_TEST_OIDC_*` environment set.
//! - `cargo xtask browse URL`: the demo's stand-in browser.
//!
//! Arguments are parsed by `xflags` and commands run through `xshell`, each argument
//! passed as it is (no string is split at spaces). The workspace and cargo's target
//! directory are asked of cargo when xtask starts, so `CARGO_TARGET_DIR` and a shared
//! target directory work.

use std::process::ExitCode;

mod bench;
mod chromium;
mod ci;
mod demo;
mod flags;
mod fuzz;
mod node_service;
mod oauth_server;
mod oidc_provider;
mod redis;
mod secret_service;
mod util;

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
    let flags = match flags::Xtask::from_env() {
        Ok(flags) => flags,
        Err(e) if e.is_help() => {
            println!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n\nrun `cargo xtask --help` for the tasks and their arguments");
            return ExitCode::from(2);
        }
    };
    match flags.subcommand {
        // The demo's browser: it needs no workspace.
        flags::XtaskCmd::Browse(browse) => outcome(demo::browse(&browse.url), "browse"),
        flags::XtaskCmd::Ci(_) => in_workspace(|ws| ci::report(&ci::ci(ws))),
        flags::XtaskCmd::Deps(_) => in_workspace(|ws| ci::report(&ci::deps(ws))),
        flags::XtaskCmd::Conformance(_) => in_workspace(|ws| ci::report(&ci::conformance(ws))),
        flags::XtaskCmd::Browser(_) => in_workspace(|ws| ci::report(&ci::browser(ws))),
        flags::XtaskCmd::Bench(b) => in_workspace(|ws| outcome(bench::bench(ws, &b), "bench")),
        flags::XtaskCmd::Fuzz(fuzz) => in_workspace(|ws| {
            outcome(
                fuzz::fuzz(ws, fuzz.cases.unwrap_or(fuzz::DEFAULT_CASES)),
                "fuzz",
            )
        }),
        flags::XtaskCmd::Demo(_) => in_workspace(|ws| outcome(demo::demo(ws), "demo")),
        flags::XtaskCmd::WithOidc(with) => {
            in_workspace(|ws| outcome(oidc_provider::run_with(ws, &with.command), "with-oidc"))
        }
    }
}

/// Runs `task` in the workspace of the current directory.
fn in_workspace(task: impl FnOnce(&util::Workspace) -> ExitCode) -> ExitCode {
    match util::Workspace::locate() {
        Ok(ws) => task(&ws),
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
