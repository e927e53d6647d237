//! The rows that time whole `authctl` processes: `token` from a cached token (file,
//! keyring and Redis stores), the floor of starting any process (an empty binary of the
//! same release profile), and a whole PKCE login against the local server with a
//! browser stand-in that follows the redirect.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use auth_core::{Token, TokenKey, TokenStore};

use crate::{Ctx, Sample};

/// `authctl token` runs per round for the file store and the floor.
const TOKEN_RUNS: usize = 100;
/// Runs per round for the keyring and Redis stores (each costs milliseconds).
const STORE_RUNS: usize = 40;
/// Logins per round.
const LOGIN_RUNS: usize = 10;
/// The cached token's value; `authctl token` must print exactly this.
const CACHED: &str = "cached-access-token";
/// The store key of the Redis rows (a fixed test key, never a real one).
const REDIS_STORE_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The homes the process rows run in, made once.
pub(crate) struct Homes {
    file: PathBuf,
    keyring: Option<PathBuf>,
    redis: Option<PathBuf>,
    login: PathBuf,
}

fn bench_key() -> TokenKey {
    TokenKey::new("bench", "default", "bench-client")
}

fn cached_token() -> Token {
    Token::bearer(CACHED).expiring_at(SystemTime::now() + Duration::from_secs(3600))
}

fn profile(store: &str, extra: &str) -> String {
    format!(
        "[profiles.bench]\ntoken_url = \"https://auth.example.com/token\"\n\
         client_id = \"bench-client\"\nstore = \"{store}\"\n{extra}"
    )
}

fn home(root: &Path, name: &str, config: &str) -> Result<PathBuf, String> {
    let dir = root.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    std::fs::write(dir.join("config.toml"), config).map_err(|e| e.to_string())?;
    Ok(dir)
}

fn seed(store: &dyn TokenStore) -> Result<(), String> {
    pollster::block_on(store.save(&bench_key(), &cached_token())).map_err(|e| e.to_string())
}

impl Homes {
    /// Writes each home's config and stores the cached token in each store.
    pub(crate) fn prepare(
        ctx_root: &Path,
        keyring: bool,
        redis: Option<&str>,
        login_server: &str,
    ) -> Result<Homes, String> {
        let file = home(ctx_root, "file", &profile("file", ""))?;
        seed(&auth_store::FileStore::new(&file))?;
        let keyring = if keyring {
            let dir = home(ctx_root, "keyring", &profile("keyring", ""))?;
            seed(&auth_store::KeyringStore::new().with_lock_dir(&dir))?;
            Some(dir)
        } else {
            None
        };
        let redis = match redis {
            Some(url) => {
                let dir = home(
                    ctx_root,
                    "redis",
                    &profile("redis", &format!("redis_url = \"{url}\"\n")),
                )?;
                let key = auth_core::Secret::new(REDIS_STORE_KEY);
                let store = auth_store::RedisStore::builder(url)
                    .key(auth_store::StoreKey::from_base64(&key).map_err(|e| e.to_string())?)
                    .build()
                    .map_err(|e| e.to_string())?;
                seed(&store)?;
                Some(dir)
            }
            None => None,
        };
        let login = home(
            ctx_root,
            "login",
            &format!(
                "[profiles.bench]\nauthorize_url = \"{login_server}/authorize\"\n\
                 token_url = \"{login_server}/token\"\nclient_id = \"bench-client\"\n\
                 flow = \"pkce\"\nredirect_port = 0\nstore = \"file\"\ninsecure_http = true\n"
            ),
        )?;
        Ok(Homes {
            file,
            keyring,
            redis,
            login,
        })
    }
}

