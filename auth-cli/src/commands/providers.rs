//! `authctl providers`: the built-in providers and their endpoints.

use std::process::ExitCode;

use auth_core::Error;

use crate::config::ENDPOINTS;

pub(super) fn run(json: bool) -> Result<ExitCode, Error> {
    let mut list = Vec::new();
    for name in auth_flows::PRESET_NAMES {
        let Some(p) = auth_flows::preset(name) else {
            continue;
        };
        let mut entry = serde_json::json!({
            "name": name,
            "description": p.description,
            "default_flow": p.default_flow,
            "jwt": p.jwt,
            "scopes": p.provider.default_scopes,
            "quirks": p.provider.quirks,
            "token_placement": p.provider.token_placement(),
        });
        for slot in ENDPOINTS {
            entry[slot.key()] = serde_json::json!(slot.get(&p.provider).map(|u| u.to_string()));
        }
        list.push(entry);
    }
    if json {
        println!("{:#}", serde_json::Value::Array(list));
        return Ok(ExitCode::SUCCESS);
    }
    for p in list {
        println!(
            "{}: {} (flow: {})",
            p["name"].as_str().unwrap_or_default(),
            p["description"].as_str().unwrap_or_default(),
            p["default_flow"].as_str().unwrap_or_default()
        );
        if let Some(quirks) = p["quirks"].as_array().filter(|q| !q.is_empty()) {
            let names: Vec<_> = quirks.iter().filter_map(|q| q.as_str()).collect();
            println!("  {:<26} {}", "quirks", names.join(", "));
        }
        for slot in ENDPOINTS {
            let key = slot.key();
            if let Some(v) = p[key].as_str() {
                println!("  {key:<26} {v}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
