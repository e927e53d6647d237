//! `authctl status`: the profile, its accounts (the active one marked), the token of the
//! account in use and where its credentials come from (never a secret).

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use auth_core::text::printable;
use auth_core::{Credentials, Error, TokenKind};

use super::{app, expiry_phrase};
use crate::cli::Cli;

pub(super) fn run(cli: &Cli) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    let store = app.store()?;
    let (key, _) = app.key(store.as_ref())?;
    let token = pollster::block_on(store.load(&key))?;
    let active = pollster::block_on(store.active_account(&app.profile.name))?;
    let mut accounts: Vec<String> = pollster::block_on(store.keys(&app.profile.name))?
        .into_iter()
        .map(|k| k.account)
        .collect();
    accounts.sort();
    accounts.dedup();
    let accounts_json: Vec<serde_json::Value> = accounts
        .iter()
        .map(|a| serde_json::json!({"name": a, "active": active.as_deref() == Some(a.as_str())}))
        .collect();
    let resolved = app.credentials()?;
    let now = SystemTime::now();
    let origin = |f| resolved.origin(f).map(str::to_owned);
    let p = &app.profile;
    let token_json = token.as_ref().map(|t| {
        serde_json::json!({
            "kind": t.kind.name(),
            "token_type": t.token_type,
            "expires_at": t.expires_at.map(|e| humantime::format_rfc3339_seconds(e).to_string()),
            "expires_in_seconds": t.expires_at.map(|e| match e.duration_since(now) { Ok(d) => d.as_secs() as i64, Err(a) => -(a.duration().as_secs() as i64) }),
            "expired": t.is_expired(now, Duration::ZERO),
            "refresh_token": t.refresh_token.is_some() || matches!(&t.kind, TokenKind::Jwt { source: Some(s) } if s.refresh_token.is_some()),
            "renewable_without_login": auth_flows::renewable(t, now, auth_flows::DEFAULT_LEEWAY),
            "scopes": t.scopes,
            "dpop": t.is_dpop(),
            "subject": claim(t, "sub"),
            "issuer": claim(t, "iss"),
            "issued_token_type": t.extra.get("issued_token_type"),
        })
    });
    let report = serde_json::json!({
        "profile": p.name,
        "provider": p.config.provider.clone().unwrap_or_else(|| p.name.clone()),
        "account": key.account,
        "active_account": active,
        "accounts": accounts_json,
        "client_id": key.client_id,
        "store": store.describe(),
        "flow": p.flow.name(),
        "jwt": p.jwt,
        "token": token_json,
        "credentials": {
            "username": origin(auth_core::CredentialField::Username),
            "password": origin(auth_core::CredentialField::Password),
            "client_id": origin(auth_core::CredentialField::ClientId),
            "client_secret": origin(auth_core::CredentialField::ClientSecret),
        },
        "keyring_unavailable": !resolved.unavailable.is_empty(),
    });
    if cli.globals.json {
        println!("{report:#}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("profile:    {}", p.name);
    println!(
        "provider:   {}",
        report["provider"].as_str().unwrap_or_default()
    );
    println!("account:    {}", printable(&key.account));
    let listed: Vec<String> = accounts
        .iter()
        .map(|a| {
            if active.as_deref() == Some(a.as_str()) {
                format!("{} (active)", printable(a))
            } else {
                printable(a)
            }
        })
        .collect();
    println!(
        "accounts:   {}",
        if listed.is_empty() {
            "none".to_owned()
        } else {
            listed.join(", ")
        }
    );
    println!(
        "flow:       {}{}",
        p.flow.name(),
        if p.jwt { " (+ JWT exchange)" } else { "" }
    );
    println!("store:      {}", store.describe());
    match &token {
        None => println!(
            "token:      none (run `authctl login --profile {}`)",
            p.name
        ),
        Some(t) => {
            let expiry = match t.expires_at {
                Some(at) => format!(
                    "{} ({})",
                    humantime::format_rfc3339_seconds(at),
                    expiry_phrase(t).unwrap_or_default()
                ),
                None => "unknown".into(),
            };
            println!("token:      {} , expires {expiry}", t.kind.name());
            println!(
                "refresh:    {}",
                if report["token"]["renewable_without_login"] == true {
                    "yes"
                } else {
                    "no"
                }
            );
            if !t.scopes.is_empty() {
                println!("scopes:     {}", printable(&t.scopes.join(" ")));
            }
            if t.is_dpop() {
                println!("bound:      DPoP (a key of this account)");
            }
            if let (Some(sub), Some(iss)) = (claim(t, "sub"), claim(t, "iss")) {
                println!(
                    "subject:    {} (validated, issuer {})",
                    printable(&sub),
                    printable(&iss)
                );
            }
        }
    }
    for (label, field) in [
        ("username", auth_core::CredentialField::Username),
        ("password", auth_core::CredentialField::Password),
        ("client id", auth_core::CredentialField::ClientId),
        ("secret", auth_core::CredentialField::ClientSecret),
    ] {
        println!(
            "{:<11} {}",
            format!("{label}:"),
            resolved.origin(field).unwrap_or("not set")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A claim of the token's validated ID token, as text.
fn claim(token: &auth_core::Token, name: &str) -> Option<String> {
    match token.id_claims.as_ref()?.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
