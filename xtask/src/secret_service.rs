//! A private Secret Service for the keyring tests: its own D-Bus session and an
//! unlocked `gnome-keyring-daemon`, in throwaway folders, stopped on drop.
//!
//! The daemons outlive the command that starts them, so they are spawned with
//! `std::process`; the probes that run to their end go through `xshell`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use xshell::{Shell, cmd};

use crate::util::{Workspace, ensure_debian_packages};

/// A running private Secret Service. Dropping it stops both daemons.
pub(crate) struct SecretService {
    dir: PathBuf,
    bus: String,
    dbus_pid: Option<u32>,
    keyring: Option<Child>,
}

impl SecretService {
    /// Installs the Debian packages when missing, starts `dbus-daemon` and an unlocked
    /// `gnome-keyring-daemon`, and waits until the secrets service answers.
    pub(crate) fn start(ws: &Workspace) -> Result<SecretService, String> {
        ensure_debian_packages(
            &ws.sh,
            &[
                ("gnome-keyring-daemon", "gnome-keyring"),
                ("dbus-daemon", "dbus"),
                ("dbus-launch", "dbus-x11"),
                ("secret-tool", "libsecret-tools"),
            ],
        )?;
        let dir = ws.run_dir("secret-service")?;
        let home = dir.join("home");
        let runtime = dir.join("run");
        for d in [&home, &runtime] {
            std::fs::create_dir_all(d).map_err(|e| format!("create {}: {e}", d.display()))?;
            set_mode_700(d)?;
        }
        let socket = runtime.join("bus");
        let bus = format!("unix:path={}", socket.display());
        let out = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-pid=1"])
            .arg(format!("--address={bus}"))
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &runtime)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("start dbus-daemon: {e}"))?;
        let dbus_pid = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .ok();
        let mut service = SecretService {
            dir,
            bus,
            dbus_pid,
            keyring: None,
        };
        if dbus_pid.is_none() {
            return Err(format!(
                "dbus-daemon did not start: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets", "--foreground"])
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", &service.bus)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("start gnome-keyring-daemon: {e}"))?;
        if let Some(mut stdin) = keyring.stdin.take() {
            use std::io::Write;
            // The login collection's password: throwaway, this keyring lives in a temp dir.
            let _ = stdin.write_all(b"conformance-keyring-password");
        }
        service.keyring = Some(keyring);
        service.wait_ready(&ws.sh)?;
        Ok(service)
    }

    fn wait_ready(&self, sh: &Shell) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            let probe = cmd!(sh, "secret-tool store --label=probe xtask probe")
                .envs(self.env())
                .stdin("probe")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run();
            if probe.is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("gnome-keyring-daemon did not answer on the private bus within 15 s".into())
    }

    /// The environment a process needs to use this Secret Service.
    ///
    /// HOME points into the throwaway folder, so the toolchain's own homes are pinned to
    /// where they are now: without CARGO_HOME and RUSTUP_HOME, a `cargo` started with this
    /// environment outside `cargo xtask` (which sets both) would look for its registry and
    /// toolchains under the private HOME and fail.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.clone()),
            ("HOME".into(), self.dir.join("home").display().to_string()),
            (
                "XDG_RUNTIME_DIR".into(),
                self.dir.join("run").display().to_string(),
            ),
        ];
        let real_home = std::env::var_os("HOME").map(PathBuf::from);
        for (var, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
            let value = std::env::var_os(var)
                .map(PathBuf::from)
                .or_else(|| real_home.as_ref().map(|h| h.join(default)));
            if let Some(value) = value {
                env.push((var.into(), value.display().to_string()));
            }
        }
        env
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(mut child) = self.keyring.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(pid) = self.dbus_pid {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(unix)]
fn set_mode_700(path: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("chmod 700 {}: {e}", path.display()))
}

#[cfg(not(unix))]
fn set_mode_700(_path: &std::path::Path) -> Result<(), String> {
    Ok(())
}
