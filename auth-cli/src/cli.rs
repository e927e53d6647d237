//! The command line: global options, commands and their flags, with every `--help` text.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};

use crate::config::{FlowKind, StoreKind};

mod deferred;

pub(crate) use deferred::{Deferred, describe_everything};

#[derive(Parser, Debug)]
#[command(
    name = "authctl",
    version,
    about = "Get, keep and use OAuth tokens: log in once, then `authctl token` in scripts",
    after_help = "Examples:\n  authctl login --profile inaturalist\n  curl -H \"Authorization: Bearer $(authctl token --profile inaturalist)\" https://api.inaturalist.org/v1/users/me\n  authctl api --profile inaturalist /users/me\n\nExit codes: 0 ok, 1 error, 2 usage, 3 login needed, 4 HTTP error from `api`."
)]
pub(crate) struct Cli {
    /// The options every command takes, before or after the command's name.
    #[command(flatten)]
    pub(crate) globals: Globals,
    #[command(subcommand)]
    pub(crate) command: Command,
}

// The options every command takes, before its name (`authctl --json status`) or after
// it (`authctl status --json`). They are not clap `global` options: clap would copy each
// of them into every command before parsing, and `authctl token` in a script paid for
// that. `Deferred` adds them to the one command that runs, and `Cli::from_matches`
// joins both places: a value given after the command's name wins, as it did with clap's
// global options.
// (No doc comment: clap would show it as the `about` of every command.)
#[derive(Args, Debug, Default)]
pub(crate) struct Globals {
    /// The profile: a [profiles.NAME] table of config.toml, or a built-in provider.
    #[arg(long, env = "AUTHCTL_PROFILE")]
    pub(crate) profile: Option<String>,
    /// The config file (default: $AUTHCTL_HOME/config.toml or the platform config folder).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The account: one of the profile's logins (default: the username from flags or the
    /// environment, else the profile's active account, the one of the latest login).
    #[arg(long, env = "AUTHCTL_ACCOUNT", value_name = "NAME")]
    pub(crate) account: Option<String>,
    /// Where tokens are kept, overriding the profile's `store`.
    #[arg(long, value_enum)]
    pub(crate) store: Option<StoreKind>,
    /// Print data as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Say more on stderr (where credentials came from, which store); repeat for more of
    /// what happens: -v token requests and renewals, -vv each HTTP hop and store access,
    /// -vvv everything. RUST_LOG, when set, replaces that filter.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Say nothing on stderr but errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
}

impl Globals {
    /// The options of one command level as typed on its command line: a value clap took
    /// from the environment is left out, so that it cannot override a flag typed before
    /// the command's name (the level that typed nothing keeps the environment's value).
    fn typed(matches: &mut ArgMatches) -> Result<Globals, clap::Error> {
        let typed = |id| matches.value_source(id) == Some(ValueSource::CommandLine);
        let (profile_typed, account_typed) = (typed("profile"), typed("account"));
        let mut globals = Globals::from_arg_matches_mut(matches)?;
        if !profile_typed {
            globals.profile = None;
        }
        if !account_typed {
            globals.account = None;
        }
        Ok(globals)
    }

    /// Joins the options typed later on the command line (after a command's name): a
    /// later value wins, flags add up.
    fn join(&mut self, later: Globals) {
        let Globals {
            profile,
            config,
            account,
            store,
            json,
            verbose,
            quiet,
        } = later;
        self.profile = profile.or(self.profile.take());
        self.config = config.or(self.config.take());
        self.account = account.or(self.account.take());
        self.store = store.or(self.store);
        self.json |= json;
        self.verbose = self.verbose.saturating_add(verbose);
        self.quiet |= quiet;
    }
}

