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
    use std::fs::Metadata;
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};

    use super::{Error, Hint};

    const GROUP_OR_WORLD_WRITABLE: u32 = 0o022;
    const STICKY: u32 = 0o1000;

    /// Walks up from `dir` by asking for `dir`, `dir/..`, `dir/../..` and so on: the
    /// kernel resolves each (symbolic links first, then `..`), so these are the folders
    /// of the real path, one `stat` each, without resolving the path first. The walk
    /// stops after the home folder (recognised by device and inode) when the token
    /// folder is inside it, else at `/` (the folder that is its own parent). The real
    /// path is worked out only to name a refused folder.
    pub(super) fn check(backend: &str, dir: &Path) -> Result<(), Error> {
        let uid = rustix::process::geteuid().as_raw();
        let identity = |m: &Metadata| (m.dev(), m.ino());
        let home = dirs::home_dir()
            .and_then(|h| std::fs::metadata(h).ok())
            .map(|m| identity(&m));
        let mut walked = dir.to_path_buf();
        let mut folder = std::fs::metadata(dir).map_err(|e| Error::Store {
            backend: backend.to_owned(),
            path: Some(dir.to_owned()),
            message: format!("could not resolve the token folder: {e}"),
            hint: "check that the folder exists and that you may open it".into(),
        })?;
        for level in 0.. {
            if let Some(refusal) = check_one(&folder, uid, level == 0) {
                return Err(refusal.error(backend, real_ancestor(dir, &walked, level)));
            }
            if level > 0 && home == Some(identity(&folder)) {
                break;
            }
            walked.push("..");
            let parent = std::fs::metadata(&walked).map_err(|e| Error::Store {
                backend: backend.to_owned(),
                path: Some(real_ancestor(dir, &walked, level + 1)),
                message: format!("could not inspect the folder: {e}"),
                hint: "check that you may open it".into(),
            })?;
            if identity(&parent) == identity(&folder) {
                break; // `/`
            }
            folder = parent;
        }
        Ok(())
    }

    /// The real path of the folder `level` steps above `dir` (reached as `walked`), to
    /// name it in a message; `walked` itself if `dir` cannot be resolved any more.
    fn real_ancestor(dir: &Path, walked: &Path, level: usize) -> PathBuf {
        dir.canonicalize()
            .ok()
            .and_then(|real| real.ancestors().nth(level).map(Path::to_path_buf))
            .unwrap_or_else(|| walked.to_path_buf())
    }

    /// What is wrong with one folder of the walk.
    struct Refusal {
        owner: u32,
        uid: u32,
        mode: u32,
        owner_ok: bool,
        mode_ok: bool,
        token_folder: bool,
    }

    fn check_one(metadata: &Metadata, uid: u32, token_folder: bool) -> Option<Refusal> {
        let mode = metadata.mode() & 0o7777;
        let owner = metadata.uid();
        let owner_ok = owner == uid || owner == 0;
        let writable = mode & GROUP_OR_WORLD_WRITABLE != 0;
        let sticky_allowance = !token_folder && mode & STICKY != 0;
        let mode_ok = !writable || sticky_allowance;
        (!(owner_ok && mode_ok)).then_some(Refusal {
            owner,
            uid,
            mode,
            owner_ok,
            mode_ok,
            token_folder,
        })
    }

    impl Refusal {
        fn error(&self, backend: &str, folder: PathBuf) -> Error {
            let Refusal {
                owner,
                uid,
                mode,
                owner_ok,
                mode_ok,
                token_folder,
            } = *self;
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
            Error::NotPrivate {
                backend: backend.to_owned(),
                path: folder.clone(),
                problem: format!(
                    "{which} {}, so another user could replace the token file",
                    problems.join(" and ")
                ),
                fix: Hint::MakePrivate {
                    path: folder,
                    chmod,
                    chown: (!owner_ok).then_some(uid),
                },
            }
        }
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

    /// The check of `dir` refuses it because of the group- and world-writable folder
    /// `parent` above it, named by its real path, with the mode to set.
    fn assert_refused_for_parent(dir: &Path, parent: &Path) {
        let err = check_private_folder("file", dir).unwrap_err();
        assert!(err.to_string().contains("a folder above"), "{err}");
        assert_eq!(
            err.hint(),
            Some(Hint::MakePrivate {
                path: parent.canonicalize().unwrap(),
                chmod: Some(0o755),
                chown: None,
            })
        );
    }

    #[test]
    fn a_writable_parent_is_refused_with_its_own_mode_minus_the_write_bits() {
        let top = tempfile::tempdir().unwrap();
        let parent = top.path().join("shared");
        let dir = parent.join("tokens");
        std::fs::create_dir_all(&dir).unwrap();
        chmod(&dir, 0o700);
        chmod(&parent, 0o775);
        assert_refused_for_parent(&dir, &parent);
        // A sticky parent (like /tmp) cannot have its entries swapped: allowed.
        chmod(&parent, 0o1777);
        check_private_folder("file", &dir).unwrap();
    }

    #[test]
    fn the_walk_follows_the_real_path_of_a_linked_folder_and_names_real_folders() {
        let top = tempfile::tempdir().unwrap();
        let real = top.path().join("real");
        let dir = real.join("tokens");
        let shared = top.path().join("shared");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir(&shared).unwrap();
        chmod(&dir, 0o700);
        chmod(&real, 0o755);
        let link = shared.join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        // the folder holding the link is not above the real token folder
        chmod(&shared, 0o777);
        check_private_folder("file", &link).unwrap();
        // the real parent is, and is named by its real path
        chmod(&real, 0o777);
        assert_refused_for_parent(&link, &real);
        chmod(&shared, 0o755);
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
