//! `auth-bench`: the side-by-side benchmarks that `cargo xtask bench` runs. Each row
//! measures our code and the thing a user would pick instead (its anchor) in the same
//! run, on the same input, round after round; the table shows the medians and their
//! ratio, and `--check` fails a row whose goal is missed by more than the spread of its
//! rounds (the noise of this machine today).
//!
//! Adding a row is one entry in [`ROWS`] and a function that measures one round.
//!
//! ```text
//! auth-bench [--rounds N] [--check] [--json FILE] [--authctl FILE --floor FILE]
//!            [--browser COMMAND] [--keyring] [--redis-url URL] [--work DIR]
//!            [--only TEXT]   (only the rows whose name contains TEXT)
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

mod grant;
mod jose;
mod process;
mod report;
mod server;
mod sign;
mod single_flight;

use report::{Goal, Summary};

/// One round of one row: our figure and, when the row has one, the anchor's, in the
/// row's unit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    ours: f64,
    anchor: Option<f64>,
}

impl Sample {
    pub(crate) fn new(ours: f64, anchor: f64) -> Sample {
        Sample {
            ours,
            anchor: Some(anchor),
        }
    }

    pub(crate) fn alone(ours: f64) -> Sample {
        Sample { ours, anchor: None }
    }
}

/// What the rows share: the local server, the binaries and homes of the process rows.
pub(crate) struct Ctx {
    server: server::Server,
    authctl: PathBuf,
    floor: PathBuf,
    browser: Option<String>,
    homes: process::Homes,
}

/// A row of the table.
pub(crate) struct Row {
    /// What is measured (ours).
    name: &'static str,
    /// What it is compared with; empty when the goal is absolute.
    anchor: &'static str,
    /// The unit of the figures.
    unit: &'static str,
    goal: Goal,
    /// Measures one round.
    measure: fn(&Ctx) -> Result<Sample, String>,
}

/// The rows, in the order of the table.
const ROWS: &[Row] = &[
    Row {
        name: "OAuth 1 HMAC-SHA1 signing (GET with 3 query parameters + form POST)",
        anchor: "oauth1-request 0.6",
        unit: "ns",
        goal: Goal::RatioAtMost(1.0),
        measure: |_| sign::measure(),
    },
    Row {
        name: "DPoP proof for a resource request (ES256, with ath)",
        anchor: "jsonwebtoken::encode, same header, claims and key",
        unit: "µs",
        goal: Goal::Report,
        measure: |_| jose::dpop_proof(),
    },
    Row {
        name: "ID token validation, warm JWKS cache (RS256)",
        anchor: "jsonwebtoken::decode, same key and checks",
        unit: "µs",
        goal: Goal::Report,
        measure: |_| jose::id_token_rs256(),
    },
    Row {
        name: "ID token validation, warm JWKS cache (ES256)",
        anchor: "jsonwebtoken::decode, same key and checks",
        unit: "µs",
        goal: Goal::Report,
        measure: |_| jose::id_token_es256(),
    },
    Row {
        name: "password grant via TokenManager + UreqBackend",
        anchor: "raw ureq POST",
        unit: "µs",
        goal: Goal::RatioAtMost(1.10),
        measure: |ctx| grant::ureq(&ctx.server),
    },
    Row {
        name: "password grant via TokenManager + ReqwestBackend",
        anchor: "raw reqwest POST",
        unit: "µs",
        goal: Goal::RatioAtMost(1.10),
        measure: |ctx| grant::reqwest(&ctx.server),
    },
    Row {
        name: "`authctl token` from cache (file store), whole process",
        anchor: "empty binary, same release profile",
        unit: "ms",
        goal: Goal::RatioAtMost(1.5),
        measure: process::token_vs_floor,
    },
    Row {
        name: "`authctl token` from cache, keyring store (Secret Service)",
        anchor: "the same, file store",
        unit: "ms",
        goal: Goal::Report,
        measure: process::keyring_vs_file,
    },
    Row {
        name: "`authctl token` from cache, Redis store",
        anchor: "",
        unit: "ms",
        goal: Goal::Report,
        measure: process::redis,
    },
    Row {
        name: "whole PKCE login (`authctl login`), local server, browser stand-in",
        anchor: "",
        unit: "ms",
        goal: Goal::ValueAtMost(50.0),
        measure: process::pkce_login,
    },
    Row {
        name: "1,000 concurrent callers on an expired token (exactly 1 refresh), p99",
        anchor: "the token endpoint's own latency",
        unit: "ms",
        goal: Goal::OverAnchorAtMost(2.0),
        measure: |_| single_flight::measure(),
    },
];

