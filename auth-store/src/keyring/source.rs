//! [`KeyringSource`]: credentials in the system keyring.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use auth_core::{
    CredentialField, CredentialNames, CredentialSource, Credentials, Error, Provider, Secret,
    async_trait,
};
use keyring_core::{CredentialStore, Entry};

use super::backend::{Backend, map_error};

/// The generic entry name (keyring user name) of a field.
fn generic_entry(field: CredentialField) -> &'static str {
    match field {
        CredentialField::Username => "username",
        CredentialField::Password => "password",
        CredentialField::ClientId => "client_id",
        CredentialField::ClientSecret => "client_secret",
    }
}

/// Credentials in the system keyring: one entry per field under one service, with the
/// user names `username`, `password`, `client_id` and `client_secret` unless a
/// provider's [`CredentialNames`] name them otherwise (and the service).
///
/// [`KeyringSource::for_provider`] takes the provider's names, with the service
/// `authctl:<name>` ([`KeyringSource::service_for_name`]) when they fix none. A preset
/// whose provider shares its credentials with another tool names that tool's service
/// and entries, so credentials stored by either are found by the other.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{CredentialField, CredentialNames, CredentialSource, Credentials, Provider};
/// use auth_store::KeyringSource;
/// use auth_store::keyring_core::{mock, CredentialStore};
///
/// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
/// let names = CredentialNames::new()
///     .with_keyring_service("/acme")
///     .with_keyring_entry(CredentialField::ClientId, "key");
/// let provider = Provider::new("acme").with_credential_names(names);
/// let source = KeyringSource::for_provider(&provider).with_credential_store(mock);
/// assert_eq!(source.service(), "/acme");
/// assert_eq!(source.entry_name(CredentialField::ClientId), "key");
/// let stored = source.set(&Credentials { username: Some("ana".into()), password: Some("pw".into()), ..Default::default() }).unwrap();
/// assert_eq!(stored, vec![CredentialField::Username, CredentialField::Password]);
/// let c = pollster::block_on(source.credentials(&provider)).unwrap();
/// assert_eq!(c.password.unwrap().expose(), "pw");
/// assert_eq!(source.delete().unwrap().len(), 2);
/// ```
pub struct KeyringSource {
    service: String,
    /// The entry of each field.
    entries: BTreeMap<CredentialField, String>,
    backend: Backend,
}

