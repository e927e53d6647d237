//! [`FileStore`]: one JSON document of tokens, written atomically under a lock.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use std::time::Duration;

use auth_core::store::{StoreLock, Versioned};
use auth_core::{Error, Token, TokenFormatError, TokenKey, TokenStore, async_trait};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::error::Category;
use serde_json::value::RawValue;

use crate::folder::check_private_folder;
use crate::perms::{describe_mode, read_sized, shared_mode};
use crate::sanitize::{shell_quote, without_quoted_values};

/// The version of the token file format this crate writes and reads.
///
/// ```text
/// {"version": 1, "tokens": {"<TokenKey::storage_id()>": <Token::to_json_value()>, ...},
///  "revision": 7, "revisions": {"<storage_id>": 7, ...}, "active": {"<provider>": "<account>"}}
/// ```
///
/// `revision` is the last revision given out (it only grows), `revisions` the revision of
/// each entry (for compare-and-set), `active` the active account of each provider. All
/// three are optional (`active` is left out when empty): a file without them (written by an older program) reads as
/// revision 0 for every entry and no active account.
///
/// A file with a higher version is refused (never rewritten), so an older program
/// cannot destroy what a newer one wrote.
pub const FILE_FORMAT_VERSION: u64 = 1;

const FILE_NAME: &str = "tokens.json";
const LOCK_NAME: &str = "tokens.json.lock";
const TEMP_PREFIX: &str = ".tokens.json.";
const TEMP_SUFFIX: &str = ".tmp";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Tokens in one JSON file, `tokens.json`, in a folder of their own.
///
/// - **Atomic writes.** A save writes the whole document to a temporary file in the same
///   folder, fsyncs it, renames it over `tokens.json` and fsyncs the folder, so a crash
///   leaves either the old or the new document, never a mix.
/// - **Cross-process lock.** Every read-modify-write holds an exclusive advisory lock on
///   `tokens.json.lock` (`flock` / `LockFileEx`), so two programs saving different keys at
///   once never lose each other's entry. Loads take no lock: a rename is atomic.
/// - **Renewal lock per key.** [`TokenStore::lock`] takes an OS lock on
///   `tokens.json.<hash of the key>.lock` in the same folder; the OS releases it when the
///   holder drops it or dies (even by SIGKILL). Lock files are left in place.
/// - **Revisions.** Every write of an entry gives it a new revision, kept in the document,
///   so [`TokenStore::save_if`] refuses a writer that read an older one.
/// - **Private.** The folder is created with mode 0700 and the file with 0600. A token
///   file that its group or other users may open is refused with the `chmod` to run. A
///   folder (or a folder above it) that another user may change, or that another user
///   owns, is refused before anything is read or written, the way ssh checks `~/.ssh`
///   ([`Error::NotPrivate`], whose [`auth_core::Hint::MakePrivate`] gives the mode and
///   owner to set).
/// - **Never follows a link.** A `tokens.json` that is a symbolic link is refused
///   (`O_NOFOLLOW`): it is never read, followed, replaced or deleted.
/// - **Never overwrites what it cannot read.** A corrupt or truncated file, or one of a
///   newer format version, is an [`Error::Store`] naming the path, for loads *and*
///   saves. A single corrupt entry makes only that key unreadable: the other entries load
///   and are kept byte for byte, and saving that key replaces the bad entry.
///
/// The I/O is blocking and short (one small file); async callers block their task for
/// that long, and for as long as another process holds the lock during its write.
///
/// ```
/// use auth_core::{Token, TokenKey, TokenStore};
/// use auth_store::FileStore;
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = FileStore::new(dir.path().join("authctl"));
/// let key = TokenKey::new("inaturalist", "ana", "app-1");
/// pollster::block_on(async {
///     assert_eq!(store.load(&key).await.unwrap(), None);
///     store.save(&key, &Token::bearer("abc")).await.unwrap();
///     assert_eq!(store.load(&key).await.unwrap(), Some(Token::bearer("abc")));
/// });
/// assert!(store.path().ends_with("authctl/tokens.json"));
/// assert!(!store.describe().contains("abc"));
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
    path: PathBuf,
    lock_path: PathBuf,
}

/// The entries of the document, each kept as the exact JSON text it was read as: only
/// the entry asked for is decoded (a load stays fast with many entries), and entries this
/// program cannot read (corrupt, newer) are written back unchanged.
type Entries = BTreeMap<String, Box<RawValue>>;

