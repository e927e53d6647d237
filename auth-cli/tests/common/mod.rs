//! Shared by the integration tests: `authctl` in a private home, and a stand-in browser.
// Each test file uses the part it needs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;

/// `authctl` with a private home, no inherited profile, account, browser or insecure-http
/// switch, a D-Bus session that does not exist (no keyring), no standard input, and none
/// of the environment variables starting with one of `prefixes` (a profile's credentials).
pub(crate) fn authctl(home: &Path, prefixes: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("authctl").unwrap();
    cmd.env("AUTHCTL_HOME", home)
        .env_remove("AUTHCTL_PROFILE")
        .env_remove("AUTHCTL_ACCOUNT")
        .env_remove("BROWSER")
        .env_remove("AUTHCTL_INSECURE_HTTP")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/authctl-test-bus",
        )
        .stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if prefixes.iter().any(|p| k.starts_with(p)) {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// GETs an `http://` loopback URL and follows redirects (at most 5) into the loopback
/// server, as a person's browser would after they approve.
pub(crate) fn browse(url: &str) {
    let mut current = url.to_owned();
    for _ in 0..5 {
        let rest = current
            .strip_prefix("http://")
            .expect("an http:// loopback URL")
            .to_owned();
        let (authority, path) = rest
            .split_once('/')
            .map(|(a, p)| (a.to_owned(), format!("/{p}")))
            .unwrap_or((rest.clone(), "/".to_owned()));
        let Ok(mut stream) = TcpStream::connect(&authority) else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        let location = response
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(n, _)| n.eq_ignore_ascii_case("location"))
                    .map(|(_, v)| v.trim().to_owned())
            });
        match location {
            Some(next) => current = next,
            None => return,
        }
    }
}
