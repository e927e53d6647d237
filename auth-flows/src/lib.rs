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
//! "Can this token be renewed without a person?" is answered once, by `renewable`.
//!
//! ```
//! // With no feature at all the crate is empty; each feature adds its module or flow.
//! # #[cfg(feature = "password")]
//! let flow = auth_flows::PasswordFlow;
//! ```

#[cfg(feature = "authorization-code")]
mod authcode;
#[cfg(feature = "oauth2")]
mod authorized;
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "oauth2")]
mod client;
#[cfg(feature = "device")]
mod device;
#[cfg(feature = "oauth2")]
mod grants;
#[cfg(feature = "jwt")]
mod jwt;
#[cfg(feature = "oauth2")]
pub mod jwt_claims;
#[cfg(feature = "loopback")]
pub mod loopback;
#[cfg(feature = "oauth2")]
mod manager;
#[cfg(feature = "oauth1")]
pub mod oauth1;
#[cfg(feature = "oauth2")]
mod presets;
#[cfg(feature = "oauth2")]
pub mod sleep;
#[cfg(feature = "oauth2")]
mod terminal;
#[cfg(feature = "oauth2")]
pub mod token_response;

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
#[cfg(feature = "authorization-code")]
pub use loopback::LoopbackConfig;
#[cfg(feature = "oauth2")]
pub use manager::{DEFAULT_LEEWAY, DEFAULT_LOCK_WAIT, TokenManager, renewable};
#[cfg(feature = "discovery")]
pub use presets::discover;
#[cfg(feature = "oauth2")]
pub use presets::{PRESET_NAMES, Preset, preset};
#[cfg(feature = "oauth2")]
pub use terminal::TerminalInteraction;
