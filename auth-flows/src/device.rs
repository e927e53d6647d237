//! Device authorization grant (RFC 8628): for machines without a browser.
//!
//! The server's numbers are not trusted: the poll `interval` is kept within 1–60 s
//! (each `slow_down` adds 5 s, up to the same cap), the code's `expires_in` within
//! 1 s–1 h, and the flow
//! waits no longer than the shorter of that and its own timeout
//! ([`DeviceFlow::with_timeout`]). All time arithmetic is checked or saturating, so no
//! answer can make it overflow.

use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use auth_core::{AuthFlow, CredentialField, DeviceCode, Endpoint, Error, FlowContext, Token};
use oauth2::{AsyncHttpClient, StandardDeviceAuthorizationResponse};

use crate::client::{
    Adapter, configured, oauth_client, require, resource_params, scopes, with_requested_scopes,
};
use crate::sleep::{Sleeper, default_sleeper};

/// The shortest wait between two polls, whatever the server says.
pub(crate) const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The longest wait between two polls, whatever the server says (and however often it
/// answers `slow_down`).
pub(crate) const MAX_POLL_INTERVAL: Duration = Duration::from_secs(60);
/// How much each `slow_down` answer adds to the interval (RFC 8628 §3.5).
pub(crate) const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The longest a device code is waited for, whatever its `expires_in` says.
pub(crate) const MAX_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(3600);

/// The poll interval to use for the server's `interval`: within
/// `MIN_POLL_INTERVAL..=MAX_POLL_INTERVAL`.
fn poll_interval(server: Duration) -> Duration {
    server.clamp(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL)
}

/// How long to wait for approval: the code's lifetime (within
/// `1 s..=MAX_DEVICE_CODE_LIFETIME`), or the flow's timeout when that is shorter.
fn wait_limit(expires_in: Duration, timeout: Option<Duration>) -> Duration {
    let lifetime = expires_in.clamp(Duration::from_secs(1), MAX_DEVICE_CODE_LIFETIME);
    timeout.map_or(lifetime, |t| t.min(lifetime))
}

/// Device authorization grant: shows the user code and verification URL through
/// [`auth_core::Interaction::show_device_code`], then polls the token endpoint at the
/// server's interval (kept within 1–60 s), slowing down by 5 s on `slow_down` (up to
/// 60 s), until the person approves, denies (`access_denied` → [`Error::AccessDenied`]),
/// the code expires (`expired_token`, or its `expires_in` passes → an OAuth error saying
/// to start again) or the flow's timeout passes ([`Error::TimedOut`]).
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
    timeout: Option<Duration>,
}

impl Default for DeviceFlow {
    fn default() -> Self {
        DeviceFlow {
            sleeper: default_sleeper(),
            timeout: None,
        }
    }
}