struct Args {
    rounds: usize,
    check: bool,
    json: Option<PathBuf>,
    authctl: PathBuf,
    floor: PathBuf,
    browser: Option<String>,
    keyring: bool,
    redis_url: Option<String>,
    work: PathBuf,
    /// Only the rows whose name contains this (for profiling one row).
    only: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(PathBuf::from))
        .unwrap_or_default();
    let mut args = Args {
        rounds: 5,
        check: false,
        json: None,
        authctl: exe_dir.join("authctl"),
        floor: exe_dir.join("bench-floor"),
        browser: None,
        keyring: false,
        redis_url: None,
        work: std::env::temp_dir().join(format!("auth-bench-{}", std::process::id())),
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--rounds" => {
                args.rounds = value()?
                    .parse()
                    .map_err(|_| "--rounds needs a number".to_owned())?
            }
            "--check" => args.check = true,
            "--json" => args.json = Some(value()?.into()),
            "--authctl" => args.authctl = value()?.into(),
            "--floor" => args.floor = value()?.into(),
            "--browser" => args.browser = Some(value()?),
            "--keyring" => args.keyring = true,
            "--redis-url" => args.redis_url = Some(value()?),
            "--work" => args.work = value()?.into(),
            "--only" => args.only = Some(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.check && args.rounds < 5 {
        return Err("--check needs at least 5 rounds to measure the noise".into());
    }
    if args.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("auth-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every row `rounds` times (the rows take turns within a round, so a slow minute
/// of the machine spreads over all of them), prints the table, writes the JSON, and
/// returns false when `--check` finds a goal missed beyond the noise or a row failed.
fn run() -> Result<bool, String> {
    let args = parse_args()?;
    // The anchor reqwest client is built without a TLS provider of its own (as ours):
    // this program, not a library, installs one for the process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = server::Server::start()?;
    std::fs::create_dir_all(&args.work).map_err(|e| e.to_string())?;
    let homes = process::Homes::prepare(
        &args.work,
        args.keyring,
        args.redis_url.as_deref(),
        &server.url(""),
    )?;
    // copies, as installed; a program that is missing is reported by the rows that run it
    let bin = args.work.join("bin");
    let install = |binary: &PathBuf| {
        process::installed(binary, &bin).unwrap_or_else(|e| {
            eprintln!("note: {e}; the process rows run it where it is");
            binary.clone()
        })
    };
    let ctx = Ctx {
        server,
        authctl: install(&args.authctl),
        floor: install(&args.floor),
        browser: args.browser.clone(),
        homes,
    };
    let rows: Vec<&Row> = ROWS
        .iter()
        .filter(|row| {
            args.only
                .as_ref()
                .is_none_or(|only| row.name.contains(only.as_str()))
        })
        .collect();
    let mut samples: Vec<Result<Vec<Sample>, String>> =
        rows.iter().map(|_| Ok(Vec::new())).collect();
    for round in 1..=args.rounds {
        eprintln!("round {round} of {}", args.rounds);
        for (row, slot) in rows.iter().zip(samples.iter_mut()) {
            if let Ok(rounds) = slot {
                match (row.measure)(&ctx) {
                    Ok(sample) => rounds.push(sample),
                    Err(e) => *slot = Err(e),
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&args.work);
    let summaries: Vec<Summary> = rows
        .into_iter()
        .zip(samples)
        .map(|(row, samples)| Summary::new(row, samples))
        .collect();
    print!("{}", report::table(&summaries, args.rounds));
    if let Some(path) = &args.json {
        std::fs::write(path, report::json(&summaries, args.rounds))
            .map_err(|e| format!("write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(report::verdict(&summaries, args.check))
}