/// The parsed document.
#[derive(Default, Deserialize)]
struct Document {
    /// The format version the file says it has (the careful path reports a missing one).
    #[serde(default)]
    version: Option<u64>,
    tokens: Entries,
    #[serde(default)]
    revision: u64,
    #[serde(default)]
    revisions: BTreeMap<String, u64>,
    #[serde(default)]
    active: BTreeMap<String, String>,
}

impl Document {
    /// Sets the entry `id` to `raw` with a new revision, which it returns.
    fn put(&mut self, id: String, raw: Box<RawValue>) -> u64 {
        self.revision += 1;
        self.revisions.insert(id.clone(), self.revision);
        self.tokens.insert(id, raw);
        self.revision
    }

    /// The revision of the entry `id`, when there is one.
    fn revision_of(&self, id: &str) -> Option<u64> {
        self.tokens
            .contains_key(id)
            .then(|| self.revisions.get(id).copied().unwrap_or(0))
    }
}

impl FileStore {
    /// A store keeping `tokens.json` in `dir`. Nothing is created until the first save.
    ///
    /// ```
    /// let store = auth_store::FileStore::new("/var/lib/myapp");
    /// assert_eq!(store.path(), std::path::Path::new("/var/lib/myapp/tokens.json"));
    /// ```
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        FileStore {
            path: dir.join(FILE_NAME),
            lock_path: dir.join(LOCK_NAME),
            dir,
        }
    }

    /// The default folder: `authctl` in the platform's data folder
    /// (`$XDG_DATA_HOME/authctl` or `~/.local/share/authctl` on Linux,
    /// `~/Library/Application Support/authctl` on macOS, `%APPDATA%\authctl` on Windows).
    ///
    /// ```
    /// if let Ok(dir) = auth_store::FileStore::default_dir() {
    ///     assert!(dir.ends_with("authctl"));
    /// }
    /// ```
    pub fn default_dir() -> Result<PathBuf, Error> {
        dirs::data_dir()
            .map(|d| d.join("authctl"))
            .ok_or_else(|| Error::Store {
                backend: "file".into(),
                path: None,
                message: "cannot tell where the user's data folder is (is HOME set?)".into(),
                hint: "set HOME, or choose a folder for the token file explicitly".into(),
            })
    }

    /// A store in [`FileStore::default_dir`].
    ///
    /// ```
    /// if let Ok(store) = auth_store::FileStore::open_default() {
    ///     assert!(store.path().ends_with("authctl/tokens.json"));
    /// }
    /// ```
    pub fn open_default() -> Result<Self, Error> {
        Self::default_dir().map(Self::new)
    }

    /// The folder holding the token file and its lock file.
    ///
    /// ```
    /// assert_eq!(auth_store::FileStore::new("/d").dir(), std::path::Path::new("/d"));
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The token file.
    ///
    /// ```
    /// assert!(auth_store::FileStore::new("/d").path().ends_with("tokens.json"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every key that has an entry, of every provider, sorted (entries whose name is not
    /// a [`TokenKey::storage_id`] are skipped). [`TokenStore::keys`] gives one provider's.
    ///
    /// ```
    /// use auth_core::{Token, TokenKey, TokenStore};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = auth_store::FileStore::new(dir.path());
    /// assert!(store.all_keys().unwrap().is_empty());
    /// let key = TokenKey::new("p", "a", "c");
    /// pollster::block_on(store.save(&key, &Token::bearer("t"))).unwrap();
    /// assert_eq!(store.all_keys().unwrap(), vec![key]);
    /// ```
    pub fn all_keys(&self) -> Result<Vec<TokenKey>, Error> {
        let mut keys: Vec<TokenKey> = match self.read_document()? {
            Some(doc) => doc
                .tokens
                .keys()
                .filter_map(|id| TokenKey::from_storage_id(id))
                .collect(),
            None => Vec::new(),
        };
        keys.sort();
        Ok(keys)
    }

    fn error(&self, path: &Path, message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Store {
            backend: "file".into(),
            path: Some(path.to_owned()),
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn io_error(&self, path: &Path, doing: &str, e: &io::Error) -> Error {
        let hint = match e.kind() {
            io::ErrorKind::PermissionDenied => format!(
                "check that you own {} and may write to it, or choose another token folder",
                self.dir.display()
            ),
            _ => "check the disk and the folder, then try again".to_owned(),
        };
        self.error(path, format!("could not {doing}: {e}"), hint)
    }

    fn corrupt(&self, what: &str) -> Error {
        let p = shell_quote(&self.path.display().to_string());
        self.error(
            &self.path,
            format!("the token file is corrupt ({what}); it was left as it is"),
            format!(
                "move it aside (`mv {p} {p}.bak`) and log in again; the tokens in it are lost \
                 unless you can repair it by hand"
            ),
        )
    }

    /// Reads and checks the document; `None` when there is no file (or no folder).
    fn read_document(&self) -> Result<Option<Document>, Error> {
        match fs::symlink_metadata(&self.path) {
            Ok(m) if m.file_type().is_symlink() => return Err(self.symlink_refused()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(&self.path, "inspect the token file", &e)),
        }
        check_private_folder("file", &self.dir)?;
        let mut options = OpenOptions::new();
        options.read(true);
        no_follow(&mut options);
        let file = match options.open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            // A link put in place since the look above (O_NOFOLLOW refuses it).
            Err(_) if is_symlink(&self.path) => return Err(self.symlink_refused()),
            Err(e) => return Err(self.io_error(&self.path, "open the token file", &e)),
        };
        let metadata = file
            .metadata()
            .map_err(|e| self.io_error(&self.path, "inspect the token file", &e))?;
        if !metadata.is_file() {
            return Err(self.error(
                &self.path,
                "the token file is not a regular file",
                "remove whatever is at that path, or choose another token folder",
            ));
        }
        if let Some(mode) = shared_mode(&metadata) {
            return Err(self.error(
                &self.path,
                format!(
                    "the token file is not private ({}), so other users may have read the tokens",
                    describe_mode(mode)
                ),
                format!(
                    "run `chmod 600 {}`; if other people use this machine, log out and log in \
                     again to replace the tokens",
                    shell_quote(&self.path.display().to_string())
                ),
            ));
        }
        // The file's text holds every token: zeroized when parsed (best-effort: serde_json
        // and the allocator may have made copies of their own).
        let bytes = zeroize::Zeroizing::new(
            read_sized(&file, &metadata)
                .map_err(|e| self.io_error(&self.path, "read the token file", &e))?,
        );
        self.parse(&bytes).map(Some)
    }

    fn parse(&self, bytes: &[u8]) -> Result<Document, Error> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(self.corrupt("it is empty, probably truncated"));
        }
        // One pass for the usual, well-formed file; anything else goes through the
        // step-by-step path below, which says what exactly is wrong.
        match serde_json::from_slice::<Document>(bytes) {
            Ok(doc) if doc.version.is_some_and(|v| v <= FILE_FORMAT_VERSION) => Ok(doc),
            _ => self.parse_step_by_step(bytes),
        }
    }

    fn parse_step_by_step(&self, bytes: &[u8]) -> Result<Document, Error> {
        // serde_json's syntax errors name a position, never the text; its data errors
        // may quote a value, so those get a message of our own.
        let shape_or_syntax = |e: serde_json::Error, shape: &str| match e.classify() {
            Category::Eof => self.corrupt(&format!("it ends too early, probably truncated: {e}")),
            Category::Syntax => self.corrupt(&format!("it is not valid JSON: {e}")),
            Category::Data | Category::Io => self.corrupt(shape),
        };
        let mut root: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(bytes)
            .map_err(|e| shape_or_syntax(e, "it is not a JSON object"))?;
        let version = root
            .get("version")
            .and_then(|raw| serde_json::from_str::<u64>(raw.get()).ok());
        match version {
            None => return Err(self.corrupt("it has no numeric `version` field")),
            Some(v) if v > FILE_FORMAT_VERSION => {
                return Err(self.error(
                    &self.path,
                    format!(
                        "the token file has format version {v}, newer than this program \
                         understands ({FILE_FORMAT_VERSION}); it was left as it is"
                    ),
                    "upgrade this program (authctl), or use another token folder",
                ));
            }
            Some(_) => {}
        }
        let Some(tokens) = root.remove("tokens") else {
            return Err(self.corrupt("it has no `tokens` field"));
        };
        let tokens = serde_json::from_str(tokens.get())
            .map_err(|e| shape_or_syntax(e, "its `tokens` field is not a JSON object"))?;
        let revision = match root.remove("revision") {
            Some(raw) => serde_json::from_str(raw.get())
                .map_err(|e| shape_or_syntax(e, "its `revision` field is not a number"))?,
            None => 0,
        };
        let revisions = match root.remove("revisions") {
            Some(raw) => serde_json::from_str(raw.get())
                .map_err(|e| shape_or_syntax(e, "its `revisions` field is not a map of numbers"))?,
            None => BTreeMap::new(),
        };
        let active = match root.remove("active") {
            Some(raw) => serde_json::from_str(raw.get())
                .map_err(|e| shape_or_syntax(e, "its `active` field is not a map of names"))?,
            None => BTreeMap::new(),
        };
        Ok(Document {
            version,
            tokens,
            revision,
            revisions,
            active,
        })
    }

    fn ensure_dir(&self) -> Result<(), Error> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(&self.dir)
            .map_err(|e| self.io_error(&self.dir, "create the token folder", &e))?;
        check_private_folder("file", &self.dir)
    }

    fn symlink_refused(&self) -> Error {
        let target = fs::read_link(&self.path)
            .map(|t| format!(" to {}", t.display()))
            .unwrap_or_default();
        let p = shell_quote(&self.path.display().to_string());
        self.error(
            &self.path,
            format!(
                "the token file is a symbolic link{target}; links are never followed, so \
                 nothing was read from it or written to it"
            ),
            format!(
                "replace the link with the file it points to (if the link is yours), or remove \
                 it (`rm {p}`) and log in again"
            ),
        )
    }

    /// Holds the exclusive lock until the returned file is dropped.
    fn lock_document(&self) -> Result<File, Error> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        no_follow(&mut options);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&self.lock_path)
            .map_err(|e| self.io_error(&self.lock_path, "open the lock file", &e))?;
        fs4::FileExt::lock(&file)
            .map_err(|e| self.io_error(&self.lock_path, "lock the token file", &e))?;
        Ok(file)
    }

    /// Runs `change` on the document under the lock and writes the result when it says
    /// something changed. Nothing is written when the current file cannot be read.
    fn update<R>(&self, change: impl FnOnce(&mut Document) -> (R, bool)) -> Result<R, Error> {
        self.ensure_dir()?;
        let _lock = self.lock_document()?;
        let mut doc = self.read_document()?.unwrap_or_default();
        let (result, changed) = change(&mut doc);
        if changed {
            self.remove_stale_temp_files();
            self.write_document(&doc)?;
        }
        Ok(result)
    }

    /// Temporary files are only created under the lock, so any found while holding it
    /// were left by a writer that died mid-save.
    fn remove_stale_temp_files(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn write_document(&self, doc: &Document) -> Result<(), Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            version: u64,
            tokens: &'a Entries,
            revision: u64,
            revisions: &'a BTreeMap<String, u64>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            active: &'a BTreeMap<String, String>,
        }
        let out = Out {
            version: FILE_FORMAT_VERSION,
            tokens: &doc.tokens,
            revision: doc.revision,
            revisions: &doc.revisions,
            active: &doc.active,
        };
        // The encoded tokens: zeroized once written (best-effort, as when reading).
        let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(4096));
        serde_json::to_writer(&mut *bytes, &out).map_err(|e| {
            self.error(
                &self.path,
                format!("could not encode the tokens: {e}"),
                "this is a bug; please report it",
            )
        })?;
        bytes.push(b'\n');

        let temp = self.dir.join(format!(
            "{TEMP_PREFIX}{}.{}{TEMP_SUFFIX}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = self.write_temp(&temp, &bytes).and_then(|()| {
            fs::rename(&temp, &self.path)
                .map_err(|e| self.io_error(&self.path, "replace the token file", &e))
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        sync_dir(&self.dir);
        Ok(())
    }

    fn write_temp(&self, temp: &Path, bytes: &[u8]) -> Result<(), Error> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(temp)
            .map_err(|e| self.io_error(temp, "create a temporary token file", &e))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| self.io_error(temp, "write the temporary token file", &e))
    }

    fn decode(&self, key: &TokenKey, raw: &RawValue) -> Result<Token, Error> {
        let value: Value = serde_json::from_str(raw.get()).map_err(|_| {
            // cannot happen: the entry was parsed as JSON when the file was read
            self.error(&self.path, format!("the entry for {key} is not JSON"), "")
        })?;
        Token::from_json_value(value).map_err(|e| {
            let (message, hint) = match e {
                TokenFormatError::NewerVersion(v) => (
                    format!(
                        "the entry for {key} has token format version {v}, newer than this \
                         program understands"
                    ),
                    "upgrade this program (authctl); the entry was left as it is".to_owned(),
                ),
                TokenFormatError::Corrupt(why) => (
                    format!(
                        "the entry for {key} is corrupt ({}); the other entries are unaffected",
                        without_quoted_values(&why)
                    ),
                    "log in again to replace it, or log out to delete it".to_owned(),
                ),
                other => (
                    format!("the entry for {key} cannot be read ({other})"),
                    "log in again to replace it, or log out to delete it".to_owned(),
                ),
            };
            self.error(&self.path, message, hint)
        })
    }
}