impl KeyringSource {
    /// A source for `service` in the platform keyring, with the generic entry names.
    /// Nothing is contacted until used.
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringSource::new("myapp").service(), "myapp");
    /// ```
    pub fn new(service: impl Into<String>) -> Self {
        KeyringSource {
            service: service.into(),
            entries: CredentialField::ALL
                .into_iter()
                .map(|f| (f, generic_entry(f).to_owned()))
                .collect(),
            backend: Backend::platform(),
        }
    }

    /// A source under the provider's [`CredentialNames`]; what they leave open is
    /// generic, with the service [`KeyringSource::service_for_name`] of the provider's
    /// name.
    ///
    /// ```
    /// use auth_core::Provider;
    /// assert_eq!(auth_store::KeyringSource::for_provider(&Provider::new("github")).service(), "authctl:github");
    /// ```
    pub fn for_provider(provider: &Provider) -> Self {
        let source = Self::new(Self::service_for_name(&provider.name));
        match &provider.credential_names {
            Some(names) => source.with_names(names),
            None => source,
        }
    }

    /// The generic keyring service of a provider or profile name: `authctl:<name>`.
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringSource::service_for_name("work"), "authctl:work");
    /// ```
    pub fn service_for_name(name: &str) -> String {
        format!("authctl:{name}")
    }

    /// Takes the service and the entry names that `names` sets; keeps the rest.
    ///
    /// ```
    /// use auth_core::{CredentialField, CredentialNames};
    /// let names = CredentialNames::new().with_keyring_entry(CredentialField::Password, "pw");
    /// let source = auth_store::KeyringSource::new("s").with_names(&names);
    /// assert_eq!(source.entry_name(CredentialField::Password), "pw");
    /// assert_eq!(source.entry_name(CredentialField::Username), "username");
    /// ```
    pub fn with_names(mut self, names: &CredentialNames) -> Self {
        if let Some(service) = &names.keyring_service {
            self.service.clone_from(service);
        }
        for (field, entry) in &names.keyring_entries {
            self.entries.insert(*field, entry.clone());
        }
        self
    }

    /// Uses `store` instead of the platform keyring.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// let source = auth_store::KeyringSource::new("s").with_credential_store(mock);
    /// assert!(source.delete().unwrap().is_empty());
    /// ```
    pub fn with_credential_store(mut self, store: Arc<CredentialStore>) -> Self {
        self.backend = Backend::Custom(store);
        self
    }

    /// The keyring service.
    ///
    /// ```
    /// assert_eq!(auth_store::KeyringSource::new("s").service(), "s");
    /// ```
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The entry (keyring user name) that holds `field`.
    ///
    /// ```
    /// use auth_core::CredentialField;
    /// let source = auth_store::KeyringSource::new("s");
    /// assert_eq!(source.entry_name(CredentialField::ClientSecret), "client_secret");
    /// ```
    pub fn entry_name(&self, field: CredentialField) -> &str {
        self.entries
            .get(&field)
            .map_or_else(|| generic_entry(field), String::as_str)
    }

    /// Stores every field of `credentials` that is set (and not empty), replacing what
    /// the keyring held for it; fields that are not set are left alone. Returns the
    /// fields written. Blocks for the keyring round trips.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_core::{CredentialField, Credentials};
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// let source = auth_store::KeyringSource::new("s").with_credential_store(mock);
    /// let c = Credentials { client_id: Some("id".into()), ..Default::default() };
    /// assert_eq!(source.set(&c).unwrap(), vec![CredentialField::ClientId]);
    /// ```
    pub fn set(&self, credentials: &Credentials) -> Result<Vec<CredentialField>, Error> {
        let mut written = Vec::new();
        for field in CredentialField::ALL {
            if !credentials.has(field) {
                continue;
            }
            let value = match field {
                CredentialField::Username => credentials.username.as_deref(),
                CredentialField::Password => credentials.password.as_ref().map(Secret::expose),
                CredentialField::ClientId => credentials.client_id.as_deref(),
                CredentialField::ClientSecret => {
                    credentials.client_secret.as_ref().map(Secret::expose)
                }
            };
            let Some(value) = value else { continue };
            let what = self.what(field);
            self.entry(field)?
                .set_password(value)
                .map_err(|e| map_error(e, &what))?;
            written.push(field);
        }
        Ok(written)
    }

    /// Deletes all four entries; returns the fields that were stored.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_store::keyring_core::{mock, CredentialStore};
    /// let mock: Arc<CredentialStore> = mock::Store::new().unwrap();
    /// assert!(auth_store::KeyringSource::new("s").with_credential_store(mock).delete().unwrap().is_empty());
    /// ```
    pub fn delete(&self) -> Result<Vec<CredentialField>, Error> {
        let mut deleted = Vec::new();
        for field in CredentialField::ALL {
            match self.entry(field)?.delete_credential() {
                Ok(()) => deleted.push(field),
                Err(keyring_core::Error::NoEntry) => {}
                Err(e) => return Err(map_error(e, &self.what(field))),
            }
        }
        Ok(deleted)
    }

    fn what(&self, field: CredentialField) -> String {
        format!("the {field} of keyring service {}", self.service)
    }

    fn entry(&self, field: CredentialField) -> Result<Entry, Error> {
        self.backend
            .entry(&self.service, self.entry_name(field), &self.what(field))
    }

    fn get(&self, field: CredentialField) -> Result<Option<String>, Error> {
        match self.entry(field)?.get_password() {
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e, &self.what(field))),
        }
    }
}

