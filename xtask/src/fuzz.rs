//! `cargo xtask fuzz`: every parser's property tests with many cases (10,000 by default),
//! one test binary and filter per parser, then a table of parsers, cases run, panics and
//! results.
//!
//! The properties live in the crates' own tests (CI runs them at proptest's default
//! count); their inputs come from `auth_testkit::hostile`: near-valid documents with
//! hostile values. Each property must hold and nothing may panic. Run this before a
//! change that touches a parser.

use std::time::Instant;

use xshell::cmd;

use crate::util::Workspace;

/// The cases per property when `--cases` is not given.
pub(crate) const DEFAULT_CASES: u32 = 10_000;

/// One parser: where its properties are and which tests they are.
struct Parser {
    name: &'static str,
    package: &'static str,
    /// `cargo test` arguments choosing the features and the test binary.
    target: &'static [&'static str],
    /// The exact names of its property tests in that binary.
    tests: &'static [&'static str],
}

const PARSERS: &[Parser] = &[
    Parser {
        name: "token response and error body",
        package: "auth-flows",
        target: &["--all-features", "--test", "parsers_proptest"],
        tests: &["token_response_and_error_body"],
    },
    Parser {
        name: "callback query",
        package: "auth-flows",
        target: &["--all-features", "--test", "parsers_proptest"],
        tests: &["callback_query"],
    },
    Parser {
        name: "HTTP request head",
        package: "auth-flows",
        target: &["--all-features", "--lib"],
        tests: &[
            "loopback::http1::proptests::hostile_request_heads",
            "loopback::http1::tests::request_head_parsing_never_panics",
        ],
    },
    Parser {
        name: "device authorization response",
        package: "auth-flows",
        target: &["--all-features", "--test", "parsers_proptest"],
        tests: &["device_response", "device_numbers"],
    },
    Parser {
        name: "discovery document",
        package: "auth-flows",
        target: &["--all-features", "--test", "parsers_proptest"],
        tests: &["discovery_document"],
    },
    Parser {
        name: "JWT claims",
        package: "auth-flows",
        target: &["--all-features", "--test", "parsers_proptest"],
        tests: &["jwt_claims"],
    },
    Parser {
        name: "OAuth 1 parameters",
        package: "auth-flows",
        target: &["--all-features", "--test", "oauth1_proptest"],
        tests: &[
            "percent_encoding_round_trips",
            "decoding_and_parsing_never_panic",
            "base_strings_carry_exactly_the_request_parameters",
        ],
    },
    Parser {
        name: "token file",
        package: "auth-store",
        target: &["--features", "file", "--test", "token_file_proptest"],
        tests: &["token_file"],
    },
    Parser {
        name: "config file",
        package: "auth-cli",
        target: &["--bin", "authctl"],
        tests: &["config::proptests::config_file"],
    },
];

/// What one parser's run gave.
struct Outcome {
    name: &'static str,
    properties: usize,
    passed: usize,
    panics: usize,
    secs: f64,
}

/// Builds every test binary, runs each parser's properties with `cases` cases each, and
/// prints the table. Fails when a property fails or anything panics.
pub(crate) fn fuzz(ws: &Workspace, cases: u32) -> Result<(), String> {
    let sh = &ws.sh;
    let cargo = &ws.cargo;
    eprintln!("==> building the property tests");
    let mut built: Vec<(&str, &[&str])> = Vec::new();
    for parser in PARSERS {
        if built.contains(&(parser.package, parser.target)) {
            continue;
        }
        let (package, target) = (parser.package, parser.target);
        cmd!(sh, "{cargo} test -p {package} {target...} --no-run --quiet")
            .run()
            .map_err(|e| format!("building the tests of {package} failed: {e}"))?;
        built.push((package, target));
    }

    let started = Instant::now();
    let mut outcomes = Vec::new();
    for parser in PARSERS {
        eprintln!("==> {} ({cases} cases per property)", parser.name);
        let (package, target, tests) = (parser.package, parser.target, parser.tests);
        let begun = Instant::now();
        let output = cmd!(
            sh,
            "{cargo} test -q -p {package} {target...} -- --exact {tests...}"
        )
        .env("PROPTEST_CASES", cases.to_string())
        .ignore_status()
        .quiet()
        .output()
        .map_err(|e| format!("running the tests of {}: {e}", parser.name))?;
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let outcome = Outcome {
            name: parser.name,
            properties: tests.len(),
            passed: passed_count(&text),
            panics: panic_count(&text),
            secs: begun.elapsed().as_secs_f64(),
        };
        if !output.status.success() || outcome.passed != outcome.properties || outcome.panics > 0 {
            eprintln!("{text}");
        }
        outcomes.push(outcome);
    }
    print_table(&outcomes, cases, started.elapsed().as_secs_f64());
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.passed != o.properties || o.panics > 0)
        .map(|o| o.name)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("properties failed for: {}", failed.join(", ")))
    }
}

/// `N passed` summed over the `test result:` lines of libtest's output.
fn passed_count(output: &str) -> usize {
    output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("test result: "))
        .filter_map(|rest| {
            rest.split(';')
                .find_map(|part| {
                    part.trim()
                        .trim_start_matches("ok. ")
                        .trim_start_matches("FAILED. ")
                        .strip_suffix(" passed")
                })
                .and_then(|n| n.trim().parse::<usize>().ok())
        })
        .sum()
}

/// Panics other than proptest's own report of a failed property (`Test failed: ...`):
/// each `panicked at` whose message (the next line) is not that report.
fn panic_count(output: &str) -> usize {
    let lines: Vec<&str> = output.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("panicked at"))
        .filter(|(i, l)| {
            let message = lines.get(i + 1).copied().unwrap_or_default();
            !(message.starts_with("Test failed") || l.contains("Test failed"))
        })
        .count()
}

fn print_table(outcomes: &[Outcome], cases: u32, total_secs: f64) {
    println!(
        "\n{:<32} {:>10} {:>11} {:>7} {:>7} {:>8}",
        "parser", "properties", "cases run", "panics", "result", "time"
    );
    for o in outcomes {
        let ok = o.passed == o.properties && o.panics == 0;
        let run = u64::from(cases) * o.passed as u64;
        println!(
            "{:<32} {:>10} {:>11} {:>7} {:>7} {:>7.0}s",
            o.name,
            o.properties,
            run,
            o.panics,
            if ok { "ok" } else { "FAILED" },
            o.secs
        );
    }
    println!(
        "fuzz: {} parsers, {cases} cases per property, {total_secs:.0}s",
        outcomes.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_output_is_read() {
        let out = "running 2 tests\n..\ntest result: ok. 2 passed; 0 failed; 0 ignored\n\
                   test result: FAILED. 1 passed; 1 failed;\n\
                   thread 'a' panicked at src/x.rs:1:2:\nattempt to add with overflow\n\
                   thread 'b' panicked at tests/p.rs:3:4:\nTest failed: boom; minimal failing input";
        assert_eq!(passed_count(out), 3);
        assert_eq!(panic_count(out), 1);
    }
}
