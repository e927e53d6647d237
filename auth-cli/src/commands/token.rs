//! `authctl token`: print a valid access token, renewing it without a person when it
//! must.

use std::process::ExitCode;
use std::time::Duration;

use auth_core::{Credentials, Error};

use super::{app, print_token, unattended_token};
use crate::cli::{Cli, TokenArgs};

pub(super) fn run(cli: &Cli, args: &TokenArgs) -> Result<ExitCode, Error> {
    // One config read (in `app`); the fast path then needs only the store and the key.
    let app = app(cli, Credentials::default())?;
    let token = unattended_token(&app, Duration::from_secs(args.min_valid), args.refresh)?;
    print_token(&token)
}
