//! `authctl credentials`: keep the profile's credentials in the system keyring, and show
//! where each comes from.

use std::process::ExitCode;

use auth_core::{Credentials, Error};

use super::app;
use crate::cli::{Cli, CredentialsCommand};

pub(super) fn run(cli: &Cli, command: &CredentialsCommand) -> Result<ExitCode, Error> {
    let app = app(cli, Credentials::default())?;
    match command {
        CredentialsCommand::Show => {
            let resolved = app.credentials()?;
            let fields: Vec<_> = auth_core::CredentialField::ALL
                .iter()
                .map(|f| (f.to_string(), resolved.origin(*f).map(str::to_owned)))
                .collect();
            if cli.globals.json {
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
                client_secret: crate::app::secret_from(*app_secret_stdin, "App secret")?,
                password: crate::app::secret_from(*password_stdin, "Password")?,
            };
            if auth_core::CredentialField::ALL
                .iter()
                .all(|f| !creds.has(*f))
            {
                return Err(Error::config(
                    "nothing to store: give --username, --app-id, --app-secret-stdin or --password-stdin",
                ));
            }
            let (stored, service) = crate::app::keyring_set(&app.profile.name, &creds)?;
            if !cli.globals.quiet {
                let names: Vec<String> = stored.iter().map(ToString::to_string).collect();
                eprintln!("Stored {} in the keyring ({service})", names.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        CredentialsCommand::Delete => {
            let (deleted, service) = crate::app::keyring_delete(&app.profile.name)?;
            if !cli.globals.quiet {
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
