//! `authctl userinfo`: the OpenID Connect userinfo endpoint's answer, as JSON.

use std::process::ExitCode;

use auth_core::{AllowedOrigins, Credentials, Endpoint, Error};

use super::api::oauth2_send;
use super::app;
use crate::cli::Cli;

pub(super) fn run(cli: &Cli) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    let provider = app.provider(&app.http()?)?;
    let url = provider.endpoint(Endpoint::Userinfo)?.clone();
    let request = http::Request::get(url.as_str())
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| Error::config(format!("bad request: {e}")))?;
    // The userinfo endpoint is the provider's own: its origin may get the token.
    let response = oauth2_send(&app, request, AllowedOrigins::new().with_url(&url))?;
    let status = response.status();
    if !status.is_success() {
        return Err(Error::InvalidResponse {
            url: auth_core::http::without_query(&url),
            status: status.as_u16(),
            problem: "the userinfo endpoint refused the request".into(),
            excerpt: auth_core::redact::excerpt(response.body()),
        });
    }
    // Printed through serde_json, which escapes every control character a server may
    // have put in a string.
    let claims: serde_json::Value =
        serde_json::from_slice(response.body()).map_err(|_| Error::InvalidResponse {
            url: auth_core::http::without_query(&url),
            status: status.as_u16(),
            problem: "the userinfo answer is not JSON (a signed userinfo JWT is not supported)"
                .into(),
            excerpt: auth_core::redact::excerpt(response.body()),
        })?;
    if cli.globals.json {
        println!("{claims}");
    } else {
        println!("{claims:#}");
    }
    Ok(ExitCode::SUCCESS)
}
