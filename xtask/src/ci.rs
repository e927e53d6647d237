//! `cargo xtask ci` and `cargo xtask conformance`: named steps, each a command run
//! through `xshell`, then a table of results and the closing line
//! `N passed, M failed, K skipped`.
//!
//! A step is skipped only when what it needs cannot be installed on this machine (for
//! example Chromium without apt-get): it is listed as SKIPPED with the reason, counted
//! apart from the passed ones, and does not fail the run.

use std::time::Instant;

use xshell::{Cmd, cmd};

use crate::chromium::Chromium;
use crate::oauth_server::OAuthServer;
use crate::oidc_provider::OidcProvider;
use crate::redis::RedisServer;
use crate::secret_service::SecretService;
use crate::util::{Workspace, ensure_kubectl};

/// One step of a run: a name people read, and what it runs.
struct Step<'a> {
    name: String,
    work: Work<'a>,
}

enum Work<'a> {
    /// Passes when the command exits 0.
    Run(Cmd<'a>),
    /// Passes when none of the crates is in the dependency tree: one
    /// `cargo tree -e normal ... -i CRATE` per crate, each of which must print nothing.
    Absent(Vec<(&'static str, Cmd<'a>)>),
}

impl<'a> Step<'a> {
    fn run(name: impl Into<String>, cmd: Cmd<'a>) -> Step<'a> {
        Step {
            name: name.into(),
            work: Work::Run(cmd),
        }
    }
}

/// A dependency check: `cargo tree -e normal -p PACKAGES --no-default-features
/// --features FEATURES -i CRATE` for each forbidden crate.
fn absent<'a>(
    ws: &'a Workspace,
    name: &str,
    packages: &[&str],
    features: &str,
    forbidden: &[&'static str],
) -> Step<'a> {
    let cargo = &ws.cargo;
    let packages: Vec<String> = packages.iter().map(|p| format!("--package={p}")).collect();
    let packages = &packages;
    let trees = forbidden
        .iter()
        .map(|&krate| {
            let tree = cmd!(
                ws.sh,
                "{cargo} tree -e normal {packages...} --no-default-features --features {features} -i {krate}"
            )
            .ignore_status()
            .quiet();
            (krate, tree)
        })
        .collect();
    Step {
        name: name.to_owned(),
        work: Work::Absent(trees),
    }
}

/// The dependency checks: the light stacks stay free of the heavy ones.
fn dependency_checks(ws: &Workspace) -> Vec<Step<'_>> {
    vec![
        absent(
            ws,
            "deps: auth-http with only ureq has no tokio or reqwest",
            &["auth-http"],
            "ureq",
            &["tokio", "reqwest", "hyper"],
        ),
        absent(
            ws,
            "deps: auth-store with only file has no D-Bus or keyring",
            &["auth-store"],
            "file",
            &["zbus", "keyring-core", "dbus", "secret-service"],
        ),
        absent(
            ws,
            "deps: auth-flows + ureq + file stack has no tokio, keyring or reqwest",
            &["auth-flows", "auth-http", "auth-store"],
            "auth-flows/password,auth-http/ureq,auth-store/file",
            &["tokio", "reqwest", "zbus", "keyring-core"],
        ),
        absent(
            ws,
            "deps: auth-flows ureq-middleware stack has no tokio or reqwest",
            &["auth-flows", "auth-http", "auth-store"],
            "auth-flows/ureq-middleware,auth-flows/client-credentials,auth-http/ureq,auth-store/file",
            &["tokio", "reqwest"],
        ),
        absent(
            ws,
            "deps: auth-store with only redis has no tokio and no aws-lc",
            &["auth-store"],
            "redis",
            &["tokio", "aws-lc-rs", "aws-lc-sys"],
        ),
    ]
}

