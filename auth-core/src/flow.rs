//! The [`AuthFlow`] trait and what a flow is given: [`FlowContext`] and [`Interaction`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::http::HttpBackend;
use crate::provider::Provider;
use crate::token::Token;

/// How a flow talks to the person: open a browser, ask for a code, show a device code.
/// Tests and GUIs replace it; a command-line program implements it with the terminal.
///
/// ```
/// use auth_core::{async_trait, Error, Interaction};
///
/// /// Answers every prompt with a fixed code and never opens anything.
/// struct Scripted(&'static str);
///
/// #[async_trait]
/// impl Interaction for Scripted {
///     async fn open_url(&self, _url: &str) -> Result<(), Error> { Ok(()) }
///     async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> { Ok(self.0.into()) }
/// }
///
/// assert_eq!(pollster::block_on(Scripted("abc").prompt_code("code?")).unwrap(), "abc");
/// ```
#[async_trait]
pub trait Interaction: Send + Sync {
    /// Shows `url` to the person, normally by opening a browser.
    ///
    /// It must not block until the person is done: it starts the browser (or shows the
    /// URL) and returns, because the flow waits for the redirect meanwhile.
    async fn open_url(&self, url: &str) -> Result<(), Error>;

    /// Asks the person for a code or verifier they copied, and returns it.
    async fn prompt_code(&self, prompt: &str) -> Result<String, Error>;

    /// Shows a device flow's user code and where to enter it. The default prints nothing
    /// and opens `verification_uri` (the complete one when the server gave it).
    async fn show_device_code(&self, code: &DeviceCode) -> Result<(), Error> {
        self.open_url(
            code.verification_uri_complete
                .as_deref()
                .unwrap_or(&code.verification_uri),
        )
        .await
    }

    /// Says that the flow is waiting for the person, and for how long at most.
    async fn waiting(&self, _what: &str, _timeout: Duration) {}

    /// True when a person can answer (a terminal or GUI); false in scripts, where flows
    /// that need a person fail with [`Error::LoginRequired`] instead of waiting.
    fn can_prompt(&self) -> bool {
        true
    }

    /// Called while a flow waits for the browser's redirect to a loopback server: the
    /// person may instead hand over the address their browser ended on (a browser on
    /// another machine cannot reach this one's loopback server, and shows that address as
    /// a page that failed to load). An implementation that can read such an address hands
    /// each one to `paste`, which checks it exactly like the redirect, and must not block:
    /// read on another thread. Whichever answer comes first wins. The default offers
    /// nothing.
    fn offer_redirect_paste(&self, paste: Arc<dyn RedirectPaste>) {
        let _ = paste;
    }
}

/// Where a person's pasted redirect address goes: the loopback server a flow waits on.
/// See [`Interaction::offer_redirect_paste`].
///
/// ```
/// use auth_core::{Error, RedirectPaste};
///
/// /// Accepts one exact address.
/// struct Expect(&'static str);
/// impl RedirectPaste for Expect {
///     fn submit(&self, pasted: &str) -> Result<(), Error> {
///         if pasted == self.0 { Ok(()) } else { Err(Error::StateMismatch) }
///     }
///     fn is_waiting(&self) -> bool { true }
/// }
/// assert!(Expect("http://127.0.0.1:8080/?code=c&state=s").submit("x").is_err());
/// ```
pub trait RedirectPaste: Send + Sync {
    /// Hands over what the person pasted, and waits for the verdict: `Ok` when it ended
    /// the wait (the flow goes on with its code, or ends with the error it carried); an
    /// error saying why it was refused otherwise (the wait goes on while
    /// [`is_waiting`](Self::is_waiting)).
    fn submit(&self, pasted: &str) -> Result<(), Error>;

    /// Whether the flow still waits for an answer.
    fn is_waiting(&self) -> bool;
}

/// What a device authorization response asks the person to do.
///
/// ```
/// let code = auth_core::DeviceCode {
///     user_code: "WDJB-MJHT".into(),
///     verification_uri: "https://example.com/device".into(),
///     verification_uri_complete: None,
///     expires_in: std::time::Duration::from_secs(1800),
/// };
/// assert_eq!(code.user_code, "WDJB-MJHT");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCode {
    /// The code the person types.
    pub user_code: String,
    /// Where they type it.
    pub verification_uri: String,
    /// A URL that carries the code already, if the server gave one.
    pub verification_uri_complete: Option<String>,
    /// How long the code is valid.
    pub expires_in: Duration,
}

/// An [`Interaction`] for scripts: it cannot prompt, so flows that need a person fail
/// with [`Error::LoginRequired`].
///
/// ```
/// use auth_core::{Interaction, NoInteraction};
/// let hooks = NoInteraction { profile: "inaturalist".into() };
/// assert!(!hooks.can_prompt());
/// let err = pollster::block_on(hooks.prompt_code("code")).unwrap_err();
/// assert_eq!(err.hint(), Some(auth_core::Hint::LoginRequired { profile: "inaturalist".into() }));
/// ```
#[derive(Clone, Debug)]
pub struct NoInteraction {
    /// The profile named in the "log in" message.
    pub profile: String,
}