/// Makes `options` refuse to open a symbolic link (`O_NOFOLLOW`) on Unix.
fn no_follow(options: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(not(unix))]
    let _ = options;
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Makes the rename durable. Folders cannot be opened for syncing everywhere
/// (Windows), and a failure here does not undo the rename, so errors are ignored.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

impl FileStore {
    /// The entry of `key` in `doc`, decoded, with its revision.
    fn entry(&self, doc: &Document, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        let id = key.storage_id();
        match (doc.tokens.get(&id), doc.revision_of(&id)) {
            (Some(raw), Some(revision)) => Ok(Some(Versioned {
                token: self.decode(key, raw)?,
                revision,
            })),
            _ => Ok(None),
        }
    }

    fn encode(&self, key: &TokenKey, token: &Token) -> Result<Box<RawValue>, Error> {
        serde_json::value::to_raw_value(&token.to_json_value()).map_err(|e| {
            self.error(
                &self.path,
                format!("could not encode the token of {key}: {e}"),
                "this is a bug; please report it",
            )
        })
    }
}

#[async_trait]
impl TokenStore for FileStore {
    fn describe(&self) -> String {
        format!("file {}", self.path.display())
    }

    async fn load(&self, key: &TokenKey) -> Result<Option<Token>, Error> {
        Ok(self.load_versioned(key).await?.map(|v| v.token))
    }