impl Cli {
    /// The command line from clap's matches, with the options typed after the command's
    /// name joined to the ones before it.
    pub(crate) fn from_matches(matches: &mut ArgMatches) -> Result<Cli, clap::Error> {
        let mut cli = Cli::from_arg_matches_mut(matches)?;
        let later = cli.command.take_globals();
        cli.globals.join(later);
        Ok(cli)
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run the profile's flow and store the token.
    Login(Deferred<LoginArgs>),
    /// Print a valid access token (the JWT for iNaturalist) on stdout.
    Token(Deferred<TokenArgs>),
    /// Show the profile, its accounts (the active one marked), its token and where its
    /// credentials come from (never a secret).
    Status(Deferred<StatusFlags>),
    /// Delete the stored token of the profile's active account (or of --account); with
    /// --all, of every account. When the active account logs out, the most recently
    /// logged-in remaining account becomes active.
    Logout(Deferred<LogoutArgs>),
    /// Send an authorized request; the body goes to stdout.
    Api(Deferred<ApiArgs>),
    /// Keep the profile's credentials in the system keyring.
    #[command(
        subcommand,
        after_help = "Examples:\n  authctl credentials set --profile inaturalist --username ana --password-stdin\n  authctl credentials show --profile inaturalist"
    )]
    Credentials(Deferred<CredentialsCommand>),
    /// List the built-in providers and their endpoints.
    Providers(Deferred<ProvidersFlags>),
    /// git's credential helper: answers git with the profile's token for the hosts of its
    /// `git_hosts` (run by git; set it up with `authctl git-setup`).
    GitCredential(Deferred<GitCredentialArgs>),
    /// Make git ask authctl for the token of each host in the profile's `git_hosts`
    /// (`git config --global`, or --file).
    GitSetup(Deferred<GitSetupArgs>),
    /// kubectl's exec credential plugin: prints an ExecCredential with the profile's token.
    KubeCredential(Deferred<KubeCredentialFlags>),
    /// Print a shell completion script.
    Completions(Deferred<CompletionsArgs>),
    /// Print a DPoP proof (RFC 9449) for one request, signed with the account's key and
    /// bound to its token (`ath`), for use with curl. Needs `dpop = true` and a login.
    Proof(Deferred<ProofArgs>),
    /// Print the OpenID Connect userinfo endpoint's answer (JSON) for the account's token.
    Userinfo(Deferred<UserinfoFlags>),
}

impl Command {
    /// The options typed after the command's name, taken out of the command.
    fn take_globals(&mut self) -> Globals {
        match self {
            Command::Login(flags) => flags.take_globals(),
            Command::Token(flags) => flags.take_globals(),
            Command::Status(flags) => flags.take_globals(),
            Command::Logout(flags) => flags.take_globals(),
            Command::Api(flags) => flags.take_globals(),
            Command::Credentials(flags) => flags.take_globals(),
            Command::Providers(flags) => flags.take_globals(),
            Command::GitCredential(flags) => flags.take_globals(),
            Command::GitSetup(flags) => flags.take_globals(),
            Command::KubeCredential(flags) => flags.take_globals(),
            Command::Completions(flags) => flags.take_globals(),
            Command::Proof(flags) => flags.take_globals(),
            Command::Userinfo(flags) => flags.take_globals(),
        }
    }
}

// The flag structs carry no doc comment of their own: the command's doc above is its
// `--help` text. Their examples (`after_help`) are set on them, not on the command, so
// that clap makes that text only for the command that runs (see `Deferred`); a command
// with no flags of its own has an empty struct for them.

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  authctl userinfo --profile work\n  authctl userinfo --json | jq -r .email"
)]
pub(crate) struct UserinfoFlags {}

