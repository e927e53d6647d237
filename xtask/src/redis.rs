//! A private `redis-server` for the Redis store tests: Debian's package (installed when
//! missing), on a free port of 127.0.0.1, without persistence, stopped by its PID on drop.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{Workspace, ensure_debian_packages};

/// A running `redis-server`. Dropping it stops the server.
pub(crate) struct RedisServer {
    port: u16,
    pid: Option<i32>,
}

impl RedisServer {
    /// Installs `redis-server` when missing, starts it daemonized with a PID file in its
    /// own run folder, and waits until the port answers.
    pub(crate) fn start(ws: &Workspace) -> Result<RedisServer, String> {
        ensure_debian_packages(&ws.sh, &[("redis-server", "redis-server")])?;
        let dir: PathBuf = ws.run_dir("redis")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("find a free port: {e}"))?
            .port();
        let pidfile = dir.join("redis.pid");
        let _ = std::fs::remove_file(&pidfile);
        let status = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "yes"])
            .arg("--pidfile")
            .arg(&pidfile)
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(dir.join("redis.log"))
            .status()
            .map_err(|e| format!("start redis-server: {e}"))?;
        if !status.success() {
            return Err(format!("redis-server exited with {status}"));
        }
        let mut server = RedisServer { port, pid: None };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            server.pid = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|t| t.trim().parse().ok());
            if server.pid.is_some() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "redis-server did not answer on port {port} within 10 s; see {}",
            dir.join("redis.log").display()
        ))
    }

    /// The URL of database 0.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The environment of the tests that use it.
    pub(crate) fn env(&self) -> [(&'static str, String); 1] {
        [("AUTHCTL_TEST_REDIS_URL", self.url())]
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            // the PID the server wrote itself; never a search by name
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}
