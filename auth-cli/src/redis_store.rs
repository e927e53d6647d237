//! `store = "redis"`: the profile's `redis_url` (or `AUTHCTL_REDIS_URL`), the password of
//! `AUTHCTL_REDIS_PASSWORD` (when it is not in the URL), the encryption key of
//! `AUTHCTL_STORE_KEY` (base64) or of the file named by `store_key_file`, and for
//! `rediss://` the CA certificate of `AUTHCTL_REDIS_CA_FILE` or `redis_ca_file`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use auth_core::{Error, Secret, TokenStore};
use auth_store::{RedisStore, StoreKey};

use crate::config::Profile;

/// How a person gives authctl the key.
const GIVE_THE_KEY: &str = "put it in AUTHCTL_STORE_KEY, or in a file (mode 0600) named by \
     store_key_file in the profile";

/// How a person gives authctl the CA of a Redis server.
const GIVE_THE_CA: &str = "name its PEM file in redis_ca_file in the profile (relative to the \
     config file's folder) or in AUTHCTL_REDIS_CA_FILE";

/// Opens the profile's Redis store. A missing key is not an error here: the store then
/// refuses to read or write tokens with a message that says how to make one, while
/// deleting and listing still work.
pub(crate) fn open(profile: &Profile) -> Result<Arc<dyn TokenStore>, Error> {
    let url = non_empty("AUTHCTL_REDIS_URL")
        .or_else(|| profile.config.redis_url.clone())
        .ok_or_else(|| {
            Error::config(format!(
                "{}: profile `{}` has store = \"redis\" but no redis_url: set redis_url = \
                 \"redis://host:port/db\" (rediss:// for TLS) in the profile, or AUTHCTL_REDIS_URL",
                profile.config_path.display(),
                profile.name
            ))
        })?;
    let mut builder = RedisStore::builder(url)
        .missing_key_hint(GIVE_THE_KEY)
        .untrusted_certificate_hint(GIVE_THE_CA);
    if let Some(file) = non_empty("AUTHCTL_REDIS_CA_FILE") {
        builder = builder.ca_file(file);
    } else if let Some(file) = &profile.config.redis_ca_file {
        builder = builder.ca_file(beside_config(profile, file));
    }
    if let Some(password) = non_empty("AUTHCTL_REDIS_PASSWORD") {
        builder = builder.password(Secret::new(password));
    }
    if let Some(key) = store_key(profile)? {
        builder = builder.key(key);
    }
    Ok(Arc::new(builder.build()?))
}

fn non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `AUTHCTL_STORE_KEY`, else the profile's `store_key_file` (relative to the config
/// file's folder), else none.
fn store_key(profile: &Profile) -> Result<Option<StoreKey>, Error> {
    if let Some(text) = non_empty("AUTHCTL_STORE_KEY") {
        return StoreKey::from_base64(&Secret::new(text))
            .map(Some)
            .map_err(|e| Error::config(format!("AUTHCTL_STORE_KEY: {e}")));
    }
    let Some(file) = &profile.config.store_key_file else {
        return Ok(None);
    };
    let path = beside_config(profile, file);
    let unreadable =
        |why: String| Error::config(format!("store_key_file {}: {why}", path.display()));
    check_private(&path).map_err(unreadable)?;
    let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
    StoreKey::from_base64(&Secret::new(text))
        .map(Some)
        .map_err(|e| unreadable(e.to_string()))
}

/// `file` as the profile names it: relative to the config file's folder.
fn beside_config(profile: &Profile, file: &Path) -> PathBuf {
    match profile.config_path.parent() {
        Some(dir) if file.is_relative() => dir.join(file),
        _ => file.to_owned(),
    }
}

/// A key file that its group or other users may read is refused, with the `chmod` that
/// fixes it.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "it holds the store key and its group or other users may read it (mode {:o}); \
             run `chmod 600 {}`",
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}
