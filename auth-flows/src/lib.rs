//! How tokens are obtained and kept: OAuth 2 grants, the token lifecycle, provider
//! presets, and OAuth 1.0a signing and its three-legged flow.
//!
//! Every flow implements [`auth_core::AuthFlow`] and sits behind its own feature:
//!
//! | feature | what |
//! |---|---|
//! | `password` | `PasswordFlow` |
//! | `client-credentials` | `ClientCredentialsFlow` |
//! | `authorization-code` | `AuthorizationCodeFlow` (PKCE; loopback server or out of band) |
//! | `device` | `DeviceFlow` (RFC 8628) |
//! | `jwt` (and `inaturalist`) | `exchange_jwt`, `WithJwt`, `validate` |
//! | `discovery` | `discover` (OpenID Connect / RFC 8414) |
//! | `blocking` | `blocking`: the token lifecycle without an async runtime |
//! | `loopback` | `loopback`: the redirect server on 127.0.0.1 |
//! | `oauth1` | `oauth1`: RFC 5849 signing, the signing backend, the three-legged flow |
//!
//! Any OAuth 2 feature brings `TokenManager` (load → refresh → unattended flow → "log in"),
//! `AuthorizedClient`, `refresh`, `revoke`, `introspect` and the provider presets.
//!
//! The OAuth 2 requests are built by the `oauth2` crate through an adapter to our
//! [`auth_core::HttpBackend`]; the client authenticates by one rule (RFC 6749 §2.3.1) for
//! every request, the hand-built revocation included; responses are parsed by
//! `token_response`, which is lenient where providers differ and strict where it protects
//! the user. `jwt_claims` reads a JWT's `exp` (unverified, only to schedule renewal).
//! `account` names the account a token belongs to (ID token, userinfo, the provider's
//! "who am I" call).
//! "Can this token be renewed without a person?" is answered once, by `renewable`.
//!
//! To put the toolkit in a program, start with [`embedding`]: the four dependency stacks
//! (sync, async, a custom store, a custom transport) and a complete program for each.
//!
//! ```
//! // With no feature at all the crate is empty; each feature adds its module or flow.
//! # #[cfg(feature = "password")]
//! let flow = auth_flows::PasswordFlow;
//! ```
//!
//! # Tracing
//!
//! The crates report what they do through [`tracing`]: install any subscriber (for
//! example `tracing-subscriber`'s `fmt`) to see it. Targets are the module paths
//! (`auth_flows::manager`, `auth_http::policy::trace`, ...). Spans:
//!
//! | span | level | fields |
//! |---|---|---|
//! | `token` | info | `op` (`token`, `force_refresh`, `login`), `profile`, `account`, `client_id` (from the [`auth_core::TokenKey`]), `flow` (login) |
//! | `renewal` | info | `stored` (whether a token was stored) |
//! | `token_request` | info | `grant_type` (when the form has one), `endpoint` (without query) |
//! | `http_request` | debug | `method`, `url` (without query) |
//! | `loopback` | info | `redirect_uri` |
//! | `compliance_hook` | debug | `name` (the hook's), `point` (`access_token_request`, ...) |
//!
//! Events, by message:
//!
//! | event | level | fields |
//! |---|---|---|
//! | `token endpoint answered` | info | `status`, `duration_ms` |
//! | `token request failed` | info | `duration_ms`, `error` (a transport error, without URL query) |
//! | `renewing the token` | debug | `how` (`refresh`, `exchange`, `login`, `keep`) |
//! | `renewal runs the flow` | info | `flow` (a flow that needs no person) |
//! | `token renewed` | info | `expires_in_s` |
//! | `waiting for another caller's renewal`, `the other caller's renewal is over` | debug | (single flight) |
//! | `got the token another caller renewed` | debug | `waited` |
//! | `cached token is valid` | trace | |
//! | `stored token is valid` | debug | |
//! | `token store` | debug | `op` (`load`, `save`, `delete`), `store` (its description), `key` (the storage id), `found` (load and delete: whether a token was there) |
//! | `token store failed` | warn | `op`, `store`, `key`, `error` |
//! | `http hop` | debug | `method`, `url` (without query), `hop` (redirects so far), `attempt` (retries so far), `same_origin`, `status` or `error`, `duration_ms` |
//! | `http retry after wait` | debug | `next_attempt`, `wait_ms` |
//! | `http redirect followed` | debug | `status`, `to` (without query), `hop`, `same_origin` |
//! | `authorization callback` | debug | `state_matched`, `error` (the callback's error code, if any) |
//! | `loopback callback accepted` | info | `path` |
//! | `loopback callback failed the flow` | info | `path`, `error` |
//! | `loopback callback without an answer; still waiting` | debug | `path` |
//! | `loopback request for another path` | debug | `path` |
//! | `loopback callback with a method other than GET` | debug | `method` |
//! | `loopback callback with a wrong state` | info | `rejected` (how many so far) |
//! | `loopback request for another host name refused` | info | `path` |
//! | `loopback reader slots full; closing the oldest idle connection` | debug | |
//! | `pasted callback accepted` | info | |
//! | `pasted callback failed the flow` | info | `error` |
//!
//! No field ever carries a secret: no token, refresh token, password, client secret,
//! authorization code, `state`, PKCE verifier, `Authorization` header, request or
//! response body, or URL query. A test records every event of a whole flow and searches
//! them for each secret in play.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "oauth2")]
pub mod account;
#[cfg(feature = "authorization-code")]
mod authcode;

