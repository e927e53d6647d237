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
        /// Benchmarks: token lifecycle, OAuth 1 signing, authctl token.
        cmd bench {}
        /// Every parser's property tests with many hostile cases (before a parser change).
        cmd fuzz {
            /// Cases per property (default 10000).
            optional --cases cases: u32
        }
        /// authctl against a real OAuth server on 127.0.0.1, every command shown.
        cmd demo {}
        /// GET a URL following redirects (the demo's stand-in browser).
        cmd browse {
            /// The http:// loopback URL to open.
            required url: String
        }
    }
}
