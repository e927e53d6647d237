//! `cargo xtask demo`: authctl against a real OAuth server on 127.0.0.1, every command
//! shown with its output. The browser is replaced by `cargo xtask browse`, an HTTP
//! client that follows the authorization server's redirect into authctl's loopback
//! server, as a person's browser would.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use xshell::cmd;

use crate::oauth_server::OAuthServer;
use crate::util::Workspace;

/// Builds authctl, starts the server, runs the session.
pub(crate) fn demo(ws: &Workspace) -> Result<(), String> {
    let authctl = ws.build_authctl()?;
    eprintln!("==> starting oauth2-mock-server on 127.0.0.1");
    let server = OAuthServer::start(ws)?;
    let home = ws.run_dir("demo-home")?;
    let config = format!(
        "# A throwaway profile for the local OAuth server.\n\
         [profiles.demo]\n\
         issuer = \"{issuer}\"\n\
         api_base_url = \"{issuer}\"\n\
         client_id = \"demo-client\"\n\
         flow = \"pkce\"\n\
         scopes = [\"openid\", \"profile\"]\n\
         redirect_port = 0\n\
         store = \"file\"\n",
        issuer = server.issuer()
    );
    std::fs::write(home.join("config.toml"), &config).map_err(|e| e.to_string())?;
    println!(
        "AUTHCTL_HOME={} holds config.toml:\n\n{config}",
        home.display()
    );
    let xtask = std::env::current_exe().map_err(|e| e.to_string())?;
    let browser = format!("{} browse", xtask.display());
    let session: &[&[&str]] = &[
        &["login", "--profile", "demo"],
        &["status", "--profile", "demo"],
        &["token", "--profile", "demo"],
        &["api", "--profile", "demo", "/userinfo"],
        &["token", "--profile", "demo", "--refresh"],
        &["status", "--profile", "demo", "--json"],
        &["logout", "--profile", "demo", "--revoke"],
        &["token", "--profile", "demo"],
    ];
    let mut failures = Vec::new();
    for (i, args) in session.iter().enumerate() {
        let code = show(ws, &authctl, args, &home, &browser)?;
        // the last `token` comes after logout: "log in" (exit 3)
        let expected = if i + 1 == session.len() { 3 } else { 0 };
        if code != expected {
            failures.push(format!(
                "authctl {} exited {code}, expected {expected}",
                args.join(" ")
            ));
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&home);
    if failures.is_empty() {
        println!(
            "demo finished: every command behaved as expected (the last `token` exits 3: logged out)"
        );
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

fn show(
    ws: &Workspace,
    authctl: &Path,
    args: &[&str],
    home: &Path,
    browser: &str,
) -> Result<i32, String> {
    println!("\n$ authctl {}", args.join(" "));
    let _ = std::io::stdout().flush();
    // xshell gives the command no standard input: authctl cannot prompt.
    let output = cmd!(ws.sh, "{authctl} {args...}")
        .env("AUTHCTL_HOME", home)
        .env("BROWSER", browser)
        .env_remove("AUTHCTL_PROFILE")
        .ignore_status()
        .quiet()
        .output()
        .map_err(|e| format!("run authctl: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let shown = if args[0] == "token" && output.status.success() {
        // a real token is long: show its start, as a person would check it
        let t = stdout.trim();
        format!("{}… ({} characters)\n", &t[..t.len().min(24)], t.len())
    } else {
        stdout.into_owned()
    };
    print!("{shown}");
    if !shown.ends_with('\n') && !shown.is_empty() {
        println!();
    }
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        println!("  (stderr) {line}");
    }
    let code = output.status.code().unwrap_or(-1);
    println!("  (exit {code})");
    Ok(code)
}

/// `cargo xtask browse URL`: GET the URL and follow redirects (at most 10), keeping the
/// cookies the server sets, like a browser whose person approves at once. Used as
/// `$BROWSER` by the demo and the tests (oidc-provider's login needs the cookies).
pub(crate) fn browse(url: &str) -> Result<(), String> {
    let mut current = url.to_owned();
    let mut cookies: Vec<(String, String)> = Vec::new();
    for _ in 0..10 {
        let (status, location) = get(&current, &mut cookies)?;
        match location {
            Some(next) if (300..400).contains(&status) => current = resolve(&current, &next),
            _ => {
                return if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(format!("{current} answered {status}"))
                };
            }
        }
    }
    Err("too many redirects".into())
}

/// A `Location` made absolute: a path is taken on the current URL's origin.
fn resolve(current: &str, location: &str) -> String {
    if !location.starts_with('/') {
        return location.to_owned();
    }
    let after_scheme = current.find("://").map_or(0, |i| i + 3);
    let origin_end = current[after_scheme..]
        .find('/')
        .map_or(current.len(), |i| after_scheme + i);
    format!("{}{location}", &current[..origin_end])
}

/// GET `url` with every cookie kept so far (every service browsed is on 127.0.0.1, so
/// one jar with no paths is enough), and keep the cookies it sets.
fn get(url: &str, cookies: &mut Vec<(String, String)>) -> Result<(u16, Option<String>), String> {
    if !url.starts_with("http://") {
        return Err(format!(
            "browse only follows http:// loopback URLs, not {url}"
        ));
    }
    // Redirects are followed by `browse` itself, one hop at a time, and every status
    // is an answer to look at, not an error.
    let agent = crate::util::http_agent(Duration::from_secs(30));
    let mut request = agent.get(url);
    if !cookies.is_empty() {
        let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        request = request.header("cookie", header.join("; "));
    }
    let response = request.call().map_err(|e| format!("GET {url}: {e}"))?;
    for set in response.headers().get_all("set-cookie") {
        let Some((name, value)) = set
            .to_str()
            .ok()
            .and_then(|s| s.split(';').next())
            .and_then(|pair| pair.split_once('='))
        else {
            continue;
        };
        cookies.retain(|(k, _)| k != name.trim());
        cookies.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((response.status().as_u16(), location))
}