/// The "Embedding" page: four dependency stacks and a complete program for each.
#[doc = include_str!("../docs/embedding.md")]
#[doc = "\n# Sync: ureq and a file store\n\n`examples/sync_ureq_file.rs`:\n\n```rust,ignore"]
#[doc = include_str!("../examples/sync_ureq_file.rs")]
#[doc = "```\n\n# Async: reqwest and a memory store, on tokio\n\n`examples/async_reqwest_memory.rs`:\n\n```rust,ignore"]
#[doc = include_str!("../examples/async_reqwest_memory.rs")]
#[doc = "```\n\n# A custom store\n\n`examples/custom_store.rs`:\n\n```rust,ignore"]
#[doc = include_str!("../examples/custom_store.rs")]
#[doc = "```\n\n# A custom transport\n\n`examples/custom_transport.rs`:\n\n```rust,ignore"]
#[doc = include_str!("../examples/custom_transport.rs")]
#[doc = "```\n\n# The demo server the programs share\n\n`examples/support/mod.rs`:\n\n```rust,ignore"]
#[doc = include_str!("../examples/support/mod.rs")]
#[doc = "```"]
pub mod embedding {}
#[cfg(feature = "oauth2")]
mod authorized;
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "oauth2")]
mod client;
#[cfg(feature = "oauth2")]
mod client_assertion;
#[cfg(feature = "oauth2")]
mod compliance;
#[cfg(feature = "device")]
mod device;
#[cfg(feature = "oauth2")]
pub mod dpop;
#[cfg(feature = "oauth2")]
mod form_request;
#[cfg(feature = "oauth2")]
mod grants;
#[cfg(feature = "oauth2")]
pub mod id_token;
#[cfg(feature = "jwt")]
mod jwt;
#[cfg(feature = "jwt-bearer")]
mod jwt_bearer;
#[cfg(feature = "oauth2")]
pub mod jwt_claims;
#[cfg(feature = "loopback")]
pub mod loopback;
#[cfg(feature = "oauth2")]
mod manager;
#[cfg(any(feature = "reqwest-middleware", feature = "ureq-middleware"))]
pub mod middleware;
#[cfg(feature = "oauth1")]
pub mod oauth1;
#[cfg(feature = "authorization-code")]
mod par;
#[cfg(feature = "oauth2")]
mod presets;
#[cfg(feature = "oauth2")]
pub mod sleep;
#[cfg(feature = "oauth2")]
mod terminal;
#[cfg(feature = "token-exchange")]
mod token_exchange;
#[cfg(feature = "oauth2")]
pub mod token_response;

#[cfg(feature = "oauth2")]
pub use account::{WhoAmI, account_name};
#[cfg(feature = "authorization-code")]
pub use authcode::{AuthorizationCodeFlow, OOB_REDIRECT_URI, Redirect, token_from_fragment};
#[cfg(feature = "oauth2")]
pub use authorized::{AuthorizedClient, BearerHook};
#[cfg(feature = "device")]
pub use device::DeviceFlow;
#[cfg(feature = "client-credentials")]
pub use grants::ClientCredentialsFlow;
#[cfg(feature = "password")]
pub use grants::PasswordFlow;
#[cfg(feature = "oauth2")]
pub use grants::{Introspection, introspect, refresh, revoke};
#[cfg(feature = "jwt")]
pub use jwt::{DEFAULT_JWT_LIFETIME, Validation, WithJwt, exchange_jwt, validate};
#[cfg(feature = "jwt-bearer")]
pub use jwt_bearer::{JwtBearerFlow, ServiceAccount};
#[cfg(feature = "authorization-code")]
pub use loopback::LoopbackConfig;
#[cfg(feature = "oauth2")]
pub use manager::{DEFAULT_LEEWAY, DEFAULT_LOCK_WAIT, TokenManager, renewable};
#[cfg(feature = "discovery")]
pub use presets::discover;
#[cfg(feature = "oauth2")]
pub use presets::{PRESET_NAMES, Preset, preset, preset_credential_names};
#[cfg(feature = "oauth2")]
pub use terminal::TerminalInteraction;
#[cfg(feature = "token-exchange")]
pub use token_exchange::{SubjectToken, TokenExchangeFlow, token_types};
