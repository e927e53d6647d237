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
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use auth_core::token::parse_token_response;
//!
//! let now = SystemTime::now();
//! let token = parse_token_response(200, "https://example.com/token",
//!     br#"{"access_token":"abc","token_type":"bearer","expires_in":3600}"#, now).unwrap();
//! assert!(!token.is_expired(now, Duration::from_secs(60)));
//! assert_eq!(format!("{:?}", token.access_token), "***");
//! ```

pub mod credentials;
pub mod error;
pub mod flow;
pub mod http;
pub mod jwt;
pub mod key;
pub mod provider;
pub mod redact;
pub mod secret;
pub mod source;
pub mod store;
pub mod token;

pub use async_trait::async_trait;
pub use credentials::Credentials;
pub use error::{CredentialField, Error, OAuthError, Result, TransportErrorKind};
pub use flow::{AuthFlow, DeviceCode, FlowContext, Interaction, NoInteraction};
pub use http::{HttpBackend, HttpConfig, HttpRequest, HttpResponse, RequestKind};
pub use key::TokenKey;
pub use provider::{BodyFormat, ClientAuth, CredentialNames, Endpoint, Endpoints, Provider};
pub use secret::Secret;
pub use source::CredentialSource;
pub use store::TokenStore;
pub use token::{Token, TokenFormatError, TokenKind};
pub use url::Url;
