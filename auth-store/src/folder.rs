//! The token folder check: who may change the folder that holds the token file.
//!
//! The rule follows OpenSSH's check of the files it trusts (`safe_path`, used for
//! `~/.ssh/authorized_keys` under `StrictModes`):
//!
//! - the folder itself must be owned by the current user or root and be neither group- nor
//!   world-writable (`mode & 0o022 == 0`);
//! - so must every folder above it, walking up the real path (symbolic links resolved),
//!   up to and including the user's home folder when the token folder is inside it, and
//!   up to `/` otherwise.
//!
//! One difference from ssh: a parent that is world-writable but has the sticky bit
//! (`/tmp`, mode 1777) is accepted when it is owned by root or the user, because there
//! only the owner of an entry may rename or remove it, so no one can swap our folder.
//! The token folder itself never gets that allowance.
//!
//! On platforms without Unix modes the check does nothing: there the folder inherits the
//! ACL of the user's profile folder.

use std::path::Path;

use auth_core::{Error, Hint};

/// Refuses `dir` (which exists) when another user could change it or a folder above it
/// (see the module doc), with an [`Error::NotPrivate`] whose [`Hint::MakePrivate`] says
/// which mode and owner make it safe.
pub(crate) fn check_private_folder(backend: &str, dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        unix::check(backend, dir)
    }
    #[cfg(not(unix))]
    {
        let _ = (backend, dir);
        Ok(())
    }
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};

    use super::{Error, Hint};

    const GROUP_OR_WORLD_WRITABLE: u32 = 0o022;
    const STICKY: u32 = 0o1000;

    pub(super) fn check(backend: &str, dir: &Path) -> Result<(), Error> {
        let uid = rustix::process::geteuid().as_raw();
        let real = dir.canonicalize().map_err(|e| Error::Store {
            backend: backend.to_owned(),
            path: Some(dir.to_owned()),
            message: format!("could not resolve the token folder: {e}"),
            hint: "check that the folder exists and that you may open it".into(),
        })?;
        let home = dirs::home_dir().and_then(|h| h.canonicalize().ok());
        let stop = home.filter(|h| real.starts_with(h) && real != *h);
        let mut current: Option<PathBuf> = Some(real);
        let mut is_token_folder = true;
        while let Some(folder) = current {
            check_one(backend, &folder, uid, is_token_folder)?;
            if stop.as_deref() == Some(folder.as_path()) {
                break;
            }
            current = folder.parent().map(Path::to_path_buf);
            is_token_folder = false;
        }
        Ok(())
    }

    fn check_one(backend: &str, folder: &Path, uid: u32, token_folder: bool) -> Result<(), Error> {
        let metadata = std::fs::metadata(folder).map_err(|e| Error::Store {
            backend: backend.to_owned(),
            path: Some(folder.to_owned()),
            message: format!("could not inspect the folder: {e}"),
            hint: "check that you may open it".into(),
        })?;
        let mode = metadata.mode() & 0o7777;
        let owner = metadata.uid();
        let owner_ok = owner == uid || owner == 0;
        let writable = mode & GROUP_OR_WORLD_WRITABLE != 0;
        let sticky_allowance = !token_folder && mode & STICKY != 0;
        let mode_ok = !writable || sticky_allowance;
        if owner_ok && mode_ok {
            return Ok(());
        }
        let which = if token_folder {
            "the token folder"
        } else {
            "a folder above the token folder"
        };
        let mut problems = Vec::new();
        if !owner_ok {
            problems.push(format!(
                "is owned by user id {owner}, not by you (user id {uid})"
            ));
        }
        if !mode_ok {
            let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
                (true, true) => "its group and all other users",
                (true, false) => "its group",
                _ => "all other users",
            };
            problems.push(format!("may be changed by {who} (mode {mode:04o})"));
        }
        let chmod = (!mode_ok).then_some(if token_folder {
            0o700
        } else {
            mode & !GROUP_OR_WORLD_WRITABLE & 0o777
        });
        Err(Error::NotPrivate {
            backend: backend.to_owned(),
            path: folder.to_owned(),
            problem: format!(
                "{which} {}, so another user could replace the token file",
                problems.join(" and ")
            ),
            fix: Hint::MakePrivate {
                path: folder.to_owned(),
                chmod,
                chown: (!owner_ok).then_some(uid),
            },
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_private_folder_passes_and_a_writable_one_is_refused_with_the_mode_to_set() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("tokens");
        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o700);
        check_private_folder("file", &dir).unwrap();
        chmod(&dir, 0o750);
        check_private_folder("file", &dir).expect("readable by the group is allowed, as ssh does");

        for (mode, who) in [
            (0o770, "its group"),
            (0o707, "all other users"),
            (0o777, "its group and all other users"),
            (0o1777, "its group and all other users"),
        ] {
            chmod(&dir, mode);
            let err = check_private_folder("file", &dir).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(who) && text.contains("the token folder"),
                "{text}"
            );
            assert_eq!(
                err.hint(),
                Some(Hint::MakePrivate {
                    path: dir.canonicalize().unwrap(),
                    chmod: Some(0o700),
                    chown: None,
                })
            );
        }
    }

    #[test]
    fn a_writable_parent_is_refused_with_its_own_mode_minus_the_write_bits() {
        let top = tempfile::tempdir().unwrap();
        let parent = top.path().join("shared");
        let dir = parent.join("tokens");
        std::fs::create_dir_all(&dir).unwrap();
        chmod(&dir, 0o700);
        chmod(&parent, 0o775);
        let err = check_private_folder("file", &dir).unwrap_err();
        assert!(err.to_string().contains("a folder above"), "{err}");
        assert_eq!(
            err.hint(),
            Some(Hint::MakePrivate {
                path: parent.canonicalize().unwrap(),
                chmod: Some(0o755),
                chown: None,
            })
        );
        // A sticky parent (like /tmp) cannot have its entries swapped: allowed.
        chmod(&parent, 0o1777);
        check_private_folder("file", &dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_a_clear_store_error() {
        let top = tempfile::tempdir().unwrap();
        let err = check_private_folder("file", &top.path().join("nope")).unwrap_err();
        assert!(
            err.to_string()
                .contains("could not resolve the token folder"),
            "{err}"
        );
    }
}
