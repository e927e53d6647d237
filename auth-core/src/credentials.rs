//! [`Credentials`]: what a flow may need from the person or the app registration.

use std::fmt;

use crate::error::CredentialField;
use crate::secret::Secret;

/// User and client credentials; every field is optional.
///
/// Sources (explicit values, environment, keyring, config file) each produce one of
/// these, and a chain merges them with [`Credentials::fill_missing_from`]. `Debug`
/// shows which fields are set, never the secret values.
///
/// ```
/// use auth_core::{Credentials, CredentialField};
///
/// let mut explicit = Credentials { username: Some("ana".into()), ..Default::default() };
/// let env = Credentials { username: Some("bob".into()), password: Some("pw".into()), ..Default::default() };
/// let filled = explicit.fill_missing_from(&env);
/// assert_eq!(explicit.username.as_deref(), Some("ana"));        // explicit wins
/// assert_eq!(filled, vec![CredentialField::Password]);           // only the gap is filled
/// assert!(!format!("{explicit:?}").contains("pw"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The resource owner's user name (not secret; shown by `status`).
    pub username: Option<String>,
    /// The resource owner's password.
    pub password: Option<Secret>,
    /// The OAuth client id (iNaturalist: app id; not secret).
    pub client_id: Option<String>,
    /// The OAuth client secret (iNaturalist: app secret).
    pub client_secret: Option<Secret>,
}

impl Credentials {
    /// Credentials read field by field from a source: `get` is asked for the username,
    /// the password, the client id and the client secret, in that order, and the first
    /// error stops the reading. The password and client secret become [`Secret`]s.
    ///
    /// ```
    /// use auth_core::{Credentials, CredentialField};
    /// let c = Credentials::try_from_fields(|field| {
    ///     Ok::<_, std::convert::Infallible>((field == CredentialField::ClientId).then(|| "id".to_owned()))
    /// })
    /// .unwrap();
    /// assert_eq!(c.client_id.as_deref(), Some("id"));
    /// assert!(c.password.is_none());
    /// ```
    pub fn try_from_fields<E>(
        mut get: impl FnMut(CredentialField) -> Result<Option<String>, E>,
    ) -> Result<Credentials, E> {
        Ok(Credentials {
            username: get(CredentialField::Username)?,
            password: get(CredentialField::Password)?.map(Secret::new),
            client_id: get(CredentialField::ClientId)?,
            client_secret: get(CredentialField::ClientSecret)?.map(Secret::new),
        })
    }

    /// True when the field has a non-empty value.
    ///
    /// ```
    /// use auth_core::{Credentials, CredentialField};
    /// let c = Credentials { client_id: Some("id".into()), ..Default::default() };
    /// assert!(c.has(CredentialField::ClientId));
    /// assert!(!c.has(CredentialField::Password));
    /// ```
    pub fn has(&self, field: CredentialField) -> bool {
        match field {
            CredentialField::Username => self.username.as_ref().is_some_and(|s| !s.is_empty()),
            CredentialField::Password => self.password.as_ref().is_some_and(|s| !s.is_empty()),
            CredentialField::ClientId => self.client_id.as_ref().is_some_and(|s| !s.is_empty()),
            CredentialField::ClientSecret => {
                self.client_secret.as_ref().is_some_and(|s| !s.is_empty())
            }
        }
    }

    /// The fields among `needed` that are not set.
    ///
    /// ```
    /// use auth_core::{Credentials, CredentialField::*};
    /// let c = Credentials { username: Some("u".into()), ..Default::default() };
    /// assert_eq!(c.missing(&[Username, Password]), vec![Password]);
    /// ```
    pub fn missing(&self, needed: &[CredentialField]) -> Vec<CredentialField> {
        needed.iter().copied().filter(|f| !self.has(*f)).collect()
    }

    /// Copies into `self` every field that is unset here and set in `other`, and returns
    /// the fields it filled (in [`CredentialField::ALL`] order).
    ///
    /// ```
    /// use auth_core::Credentials;
    /// let mut a = Credentials::default();
    /// let b = Credentials { client_id: Some("id".into()), ..Default::default() };
    /// assert_eq!(a.fill_missing_from(&b).len(), 1);
    /// assert_eq!(a.client_id.as_deref(), Some("id"));
    /// ```
    pub fn fill_missing_from(&mut self, other: &Credentials) -> Vec<CredentialField> {
        let mut filled = Vec::new();
        for field in CredentialField::ALL {
            if self.has(field) || !other.has(field) {
                continue;
            }
            match field {
                CredentialField::Username => self.username.clone_from(&other.username),
                CredentialField::Password => self.password.clone_from(&other.password),
                CredentialField::ClientId => self.client_id.clone_from(&other.client_id),
                CredentialField::ClientSecret => {
                    self.client_secret.clone_from(&other.client_secret)
                }
            }
            filled.push(field);
        }
        filled
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}