/// Each crate's tests once per feature set that matters: each backend alone, each store
/// alone, each flow alone, everything, nothing. Doctests run once, with all features (they
/// are what the documentation shows); the single-feature runs take unit and integration
/// tests, which keeps CI within its time on two cores.
fn unit_matrix(ws: &Workspace) -> Vec<Step<'_>> {
    let (sh, cargo) = (&ws.sh, &ws.cargo);
    let mut steps = dependency_checks(ws);
    steps.push(Step::run(
        "auth-core: no features",
        cmd!(sh, "{cargo} test -p auth-core --lib --tests"),
    ));
    for backend in ["ureq", "reqwest"] {
        steps.push(Step::run(
            format!("auth-http: {backend} only"),
            cmd!(
                sh,
                "{cargo} test -p auth-http --no-default-features --features {backend} --lib --tests"
            ),
        ));
    }
    for store in ["memory", "file", "env", "keyring", "config", "redis"] {
        steps.push(Step::run(
            format!("auth-store: {store} only"),
            cmd!(
                sh,
                "{cargo} test -p auth-store --no-default-features --features {store} --lib --tests"
            ),
        ));
    }
    for flow in [
        "password",
        "client-credentials",
        "authorization-code",
        "device",
        "jwt-bearer",
        "token-exchange",
        "inaturalist",
        "oauth1",
    ] {
        steps.push(Step::run(
            format!("auth-flows: {flow} only"),
            cmd!(
                sh,
                "{cargo} test -p auth-flows --no-default-features --features {flow} --lib --tests"
            ),
        ));
    }
    steps.push(Step::run(
        "auth-testkit: its own tests",
        cmd!(sh, "{cargo} test -p auth-testkit"),
    ));
    steps.push(Step::run(
        "workspace: all features",
        cmd!(sh, "{cargo} test --workspace --all-features"),
    ));
    steps.push(Step::run(
        "workspace: no default features",
        cmd!(
            sh,
            "{cargo} test --workspace --no-default-features --lib --tests"
        ),
    ));
    steps
}

/// The programs of auth-flows' "Embedding" page and its HTTP client middleware
/// programs. Each runs offline against a demo
/// server it starts on 127.0.0.1 (with no `OAUTH_TOKEN_URL` set), in well under a second.
/// They run as the examples step built them (`cargo run -p auth-flows` would resolve
/// other features and build them again).
const EMBEDDING_EXAMPLES: [&str; 6] = [
    "sync_ureq_file",
    "async_reqwest_memory",
    "custom_store",
    "custom_transport",
    "reqwest_middleware",
    "ureq_middleware",
];

/// Formatting, lints, the docs and the examples (built, then the embedding ones run).
fn static_checks(ws: &Workspace) -> Vec<Step<'_>> {
    let (sh, cargo) = (&ws.sh, &ws.cargo);
    let run_examples = EMBEDDING_EXAMPLES.map(|example| {
        let program = ws.binary("debug", &format!("examples/{example}"));
        Step::run(
            format!("example {example} (runs offline)"),
            cmd!(sh, "{program}").env_remove("OAUTH_TOKEN_URL"),
        )
    });
    let mut steps = vec![
        Step::run("rustfmt", cmd!(sh, "{cargo} fmt --all -- --check")),
        Step::run(
            "clippy (all features, all targets)",
            cmd!(
                sh,
                "{cargo} clippy --workspace --all-targets --all-features -- -D warnings"
            ),
        ),
        Step::run(
            "clippy (no default features)",
            cmd!(
                sh,
                "{cargo} clippy --workspace --all-targets --no-default-features -- -D warnings"
            ),
        ),
        Step::run(
            "examples (all features)",
            cmd!(sh, "{cargo} build --workspace --examples --all-features"),
        ),
        Step::run(
            "docs (all features, warnings are errors)",
            cmd!(sh, "{cargo} doc --workspace --all-features --no-deps")
                .env("RUSTDOCFLAGS", "-D warnings"),
        ),
    ];
    steps.extend(run_examples);
    steps
}

