//! OAuth 1.0a (RFC 5849): request signing, the three-legged flow, and a signing
//! [`HttpBackend`](auth_core::HttpBackend) wrapper.
//!
//! - [`Signer`] signs a request with HMAC-SHA1/256/512, RSA-SHA1/256/512 or PLAINTEXT,
//!   with the parameters in the `Authorization` header, the query or a form body. The
//!   building blocks ([`percent_encode`], [`base_string_uri`], [`normalize_parameters`],
//!   [`signature_base_string`]) are public, for debugging a signature a server refuses.
//! - [`request_token`], [`authorization_url`], [`parse_authorization_response`] and
//!   [`access_token`] are the steps of the dance; [`OAuth1Flow`] runs them as an
//!   [`AuthFlow`](auth_core::AuthFlow) and returns a `Token::oauth1`, which every token
//!   store keeps.
//! - [`SigningBackend`] signs every request sent through it, and re-signs redirects only
//!   for the same origin.
//!
//! Requests that cannot be signed unambiguously are refused with a [`SignError`] rather
//! than signed wrongly. Secrets (consumer secret, token secret, verifier, RSA key) never
//! appear in `Debug` output or errors.
//!
//! ```
//! use auth_flows::oauth1::{RequestParts, Signer};
//!
//! // RFC 5849 §1.2: the photo request, signed with the token credentials.
//! let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
//!     .with_token("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")
//!     .with_realm("Photos")
//!     .with_oauth_version(false)
//!     .with_nonce("chapoH")
//!     .with_timestamp("137131202");
//! let url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
//! let signed = signer.sign_parts(&RequestParts::new("GET", url)).unwrap();
//! assert_eq!(
//!     signed.authorization_header().unwrap(),
//!     "OAuth realm=\"Photos\", oauth_nonce=\"chapoH\", oauth_timestamp=\"137131202\", \
//!      oauth_signature_method=\"HMAC-SHA1\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
//!      oauth_token=\"nnch734d00sl2jdk\", oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\""
//! );
//! ```

mod backend;
mod dance;
mod encoding;
mod error;
#[cfg(feature = "loopback")]
mod loopback;
mod methods;
mod request;
mod signer;

pub use backend::SigningBackend;
pub use dance::{
    Callback, CallbackSource, OAuth1Flow, TemporaryCredentials, access_token, authorization_url,
    parse_authorization_response, request_token,
};
pub use encoding::{
    base_string_uri, normalize_parameters, parse_authorization_header, percent_decode,
    percent_encode, signature_base_string,
};
pub use error::SignError;
#[cfg(feature = "loopback")]
pub use loopback::LoopbackCallback;
pub use methods::{RsaKey, SignatureMethod};
pub use request::{Placement, RequestParts, SignedRequest};
pub use signer::Signer;
