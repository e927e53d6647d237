//! A real OAuth 2 / OpenID server on 127.0.0.1 for the conformance run and the demo:
//! npm's `oauth2-mock-server`, installed under cargo's `target/xtask/` on first use.
//!
//! The server runs in the background while tests run, so it is spawned with
//! `std::process` (`xshell` runs a command to its end); the one-shot commands (`npm
//! install`) go through `xshell`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use xshell::cmd;

use crate::util::{Workspace, ensure_debian_packages, have};

/// Pinned: version 9 needs a newer Node than Debian's.
const PACKAGE: &str = "oauth2-mock-server@8.2.3";

/// The server script. Besides the package's behaviour it answers, for tests of error
/// paths, `invalid_grant` to the password grant of user `reject`, and `access_denied`
/// (instead of a code) to the authorization requests of client `denied-client`, as a
/// server does when the person declines.
const SCRIPT: &str = r#"
import { OAuth2Server } from 'oauth2-mock-server';
const port = Number(process.argv[2]);
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.issuer.url = `http://127.0.0.1:${port}`;
server.service.on('beforeResponse', (resp, req) => {
  const b = req.body || {};
  if (b.grant_type === 'password' && b.username === 'reject') {
    resp.statusCode = 400;
    resp.body = { error: 'invalid_grant', error_description: 'the grant was rejected' };
  }
});
server.service.on('beforeAuthorizeRedirect', (redirect, req) => {
  if (req.query.client_id === 'denied-client') {
    redirect.url.searchParams.delete('code');
    redirect.url.searchParams.set('error', 'access_denied');
    redirect.url.searchParams.set('error_description', 'The person declined the request');
  }
});
await server.start(port, '127.0.0.1');
console.log(`ready ${server.issuer.url}`);
process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
"#;

/// A running server; dropping it stops it.
pub(crate) struct OAuthServer {
    child: Child,
    issuer: String,
}

impl OAuthServer {
    /// Installs the package when missing, starts the server on a free port and waits
    /// until its discovery document answers.
    pub(crate) fn start(ws: &Workspace) -> Result<OAuthServer, String> {
        if !have("node") || !have("npm") {
            ensure_debian_packages(&ws.sh, &[("node", "nodejs"), ("npm", "npm")])?;
        }
        let dir = install_dir(ws)?;
        let script = dir.join("server.mjs");
        std::fs::write(&script, SCRIPT).map_err(|e| format!("write {}: {e}", script.display()))?;
        let port = free_port()?;
        let child = Command::new("node")
            .arg(&script)
            .arg(port.to_string())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start node: {e}"))?;
        let mut server = OAuthServer {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready(port)?;
        Ok(server)
    }

    /// The issuer URL (`http://127.0.0.1:PORT`).
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The environment the ignored integration tests read.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        vec![("AUTHCTL_TEST_OAUTH_ISSUER".into(), self.issuer.clone())]
    }

    fn wait_ready(&mut self, port: u16) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("oauth2-mock-server exited early ({status})"));
            }
            if discovery_answers(port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("oauth2-mock-server did not answer within 20 s".into())
    }
}

impl Drop for OAuthServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn install_dir(ws: &Workspace) -> Result<PathBuf, String> {
    let dir = ws.xtask_dir("oauth2-mock-server");
    if dir
        .join("node_modules")
        .join("oauth2-mock-server")
        .join("package.json")
        .exists()
    {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    std::fs::write(
        dir.join("package.json"),
        "{\"private\":true,\"type\":\"module\"}\n",
    )
    .map_err(|e| e.to_string())?;
    eprintln!("installing {PACKAGE} (npm)");
    let _in_dir = ws.sh.push_dir(&dir);
    cmd!(ws.sh, "npm install --no-audit --no-fund --silent {PACKAGE}")
        .run()
        .map_err(|e| format!("npm install {PACKAGE} failed: {e}"))?;
    Ok(dir)
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn discovery_answers(port: u16) -> bool {
    crate::util::http_agent(Duration::from_secs(2))
        .get(format!(
            "http://127.0.0.1:{port}/.well-known/openid-configuration"
        ))
        .call()
        .is_ok_and(|response| response.status() == 200)
}
