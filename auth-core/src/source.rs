//! The [`CredentialSource`] trait.

use async_trait::async_trait;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::provider::Provider;

/// Supplies [`Credentials`] for a provider: explicit values, environment variables, the
/// system keyring, a config file. Fields a source does not know stay `None`; a chain
/// asks each source in turn and fills only what is still missing.
///
/// ```
/// use auth_core::{async_trait, Credentials, CredentialSource, Error, Provider};
///
/// struct Fixed;
///
/// #[async_trait]
/// impl CredentialSource for Fixed {
///     fn name(&self) -> String { "fixed".into() }
///     async fn credentials(&self, _provider: &Provider) -> Result<Credentials, Error> {
///         Ok(Credentials { client_id: Some("app".into()), ..Default::default() })
///     }
/// }
///
/// let c = pollster::block_on(Fixed.credentials(&Provider::new("x"))).unwrap();
/// assert_eq!(c.client_id.as_deref(), Some("app"));
/// ```
#[async_trait]
pub trait CredentialSource: Send + Sync {
    /// A short name for reports (`env INAT_*`, `keyring /inaturalist`, `config`), never
    /// containing a value.
    fn name(&self) -> String;

    /// The credentials this source has for `provider`.
    async fn credentials(&self, provider: &Provider) -> Result<Credentials, Error>;
}