/// A copy of the program `binary` in `dir`, the one the process rows run. A binary the
/// linker has just written starts measurably slower than the same file copied (or read
/// from disk after a reboot), as a user's installed copy is: about 40 more page faults
/// and 0.1 to 0.2 ms for `authctl` on the machine where this was found; an empty binary
/// hardly changes. Both sides of a row run copies, so neither carries that.
pub(crate) fn installed(binary: &Path, dir: &Path) -> Result<PathBuf, String> {
    let name = binary
        .file_name()
        .ok_or_else(|| format!("{} is not a file", binary.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let copy = dir.join(name);
    std::fs::copy(binary, &copy)
        .map_err(|e| format!("copy {} to {}: {e}", binary.display(), copy.display()))?;
    Ok(copy)
}

/// Runs a program once; its wall time in milliseconds, or what went wrong.
fn run_once(mut command: Command, expect_stdout: Option<&str>) -> Result<f64, String> {
    command
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped());
    let start = Instant::now();
    let output = command.output().map_err(|e| e.to_string())?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let stdout_ok = expect_stdout.is_none_or(|want| output.stdout == want.as_bytes());
    if !output.status.success() || !stdout_ok {
        return Err(format!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(ms)
}

fn authctl(ctx: &Ctx, home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(&ctx.authctl);
    command
        .args(args)
        .env("AUTHCTL_HOME", home)
        .env_remove("AUTHCTL_PROFILE")
        .env_remove("RUST_LOG");
    command
}

fn token_command(ctx: &Ctx, home: &Path) -> Command {
    let mut command = authctl(ctx, home, &["token", "--profile", "bench"]);
    command.env("AUTHCTL_STORE_KEY", REDIS_STORE_KEY);
    command
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs `ours` and `theirs` alternately `n` times; the median of each, in ms.
fn alternate(
    n: usize,
    ours: impl Fn() -> Command,
    theirs: impl Fn() -> Command,
    want: Option<&str>,
) -> Result<Sample, String> {
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        a.push(run_once(ours(), want)?);
        b.push(run_once(theirs(), None)?);
    }
    Ok(Sample::new(median(a), median(b)))
}

fn expected_stdout() -> String {
    format!("{CACHED}\n")
}

/// `authctl token` from the file store against the empty binary.
pub(crate) fn token_vs_floor(ctx: &Ctx) -> Result<Sample, String> {
    let want = expected_stdout();
    alternate(
        TOKEN_RUNS,
        || token_command(ctx, &ctx.homes.file),
        || Command::new(&ctx.floor),
        Some(&want),
    )
}

/// `authctl token` from the keyring store against the same from the file store.
pub(crate) fn keyring_vs_file(ctx: &Ctx) -> Result<Sample, String> {
    let home = ctx
        .homes
        .keyring
        .as_ref()
        .ok_or("no Secret Service (run it through `cargo xtask bench`)")?;
    let want = expected_stdout();
    alternate(
        STORE_RUNS,
        || token_command(ctx, home),
        || token_command(ctx, &ctx.homes.file),
        Some(&want),
    )
}

/// `authctl token` from the Redis store (report only).
pub(crate) fn redis(ctx: &Ctx) -> Result<Sample, String> {
    let home = ctx
        .homes
        .redis
        .as_ref()
        .ok_or("no redis-server (run it through `cargo xtask bench`)")?;
    let want = expected_stdout();
    let runs = (0..STORE_RUNS)
        .map(|_| run_once(token_command(ctx, home), Some(&want)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Sample::alone(median(runs)))
}

/// A whole `authctl login` with PKCE: the loopback server, the browser stand-in, the
/// authorization redirect, the code exchange and the file store write.
pub(crate) fn pkce_login(ctx: &Ctx) -> Result<Sample, String> {
    let browser = ctx
        .browser
        .as_deref()
        .ok_or("no browser stand-in given (--browser)")?;
    let runs = (0..LOGIN_RUNS)
        .map(|_| {
            let mut command = authctl(ctx, &ctx.homes.login, &["login", "--profile", "bench"]);
            command.env("BROWSER", browser);
            run_once(command, None)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Sample::alone(median(runs)))
}
