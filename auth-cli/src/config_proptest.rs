//! Property test of the config file reader with `config.toml` files shaped like what a
//! careless edit or a hostile hand writes: near-valid `[profiles.NAME]` tables with every
//! known key, given values of the wrong type, absurd numbers, huge or escape-laden
//! strings, duplicate keys and tables, deep nesting, invalid UTF-8 and cut-short text.
//! Reading and resolving every profile answers or refuses, never panics, and never shows
//! the client secret. (`cargo xtask fuzz` runs it with 10,000 cases or more.)

use std::path::Path;

use auth_testkit::hostile;
use proptest::prelude::*;

use super::{ENDPOINTS, parse, resolve, setting_keys};

const SECRET: &str = "CS-MARKER-40d1";

fn keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = setting_keys().to_vec();
    keys.extend(ENDPOINTS.iter().map(|slot| slot.key()));
    keys.extend(auth_store::ConfigFileSource::KEYS);
    keys.extend(["password", "app_secret", "unknown_key", "profiles", ""]);
    keys
}

fn line() -> impl Strategy<Value = String> {
    (prop::sample::select(keys()), hostile::json_value(), 0..8u8).prop_map(|(key, value, how)| {
        match how {
            0 => format!("{key} = '{}'", value.trim_matches('"')),
            1 => format!("{key} = \"\"\"\n{}\n\"\"\"", value.trim_matches('"')),
            2 => format!("\"{key}\" = {value}"),
            _ => format!("{key} = {value}"),
        }
    })
}

fn table() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "acme",
        "default",
        "inaturalist",
        "github",
        "a.b",
        "\"q.r\"",
        "'lit'",
        "\"\\u001b[2J\"",
        "",
    ]);
    (name, prop::collection::vec(line(), 0..6), any::<bool>()).prop_map(|(name, lines, secret)| {
        let mut text = format!("[profiles.{name}]\n");
        if secret {
            text.push_str(&format!("client_secret = \"{SECRET}\"\n"));
        }
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        text
    })
}

fn document() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(table(), 0..4),
        prop::collection::vec(line(), 0..2),
    )
        .prop_map(|(tables, top)| {
            let mut text = top.join("\n");
            text.push('\n');
            text.push_str(&tables.concat());
            text.into_bytes()
        })
        .prop_flat_map(hostile::damage)
}

proptest! {
    #![proptest_config(hostile::config(256))]

    #[test]
    fn config_file(doc in document()) {
        let text = String::from_utf8_lossy(&doc).into_owned();
        match parse(text, Path::new("/fuzz/config.toml")) {
            Ok(file) => {
                let mut names: Vec<String> = file.profiles.keys().cloned().collect();
                names.push("inaturalist".into());
                for name in names {
                    if let Err(e) = resolve(&file, &name) {
                        let text = e.to_string();
                        prop_assert!(!text.contains(SECRET), "{}", text);
                    }
                }
            }
            Err(e) => {
                let text = e.to_string();
                prop_assert!(!text.contains(SECRET), "{}", text);
                prop_assert!(text.contains("/fuzz/config.toml"), "{}", text);
            }
        }
    }
}
