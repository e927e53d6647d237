//! [`RedisServer`]: a private `redis-server` on 127.0.0.1 for tests that must stop and
//! restart the server (Redis outages) or need TLS, started and stopped by its PID.

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
    tls: bool,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it accepts connections.
    ///
    /// ```no_run
    /// let server = auth_testkit::RedisServer::start().expect("redis-server");
    /// # drop(server);
    /// ```
    pub fn start() -> Result<RedisServer, String> {
        Self::start_with(false)
    }

    /// Starts a server that speaks only TLS on a free port, with a self-signed certificate
    /// for `IP:127.0.0.1` made by `openssl` in its folder ([`ca_file`](RedisServer::ca_file)
    /// is the certificate to trust); clients need no certificate of their own.
    ///
    /// Needs the `openssl` program and a `redis-server` built with TLS (Debian's is).
    ///
    /// ```no_run
    /// let server = auth_testkit::RedisServer::start_tls().expect("redis-server with TLS");
    /// assert!(server.url().starts_with("rediss://127.0.0.1:"));
    /// assert!(server.ca_file().unwrap().exists());
    /// ```
    pub fn start_tls() -> Result<RedisServer, String> {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Result<RedisServer, String> {
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
            tls,
        };
        if tls {
            server.make_certificate()?;
        }
        server.restart()?;
        Ok(server)
    }

    /// The URL of database 0 (`rediss://` for a server started by
    /// [`start_tls`](RedisServer::start_tls)).
    ///
    /// ```no_run
    /// let server = auth_testkit::RedisServer::start().unwrap();
    /// assert!(server.url().starts_with("redis://127.0.0.1:"));
    /// ```
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/0", self.port)
    }

    /// The PEM file of the server's self-signed certificate, for a server started by
    /// [`start_tls`](RedisServer::start_tls) (a client trusts it as its CA).
    ///
    /// ```no_run
    /// assert!(auth_testkit::RedisServer::start().unwrap().ca_file().is_none());
    /// ```
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.tls.then(|| self.dir.join("cert.pem"))
    }

    /// The self-signed certificate (`cert.pem`) and its key (`key.pem`) in the folder. It
    /// says `CA:FALSE`: rustls refuses a server certificate marked as a CA
    /// (`CaUsedAsEndEntity`), which is what `openssl req -x509` makes by default.
    fn make_certificate(&self) -> Result<(), String> {
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes"])
            .args(["-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .args(["-days", "1", "-keyout"])
            .arg(self.dir.join("key.pem"))
            .arg("-out")
            .arg(self.dir.join("cert.pem"))
            .output()
            .map_err(|e| format!("run openssl (install the Debian package openssl): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "openssl could not make a certificate: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(())
    }

    /// The arguments that make the server listen on its port, in plain text or TLS.
    fn listen_args(&self) -> Vec<std::ffi::OsString> {
        let port = self.port.to_string();
        if !self.tls {
            return vec!["--port".into(), port.into()];
        }
        let cert = self.dir.join("cert.pem");
        let mut args: Vec<std::ffi::OsString> = vec!["--port".into(), "0".into()];
        args.extend(["--tls-port".into(), port.into()]);
        args.extend(["--tls-cert-file".into(), cert.clone().into_os_string()]);
        args.extend([
            "--tls-key-file".into(),
            self.dir.join("key.pem").into_os_string(),
        ]);
        args.extend(["--tls-ca-cert-file".into(), cert.into_os_string()]);
        args.extend(["--tls-auth-clients".into(), "no".into()]);
        args
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
            .args(["--bind", "127.0.0.1"])
            .args(self.listen_args())
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
            return Err(format!(
                "redis-server exited with {status}{}",
                if self.tls {
                    " (a build without TLS refuses --tls-port)"
                } else {
                    ""
                }
            ));
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
