//! Property test of the token file reader: `tokens.json` documents shaped like what a
//! crash, a bad disk or a hostile hand leaves (near-valid documents and entries with
//! absurd numbers, wrong types, duplicate keys, deep nesting, invalid UTF-8, cut short).
//! The store answers or refuses, never panics, never shows a token in an error, and never
//! overwrites a file it refused to read. (`cargo xtask fuzz` runs it with 10,000 cases.)
#![cfg(feature = "file")]

use auth_core::{Token, TokenKey, TokenStore};
use auth_store::FileStore;
use auth_testkit::hostile;
use proptest::prelude::*;

const ENTRY_FIELDS: &[&str] = &[
    "version",
    "access_token",
    "token_type",
    "kind",
    "expires_at",
    "refresh_token",
    "scopes",
    "id_token",
    "extra",
];

const DOC_FIELDS: &[&str] = &["version", "tokens", "revision", "revisions", "active"];

/// `prefix` put at the start of a JSON object body when `add` (so the reader meets the
/// hostile fields after valid ones); other bodies stay as they are.
fn prefixed(body: Vec<u8>, prefix: &[u8], add: bool) -> Vec<u8> {
    if add && body.first() == Some(&b'{') {
        let mut out = b"{".to_vec();
        out.extend_from_slice(prefix);
        if body.get(1) != Some(&b'}') {
            out.push(b',');
        }
        out.extend_from_slice(&body[1..]);
        out
    } else {
        body
    }
}

fn key() -> TokenKey {
    TokenKey::new("fuzz", "ana", "client")
}

proptest! {
    #![proptest_config(hostile::config(128))]

    #[test]
    fn token_file(
        entry in hostile::json_object(ENTRY_FIELDS),
        valid_entry in any::<bool>(),
        doc in hostile::json_object(DOC_FIELDS),
        valid_doc in any::<bool>(),
    ) {
        let entry = prefixed(
            entry,
            br#""version":1,"access_token":"AT-MARKER-5b1e","token_type":"Bearer","kind":{"type":"bearer"}"#,
            valid_entry,
        );
        let _ = Token::from_json(&String::from_utf8_lossy(&entry));
        let mut head = format!("\"version\":1,\"tokens\":{{\"{}\":", key().storage_id()).into_bytes();
        head.extend_from_slice(&entry);
        head.push(b'}');
        let doc = prefixed(doc, &head, valid_doc);

        let dir = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap();
        let store = FileStore::new(dir.path());
        std::fs::write(store.path(), &doc).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let loaded = pollster::block_on(store.load(&key()));
        if let Err(e) = &loaded {
            let text = e.to_string();
            prop_assert!(!text.contains("AT-MARKER"), "{}", text);
        }
        let _ = store.all_keys();
        let _ = pollster::block_on(store.active_account("fuzz"));
        let new = Token::bearer("AT-NEW");
        match pollster::block_on(store.save(&key(), &new)) {
            Ok(()) => {
                prop_assert_eq!(pollster::block_on(store.load(&key())).unwrap(), Some(new));
            }
            Err(e) => {
                prop_assert!(!e.to_string().contains("AT-MARKER"), "{}", e);
                prop_assert_eq!(std::fs::read(store.path()).unwrap(), doc, "a refused file is kept");
            }
        }
    }
}
