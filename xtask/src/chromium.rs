//! Headless Chromium for the browser test: Debian's `chromium`, installed when missing.
//!
//! Unlike the services, Chromium is not started here: the test starts it, as `$BROWSER`,
//! once per login, and stops it by its process group. xtask only makes sure it is
//! installed and tells the test where it is. When it cannot be installed (no apt-get, no
//! root or sudo, no network), the conformance run lists the browser step as skipped with
//! the reason, rather than failing or passing it.

use std::path::PathBuf;

use xshell::cmd;

use crate::util::{Workspace, ensure_debian_packages, which};

/// The environment variable that names the Chromium binary to the browser test.
pub(crate) const ENV: &str = "AUTHCTL_TEST_CHROMIUM";

/// An installed Chromium.
pub(crate) struct Chromium {
    binary: PathBuf,
    version: String,
}

impl Chromium {
    /// Finds `chromium` on the PATH, installing Debian's package first when it is missing,
    /// and checks that it runs (`chromium --version`).
    pub(crate) fn install(ws: &Workspace) -> Result<Chromium, String> {
        ensure_debian_packages(&ws.sh, &[("chromium", "chromium")])?;
        let binary = which("chromium")
            .ok_or("the chromium package is installed but no `chromium` is on the PATH")?;
        let version = cmd!(ws.sh, "{binary} --version")
            .quiet()
            .read()
            .map_err(|e| format!("{} --version failed: {e}", binary.display()))?;
        Ok(Chromium { binary, version })
    }

    /// What `chromium --version` said, e.g. `Chromium 140.0.7339.185 built on Debian`.
    pub(crate) fn version(&self) -> &str {
        &self.version
    }

    /// The environment of the browser test: the Chromium binary it runs.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![(ENV, self.binary.display().to_string())]
    }
}
