//! `authctl api`: send an authorized request; the body goes to stdout, exit 4 unless the
//! answer is 2xx.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use auth_core::{AllowedOrigins, Credentials, Error};

use super::{app, login_hint, ran, settle, unattended_manager};
use crate::app::App;
use crate::cli::{ApiArgs, Cli};
use crate::config::FlowKind;

/// Exit code when the server answers `api` with an HTTP error.
const EXIT_HTTP: u8 = 4;

pub(super) fn run(cli: &Cli, args: &ApiArgs) -> Result<ExitCode, Error> {
    let ApiArgs {
        url,
        method,
        headers,
        data,
        json_body,
        include,
        allow_hosts,
    } = args;
    let app = app(cli, Credentials::default())?;
    let target = if url.starts_with('/') {
        let base = app
            .profile
            .provider
            .endpoints
            .api_base
            .as_ref()
            .ok_or_else(|| {
                Error::config(format!(
                    "profile `{}` has no api_base_url to join {url} to: set it, or give a full URL",
                    app.profile.name
                ))
            })?;
        format!("{}{url}", base.as_str().trim_end_matches('/'))
    } else {
        url.to_owned()
    };
    let target = url::Url::parse(&target)
        .map_err(|e| Error::config(format!("{target:?} is not a URL: {e}")))?;
    let extra = extra_origins(&app, allow_hosts)?;
    check_origin(&app, &extra, &target)?;
    let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::config(format!("{method:?} is not an HTTP method")))?;
    let mut builder = http::Request::builder().method(method).uri(target.as_str());
    for h in headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| Error::config(format!("header {h:?} is not `Name: value`")))?;
        builder = builder.header(name.trim(), value.trim());
    }
    let body = match (data, json_body) {
        (Some(d), _) => {
            if !headers
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("content-type"))
            {
                builder = builder.header("content-type", "application/x-www-form-urlencoded");
            }
            d.as_bytes().to_vec()
        }
        (None, Some(j)) => {
            serde_json::from_str::<serde_json::Value>(j)
                .map_err(|e| Error::config(format!("--json-body is not JSON: {e}")))?;
            builder = builder.header("content-type", "application/json");
            j.as_bytes().to_vec()
        }
        (None, None) => Vec::new(),
    };
    let request = builder
        .body(body)
        .map_err(|e| Error::config(format!("bad request: {e}")))?;
    let response = if app.profile.flow == FlowKind::Oauth1 {
        let store = app.store()?;
        let (key, _) = app.key(store.as_ref())?;
        let token = pollster::block_on(store.load(&key))?.ok_or_else(|| Error::LoginRequired {
            profile: app.profile.name.clone(),
        })?;
        let client = app.oauth1_client(&token)?;
        pollster::block_on(client.send(request))?
    } else {
        oauth2_send(&app, request, extra)?
    };
    print_response(cli, response, *include)
}

/// Sends an OAuth 2 request with the profile's token (refreshed, or obtained without a
/// person, as needed).
pub(super) fn oauth2_send(
    app: &App,
    request: auth_core::HttpRequest,
    extra: AllowedOrigins,
) -> Result<auth_core::HttpResponse, Error> {
    let store = app.store()?;
    let (key, chosen) = app.key(store.as_ref())?;
    let (manager, logged_in) = unattended_manager(app, store.clone(), &key)?;
    let client =
        auth_flows::AuthorizedClient::new(app.http()?, Arc::new(manager)).allow_origins(extra);
    let response = pollster::block_on(auth_core::HttpBackend::send(&client, request))
        .map_err(|e| login_hint(app, e))?;
    settle(app, store.as_ref(), &key.account, chosen, ran(&logged_in))?;
    Ok(response)
}

/// The origins besides `api_base_url`'s that may get the token: the profile's
/// `api_hosts` and the command's `--allow-host`s.
fn extra_origins(app: &App, allow_hosts: &[String]) -> Result<AllowedOrigins, Error> {
    let listed = app.profile.config.api_hosts.as_deref().unwrap_or_default();
    let from_profile = AllowedOrigins::new().with_entries(listed).map_err(|e| {
        Error::config(format!(
            "{}: profile `{}`: api_hosts: {e}",
            app.profile.config_path.display(),
            app.profile.name
        ))
    })?;
    from_profile
        .with_entries(allow_hosts)
        .map_err(|e| Error::config(format!("--allow-host: {e}")))
}

/// Refuses, before anything is sent, a URL whose origin may not get the profile's token.
fn check_origin(app: &App, extra: &AllowedOrigins, target: &url::Url) -> Result<(), Error> {
    let mut allowed = AllowedOrigins::for_provider(&app.profile.provider);
    allowed.extend(extra);
    if allowed.allows(target) {
        return Ok(());
    }
    let origin = AllowedOrigins::origin_of(target).unwrap_or_else(|| target.scheme().to_owned());
    // How to write that origin as an entry: the bare host for https, else the origin.
    let entry = match (target.scheme(), target.host_str(), target.port()) {
        ("https", Some(host), None) => host.to_owned(),
        ("https", Some(host), Some(port)) => format!("{host}:{port}"),
        _ => origin.clone(),
    };
    let now = if allowed.is_empty() {
        "no origin (the profile has no api_base_url)".to_owned()
    } else {
        allowed.to_string()
    };
    Err(Error::config(format!(
        "refusing to send profile `{name}`'s token to {origin}: it goes only to {now}. \
         To send it there once, add `--allow-host {entry}`; to allow it always, add \
         `api_hosts = [\"{entry}\"]` to [profiles.{name}] in {path}",
        name = app.profile.name,
        path = app.profile.config_path.display(),
    )))
}

/// Writes the answer of `api`: the body on stdout, the status on stderr (or, with
/// `--include`, the status line and headers on stdout first); exit 4 unless 2xx.
fn print_response(
    cli: &Cli,
    response: auth_core::HttpResponse,
    include: bool,
) -> Result<ExitCode, Error> {
    let status = response.status();
    let mut out = std::io::stdout().lock();
    let write = |out: &mut std::io::StdoutLock<'_>, bytes: &[u8]| {
        out.write_all(bytes)
            .map_err(|e| Error::Interaction(format!("stdout: {e}")))
    };
    if include {
        write(&mut out, format!("HTTP/1.1 {status}\n").as_bytes())?;
        for (name, value) in response.headers() {
            write(
                &mut out,
                format!("{name}: {}\n", value.to_str().unwrap_or("<binary>")).as_bytes(),
            )?;
        }
        write(&mut out, b"\n")?;
    } else if !cli.globals.quiet {
        eprintln!("HTTP {status}");
    }
    write(&mut out, response.body())?;
    let _ = out.flush();
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_HTTP)
    })
}