/// The whole CI run: static checks, the test matrix, then the conformance run.
pub(crate) fn ci(ws: &Workspace) -> Results {
    let mut steps = static_checks(ws);
    steps.extend(unit_matrix(ws));
    let mut results = Results::default();
    results.extend(run_steps(steps));
    results.append(conformance(ws));
    results
}

/// Only the dependency checks (`cargo xtask deps`).
pub(crate) fn deps(ws: &Workspace) -> Results {
    let mut results = Results::default();
    results.extend(run_steps(dependency_checks(ws)));
    results
}

/// What became of one step.
enum Verdict {
    Passed,
    Failed,
    /// Not run, because what it needs could not be installed; the reason.
    Skipped(String),
}

/// The rows of the final table, in the order the steps ran: `(name, ok, seconds)` from
/// [`run_steps`], and the skipped steps with their reasons.
#[derive(Default)]
pub(crate) struct Results(Vec<(String, Verdict, f64)>);

impl Results {
    /// A step that ran: its name, whether it passed, and how long it took.
    fn push(&mut self, (name, ok, secs): (String, bool, f64)) {
        let verdict = if ok { Verdict::Passed } else { Verdict::Failed };
        self.0.push((name, verdict, secs));
    }

    /// A step that could not run on this machine, and why. It is reported, not passed.
    fn skip(&mut self, name: impl Into<String>, why: impl Into<String>) {
        let (name, why) = (name.into(), why.into());
        eprintln!("\n==> {name}: SKIPPED: {why}");
        self.0.push((name, Verdict::Skipped(why), 0.0));
    }

    fn append(&mut self, mut other: Results) {
        self.0.append(&mut other.0);
    }
}

impl Extend<(String, bool, f64)> for Results {
    fn extend<I: IntoIterator<Item = (String, bool, f64)>>(&mut self, rows: I) {
        for row in rows {
            self.push(row);
        }
    }
}

