//! `authctl login`: run the profile's flow and store the token.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{Credentials, Error, Secret};

use super::{app, expiry_phrase};
use crate::cli::{Cli, LoginArgs};
use crate::config::FlowKind;
use crate::ui;

pub(super) fn run(cli: &Cli, args: &LoginArgs) -> Result<ExitCode, Error> {
    let password = crate::app::secret_from(args.password_stdin, "Password")?;
    let explicit = Credentials {
        username: args.username.clone(),
        password,
        ..Default::default()
    };
    let mut app = app(cli, explicit)?;
    let mut kind = args.flow.unwrap_or(app.profile.flow);
    if args.oob && kind != FlowKind::Oauth1 {
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
    if !args.scopes.is_empty() {
        app.profile.provider.default_scopes.clone_from(&args.scopes);
    }
    let terminal = Arc::new(ui::Terminal::new(!args.no_browser, cli.quiet));
    let flow: Arc<dyn auth_core::AuthFlow> = if kind == FlowKind::Oauth1 && args.oob {
        Arc::new(app.oauth1_flow(auth_flows::oauth1::OAuth1Flow::oob())?)
    } else {
        app.flow(kind, args.port, args.timeout.map(Duration::from_secs))?
    };
    let manager = app
        .manager(terminal.clone(), None)
        .map_err(|e| app.explain(e))?;
    let token = pollster::block_on(manager.login(flow.as_ref())).map_err(|e| app.explain(e));
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
