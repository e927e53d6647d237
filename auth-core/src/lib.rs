//! The vocabulary and traits of the authctl OAuth client toolkit.
//!
//! This crate does no I/O. It defines what the other crates share:
//!
//! - [`Secret`], [`Token`], [`Credentials`], [`Provider`], [`TokenKey`] and the one
//!   [`Error`] type;
//! - the four traits: [`HttpBackend`] (transports, in `auth-http`), [`TokenStore`] and
//!   [`CredentialSource`] (in `auth-store`), [`AuthFlow`] (in `auth-flows`);
//!
//! The conformance suites every implementation runs live in the `auth-testkit` crate.
//! Parsing what servers answer (token responses, JWT claims) belongs to the flows, in
//! `auth-flows`; this crate holds no wording of any program built on it: an [`Error`]
//! names the problem in library terms and carries a [`Hint`] that a program turns into
//! its own commands.
//!
//! [`auth_core::http`](crate::http) re-exports the `http` crate's request and response
//! types, so `use auth_core::http;` is all the examples need.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use auth_core::{Error, Hint, Token};
//!
//! let now = SystemTime::now();
//! let token = Token::bearer("abc").expiring_at(now + Duration::from_secs(3600));
//! assert!(!token.is_expired(now, Duration::from_secs(60)));
//! assert_eq!(format!("{:?}", token.access_token), "***");
//!
//! // Errors carry a structured next step; programs word it for their own users.
//! let err = Error::LoginRequired { profile: "work".into() };
//! assert_eq!(err.hint(), Some(Hint::LoginRequired { profile: "work".into() }));
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod credentials;
pub mod error;
pub mod flow;
pub mod hooks;
pub mod http;
pub mod key;
pub mod origin;
pub mod provider;
pub mod redact;
pub mod secret;
pub mod source;
pub mod store;
pub mod text;
pub mod token;

pub use async_trait::async_trait;
pub use credentials::Credentials;
pub use error::{CredentialField, Error, Hint, OAuthError, Result, TransportErrorKind};
pub use flow::{AuthFlow, DeviceCode, FlowContext, Interaction, NoInteraction, RedirectPaste};
pub use http::{
    AllowInsecureHttp, Hop, HopHook, HopHooks, HttpBackend, HttpConfig, HttpRequest, HttpResponse,
    ParsedUrl, RequestKind,
};
pub use key::TokenKey;
pub use origin::AllowedOrigins;
pub use provider::{
    AssertionAudience, BodyFormat, ClientAuth, ClientKey, CredentialNames, Endpoint, Endpoints,
    Provider,
};
pub use secret::Secret;
pub use source::CredentialSource;
pub use store::{StoreLock, TokenStore, Versioned};
pub use token::{Token, TokenFormatError, TokenKind};
pub use url::Url;
