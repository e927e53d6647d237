//! `authctl login`: run the profile's flow, name the account, store the token and make
//! the account active.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{AuthFlow, Credentials, Error, Secret};

use super::{app, expiry_phrase, make_active};
use crate::accounts::{DEFAULT_ACCOUNT, Recorded};
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
    app.options.subject_token = crate::app::secret_from(args.subject_token_stdin, "Subject token")?;
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
    let terminal = Arc::new(ui::Terminal::new(!args.no_browser, cli.globals.quiet));
    let flow: Arc<dyn auth_core::AuthFlow> = if kind == FlowKind::Oauth1 && args.oob {
        Arc::new(app.oauth1_flow(auth_flows::oauth1::OAuth1Flow::oob())?)
    } else {
        app.flow(kind, args.port, args.timeout.map(Duration::from_secs))?
    };
    let store = app.store()?;
    let named = app.named_account()?;
    let ctx = app.context(terminal.clone()).map_err(|e| app.explain(e))?;
    let person = flow.needs_person();
    let flow = Recorded::new(flow, named.clone());
    let token = pollster::block_on(async {
        let token = if app.profile.jwt {
            auth_flows::WithJwt(flow).authenticate(&ctx).await?
        } else {
            flow.authenticate(&ctx).await?
        };
        // The account: as named by the person; else the user the password flow logged
        // in; else (a browser or device login) as the provider names it.
        let account = match named {
            Some(account) => Some(account),
            None if person => {
                auth_flows::account_name(&ctx, &token, app.profile.who_am_i.as_ref()).await
            }
            None => ctx.credentials.username.clone(),
        };
        Ok((token, account.unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned())))
    })
    .map_err(|e| app.explain(e));
    terminal.finish();
    let (token, account) = token?;
    let key = app.key_of(&account)?;
    pollster::block_on(store.save(&key, &token))?;
    make_active(&app, store.as_ref(), &account)?;
    if !cli.globals.quiet {
        eprintln!(
            "Logged in: profile {} (account {account}), token stored in {}{}",
            app.profile.name,
            store.describe(),
            expiry_phrase(&token)
                .map(|p| format!(", {p}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
