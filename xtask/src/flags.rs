//! The command line, declared with `xflags` (as rust-analyzer's xtask does).

#![allow(missing_docs, unreachable_pub)]

xflags::xflags! {
    /// The project's automation: cargo xtask <task>.
    cmd xtask {
        /// fmt, clippy, docs, examples, dependency checks, tests per feature set, conformance.
        cmd ci {}
        /// Only the dependency-tree checks (part of ci).
        cmd deps {}
        /// Conformance suites per backend and store, with real services.
        cmd conformance {}
        /// Only the browser test: authctl login in headless Chromium (installed when missing).
        cmd browser {}
        /// Benchmarks side by side with their anchors: medians, ratios, target/bench.json.
        cmd bench {
            /// Fail when a goal is missed by more than the spread over the rounds.
            optional --check
            /// Rounds to run (default 5; --check needs at least 5).
            optional --rounds rounds: usize
            /// Only the rows whose name contains this text (to iterate on one row).
            optional --only only: String
        }
        /// Every parser's property tests with many hostile cases (before a parser change).
        cmd fuzz {
            /// Cases per property (default 10000).
            optional --cases cases: u32
        }
        /// authctl against a real OAuth server on 127.0.0.1, every command shown.
        cmd demo {}
        /// Start the strict OpenID provider, run a command with its AUTHCTL_TEST_OIDC_*
        /// environment (for example `cargo test ... -- --ignored`), then stop it.
        cmd with-oidc {
            /// The command and its arguments.
            repeated command: String
        }
        /// GET a URL following redirects (the demo's stand-in browser).
        cmd browse {
            /// The http:// loopback URL to open.
            required url: String
        }
    }
}
