//! Token exchange (RFC 8693): a token the client holds (the subject token, and optionally
//! an actor token) is traded for another, for a different audience, resource or type.

use async_trait::async_trait;
use auth_core::{AuthFlow, Error, FlowContext, Secret, Token};
use std::sync::Arc;

use crate::TokenManager;
use crate::client::{grant_form, request_token};

/// The grant type of RFC 8693 §2.1.
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The token type identifiers of RFC 8693 §3.
///
/// ```
/// assert_eq!(auth_flows::token_types::ACCESS_TOKEN, "urn:ietf:params:oauth:token-type:access_token");
/// ```
pub mod token_types {
    /// An OAuth 2 access token.
    pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
    /// An OAuth 2 refresh token.
    pub const REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
    /// An OpenID Connect ID token.
    pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
    /// A JWT.
    pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
}

/// Where a subject or actor token comes from, and its type (RFC 8693 §3).
///
/// ```
/// use auth_flows::{SubjectToken, token_types};
/// let given = SubjectToken::given(auth_core::Secret::new("tok"), token_types::ACCESS_TOKEN);
/// assert!(!given.renewable());
/// ```
#[derive(Clone, Debug)]
pub struct SubjectToken {
    source: Source,
    token_type: String,
}

#[derive(Clone, Debug)]
enum Source {
    Given(Secret),
    Manager(Arc<TokenManager>),
}

impl SubjectToken {
    /// A token given once (read from stdin, say): the exchange cannot be repeated after
    /// it expires.
    ///
    /// ```
    /// let t = auth_flows::SubjectToken::given(auth_core::Secret::new("t"), auth_flows::token_types::JWT);
    /// # let _ = t;
    /// ```
    pub fn given(token: Secret, token_type: impl Into<String>) -> SubjectToken {
        SubjectToken {
            source: Source::Given(token),
            token_type: token_type.into(),
        }
    }

    /// The current token of another manager (renewed by it as needed): the access token,
    /// or the ID token when `token_type` is [`token_types::ID_TOKEN`].
    ///
    /// ```no_run
    /// # fn run(manager: std::sync::Arc<auth_flows::TokenManager>) {
    /// let t = auth_flows::SubjectToken::from_manager(manager, auth_flows::token_types::ACCESS_TOKEN);
    /// assert!(t.renewable());
    /// # }
    /// ```
    pub fn from_manager(manager: Arc<TokenManager>, token_type: impl Into<String>) -> SubjectToken {
        SubjectToken {
            source: Source::Manager(manager),
            token_type: token_type.into(),
        }
    }

    /// Whether a fresh token can be had again without anyone (a manager's token).
    ///
    /// ```
    /// let t = auth_flows::SubjectToken::given(auth_core::Secret::new("t"), auth_flows::token_types::JWT);
    /// assert!(!t.renewable());
    /// ```
    pub fn renewable(&self) -> bool {
        matches!(self.source, Source::Manager(_))
    }

    async fn value(&self) -> Result<Secret, Error> {
        match &self.source {
            Source::Given(token) => Ok(token.clone()),
            Source::Manager(manager) => {
                let token = manager.token().await?;
                if self.token_type == token_types::ID_TOKEN {
                    token.id_token.ok_or_else(|| {
                        Error::config(
                            "the subject token type is id_token, but that token has no ID token; \
                             log in with the openid scope"
                                .to_owned(),
                        )
                    })
                } else {
                    Ok(token.access_token)
                }
            }
        }
    }
}

/// Token exchange (RFC 8693 §2.1): sends the subject token (and the actor token, if any)
/// with their types, the `requested_token_type` when set, the provider's resource
/// indicators and audience ([`auth_core::Provider::resources`]) and the scopes, with the
/// client authenticated as at every token request (when the credentials name one). The
/// answer's `issued_token_type` stays in [`Token::extra`]. Needs no person when the
/// subject token comes from a manager, so a [`TokenManager`] renews by exchanging again.
///
/// ```no_run
/// # async fn run(ctx: auth_core::FlowContext, subject: auth_core::Secret) -> Result<(), auth_core::Error> {
/// use auth_core::AuthFlow;
/// use auth_flows::{SubjectToken, TokenExchangeFlow, token_types};
/// let flow = TokenExchangeFlow::new(SubjectToken::given(subject, token_types::ACCESS_TOKEN));
/// let token = flow.authenticate(&ctx).await?;
/// println!("{:?}", token.extra.get("issued_token_type"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TokenExchangeFlow {
    subject: SubjectToken,
    actor: Option<SubjectToken>,
    requested_token_type: Option<String>,
}

impl TokenExchangeFlow {
    /// An exchange of `subject`, with no actor and no requested type.
    ///
    /// ```
    /// use auth_flows::{SubjectToken, TokenExchangeFlow, token_types};
    /// let flow = TokenExchangeFlow::new(SubjectToken::given(auth_core::Secret::new("t"), token_types::JWT));
    /// # let _ = flow;
    /// ```
    pub fn new(subject: SubjectToken) -> TokenExchangeFlow {
        TokenExchangeFlow {
            subject,
            actor: None,
            requested_token_type: None,
        }
    }

    /// Adds the actor token: the party acting for the subject (delegation, RFC 8693 §1.1).
    ///
    /// ```
    /// use auth_flows::{SubjectToken, TokenExchangeFlow, token_types};
    /// let t = || SubjectToken::given(auth_core::Secret::new("t"), token_types::ACCESS_TOKEN);
    /// let flow = TokenExchangeFlow::new(t()).with_actor(t());
    /// # let _ = flow;
    /// ```
    pub fn with_actor(mut self, actor: SubjectToken) -> TokenExchangeFlow {
        self.actor = Some(actor);
        self
    }

    /// Sets `requested_token_type`.
    ///
    /// ```
    /// use auth_flows::{SubjectToken, TokenExchangeFlow, token_types};
    /// let flow = TokenExchangeFlow::new(SubjectToken::given(auth_core::Secret::new("t"), token_types::JWT))
    ///     .with_requested_token_type(token_types::ACCESS_TOKEN);
    /// # let _ = flow;
    /// ```
    pub fn with_requested_token_type(mut self, token_type: impl Into<String>) -> TokenExchangeFlow {
        self.requested_token_type = Some(token_type.into());
        self
    }
}

#[async_trait]
impl AuthFlow for TokenExchangeFlow {
    fn name(&self) -> &'static str {
        "token-exchange"
    }

    fn needs_person(&self) -> bool {
        !self.subject.renewable()
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        let requested = ctx.effective_scopes().to_vec();
        let subject = self.subject.value().await?;
        let actor = match &self.actor {
            Some(actor) => Some((actor.value().await?, actor.token_type.as_str())),
            None => None,
        };
        let mut fields = vec![
            ("subject_token", subject.expose()),
            ("subject_token_type", self.subject.token_type.as_str()),
        ];
        if let Some((value, token_type)) = &actor {
            fields.push(("actor_token", value.expose()));
            fields.push(("actor_token_type", token_type));
        }
        if let Some(requested_type) = &self.requested_token_type {
            fields.push(("requested_token_type", requested_type.as_str()));
        }
        let form = grant_form(GRANT_TYPE, &fields, &requested);
        request_token(ctx, form, &requested).await
    }
}
