//! Device authorization grant (RFC 8628): for machines without a browser.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use auth_core::{
    AuthFlow, CredentialField, DeviceCode, Endpoint, Error, FlowContext, OAuthError, Token,
};
use oauth2::{DeviceCodeErrorResponseType, StandardDeviceAuthorizationResponse};

use crate::client::{Adapter, configured, oauth_client, require, scopes, with_requested_scopes};
use crate::sleep::{Sleeper, default_sleeper};

/// Device authorization grant: shows the user code and verification URL through
/// [`auth_core::Interaction::show_device_code`], then polls the token endpoint at the
/// server's interval, slowing down by 5 s on `slow_down`, until the person approves,
/// denies (`access_denied` → [`Error::AccessDenied`]) or the code expires
/// (`expired_token` → an OAuth error saying to start again).
///
/// ```
/// use auth_core::AuthFlow;
/// let flow = auth_flows::DeviceFlow::default();
/// assert_eq!(flow.name(), "device");
/// assert!(flow.needs_person());
/// ```
#[derive(Clone)]
pub struct DeviceFlow {
    sleeper: Sleeper,
}

impl Default for DeviceFlow {
    fn default() -> Self {
        DeviceFlow {
            sleeper: default_sleeper(),
        }
    }
}

impl std::fmt::Debug for DeviceFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceFlow").finish_non_exhaustive()
    }
}

impl DeviceFlow {
    /// Replaces how the flow waits between polls (tests record the waits instead).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let flow = auth_flows::DeviceFlow::default().with_sleeper(Arc::new(|_| Box::pin(async {})));
    /// # let _ = flow;
    /// ```
    pub fn with_sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = sleeper;
        self
    }
}

#[async_trait]
impl AuthFlow for DeviceFlow {
    fn name(&self) -> &'static str {
        "device"
    }

    fn needs_person(&self) -> bool {
        true
    }

    async fn authenticate(&self, ctx: &FlowContext) -> Result<Token, Error> {
        ctx.require_person()?;
        require(
            &ctx.provider,
            &ctx.credentials,
            &[CredentialField::ClientId],
        )?;
        let client = oauth_client(&ctx.provider, &ctx.credentials)?;
        let adapter = Adapter::new(&ctx.http, &ctx.provider, &ctx.credentials);
        let requested = ctx.effective_scopes().to_vec();
        let details: StandardDeviceAuthorizationResponse = configured(
            &ctx.provider,
            Endpoint::DeviceAuthorization,
            client.exchange_device_code(),
        )?
        .add_scopes(scopes(&requested))
        .request_async(&adapter)
        .await
        .map_err(|e| adapter.error(e))?;
        adapter.take_last();
        let code = DeviceCode {
            user_code: details.user_code().secret().clone(),
            verification_uri: details.verification_uri().to_string(),
            verification_uri_complete: details
                .verification_uri_complete()
                .map(|u| u.secret().clone()),
            expires_in: details.expires_in(),
        };
        ctx.interaction.show_device_code(&code).await?;
        ctx.interaction
            .waiting("approval of the device code", code.expires_in)
            .await;

        let sleeper = self.sleeper.clone();
        let poll = configured(
            &ctx.provider,
            Endpoint::Token,
            client.exchange_device_access_token(&details),
        )?;
        let result = poll
            .request_async(&adapter, move |d: Duration| sleeper(d), None)
            .await;
        match result {
            Ok(_) => {
                let token = with_requested_scopes(adapter.token(SystemTime::now())?, &requested);
                crate::id_token::check_login(ctx, token, &requested, None).await
            }
            Err(oauth2::RequestTokenError::ServerResponse(e)) => {
                let status = adapter.take_last().map_or(400, |r| r.status);
                let description = e.error_description().cloned();
                Err(match e.error() {
                    DeviceCodeErrorResponseType::AccessDenied => {
                        Error::AccessDenied { description }
                    }
                    DeviceCodeErrorResponseType::ExpiredToken => Error::OAuth(
                        OAuthError::new("expired_token", status).with_description_opt(description),
                    ),
                    other => {
                        let code = serde_json::to_value(other)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_else(|| "invalid_request".into());
                        let mut error =
                            OAuthError::new(code, status).with_description_opt(description);
                        error.uri = e.error_uri().cloned();
                        Error::OAuth(error)
                    }
                })
            }
            Err(other) => Err(adapter.error(other)),
        }
    }
}