#[derive(Args, Debug)]
#[command(
    after_help = "kubectl runs it from the kubeconfig's users[].user.exec entry; it answers in the apiVersion\nkubectl asks for (client.authentication.k8s.io/v1 or v1beta1). It logs in only when kubectl\nsays the session is interactive; otherwise it exits 3 with a message kubectl shows.\n\nExample:\n  kubectl config set-credentials work --exec-api-version=client.authentication.k8s.io/v1 \\\n    --exec-command=authctl --exec-arg=kube-credential --exec-arg=--profile=work \\\n    --exec-interactive-mode=IfAvailable"
)]
pub(crate) struct KubeCredentialFlags {}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  authctl providers\n  authctl providers --json | jq '.[].name'"
)]
pub(crate) struct ProvidersFlags {}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  authctl status --profile inaturalist\n  authctl status --json | jq .token.expires_at\n  authctl status --json | jq '.accounts[] | select(.active) | .name'"
)]
pub(crate) struct StatusFlags {}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  authctl login --profile inaturalist\n  authctl login --profile github --flow device\n  printf %s \"$PW\" | authctl login --flow password --username ana --password-stdin"
)]
pub(crate) struct LoginArgs {
    /// The flow, overriding the profile's.
    #[arg(long, value_enum)]
    pub(crate) flow: Option<FlowKind>,
    /// Print the URL instead of opening a browser. For a browser on another machine,
    /// paste on stdin the http://127.0.0.1:PORT/?code=... address it ended on (or forward
    /// --port over SSH).
    #[arg(long)]
    pub(crate) no_browser: bool,
    /// The loopback port (0: any free port).
    #[arg(long)]
    pub(crate) port: Option<u16>,
    /// How long to wait for the browser or the device approval, in seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) timeout: Option<u64>,
    /// A scope to request (repeatable), overriding the profile's.
    #[arg(long = "scope", value_name = "S")]
    pub(crate) scopes: Vec<String>,
    /// The user name for the password flow.
    #[arg(long)]
    pub(crate) username: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    pub(crate) password_stdin: bool,
    /// Paste the code or verifier the provider shows instead of using the loopback
    /// server (OAuth 2: the same as --flow oob; OAuth 1: oauth_callback=oob).
    #[arg(long)]
    pub(crate) oob: bool,
    /// flow = "token-exchange": read the subject token from the first line of stdin
    /// (instead of the profile's subject_profile).
    #[arg(long)]
    pub(crate) subject_token_stdin: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Never opens a browser: exits 3 when a person must log in.\n\nExamples:\n  TOKEN=$(authctl token --profile inaturalist)\n  authctl token --min-valid 600"
)]
pub(crate) struct TokenArgs {
    /// Renew the token now, whatever its expiry.
    #[arg(long)]
    pub(crate) refresh: bool,
    /// Renew when the token expires within this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) min_valid: u64,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  authctl logout --profile github\n  authctl logout --revoke\n  authctl logout --account ana\n  authctl logout --all"
)]
pub(crate) struct LogoutArgs {
    /// Revoke the token at the provider first (when it has a revocation endpoint).
    #[arg(long)]
    pub(crate) revoke: bool,
    /// Log out every account of the profile (whatever --account says).
    #[arg(long)]
    pub(crate) all: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "A URL starting with / is joined to the profile's api_base_url. The token goes only to the origin of api_base_url, the profile's api_hosts and hosts given with --allow-host.\n\nExamples:\n  authctl api --profile inaturalist /users/me\n  authctl api -X POST /things --json-body '{\"name\":\"x\"}'\n  authctl api -H 'Accept: text/csv' https://api.example.com/export\n  authctl api --allow-host files.example.com https://files.example.com/report.csv"
)]
pub(crate) struct ApiArgs {
    /// The URL, or a path joined to api_base_url.
    pub(crate) url: String,
    /// The method.
    #[arg(short = 'X', long = "request", default_value = "GET")]
    pub(crate) method: String,
    /// A header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,
    /// A request body (form data or text).
    #[arg(short = 'd', long = "data", conflicts_with = "json_body")]
    pub(crate) data: Option<String>,
    /// A JSON request body (sets Content-Type).
    #[arg(long)]
    pub(crate) json_body: Option<String>,
    /// Print the status line and headers on stdout before the body.
    #[arg(short, long)]
    pub(crate) include: bool,
    /// Also send the token to this host (`host`, `host:port` for https, or
    /// `scheme://host[:port]`), besides api_base_url's and the profile's api_hosts
    /// (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub(crate) allow_hosts: Vec<String>,
}

#[derive(Args, Debug)]
#[command(
    after_help = "git runs it as `authctl git-credential --profile P get|store|erase` with the request on stdin.\n`get` answers only for the profile's git_hosts, never opens a browser, and renews the token\nwhen it must; `erase` (git saw the token refused) makes the next `get` renew it; `store` does\nnothing.\n\nExample:\n  printf 'protocol=https\\nhost=git.example.com\\n\\n' | authctl git-credential --profile work get"
)]
pub(crate) struct GitCredentialArgs {
    /// What git asks: get, store or erase (others are ignored, as git's protocol says).
    pub(crate) operation: String,
}

#[derive(Args, Debug)]
#[command(
    after_help = "For each host, sets credential.https://HOST.helper to this authctl (replacing other\nhelpers for that host).\n\nExamples:\n  authctl git-setup --profile work\n  authctl git-setup --profile work --file .git/config"
)]
pub(crate) struct GitSetupArgs {
    /// Write to this git config file instead of the global one.
    #[arg(long, value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  curl -H \"Authorization: DPoP $(authctl token)\" \\\n       -H \"DPoP: $(authctl proof --method GET --url https://api.example.com/me)\" \\\n       https://api.example.com/me"
)]
pub(crate) struct ProofArgs {
    /// The method of the request the proof is for.
    #[arg(long, default_value = "GET")]
    pub(crate) method: String,
    /// The URL of the request (its query and fragment are left out of the proof).
    #[arg(long)]
    pub(crate) url: String,
    /// A nonce the server gave in its `DPoP-Nonce` header.
    #[arg(long)]
    pub(crate) nonce: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  authctl completions bash > ~/.local/share/bash-completion/completions/authctl"
)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CredentialsCommand {
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
