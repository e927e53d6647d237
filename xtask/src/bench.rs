//! `cargo xtask bench [--check] [--rounds N] [--only TEXT]`: builds `authctl`, the bench program
//! (`auth-bench`) and its empty floor binary with the release profile, starts what the
//! rows need (a private Secret Service and a `redis-server`, stopped afterwards), and runs
//! the bench program: every row side by side with its anchor, the table on stdout and
//! `target/bench.json`. The rows themselves live in `auth-bench/src/main.rs`.

use xshell::cmd;

use crate::flags::Bench;
use crate::redis::RedisServer;
use crate::secret_service::SecretService;
use crate::util::Workspace;

/// Builds, starts the services, runs the rows; an error when a row fails or, with
/// `--check`, when a goal is missed beyond the noise.
pub(crate) fn bench(ws: &Workspace, flags: &Bench) -> Result<(), String> {
    let cargo = &ws.cargo;
    eprintln!("==> building authctl and the bench (release)");
    cmd!(
        ws.sh,
        "{cargo} build --release --quiet -p auth-cli -p auth-bench"
    )
    .run()
    .map_err(|e| format!("the release build failed: {e}"))?;
    eprintln!("==> starting a private Secret Service and a redis-server");
    let keyring = SecretService::start(ws)?;
    let redis = RedisServer::start(ws)?;

    let bench = ws.binary("release", "auth-bench");
    let xtask = std::env::current_exe().map_err(|e| e.to_string())?;
    let browser = format!("{} browse", xtask.display());
    let json = ws.target_dir.join("bench.json");
    let work = ws.run_dir("bench")?;
    let mut args = vec![
        "--authctl".to_owned(),
        ws.binary("release", "authctl").display().to_string(),
        "--floor".into(),
        ws.binary("release", "bench-floor").display().to_string(),
        "--browser".into(),
        browser,
        "--keyring".into(),
        "--redis-url".into(),
        redis.url(),
        "--json".into(),
        json.display().to_string(),
        "--work".into(),
        work.display().to_string(),
        "--rounds".into(),
        flags.rounds.unwrap_or(5).to_string(),
    ];
    if flags.check {
        args.push("--check".into());
    }
    if let Some(only) = &flags.only {
        args.extend(["--only".to_owned(), only.clone()]);
    }
    let result = cmd!(ws.sh, "{bench} {args...}")
        .envs(keyring.env())
        .run()
        .map_err(|_| {
            if flags.check {
                "a goal is missed beyond the noise, or a row failed (see above)".to_owned()
            } else {
                "a row failed (see above)".to_owned()
            }
        });
    drop(redis);
    drop(keyring);
    let _ = std::fs::remove_dir_all(&work);
    result
}
