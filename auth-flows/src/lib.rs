//! How tokens are obtained and kept: OAuth 2 grants, the token lifecycle, provider
//! presets, and OAuth 1.0a signing and its three-legged flow.

#[cfg(feature = "oauth1")]
pub mod oauth1;