    async fn save(&self, key: &TokenKey, token: &Token) -> Result<(), Error> {
        let id = key.storage_id();
        let raw = self.encode(key, token)?;
        self.update(|doc| {
            let changed = doc.tokens.get(&id).is_none_or(|old| old.get() != raw.get());
            if changed {
                doc.put(id, raw);
            }
            ((), changed)
        })
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, Error> {
        if !self.dir.is_dir() {
            // Nothing was ever saved here; do not create the folder just to say so.
            return Ok(false);
        }
        let id = key.storage_id();
        self.update(|doc| {
            doc.revisions.remove(&id);
            let removed = doc.tokens.remove(&id).is_some();
            (removed, removed)
        })
    }

    async fn keys(&self, provider: &str) -> Result<Vec<TokenKey>, Error> {
        let mut keys = self.all_keys()?;
        keys.retain(|k| k.provider == provider);
        Ok(keys)
    }

    async fn load_versioned(&self, key: &TokenKey) -> Result<Option<Versioned>, Error> {
        let Some(doc) = self.read_document()? else {
            return Ok(None);
        };
        self.entry(&doc, key)
    }

    async fn save_if(
        &self,
        key: &TokenKey,
        token: &Token,
        expected: Option<u64>,
    ) -> Result<Option<u64>, Error> {
        let id = key.storage_id();
        let raw = self.encode(key, token)?;
        self.update(|doc| {
            if doc.revision_of(&id) != expected {
                return (None, false);
            }
            (Some(doc.put(id, raw)), true)
        })
    }

    async fn lock(&self, key: &TokenKey, wait: Duration) -> Result<StoreLock, Error> {
        crate::lock::lock_file("file", &self.dir, key, wait).await
    }

    async fn active_account(&self, provider: &str) -> Result<Option<String>, Error> {
        Ok(self
            .read_document()?
            .and_then(|mut doc| doc.active.remove(provider)))
    }

    /// One read of the document for both the active account and its token.
    async fn load_active(
        &self,
        provider: &str,
        key: &(dyn for<'a> Fn(&'a str) -> TokenKey + Sync),
    ) -> Result<Option<(TokenKey, Option<Token>)>, Error> {
        let Some(mut doc) = self.read_document()? else {
            return Ok(None);
        };
        let Some(account) = doc.active.remove(provider) else {
            return Ok(None);
        };
        let key = key(&account);
        let token = self.entry(&doc, &key)?.map(|v| v.token);
        Ok(Some((key, token)))
    }

