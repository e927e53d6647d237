//! File permission checks shared by the file store and the config file source.

use std::fs::Metadata;

/// The permission bits of `metadata` when anyone but the owner may read or write the
/// file (`mode & 0o077 != 0`), for the "chmod 600" error. Always `None` on platforms
/// without Unix modes: there the file inherits the ACL of the user's profile folder.
pub(crate) fn shared_mode(metadata: &Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        None
    }
}

/// What the shared mode means, for people: `mode 0644: readable by the group and others`.
pub(crate) fn describe_mode(mode: u32) -> String {
    let mut who = Vec::new();
    if mode & 0o070 != 0 {
        who.push("its group");
    }
    if mode & 0o007 != 0 {
        who.push("all other users");
    }
    format!("mode {mode:04o}: open to {}", who.join(" and "))
}

/// Reads the rest of an open file whose `metadata` was just taken, into a buffer of
/// its size: no second look at the file (std's `read_to_end` asks its size and position
/// again), and no copies left behind by a growing buffer, which matters for a file of
/// secrets the caller zeroizes.
pub(crate) fn read_sized(file: &std::fs::File, metadata: &Metadata) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let size = usize::try_from(metadata.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(size.saturating_add(1));
    file.take(u64::MAX).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_described() {
        assert_eq!(
            describe_mode(0o644),
            "mode 0644: open to its group and all other users"
        );
        assert_eq!(describe_mode(0o640), "mode 0640: open to its group");
        assert_eq!(describe_mode(0o602), "mode 0602: open to all other users");
    }
}