fn run_steps(steps: Vec<Step<'_>>) -> Vec<(String, bool, f64)> {
    let mut results = Vec::new();
    for step in steps {
        eprintln!("\n==> {}", step.name);
        let started = Instant::now();
        let ok = match &step.work {
            Work::Run(cmd) => match cmd.run() {
                Ok(()) => true,
                Err(e) => {
                    eprintln!("{e}");
                    false
                }
            },
            Work::Absent(trees) => trees.iter().all(|(krate, tree)| not_in_tree(krate, tree)),
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

/// True when `cargo tree -i CRATE` finds no path to `krate`: it prints nothing (the crate
/// is in the lock file but not in this tree), or says no package matches (it is not in
/// the lock file at all). Any other failure, or a tree, fails the check.
fn not_in_tree(krate: &str, tree: &Cmd<'_>) -> bool {
    eprintln!("$ {tree}");
    let output = match tree.output() {
        Ok(output) => output,
        Err(e) => {
            eprintln!("{e}");
            return false;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() && stdout.trim().is_empty() {
        return true;
    }
    if !output.status.success() && stderr.contains("did not match any packages") {
        return true;
    }
    if output.status.success() {
        eprintln!("{stdout}\n{krate} is in the tree (above: what pulls it in)");
    } else {
        eprintln!("{stderr}");
    }
    false
}

/// Starts the services, runs the conformance steps, stops the services.
pub(crate) fn conformance(ws: &Workspace) -> Results {
    let (sh, cargo) = (&ws.sh, &ws.cargo);
    let mut results = Results::default();
    for backend in ["ureq", "reqwest"] {
        results.extend(run_steps(vec![Step::run(
            format!("conformance: HttpBackend, {backend}"),
            cmd!(
                sh,
                "{cargo} test -p auth-http --no-default-features --features {backend} --test conformance"
            ),
        )]));
    }
    match SecretService::start(ws) {
        Ok(service) => {
            results.extend(run_steps(vec![
                Step::run(
                    "conformance: keyring store and source, real Secret Service",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-store --no-default-features --features keyring --test secret_service -- --ignored"
                    )
                    .envs(service.env()),
                ),
                Step::run(
                    "conformance: 8 authctl processes refresh once, keyring store",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-cli --test shared_refresh -- --ignored"
                    )
                    .envs(service.env()),
                ),
            ]));
            drop(service);
        }
        Err(e) => {
            eprintln!("could not start a Secret Service: {e}");
            results.push(("conformance: Secret Service".into(), false, 0.0));
        }
    }
    match RedisServer::start(ws) {
        Ok(server) => {
            results.extend(run_steps(vec![
                Step::run(
                    "conformance: Redis store, blocking connection, real redis-server",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-store --no-default-features --features redis --test redis_store -- --ignored"
                    )
                    .envs(server.env()),
                ),
                Step::run(
                    "conformance: Redis store, tokio connection, real redis-server",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-store --no-default-features --features redis-tokio --test redis_store -- --ignored"
                    )
                    .envs(server.env()),
                ),
                Step::run(
                    "conformance: authctl on one Redis from two homes",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-cli --test redis_store -- --ignored --skip over_tls"
                    )
                    .envs(server.env()),
                ),
            ]));
            drop(server);
        }
        Err(e) => {
            eprintln!("could not start redis-server: {e}");
            results.push(("conformance: redis-server".into(), false, 0.0));
        }
    }
    match RedisServer::start_tls(ws) {
        Ok(server) => {
            results.extend(run_steps(vec![
                Step::run(
                    "conformance: Redis store over TLS, both connections, private CA",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-store --no-default-features --features redis-tokio --test redis_tls -- --ignored"
                    )
                    .envs(server.env()),
                ),
                Step::run(
                    "conformance: authctl on Redis over TLS (redis_ca_file)",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-cli --test redis_store -- --ignored over_tls"
                    )
                    .envs(server.env()),
                ),
            ]));
            drop(server);
        }
        Err(e) => {
            eprintln!("could not start redis-server with TLS: {e}");
            results.push(("conformance: redis-server with TLS".into(), false, 0.0));
        }
    }
    match ensure_kubectl(sh) {
        Ok(()) => results.extend(run_steps(vec![Step::run(
            "conformance: kubectl exec credential plugin, real kubectl",
            cmd!(sh, "{cargo} test -p auth-cli --test kubectl -- --ignored"),
        )])),
        Err(e) => {
            eprintln!("could not install kubectl: {e}");
            results.push(("conformance: kubectl".into(), false, 0.0));
        }
    }
    // Installed before the OAuth server starts, so the server does not wait on apt-get.
    let chromium = install_chromium(ws);
    match OAuthServer::start(ws) {
        Ok(server) => {
            results.extend(run_steps(vec![
                Step::run(
                    "conformance: flows with each transport, real OAuth server",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-cli --test flows_conformance -- --ignored"
                    )
                    .envs(server.env()),
                ),
                Step::run(
                    "conformance: authctl end to end, real OAuth server",
                    cmd!(sh, "{cargo} test -p auth-cli --test cli -- --ignored").envs(server.env()),
                ),
            ]));
            browser_step(ws, &server, &chromium, &mut results);
            drop(server);
        }
        Err(e) => {
            eprintln!("could not start the OAuth server: {e}");
            results.push(("conformance: OAuth server".into(), false, 0.0));
        }
    }
    match OidcProvider::start(ws) {
        Ok(provider) => {
            results.extend(run_steps(vec![
                Step::run(
                    "conformance: authctl against a strict OpenID provider (oidc-provider)",
                    cmd!(
                        sh,
                        "{cargo} test -p auth-cli --test oidc_provider -- --ignored"
                    )
                    .envs(provider.env()),
                ),
                Step::run(
                    "conformance: DPoP and validated ID tokens (oidc-provider)",
                    cmd!(sh, "{cargo} test -p auth-cli --test oidc_dpop -- --ignored")
                        .envs(provider.env()),
                ),
                Step::run(
                    "conformance: JWT bearer, token exchange, resource indicators, PAR (oidc-provider)",
                    cmd!(sh, "{cargo} test -p auth-cli --test oidc_grants -- --ignored")
                        .envs(provider.env()),
                ),
            ]));
            drop(provider);
        }
        Err(e) => {
            eprintln!("could not start oidc-provider: {e}");
            results.push(("conformance: oidc-provider".into(), false, 0.0));
        }
    }
    results
}

