//! A profile's accounts: which account a command uses, the login history that decides
//! which account becomes active when the active one logs out, and the flow wrapper that
//! tells a command a login happened.
//!
//! The store keeps the tokens (one per account) and the active account
//! (`TokenStore::active_account`). The login history is a hint kept next to the file
//! store, `accounts.json`: for each profile, each account's latest login time. It holds
//! no secret, and losing it only changes which remaining account is promoted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::{AuthFlow, Error, FlowContext, Token, async_trait};
use serde::{Deserialize, Serialize};

/// How the account of a command was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chosen {
    /// `--account`, `AUTHCTL_ACCOUNT`, or a username from flags or the environment.
    Named,
    /// The store's active account for the profile.
    Active,
    /// The username of the profile's config table or keyring entry.
    Configured,
    /// Nothing named one: `default`.
    Default,
}

/// The account name used when nothing names one.
pub(crate) const DEFAULT_ACCOUNT: &str = "default";

/// The login history of `accounts.json`.
pub(crate) struct History {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct HistoryFile {
    version: u32,
    /// profile → account → latest login, in milliseconds since the Unix epoch.
    #[serde(default)]
    profiles: BTreeMap<String, BTreeMap<String, u128>>,
}

impl History {
    /// The history kept in the folder `data`.
    pub(crate) fn in_folder(data: &Path) -> Self {
        History {
            path: data.join("accounts.json"),
        }
    }

    fn read(&self) -> HistoryFile {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn write(&self, file: &HistoryFile) -> Result<(), Error> {
        let failed = |e: std::io::Error| {
            Error::store(
                format!("login history {}", self.path.display()),
                e.to_string(),
                "check that the folder is writable",
            )
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let text = serde_json::to_vec_pretty(file).expect("the history always serializes");
        let temp = self
            .path
            .with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(&temp, text).map_err(failed)?;
        std::fs::rename(&temp, &self.path).map_err(failed)
    }

    /// Records that `account` of `profile` logged in now.
    pub(crate) fn record_login(&self, profile: &str, account: &str) -> Result<(), Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut file = self.read();
        file.version = 1;
        file.profiles
            .entry(profile.to_owned())
            .or_default()
            .insert(account.to_owned(), now);
        self.write(&file)
    }

    /// Forgets `accounts` of `profile` (they logged out).
    pub(crate) fn forget(&self, profile: &str, accounts: &[String]) -> Result<(), Error> {
        let mut file = self.read();
        let Some(logins) = file.profiles.get_mut(profile) else {
            return Ok(());
        };
        logins.retain(|account, _| !accounts.contains(account));
        if logins.is_empty() {
            file.profiles.remove(profile);
        }
        self.write(&file)
    }

    /// Of `candidates`, the account of `profile` that logged in last; accounts with no
    /// recorded login come after, by name.
    pub(crate) fn most_recent(&self, profile: &str, candidates: &[String]) -> Option<String> {
        let file = self.read();
        let logins = file.profiles.get(profile);
        candidates
            .iter()
            .max_by(|a, b| {
                let at = |name: &String| logins.and_then(|l| l.get(name)).copied();
                // latest login first; then by name, the smaller name winning
                at(a).cmp(&at(b)).then_with(|| b.cmp(a))
            })
            .cloned()
    }
}

/// A flow that notes when it ran (a login happened), and refuses to log a password
/// flow's user into another account's slot.
pub(crate) struct Recorded {
    inner: Arc<dyn AuthFlow>,
    /// The account the token will be kept under, when the flow must match it.
    account: Option<String>,
    ran: Arc<AtomicBool>,
}

impl Recorded {
    /// Wraps `inner`; with `account`, a password flow may only log in that user.
    pub(crate) fn new(inner: Arc<dyn AuthFlow>, account: Option<String>) -> Self {
        Recorded {
            inner,
            account,
            ran: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A flag that turns true once the flow has obtained a token.
    pub(crate) fn ran(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.ran)
    }
}

#[async_trait]
impl AuthFlow for Recorded {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn needs_person(&self) -> bool {
        self.inner.needs_person()
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        if let (Some(account), Some(user), "password") =
            (&self.account, &ctx.credentials.username, self.inner.name())
            && account != user
        {
            return Err(Error::config(format!(
                "the profile's credentials are for `{user}`, but the account in use is \
                 `{account}`: pass --account {user}, or log in as `{account}`"
            )));
        }
        let token = self.inner.authenticate(ctx).await?;
        self.ran.store(true, Ordering::SeqCst);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_login_wins_then_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_folder(dir.path());
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            history
                .most_recent("p", &names(&["carol", "bob"]))
                .as_deref(),
            Some("bob"),
            "no history: by name"
        );
        history.record_login("p", "carol").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        history.record_login("p", "bob").unwrap();
        history.record_login("q", "zed").unwrap();
        let all = names(&["alice", "bob", "carol"]);
        assert_eq!(history.most_recent("p", &all).as_deref(), Some("bob"));
        history.forget("p", &names(&["bob"])).unwrap();
        assert_eq!(history.most_recent("p", &all).as_deref(), Some("carol"));
        assert_eq!(history.most_recent("p", &[]), None);
    }
}