impl fmt::Debug for KeyringSource {
    // The service and the backend: what a reader needs to find the entries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringSource")
            .field("service", &self.service)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl CredentialSource for KeyringSource {
    fn name(&self) -> String {
        format!("keyring {}", self.service)
    }

    async fn credentials(&self, _provider: &Provider) -> Result<Credentials, Error> {
        Credentials::try_from_fields(|field| self.get(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::backend::testing::{fail_next, mock_store, platform_error};

    /// The names of pyinaturalist's `set_keyring_credentials`, as a preset gives them.
    fn pyinaturalist_names() -> CredentialNames {
        CredentialNames::new()
            .with_keyring_service("/inaturalist")
            .with_keyring_entry(CredentialField::ClientId, "app_id")
            .with_keyring_entry(CredentialField::ClientSecret, "app_secret")
    }

    #[test]
    fn source_uses_a_providers_names_and_reads_what_another_tool_wrote() {
        let backing = mock_store();
        // what pyinaturalist's set_keyring_credentials leaves in the keyring
        for (user, value) in [
            ("username", "ana"),
            ("password", "pw"),
            ("app_id", "id"),
            ("app_secret", "secret"),
        ] {
            backing
                .build("/inaturalist", user, None)
                .unwrap()
                .set_password(value)
                .unwrap();
        }
        let provider = Provider::new("inaturalist").with_credential_names(pyinaturalist_names());
        let source = KeyringSource::for_provider(&provider).with_credential_store(backing);
        let c = pollster::block_on(source.credentials(&provider)).unwrap();
        assert_eq!(c.username.as_deref(), Some("ana"));
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("pw"));
        assert_eq!(c.client_id.as_deref(), Some("id"));
        assert_eq!(c.client_secret.as_ref().map(Secret::expose), Some("secret"));
        assert_eq!(source.name(), "keyring /inaturalist");
        assert!(!format!("{source:?}").contains("secret\""));
    }

    #[test]
    fn source_set_replaces_only_given_fields_and_delete_removes_all() {
        let source =
            KeyringSource::for_provider(&Provider::new("work")).with_credential_store(mock_store());
        assert_eq!(source.service(), "authctl:work");
        source
            .set(&Credentials {
                username: Some("ana".into()),
                password: Some("old".into()),
                client_id: Some("id".into()),
                client_secret: Some("".into()),
            })
            .unwrap();
        let written = source
            .set(&Credentials {
                password: Some("new".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(written, vec![CredentialField::Password]);
        let c = pollster::block_on(source.credentials(&Provider::new("work"))).unwrap();
        assert_eq!(c.username.as_deref(), Some("ana"));
        assert_eq!(c.password.as_ref().map(Secret::expose), Some("new"));
        assert_eq!(c.client_secret, None, "an empty value is not stored");
        assert_eq!(
            source.delete().unwrap(),
            vec![
                CredentialField::Username,
                CredentialField::Password,
                CredentialField::ClientId
            ]
        );
        let c = pollster::block_on(source.credentials(&Provider::new("work"))).unwrap();
        assert_eq!(c, Credentials::default());
    }

    #[test]
    fn source_reports_an_unavailable_keyring() {
        let backing = mock_store();
        let source = KeyringSource::new("s").with_credential_store(Arc::clone(&backing));
        fail_next(
            &backing,
            "s",
            "username",
            keyring_core::Error::PlatformFailure(platform_error("no bus")),
        );
        let err = pollster::block_on(source.credentials(&Provider::new("x"))).unwrap_err();
        assert!(matches!(err, Error::KeyringUnavailable { .. }), "{err:?}");
        fail_next(
            &backing,
            "s",
            "password",
            keyring_core::Error::NoStorageAccess(platform_error("locked")),
        );
        let err = source
            .set(&Credentials {
                password: Some("pw".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert!(matches!(err, Error::KeyringUnavailable { .. }), "{err:?}");
    }
}
