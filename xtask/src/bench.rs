//! `cargo xtask bench`: the library benchmarks, then `authctl token` from a cached token
//! in the file store and in a local Redis (median wall time, peak memory), the release
//! binary's size, and the wall time of eight `authctl token` processes refreshing one
//! expiring token together (the file-store race test of auth-cli, against a token server
//! that answers refreshes after 0.5 s). Medians, not timed tests: these machines are
//! shared and noisy.
//!
//! The timed `authctl token` runs are spawned with `std::process` rather than `xshell`:
//! measuring peak memory needs the child's own `wait4`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use auth_core::{Token, TokenKey, TokenStore};
use xshell::cmd;

use crate::redis::RedisServer;
use crate::util::Workspace;

/// Runs every benchmark and prints one line per measurement.
pub(crate) fn bench(ws: &Workspace) -> Result<(), String> {
    let cargo = &ws.cargo;
    for bench in ["token_manager", "oauth1_sign"] {
        cmd!(ws.sh, "{cargo} bench --quiet -p auth-flows --bench {bench}")
            .run()
            .map_err(|e| format!("the {bench} benchmark failed: {e}"))?;
    }
    dpop_id_token(ws)?;
    let authctl = ws.build_authctl()?;
    let size = std::fs::metadata(&authctl)
        .map_err(|e| e.to_string())?
        .len();
    println!(
        "authctl/binary_size: {:.2} MiB ({size} bytes, release, stripped)",
        size as f64 / 1048576.0
    );

    // A home with a profile and a token valid for an hour, in the file store.
    let home = ws.run_dir("bench-home")?;
    std::fs::write(
        home.join("config.toml"),
        "[profiles.bench]\ntoken_url = \"https://auth.example.com/token\"\nclient_id = \"bench-client\"\nstore = \"file\"\n",
    )
    .map_err(|e| e.to_string())?;
    let store = auth_store::FileStore::new(&home);
    pollster::block_on(store.save(&bench_key(), &cached_token())).map_err(|e| e.to_string())?;
    let file = time_token_from_cache(&authctl, &home, &[])?;
    println!("authctl/token_cached: {file}");
    let _ = std::fs::remove_dir_all(&home);

    // The same with the token in Redis (encrypted), on a local redis-server.
    let redis = RedisServer::start(ws)?;
    let home = ws.run_dir("bench-home-redis")?;
    std::fs::write(
        home.join("config.toml"),
        format!(
            "[profiles.bench]\ntoken_url = \"https://auth.example.com/token\"\nclient_id = \"bench-client\"\n\
             store = \"redis\"\nredis_url = \"{}\"\n",
            redis.url()
        ),
    )
    .map_err(|e| e.to_string())?;
    let key = auth_core::Secret::new(BENCH_STORE_KEY);
    let store = auth_store::RedisStore::builder(redis.url())
        .key(auth_store::StoreKey::from_base64(&key).map_err(|e| e.to_string())?)
        .build()
        .map_err(|e| e.to_string())?;
    pollster::block_on(store.save(&bench_key(), &cached_token())).map_err(|e| e.to_string())?;
    let on_redis =
        time_token_from_cache(&authctl, &home, &[("AUTHCTL_STORE_KEY", BENCH_STORE_KEY)])?;
    println!("authctl/token_cached_redis: {on_redis}");
    drop(redis);
    let _ = std::fs::remove_dir_all(&home);
    refresh_race(ws)
}

/// What the race test prints before its wall time.
const RACE_LINE: &str = "8-process refresh race (file store): ";
/// How many times the race runs; the median is reported.
const RACE_ROUNDS: usize = 5;

