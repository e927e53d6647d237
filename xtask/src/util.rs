//! What every subcommand shares: where the workspace and cargo's target directory are
//! (asked of cargo at run time), a shell rooted at the workspace, and installing the
//! Debian packages the services need.

use std::path::{Path, PathBuf};

use xshell::{Shell, cmd};

/// The workspace xtask runs in, found from the current directory when xtask starts, so a
/// binary reused from a shared target directory still works on the clone it is run in.
pub(crate) struct Workspace {
    /// A shell whose current directory is the workspace root (the folder holding the
    /// workspace's `Cargo.toml`).
    pub(crate) sh: Shell,
    /// The `cargo` that started xtask (`$CARGO`), else the one on the PATH.
    pub(crate) cargo: String,
    /// Where cargo puts what it builds (honours `CARGO_TARGET_DIR` and `build.target-dir`).
    pub(crate) target_dir: PathBuf,
}

impl Workspace {
    /// Asks cargo for the workspace root (`cargo locate-project --workspace`) and its
    /// target directory (`cargo metadata`).
    pub(crate) fn locate() -> Result<Workspace, String> {
        let sh = Shell::new().map_err(|e| format!("start a shell: {e}"))?;
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let manifest = cmd!(
            sh,
            "{cargo} locate-project --workspace --message-format plain"
        )
        .quiet()
        .read()
        .map_err(|e| format!("find the workspace (run xtask inside the clone): {e}"))?;
        let root = Path::new(manifest.trim())
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| format!("cargo named no workspace folder: {manifest:?}"))?;
        sh.change_dir(&root);
        let metadata = cmd!(sh, "{cargo} metadata --format-version 1 --no-deps")
            .quiet()
            .read()
            .map_err(|e| format!("cargo metadata: {e}"))?;
        let metadata: serde_json::Value = serde_json::from_str(&metadata)
            .map_err(|e| format!("cargo metadata printed something that is not JSON: {e}"))?;
        let target_dir = metadata["target_directory"]
            .as_str()
            .map(PathBuf::from)
            .ok_or("cargo metadata gave no target_directory")?;
        Ok(Workspace {
            sh,
            cargo,
            target_dir,
        })
    }

    /// A binary cargo built for `profile` (`release`, `debug`).
    pub(crate) fn binary(&self, profile: &str, name: &str) -> PathBuf {
        self.target_dir
            .join(profile)
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }

    /// `target/xtask/NAME`: where xtask keeps what it installs.
    pub(crate) fn xtask_dir(&self, name: &str) -> PathBuf {
        self.target_dir.join("xtask").join(name)
    }

    /// A fresh folder under `target/xtask/` for one run of a service.
    pub(crate) fn run_dir(&self, name: &str) -> Result<PathBuf, String> {
        let dir = self.xtask_dir(&format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        Ok(dir)
    }

    /// Builds authctl in release mode and returns the binary cargo just wrote.
    pub(crate) fn build_authctl(&self) -> Result<PathBuf, String> {
        let cargo = &self.cargo;
        eprintln!("==> building authctl (release)");
        cmd!(self.sh, "{cargo} build --release --quiet -p auth-cli")
            .run()
            .map_err(|e| format!("building authctl failed: {e}"))?;
        Ok(self.binary("release", "authctl"))
    }
}

/// A plain-HTTP client for the local services: every status is an answer (not an
/// error), redirects are not followed, and a request gives up after `timeout`.
pub(crate) fn http_agent(timeout: std::time::Duration) -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .build(),
    )
}

/// True when `program` is an executable file in a folder of the PATH.
pub(crate) fn have(program: &str) -> bool {
    which(program).is_some()
}

/// The first executable file named `program` in a folder of the PATH.
pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(format!("{program}{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Installs the Debian packages whose programs are missing (`(program, package)` pairs),
/// with `apt-get`, once.
pub(crate) fn ensure_debian_packages(sh: &Shell, needs: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = needs
        .iter()
        .filter(|(prog, _)| !have(prog))
        .map(|(_, pkg)| *pkg)
        .collect();
    apt_install(sh, &missing)
}

/// Installs Debian `packages` with `apt-get` (through `sudo` unless root); nothing to do
/// for an empty list.
pub(crate) fn apt_install(sh: &Shell, packages: &[&str]) -> Result<(), String> {
    if packages.is_empty() {
        return Ok(());
    }
    if !have("apt-get") {
        return Err(format!(
            "missing programs; install the packages {} with your package manager",
            packages.join(" ")
        ));
    }
    eprintln!("installing {} with apt-get", packages.join(" "));
    let is_root = cmd!(sh, "id -u").quiet().read().is_ok_and(|id| id == "0");
    if !is_root && !have("sudo") {
        return Err(format!(
            "not root and no sudo to run apt-get; install the packages {} yourself",
            packages.join(" ")
        ));
    }
    let (program, prefix): (&str, &[&str]) = if is_root {
        ("apt-get", &[])
    } else {
        ("sudo", &["apt-get"])
    };
    cmd!(sh, "{program} {prefix...} update -qq")
        .run()
        .map_err(|e| format!("apt-get update failed: {e}"))?;
    cmd!(
        sh,
        "{program} {prefix...} install -y -qq --no-install-recommends {packages...}"
    )
    .env("DEBIAN_FRONTEND", "noninteractive")
    .run()
    .map_err(|e| format!("apt-get install {} failed: {e}", packages.join(" ")))
}

/// Installs `kubectl` when it is missing: Debian ships it as the package
/// `kubernetes-client`.
pub(crate) fn ensure_kubectl(sh: &Shell) -> Result<(), String> {
    ensure_debian_packages(sh, &[("kubectl", "kubernetes-client")])
}
