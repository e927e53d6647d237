//! `authctl`: log in once, then `authctl token` in scripts.
//!
//! Exit codes: 0 ok, 1 error, 2 usage, 3 login needed, 4 HTTP error from `api`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_core::{Credentials, Error, NoInteraction, Secret, Token, TokenKind};
use clap::{Parser, Subcommand};

mod app;
mod config;
mod hints;
mod ui;

use app::{App, Options};
use config::{FlowKind, Home, StoreKind};

const EXIT_ERROR: u8 = 1;
const EXIT_LOGIN: u8 = 3;
const EXIT_HTTP: u8 = 4;

#[derive(Parser, Debug)]
#[command(
    name = "authctl",
    version,
    about = "Get, keep and use OAuth tokens: log in once, then `authctl token` in scripts",
    after_help = "Examples:\n  authctl login --profile inaturalist\n  curl -H \"Authorization: Bearer $(authctl token --profile inaturalist)\" https://api.inaturalist.org/v1/users/me\n  authctl api --profile inaturalist /users/me\n\nExit codes: 0 ok, 1 error, 2 usage, 3 login needed, 4 HTTP error from `api`."
)]
struct Cli {
    /// The profile: a [profiles.NAME] table of config.toml, or a built-in provider.
    #[arg(long, global = true, env = "AUTHCTL_PROFILE")]
    profile: Option<String>,
    /// The config file (default: $AUTHCTL_HOME/config.toml or the platform config folder).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where tokens are kept, overriding the profile's `store`.
    #[arg(long, global = true, value_enum)]
    store: Option<StoreKind>,
    /// Print data as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Say more on stderr (where credentials came from, which store).
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Say nothing on stderr but errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the profile's flow and store the token.
    #[command(
        after_help = "Examples:\n  authctl login --profile inaturalist\n  authctl login --profile github --flow device\n  printf %s \"$PW\" | authctl login --flow password --username ana --password-stdin"
    )]
    Login {
        /// The flow, overriding the profile's.
        #[arg(long, value_enum)]
        flow: Option<FlowKind>,
        /// Print the URL instead of opening a browser.
        #[arg(long)]
        no_browser: bool,
        /// The loopback port (0: any free port).
        #[arg(long)]
        port: Option<u16>,
        /// How long to wait for the browser or the device approval, in seconds.
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// A scope to request (repeatable), overriding the profile's.
        #[arg(long = "scope", value_name = "S")]
        scopes: Vec<String>,
        /// The user name for the password flow.
        #[arg(long)]
        username: Option<String>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Paste the code or verifier the provider shows instead of using the loopback
        /// server (OAuth 2: the same as --flow oob; OAuth 1: oauth_callback=oob).
        #[arg(long)]
        oob: bool,
    },
    /// Print a valid access token (the JWT for iNaturalist) on stdout.
    #[command(
        after_help = "Never opens a browser: exits 3 when a person must log in.\n\nExamples:\n  TOKEN=$(authctl token --profile inaturalist)\n  authctl token --min-valid 600"
    )]
    Token {
        /// Renew the token now, whatever its expiry.
        #[arg(long)]
        refresh: bool,
        /// Renew when the token expires within this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        min_valid: u64,
    },
    /// Show the profile, its token and where its credentials come from (never a secret).
    #[command(
        after_help = "Examples:\n  authctl status --profile inaturalist\n  authctl status --json | jq .token.expires_at"
    )]
    Status,
    /// Delete the profile's stored token.
    #[command(
        after_help = "Examples:\n  authctl logout --profile github\n  authctl logout --revoke"
    )]
    Logout {
        /// Revoke the token at the provider first (when it has a revocation endpoint).
        #[arg(long)]
        revoke: bool,
    },
    /// Send an authorized request; the body goes to stdout.
    #[command(
        after_help = "A URL starting with / is joined to the profile's api_base_url.\n\nExamples:\n  authctl api --profile inaturalist /users/me\n  authctl api -X POST /things --json-body '{\"name\":\"x\"}'\n  authctl api -H 'Accept: text/csv' https://api.example.com/export"
    )]
    Api {
        /// The URL, or a path joined to api_base_url.
        url: String,
        /// The method.
        #[arg(short = 'X', long = "request", default_value = "GET")]
        method: String,
        /// A header, `Name: value` (repeatable).
        #[arg(short = 'H', long = "header", value_name = "HEADER")]
        headers: Vec<String>,
        /// A request body (form data or text).
        #[arg(short = 'd', long = "data", conflicts_with = "json_body")]
        data: Option<String>,
        /// A JSON request body (sets Content-Type).
        #[arg(long)]
        json_body: Option<String>,
        /// Print the status line and headers on stdout before the body.
        #[arg(short, long)]
        include: bool,
    },
    /// Keep the profile's credentials in the system keyring.
    #[command(
        subcommand,
        after_help = "Examples:\n  authctl credentials set --profile inaturalist --username ana --password-stdin\n  authctl credentials show --profile inaturalist"
    )]
    Credentials(CredentialsCommand),
    /// List the built-in providers and their endpoints.
    #[command(
        after_help = "Examples:\n  authctl providers\n  authctl providers --json | jq '.[].name'"
    )]
    Providers,
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  authctl completions bash > ~/.local/share/bash-completion/completions/authctl"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum CredentialsCommand {
    /// Store credentials in the keyring (secrets only from stdin or a hidden prompt).
    #[command(
        after_help = "Example:\n  printf %s \"$SECRET\" | authctl credentials set --profile inaturalist --app-id 123 --app-secret-stdin"
    )]
    Set {
        /// The user name.
        #[arg(long)]
        username: Option<String>,
        /// The client id (iNaturalist: app id).
        #[arg(long)]
        app_id: Option<String>,
        /// Read the client secret from stdin.
        #[arg(long)]
        app_secret_stdin: bool,
        /// Read the password from stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show which credentials are set and where from (never the values).
    #[command(
        after_help = "Examples:\n  authctl credentials show --profile inaturalist\n  authctl credentials show --json"
    )]
    Show,
    /// Delete the keyring's credentials of the profile.
    #[command(after_help = "Example:\n  authctl credentials delete --profile inaturalist")]
    Delete,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let code = if e.needs_login() {
                EXIT_LOGIN
            } else {
                EXIT_ERROR
            };
            eprintln!("error: {e}");
            if let Some(advice) = hints::advice(&e) {
                eprintln!("  {advice}");
            }
            ExitCode::from(code)
        }
    }
}

