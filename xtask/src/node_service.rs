//! A service written in JavaScript on 127.0.0.1: an npm package installed under cargo's
//! `target/xtask/` on first use, started from a script with `node`, ready when its
//! discovery document answers, and stopped by PID when dropped.
//!
//! The service runs in the background while tests run, so it is spawned with
//! `std::process` (`xshell` runs a command to its end); the one-shot commands (`npm
//! install`) go through `xshell`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use xshell::cmd;

use crate::util::{Workspace, ensure_debian_packages, have};

/// A running `node` process; dropping it stops it (SIGTERM, then SIGKILL after 3 s).
pub(crate) struct NodeService {
    child: Child,
    name: &'static str,
}

impl NodeService {
    /// Installs `package` (`name@version`) into `target/xtask/FOLDER` when missing, writes
    /// `script` there as `server.mjs`, runs `node server.mjs ARGS...` and waits until
    /// `http://127.0.0.1:PORT/.well-known/openid-configuration` answers 200.
    pub(crate) fn start(
        ws: &Workspace,
        package: &'static str,
        script: &str,
        args: &[String],
        port: u16,
    ) -> Result<NodeService, String> {
        if !have("node") || !have("npm") {
            ensure_debian_packages(&ws.sh, &[("node", "nodejs"), ("npm", "npm")])?;
        }
        let name = package_name(package);
        let dir = install(ws, package)?;
        let script_file = dir.join("server.mjs");
        std::fs::write(&script_file, script)
            .map_err(|e| format!("write {}: {e}", script_file.display()))?;
        let child = Command::new("node")
            .arg(&script_file)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start node: {e}"))?;
        let mut service = NodeService { child, name };
        service.wait_ready(port)?;
        Ok(service)
    }

    fn wait_ready(&mut self, port: u16) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited early ({status})", self.name));
            }
            if discovery_answers(port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("{} did not answer within 20 s", self.name))
    }
}

impl Drop for NodeService {
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

/// `oidc-provider@9.13.3` → `oidc-provider`.
fn package_name(package: &'static str) -> &'static str {
    package.rsplit_once('@').map_or(package, |(name, _)| name)
}

/// `target/xtask/NAME` holding `node_modules/NAME`, installed with npm when missing.
fn install(ws: &Workspace, package: &'static str) -> Result<PathBuf, String> {
    let name = package_name(package);
    let dir = ws.xtask_dir(name);
    if installed(&dir, name) {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    std::fs::write(
        dir.join("package.json"),
        "{\"private\":true,\"type\":\"module\"}\n",
    )
    .map_err(|e| e.to_string())?;
    eprintln!("installing {package} (npm)");
    let _in_dir = ws.sh.push_dir(&dir);
    cmd!(ws.sh, "npm install --no-audit --no-fund --silent {package}")
        .run()
        .map_err(|e| format!("npm install {package} failed: {e}"))?;
    Ok(dir)
}

fn installed(dir: &Path, name: &str) -> bool {
    dir.join("node_modules")
        .join(name)
        .join("package.json")
        .exists()
}

/// A port nobody listens on right now.
pub(crate) fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

pub(crate) fn discovery_answers(port: u16) -> bool {
    crate::util::http_agent(Duration::from_secs(2))
        .get(format!(
            "http://127.0.0.1:{port}/.well-known/openid-configuration"
        ))
        .call()
        .is_ok_and(|response| response.status() == 200)
}