impl std::fmt::Debug for DeviceFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceFlow")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
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

    /// Waits at most `timeout` for the person's approval (the code's own `expires_in`
    /// still applies when it is shorter); then the flow fails with [`Error::TimedOut`].
    ///
    /// ```
    /// let flow = auth_flows::DeviceFlow::default().with_timeout(std::time::Duration::from_secs(120));
    /// # let _ = flow;
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
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
        // Resource indicators (RFC 8707) go with the device authorization request and
        // every poll, as with the authorization and token requests of the other grants.
        let resources = resource_params(&ctx.provider);
        let mut authorization = configured(
            &ctx.provider,
            Endpoint::DeviceAuthorization,
            client.exchange_device_code(),
        )?
        .add_scopes(scopes(&requested));
        for (name, value) in &resources {
            authorization = authorization.add_extra_param(name.clone(), value.clone());
        }
        let details: StandardDeviceAuthorizationResponse = authorization
            .request_async(&adapter)
            .await
            .map_err(|e| adapter.error(e))?;
        adapter.take_last();
        let limit = wait_limit(details.expires_in(), self.timeout);
        let code = DeviceCode {
            user_code: details.user_code().secret().clone(),
            verification_uri: details.verification_uri().to_string(),
            verification_uri_complete: details
                .verification_uri_complete()
                .map(|u| u.secret().clone()),
            expires_in: limit,
        };
        ctx.interaction.show_device_code(&code).await?;
        ctx.interaction
            .waiting("approval of the device code", limit)
            .await;
        let started = Instant::now();
        let deadline = started.checked_add(limit).unwrap_or(started);
        let token_url = ctx.provider.endpoint(Endpoint::Token)?.clone();
        let mut interval = poll_interval(details.interval());
        loop {
            let poll = poll_request(&token_url, details.device_code().secret(), &resources)?;
            adapter.call(poll).await.map_err(|e| adapter.scrub(e.0))?;
            match adapter.token(SystemTime::now()) {
                Ok(token) => {
                    let token = with_requested_scopes(token, &requested);
                    return crate::id_token::check_login(ctx, token, &requested, None).await;
                }
                Err(Error::OAuth(e)) if e.code == "authorization_pending" => {}
                Err(Error::OAuth(e)) if e.code == "slow_down" => {
                    interval = poll_interval(interval.saturating_add(SLOW_DOWN_STEP));
                }
                Err(Error::OAuth(e)) if e.code == "access_denied" => {
                    return Err(Error::AccessDenied {
                        description: e.description,
                    });
                }
                Err(other) => return Err(other),
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.gave_up(limit));
            }
            (self.sleeper)(interval.min(remaining)).await;
        }
    }
}

impl DeviceFlow {
    /// The error when the wait is over: the flow's timeout, or the code's lifetime.
    fn gave_up(&self, limit: Duration) -> Error {
        if self.timeout.is_some_and(|t| t <= limit) {
            Error::TimedOut {
                what: "approval of the device code".into(),
                waited: limit,
            }
        } else {
            Error::OAuth(
                auth_core::OAuthError::new("expired_token", 400)
                    .with_description("the device code expired before it was approved"),
            )
        }
    }
}

/// One poll of the token endpoint (RFC 8628 §3.4); the adapter adds the client's
/// authentication.
fn poll_request(
    token_url: &url::Url,
    device_code: &str,
    resources: &[(String, String)],
) -> Result<oauth2::HttpRequest, Error> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:device_code")
        .append_pair("device_code", device_code)
        .extend_pairs(resources)
        .finish();
    http::Request::post(token_url.as_str())
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ACCEPT, "application/json")
        .body(body.into_bytes())
        .map_err(|e| Error::config(format!("token_url {token_url} cannot be requested: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_carries_the_resource_indicators() {
        let url: url::Url = "https://as.example/token".parse().unwrap();
        let resources = [
            ("resource".to_owned(), "https://api.example/".to_owned()),
            ("audience".to_owned(), "api".to_owned()),
        ];
        let poll = poll_request(&url, "dc", &resources).unwrap();
        let form: Vec<(String, String)> = form_urlencoded::parse(poll.body())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(form[1], ("device_code".to_owned(), "dc".to_owned()));
        assert_eq!(form[2..], resources);
    }

    #[test]
    fn hostile_numbers_are_clamped() {
        let huge = Duration::from_secs(u64::MAX);
        assert_eq!(poll_interval(huge), MAX_POLL_INTERVAL);
        assert_eq!(poll_interval(Duration::ZERO), MIN_POLL_INTERVAL);
        assert_eq!(
            poll_interval(Duration::from_secs(7)),
            Duration::from_secs(7)
        );
        assert_eq!(
            poll_interval(huge.saturating_add(SLOW_DOWN_STEP)),
            MAX_POLL_INTERVAL
        );
        assert_eq!(wait_limit(huge, None), MAX_DEVICE_CODE_LIFETIME);
        assert_eq!(wait_limit(Duration::ZERO, None), Duration::from_secs(1));
        assert_eq!(
            wait_limit(huge, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        assert_eq!(
            wait_limit(Duration::from_secs(30), Some(Duration::from_secs(600))),
            Duration::from_secs(30)
        );
    }
}