    async fn set_active_account(&self, provider: &str, account: Option<&str>) -> Result<(), Error> {
        if account.is_none() && !self.dir.is_dir() {
            return Ok(());
        }
        self.update(|doc| {
            let old = match account {
                Some(a) => doc.active.insert(provider.to_owned(), a.to_owned()),
                None => doc.active.remove(provider),
            };
            ((), old.as_deref() != account)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("tokens"));
        (dir, store)
    }

    #[test]
    fn parse_classifies_bad_documents() {
        let (_dir, store) = store();
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("  \n", "empty"),
            (r#"{"version":1,"tokens":{"a":"#, "ends too early"),
            ("[1,2]", "not a JSON object"),
            (r#""SECRETVALUE""#, "not a JSON object"),
            (
                r#"{"version":1,"tokens":"SECRETVALUE"}"#,
                "`tokens` field is not a JSON object",
            ),
            (r#"{"tokens":{}}"#, "no numeric `version`"),
            (r#"{"version":"1","tokens":{}}"#, "no numeric `version`"),
            (r#"{"version":1}"#, "no `tokens`"),
            (r#"{"version":1,"tokens":[]}"#, "not a JSON object"),
            ("garbage", "not valid JSON"),
        ];
        for (text, expected) in cases {
            let err = store.parse(text.as_bytes()).err().unwrap().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(err.contains("tokens.json"), "{err}");
            assert!(err.contains(".bak"), "{err}");
            assert!(!err.contains("SECRETVALUE"), "{err}");
        }
        let err = store
            .parse(br#"{"version":7,"tokens":{}}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("version 7") && err.contains("upgrade"),
            "{err}"
        );
        assert!(store.parse(br#"{"version":1,"tokens":{}}"#).is_ok());
    }

    #[test]
    fn a_corrupt_entry_never_shows_its_value() {
        let (_dir, store) = store();
        let key = TokenKey::new("p", "a", "c");
        let bad = serde_json::json!({"version":1,"access_token":{"x":1},"token_type":"SECRETVALUE",
            "kind":{"type":"bearer"},"refresh_token":17});
        let bad = serde_json::value::to_raw_value(&bad).unwrap();
        let err = store.decode(&key, &bad).unwrap_err().to_string();
        assert!(err.contains("p/a (client c)"), "{err}");
        assert!(!err.contains("SECRETVALUE"), "{err}");
        let bad = serde_json::json!({"version":1,"access_token":"AT","token_type":"Bearer",
            "kind":{"type":"bearer"},"expires_at":"SECRETVALUE"});
        let bad = serde_json::value::to_raw_value(&bad).unwrap();
        let err = store.decode(&key, &bad).unwrap_err().to_string();
        assert!(
            err.contains("corrupt") && !err.contains("SECRETVALUE"),
            "{err}"
        );
    }

    #[test]
    fn the_active_account_and_its_token_come_from_one_read() {
        let (_dir, store) = store();
        let key_of = |account: &str| TokenKey::new("p", account, "c");
        let none = pollster::block_on(store.load_active("p", &key_of)).unwrap();
        assert!(none.is_none(), "no file: no active account");
        let ana = key_of("ana");
        pollster::block_on(store.save(&ana, &Token::bearer("ana-token"))).unwrap();
        let none = pollster::block_on(store.load_active("p", &key_of)).unwrap();
        assert!(none.is_none(), "a token but no active account");
        pollster::block_on(store.set_active_account("p", Some("ana"))).unwrap();
        let (key, token) = pollster::block_on(store.load_active("p", &key_of))
            .unwrap()
            .unwrap();
        assert_eq!(key, ana);
        assert_eq!(token.unwrap().access_token.expose(), "ana-token");
        pollster::block_on(store.set_active_account("p", Some("bob"))).unwrap();
        let (key, token) = pollster::block_on(store.load_active("p", &key_of))
            .unwrap()
            .unwrap();
        assert_eq!(key.account, "bob");
        assert!(token.is_none(), "bob is active but has no token");
        assert!(
            pollster::block_on(store.load_active("q", &key_of))
                .unwrap()
                .is_none()
        );
    }
}
