//! [`UreqAuth`]: the token as a ureq 3 `Middleware`, blocking, without tokio.

use std::fmt;
use std::sync::Arc;

use auth_core::{AllowedOrigins, Url};
use ureq::config::ConfigBuilder;
use ureq::middleware::{Middleware, MiddlewareNext};
use ureq::typestate::AgentScope;
use ureq::{Agent, Body, RequestExt, ResponseExt, SendBody};

use super::Authorizer;
use crate::manager::TokenManager;

/// The token for your own ureq 3 agent: authorizes requests to allowed origins with the
/// tokens of a [`TokenManager`] (see [the module](super) for the rules), as a middleware
/// at the end of your agent's chain. It blocks on the manager (through `pollster`), so it
/// needs no async runtime.
///
/// ureq runs a middleware chain once per request, so sending a request again needs an
/// agent: [`UreqAuth::agent`] builds your agent from your settings, plus a twin without
/// this middleware for the one retry after a 401. Only requests whose method ureq sends
/// without a body (GET, HEAD, DELETE, OPTIONS, TRACE) are sent again, as the body of
/// another request is a reader that was consumed; their 401 is returned, and the token is
/// renewed for the next request. The agent's `http_status_as_error` keeps its meaning: the
/// answer to a request that got the token is turned into `ureq::Error::StatusCode` after the
/// adapter has looked at it (a per-request override of that setting is not seen for such
/// requests; the agent's setting applies).
///
/// ```no_run
/// # fn run(manager: std::sync::Arc<auth_flows::TokenManager>) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use auth_flows::middleware::UreqAuth;
///
/// // Your agent, with your settings.
/// let agent = UreqAuth::new(manager).agent(|| {
///     ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(30)))
/// });
/// let me = agent.get("https://api.example.com/v1/me").call()?.body_mut().read_to_string()?;
/// println!("{me}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct UreqAuth {
    auth: Authorizer,
}

impl UreqAuth {
    /// Authorizes requests to the provider's API origin with the tokens of `manager`.
    ///
    /// ```no_run
    /// # fn run(manager: std::sync::Arc<auth_flows::TokenManager>) {
    /// let auth = auth_flows::middleware::UreqAuth::new(manager);
    /// println!("the token goes to {}", auth.allowed_origins());
    /// # }
    /// ```
    pub fn new(manager: Arc<TokenManager>) -> Self {
        UreqAuth {
            auth: Authorizer::new(manager),
        }
    }

    /// Also authorizes requests to `origins`.
    ///
    /// ```no_run
    /// # fn run(manager: std::sync::Arc<auth_flows::TokenManager>) -> Result<(), auth_core::Error> {
    /// let auth = auth_flows::middleware::UreqAuth::new(manager)
    ///     .allow_origins(auth_core::AllowedOrigins::new().with_entry("files.example.com")?);
    /// # Ok(()) }
    /// ```
    pub fn allow_origins(mut self, origins: AllowedOrigins) -> Self {
        self.auth.allow(&origins);
        self
    }

    /// The origins that get the token.
    ///
    /// ```no_run
    /// # fn run(auth: auth_flows::middleware::UreqAuth) {
    /// println!("{}", auth.allowed_origins());
    /// # }
    /// ```
    pub fn allowed_origins(&self) -> &AllowedOrigins {
        &self.auth.origins
    }

    /// Your agent with this middleware last in its chain. `settings` makes your agent's
    /// settings (timeouts, proxy, TLS, your own middleware); it is called twice: once for
    /// the agent, once for the twin that sends the one retry after a 401.
    ///
    /// ```no_run
    /// # fn run(auth: auth_flows::middleware::UreqAuth) {
    /// let agent: ureq::Agent = auth.agent(ureq::Agent::config_builder);
    /// # let _ = agent;
    /// # }
    /// ```
    pub fn agent(self, settings: impl Fn() -> ConfigBuilder<AgentScope>) -> Agent {
        let layer = Layer {
            auth: self.auth,
            twin: settings().build().new_agent(),
        };
        settings().middleware(layer).build().new_agent()
    }
}

impl fmt::Debug for UreqAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqAuth")
            .field("origins", &self.auth.origins.to_string())
            .finish_non_exhaustive()
    }
}

/// The middleware itself, with the twin agent that sends the retry.
struct Layer {
    auth: Authorizer,
    twin: Agent,
}

fn url_of(uri: &http::Uri) -> Option<Url> {
    Url::parse(&uri.to_string()).ok()
}

fn other(error: auth_core::Error) -> ureq::Error {
    ureq::Error::Other(Box::new(error))
}

impl Layer {
    /// The answer as the agent's settings want it: an HTTP error status as
    /// `ureq::Error::StatusCode` when `http_status_as_error` is on.
    fn finish(&self, response: http::Response<Body>) -> Result<http::Response<Body>, ureq::Error> {
        let status = response.status();
        if self.twin.config().http_status_as_error()
            && (status.is_client_error() || status.is_server_error())
        {
            return Err(ureq::Error::StatusCode(status.as_u16()));
        }
        Ok(response)
    }
}

impl Middleware for Layer {
    fn handle(
        &self,
        mut request: http::Request<SendBody<'_>>,
        next: MiddlewareNext<'_>,
    ) -> Result<http::Response<Body>, ureq::Error> {
        let Some(sent_to) = url_of(request.uri()).filter(|u| self.auth.wants(u, request.headers()))
        else {
            return next.handle(request);
        };
        let (token, header) = pollster::block_on(self.auth.token()).map_err(other)?;
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, header);
        // The adapter looks at every answer, 401 included; `finish` restores the setting.
        let request = request
            .middleware_config()
            .ok_or_else(|| {
                other(auth_core::Error::config(
                    "the ureq middleware ran outside an agent's middleware chain",
                ))
            })?
            .http_status_as_error(false)
            .build();
        let bodiless = matches!(
            *request.method(),
            http::Method::GET
                | http::Method::HEAD
                | http::Method::DELETE
                | http::Method::OPTIONS
                | http::Method::TRACE
        );
        // What a retry needs: everything but the body, which these methods do not have.
        let again = bodiless.then(|| {
            let mut copy = http::Request::new(());
            *copy.method_mut() = request.method().clone();
            *copy.uri_mut() = request.uri().clone();
            *copy.version_mut() = request.version();
            *copy.headers_mut() = request.headers().clone();
            *copy.extensions_mut() = request.extensions().clone();
            copy
        });
        let response = next.handle(request)?;
        let answered_by = url_of(response.get_uri());
        if !answered_by.is_some_and(|u| self.auth.rejected(&sent_to, response.status(), &u)) {
            return self.finish(response);
        }
        let header = pollster::block_on(self.auth.renew(token)).map_err(other)?;
        let Some(mut copy) = again else {
            return self.finish(response);
        };
        drop(response);
        copy.headers_mut()
            .insert(http::header::AUTHORIZATION, header);
        self.finish(self.twin.run(copy)?)
    }
}