/// The median wall time of the 8-process refresh race, over [`RACE_ROUNDS`] runs of the
/// race test (debug build: the time is mostly the server's 0.5 s refresh delay and eight
/// process starts, not our code).
fn refresh_race(ws: &Workspace) -> Result<(), String> {
    let cargo = &ws.cargo;
    let mut walls = Vec::new();
    for _ in 0..RACE_ROUNDS {
        let out = cmd!(
            ws.sh,
            "{cargo} test --quiet -p auth-cli --test shared_refresh -- --exact eight_processes_on_an_expiring_token_refresh_once --nocapture"
        )
        .ignore_status()
        .output()
        .map_err(|e| format!("the refresh race could not run: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("the refresh race failed:\n{stderr}"));
        }
        let ms = stderr
            .lines()
            .find_map(|l| l.strip_prefix(RACE_LINE))
            .and_then(|rest| rest.trim().strip_suffix(" ms"))
            .and_then(|n| n.parse::<f64>().ok())
            .ok_or_else(|| format!("the refresh race printed no wall time:\n{stderr}"))?;
        walls.push(ms);
    }
    walls.sort_by(f64::total_cmp);
    println!(
        "authctl/token_refresh_race_8_processes: median {:.0} ms wall over {} rounds \
         (file store, server refresh delay 500 ms; min {:.0}, max {:.0})",
        walls[walls.len() / 2],
        walls.len(),
        walls[0],
        walls[walls.len() - 1]
    );
    Ok(())
}

/// The store key of the Redis bench (a fixed test key, never a real one).
const BENCH_STORE_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn bench_key() -> TokenKey {
    TokenKey::new("bench", "default", "bench-client")
}

fn cached_token() -> Token {
    Token::bearer("cached-access-token").expiring_at(SystemTime::now() + Duration::from_secs(3600))
}

/// Runs `authctl token --profile bench` 200 times in `home` and describes the median and
/// p90 wall time and the peak memory.
fn time_token_from_cache(
    authctl: &std::path::Path,
    home: &std::path::Path,
    env: &[(&str, &str)],
) -> Result<String, String> {
    let mut walls = Vec::new();
    let mut peak_kib = 0i64;
    for _ in 0..200 {
        let start = Instant::now();
        let child = Command::new(authctl)
            .args(["token", "--profile", "bench"])
            .env("AUTHCTL_HOME", home)
            .env_remove("AUTHCTL_PROFILE")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let (ok, max_rss) = wait_with_rusage(child);
        walls.push(start.elapsed().as_secs_f64() * 1000.0);
        peak_kib = peak_kib.max(max_rss);
        if !ok {
            return Err(format!(
                "authctl token failed from a cached token in {}",
                home.display()
            ));
        }
    }
    walls.sort_by(f64::total_cmp);
    Ok(format!(
        "median {:.2} ms wall, p90 {:.2} ms, over {} runs; peak RSS {:.1} MiB",
        walls[walls.len() / 2],
        walls[walls.len() * 9 / 10],
        walls.len(),
        peak_kib as f64 / 1024.0
    ))
}

/// Waits for the child and returns (success, its max RSS in KiB). `wait4` is the one
/// call that reports a finished child's own peak memory; std has no wrapper for it.
#[cfg(unix)]
#[allow(unsafe_code)]
fn wait_with_rusage(mut child: std::process::Child) -> (bool, i64) {
    use std::io::Read;
    let mut out = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_end(&mut out);
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes into the two out-parameters we own; the pid is our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let ok = rc == pid
        && libc::WIFEXITED(status)
        && libc::WEXITSTATUS(status) == 0
        && out == b"cached-access-token\n";
    (ok, usage.ru_maxrss)
}

#[cfg(not(unix))]
fn wait_with_rusage(child: std::process::Child) -> (bool, i64) {
    let out = child.wait_with_output();
    (
        out.is_ok_and(|o| o.status.success() && o.stdout == b"cached-access-token\n"),
        0,
    )
}

/// The DPoP and ID token rows: the time to build a DPoP proof, and to validate an ID
/// token with a warm JWKS cache (the `dpop_id_token` benchmark of auth-flows).
fn dpop_id_token(ws: &Workspace) -> Result<(), String> {
    let cargo = &ws.cargo;
    cmd!(
        ws.sh,
        "{cargo} bench --quiet -p auth-flows --bench dpop_id_token"
    )
    .run()
    .map_err(|e| format!("the dpop_id_token benchmark failed: {e}"))
}