/// Only the browser test (`cargo xtask browser`): Chromium, the OAuth server, the test.
pub(crate) fn browser(ws: &Workspace) -> Results {
    let chromium = install_chromium(ws);
    let mut results = Results::default();
    match OAuthServer::start(ws) {
        Ok(server) => browser_step(ws, &server, &chromium, &mut results),
        Err(e) => {
            eprintln!("could not start the OAuth server: {e}");
            results.push(("conformance: OAuth server".into(), false, 0.0));
        }
    }
    results
}

/// The browser test against `server`, or its skip when Chromium could not be installed.
fn browser_step(
    ws: &Workspace,
    server: &OAuthServer,
    chromium: &Result<Chromium, String>,
    results: &mut Results,
) {
    let (sh, cargo) = (&ws.sh, &ws.cargo);
    let name = "conformance: authctl login in headless Chromium, real OAuth server";
    match chromium {
        Ok(chromium) => results.extend(run_steps(vec![Step::run(
            name,
            cmd!(sh, "{cargo} test -p auth-cli --test browser -- --ignored")
                .envs(server.env())
                .envs(chromium.env()),
        )])),
        Err(why) => results.skip(name, format!("no Chromium: {why}")),
    }
}

/// Finds or installs Chromium for the browser test, saying which one and how long it took.
fn install_chromium(ws: &Workspace) -> Result<Chromium, String> {
    eprintln!("\n==> Chromium for the browser test");
    let started = Instant::now();
    let chromium = Chromium::install(ws);
    let secs = started.elapsed().as_secs_f64();
    match &chromium {
        Ok(chromium) => eprintln!("<== {} ready in {secs:.0}s", chromium.version()),
        Err(e) => eprintln!("<== Chromium could not be installed ({e}) in {secs:.0}s"),
    }
    chromium
}

/// Prints the table of results and `xtask: N passed, M failed, K skipped`, then the
/// skipped steps with their reasons. Skipped steps do not fail the run.
pub(crate) fn report(results: &Results) -> std::process::ExitCode {
    let rows = &results.0;
    eprintln!("\n{:<72} {:>8} {:>7}", "combination", "result", "time");
    for (name, verdict, secs) in rows {
        let result = match verdict {
            Verdict::Passed => "ok",
            Verdict::Failed => "FAILED",
            Verdict::Skipped(_) => "SKIPPED",
        };
        eprintln!("{name:<72} {result:>8} {secs:>6.0}s");
    }
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| matches!(r.1, Verdict::Failed))
        .map(|r| r.0.as_str())
        .collect();
    let skipped: Vec<String> = rows
        .iter()
        .filter_map(|(name, verdict, _)| match verdict {
            Verdict::Skipped(why) => Some(format!("{name} ({why})")),
            _ => None,
        })
        .collect();
    let passed = rows.len() - failed.len() - skipped.len();
    if !failed.is_empty() {
        eprintln!("\nfailed: {}", failed.join("; "));
    }
    if !skipped.is_empty() {
        eprintln!(
            "\nskipped, not passed (install what they need to run them): {}",
            skipped.join("; ")
        );
    }
    println!(
        "xtask: {passed} passed, {} failed, {} skipped",
        failed.len(),
        skipped.len()
    );
    if failed.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
