//! [`RedisServer`]: a private `redis-server` on 127.0.0.1 for tests that must stop and
//! restart the server (Redis outages), started and stopped by its PID.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A `redis-server` of its own (no persistence, bound to 127.0.0.1 on a free port, in a
/// throwaway folder), stopped by PID on [`stop`](RedisServer::stop) and on drop.
///
/// Needs the `redis-server` program (Debian package `redis-server`).
///
/// ```no_run
/// let mut server = auth_testkit::RedisServer::start().unwrap();
/// let url = server.url(); // redis://127.0.0.1:PORT/0
/// server.stop();
/// server.restart().unwrap(); // the same port again
/// # drop(url);
/// ```
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    pid: Option<i32>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it accepts connections.
    ///
    /// ```no_run
    /// let server = auth_testkit::RedisServer::start().expect("redis-server");
    /// # drop(server);
    /// ```
    pub fn start() -> Result<RedisServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("find a free port: {e}"))?
            .port();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("redis-test-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        let mut server = RedisServer {
            port,
            dir,
            pid: None,
        };
        server.restart()?;
        Ok(server)
    }

    /// The URL of database 0.
    ///
    /// ```no_run
    /// let server = auth_testkit::RedisServer::start().unwrap();
    /// assert!(server.url().starts_with("redis://127.0.0.1:"));
    /// ```
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port it listens on.
    ///
    /// ```no_run
    /// assert!(auth_testkit::RedisServer::start().unwrap().port() > 0);
    /// ```
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server again on the same port (after [`stop`](RedisServer::stop)); its
    /// data is gone.
    ///
    /// ```no_run
    /// let mut server = auth_testkit::RedisServer::start().unwrap();
    /// server.stop();
    /// server.restart().unwrap();
    /// ```
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        let pidfile = self.dir.join("redis.pid");
        let _ = std::fs::remove_file(&pidfile);
        let status = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "yes"])
            .arg("--pidfile")
            .arg(&pidfile)
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .status()
            .map_err(|e| {
                format!("start redis-server (install the Debian package redis-server): {e}")
            })?;
        if !status.success() {
            return Err(format!("redis-server exited with {status}"));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pid = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok());
            let answers = std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok();
            if let (Some(pid), true) = (pid, answers) {
                self.pid = Some(pid);
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "redis-server did not answer on port {} within 10 s",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server (by its PID) and waits until the port no longer answers.
    ///
    /// ```no_run
    /// let mut server = auth_testkit::RedisServer::start().unwrap();
    /// server.stop();
    /// assert!(std::net::TcpStream::connect(("127.0.0.1", server.port())).is_err());
    /// ```
    pub fn stop(&mut self) {
        let Some(pid) = self.pid.take() else { return };
        let _ = Command::new("kill").arg(pid.to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