#[async_trait]
impl Interaction for NoInteraction {
    async fn open_url(&self, _url: &str) -> Result<(), Error> {
        Err(Error::LoginRequired {
            profile: self.profile.clone(),
        })
    }
    async fn prompt_code(&self, _prompt: &str) -> Result<String, Error> {
        Err(Error::LoginRequired {
            profile: self.profile.clone(),
        })
    }
    fn can_prompt(&self) -> bool {
        false
    }
}

/// Everything a flow needs: the provider, the credentials, a transport, the person.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{Credentials, FlowContext, NoInteraction, Provider};
/// # use auth_core::{async_trait, Error, HttpBackend, HttpRequest, HttpResponse};
/// # struct Nothing;
/// # #[async_trait] impl HttpBackend for Nothing {
/// #     async fn send(&self, _r: HttpRequest) -> Result<HttpResponse, Error> { unreachable!() }
/// # }
///
/// let ctx = FlowContext::new(Provider::new("x"), Credentials::default(), Arc::new(Nothing))
///     .with_interaction(Arc::new(NoInteraction { profile: "x".into() }))
///     .with_scopes(["read"]);
/// assert_eq!(ctx.scopes, ["read"]);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct FlowContext {
    /// The authorization server.
    pub provider: Provider,
    /// The credentials found for it.
    pub credentials: Credentials,
    /// The transport.
    pub http: Arc<dyn HttpBackend>,
    /// The person.
    pub interaction: Arc<dyn Interaction>,
    /// Scopes to request (the provider's defaults when empty).
    pub scopes: Vec<String>,
}

impl FlowContext {
    /// A context with [`NoInteraction`] and no scopes.
    pub fn new(provider: Provider, credentials: Credentials, http: Arc<dyn HttpBackend>) -> Self {
        let profile = provider.name.clone();
        FlowContext {
            provider,
            credentials,
            http,
            interaction: Arc::new(NoInteraction { profile }),
            scopes: Vec::new(),
        }
    }

    /// Replaces the interaction hooks.
    pub fn with_interaction(mut self, interaction: Arc<dyn Interaction>) -> Self {
        self.interaction = interaction;
        self
    }

    /// Sets the scopes to request.
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The scopes to request: the explicit ones, else the provider's defaults.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use auth_core::{Credentials, FlowContext, Provider};
    /// # use auth_core::{async_trait, Error, HttpBackend, HttpRequest, HttpResponse};
    /// # struct Nothing;
    /// # #[async_trait] impl HttpBackend for Nothing {
    /// #     async fn send(&self, _r: HttpRequest) -> Result<HttpResponse, Error> { unreachable!() }
    /// # }
    /// let mut provider = Provider::new("x");
    /// provider.default_scopes = vec!["login".into()];
    /// let ctx = FlowContext::new(provider, Credentials::default(), Arc::new(Nothing));
    /// assert_eq!(ctx.effective_scopes(), ["login"]);
    /// ```
    pub fn effective_scopes(&self) -> &[String] {
        if self.scopes.is_empty() {
            &self.provider.default_scopes
        } else {
            &self.scopes
        }
    }

    /// The check a flow that needs a person makes before anything else: `Ok` when the
    /// interaction can prompt, else [`Error::LoginRequired`] for the provider (a person
    /// must log in where one can answer).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use auth_core::{Credentials, FlowContext, Provider};
    /// # use auth_core::{async_trait, Error, HttpBackend, HttpRequest, HttpResponse};
    /// # struct Nothing;
    /// # #[async_trait] impl HttpBackend for Nothing {
    /// #     async fn send(&self, _r: HttpRequest) -> Result<HttpResponse, Error> { unreachable!() }
    /// # }
    /// let ctx = FlowContext::new(Provider::new("x"), Credentials::default(), Arc::new(Nothing));
    /// assert!(ctx.require_person().unwrap_err().needs_login());
    /// ```
    pub fn require_person(&self) -> Result<(), Error> {
        if self.interaction.can_prompt() {
            Ok(())
        } else {
            Err(Error::LoginRequired {
                profile: self.provider.name.clone(),
            })
        }
    }
}

/// A way to obtain a token: password grant, client credentials, authorization code,
/// device flow, OAuth 1 dance.
///
/// ```
/// use auth_core::{async_trait, AuthFlow, Error, FlowContext, Token};
///
/// /// A flow that already has a token, e.g. a personal access token from a config file.
/// struct Static(String);
///
/// #[async_trait]
/// impl AuthFlow for Static {
///     fn name(&self) -> &'static str { "static" }
///     fn needs_person(&self) -> bool { false }
///     async fn authenticate(&self, _ctx: &FlowContext) -> Result<Token, Error> {
///         Ok(Token::bearer(self.0.clone()))
///     }
/// }
/// assert!(!Static("t".into()).needs_person());
/// ```
#[async_trait]
pub trait AuthFlow: Send + Sync {
    /// The flow's name as the configuration spells it (`password`, `pkce`, ...).
    fn name(&self) -> &'static str;

    /// True when the flow needs a person (browser, code, approval); such flows are never
    /// run by a program's non-interactive token command.
    fn needs_person(&self) -> bool;

    /// Runs the flow and returns the new token.
    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error>;
}