fn app(cli: &Cli, explicit: Credentials) -> Result<App, Error> {
    let home = Home::locate(cli.config.as_deref())?;
    let file = config::load(&home.config)?;
    let name = config::profile_name(cli.profile.as_deref());
    let profile = config::resolve(&file, &name, &home.config)?;
    Ok(App {
        home,
        profile,
        options: Options {
            store: cli.store,
            quiet: cli.quiet,
            verbose: cli.verbose,
            explicit,
        },
    })
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match &cli.command {
        Command::Login {
            flow,
            no_browser,
            port,
            timeout,
            scopes,
            username,
            password_stdin,
            oob,
        } => {
            let password = app::secret_from(*password_stdin, "Password")?;
            let explicit = Credentials {
                username: username.clone(),
                password,
                ..Default::default()
            };
            let mut app = app(&cli, explicit)?;
            let mut kind = flow.unwrap_or(app.profile.flow);
            if *oob && kind != FlowKind::Oauth1 {
                kind = FlowKind::Oob;
            }
            if kind == FlowKind::Password
                && !app
                    .credentials()?
                    .credentials
                    .has(auth_core::CredentialField::Password)
                && let Ok(pw) = ui::read_secret(false, "Password")
            {
                app.options.explicit.password = Some(Secret::new(pw));
            }
            if !scopes.is_empty() {
                app.profile.provider.default_scopes.clone_from(scopes);
            }
            let terminal = Arc::new(ui::Terminal::new(!*no_browser, cli.quiet));
            let flow: Arc<dyn auth_core::AuthFlow> = if kind == FlowKind::Oauth1 && *oob {
                Arc::new(app.oauth1_flow(auth_flows::oauth1::OAuth1Flow::oob())?)
            } else {
                app.flow(kind, *port, timeout.map(Duration::from_secs))?
            };
            let manager = app
                .manager(terminal.clone(), None)
                .map_err(|e| app.explain(e))?;
            let token =
                pollster::block_on(manager.login(flow.as_ref())).map_err(|e| app.explain(e));
            terminal.finish();
            let token = token?;
            if !cli.quiet {
                eprintln!(
                    "Logged in: profile {} ({}), token stored in {}{}",
                    app.profile.name,
                    manager.key().account,
                    manager.store().describe(),
                    expiry_phrase(&token)
                        .map(|p| format!(", {p}"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { refresh, min_valid } => {
            let app = app(&cli, Credentials::default())?;
            let min_valid = Duration::from_secs(*min_valid);
            let store = app.store()?;
            let key = app.key()?;
            // The fast path: a stored token that is valid long enough. No runtime, no network.
            if !refresh
                && let Some(token) = pollster::block_on(store.load(&key))?
                && !token.is_expired(SystemTime::now(), min_valid)
            {
                return print_token(&token);
            }
            let unattended = app.unattended_flow()?;
            let hooks = Arc::new(NoInteraction {
                profile: app.profile.name.clone(),
            });
            let manager = app.manager(hooks, unattended).map_err(|e| app.explain(e))?;
            let token = if *refresh {
                pollster::block_on(manager.force_refresh(None))
            } else {
                pollster::block_on(manager.token_valid_for(min_valid))
            };
            let token = token.map_err(|e| login_hint(&app, e))?;
            print_token(&token)
        }
        Command::Status => status(&cli),
        Command::Logout { revoke } => {
            let app = app(&cli, Credentials::default())?;
            let store = app.store()?;
            let key = app.key()?;
            let stored = pollster::block_on(store.load(&key))?;
            if *revoke && let Some(token) = &stored {
                let http = app.http()?;
                let provider = app.provider(&http)?;
                let creds = app.credentials()?.credentials;
                pollster::block_on(auth_flows::revoke(&provider, &creds, &http, token))
                    .map_err(|e| app.explain(e))?;
                if !cli.quiet {
                    eprintln!("Revoked the token at {}", provider.name);
                }
            }
            let deleted = pollster::block_on(store.delete(&key))?;
            if !cli.quiet {
                eprintln!(
                    "{} {}",
                    if deleted {
                        "Deleted the stored token of"
                    } else {
                        "No stored token for"
                    },
                    app.profile.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Api {
            url,
            method,
            headers,
            data,
            json_body,
            include,
        } => api(
            &cli,
            url,
            method,
            headers,
            data.as_deref(),
            json_body.as_deref(),
            *include,
        ),
        Command::Credentials(command) => credentials(&cli, command),
        Command::Providers => providers(cli.json),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "authctl",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn login_hint(app: &App, e: Error) -> Error {
    match e {
        Error::MissingCredentials { .. } => Error::LoginRequired {
            profile: app.profile.name.clone(),
        },
        other => app.explain(other),
    }
}

fn print_token(token: &Token) -> Result<ExitCode, Error> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", token.access_token.expose())
        .map_err(|e| Error::Interaction(format!("stdout: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

fn expiry_phrase(token: &Token) -> Option<String> {
    let at = token.expires_at?;
    let now = SystemTime::now();
    Some(match at.duration_since(now) {
        Ok(left) => format!("expires in {}", human(left)),
        Err(ago) => format!("expired {} ago", human(ago.duration())),
    })
}

fn human(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

fn status(cli: &Cli) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    let store = app.store()?;
    let key = app.key()?;
    let token = pollster::block_on(store.load(&key))?;
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
        })
    });
    let report = serde_json::json!({
        "profile": p.name,
        "provider": p.config.provider.clone().unwrap_or_else(|| p.name.clone()),
        "account": key.account,
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
    if cli.json {
        println!("{report:#}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("profile:    {}", p.name);
    println!(
        "provider:   {}",
        report["provider"].as_str().unwrap_or_default()
    );
    println!("account:    {}", key.account);
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
                println!("scopes:     {}", t.scopes.join(" "));
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

fn api(
    cli: &Cli,
    url: &str,
    method: &str,
    headers: &[String],
    data: Option<&str>,
    json_body: Option<&str>,
    include: bool,
) -> Result<ExitCode, Error> {
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
        let token = pollster::block_on(app.store()?.load(&app.key()?))?.ok_or_else(|| {
            Error::LoginRequired {
                profile: app.profile.name.clone(),
            }
        })?;
        let client = app.oauth1_client(&token)?;
        pollster::block_on(client.send(request))?
    } else {
        oauth2_send(&app, request)?
    };
    print_response(cli, response, include)
}

/// Sends an OAuth 2 request with the profile's token (refreshed, or obtained without a
/// person, as needed).
fn oauth2_send(
    app: &App,
    request: auth_core::HttpRequest,
) -> Result<auth_core::HttpResponse, Error> {
    let unattended = app.unattended_flow()?;
    let hooks = Arc::new(NoInteraction {
        profile: app.profile.name.clone(),
    });
    let manager = Arc::new(app.manager(hooks, unattended).map_err(|e| app.explain(e))?);
    let client = auth_flows::AuthorizedClient::new(app.http()?, manager);
    pollster::block_on(auth_core::HttpBackend::send(&client, request))
        .map_err(|e| login_hint(app, e))
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
    } else if !cli.quiet {
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

fn credentials(cli: &Cli, command: &CredentialsCommand) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    match command {
        CredentialsCommand::Show => {
            let resolved = app.credentials()?;
            let fields: Vec<_> = auth_core::CredentialField::ALL
                .iter()
                .map(|f| (f.to_string(), resolved.origin(*f).map(str::to_owned)))
                .collect();
            if cli.json {
                let map: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| (k.replace(' ', "_"), serde_json::json!(v)))
                    .collect();
                println!("{:#}", serde_json::Value::Object(map));
            } else {
                for (name, origin) in fields {
                    println!(
                        "{:<14} {}",
                        format!("{name}:"),
                        origin.unwrap_or_else(|| "not set".into())
                    );
                }
                for (source, why) in &resolved.unavailable {
                    eprintln!("note: {source} unavailable: {why}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CredentialsCommand::Set {
            username,
            app_id,
            app_secret_stdin,
            password_stdin,
        } => {
            if *app_secret_stdin && *password_stdin {
                return Err(Error::config(
                    "read one secret from stdin at a time: run `credentials set` twice",
                ));
            }
            let creds = Credentials {
                username: username.clone(),
                client_id: app_id.clone(),
                client_secret: app::secret_from(*app_secret_stdin, "App secret")?,
                password: app::secret_from(*password_stdin, "Password")?,
            };
            if auth_core::CredentialField::ALL
                .iter()
                .all(|f| !creds.has(*f))
            {
                return Err(Error::config(
                    "nothing to store: give --username, --app-id, --app-secret-stdin or --password-stdin",
                ));
            }
            let (stored, service) = app::keyring_set(&app.profile.name, &creds)?;
            if !cli.quiet {
                let names: Vec<String> = stored.iter().map(ToString::to_string).collect();
                eprintln!("Stored {} in the keyring ({service})", names.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        CredentialsCommand::Delete => {
            let (deleted, service) = app::keyring_delete(&app.profile.name)?;
            if !cli.quiet {
                eprintln!(
                    "Deleted {} keyring entr{} ({service})",
                    deleted.len(),
                    if deleted.len() == 1 { "y" } else { "ies" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn providers(json: bool) -> Result<ExitCode, Error> {
    let mut list = Vec::new();
    for name in auth_flows::PRESET_NAMES {
        let Some(p) = auth_flows::preset(name) else {
            continue;
        };
        let e = &p.provider.endpoints;
        let url = |u: &Option<auth_core::Url>| u.as_ref().map(|u| u.to_string());
        list.push(serde_json::json!({
            "name": name,
            "description": p.description,
            "default_flow": p.default_flow,
            "jwt": p.jwt,
            "authorize_url": url(&e.authorize),
            "token_url": url(&e.token),
            "device_authorization_url": url(&e.device_authorization),
            "revocation_url": url(&e.revocation),
            "userinfo_url": url(&e.userinfo),
            "jwt_url": url(&e.jwt),
            "api_base_url": url(&e.api_base),
            "scopes": p.provider.default_scopes,
        }));
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
        for key in [
            "authorize_url",
            "token_url",
            "device_authorization_url",
            "revocation_url",
            "userinfo_url",
            "jwt_url",
            "api_base_url",
        ] {
            if let Some(v) = p[key].as_str() {
                println!("  {key:<26} {v}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
