//! The blocking backend on ureq 3.

use std::time::Duration;

use auth_core::{Error, HttpConfig, HttpRequest, HttpResponse, TransportErrorKind};
use std::net::{IpAddr, SocketAddr};

use ureq::config::{AutoHeaderValue, Config};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};
use ureq::{Agent, AsSendBody, Timeout};

use crate::policy::{self, Exchange, PolicyBackend, SendOnce};

/// The settings the policy relies on, on an agent's or a request's configuration builder
/// (`$builder`): 4xx and 5xx as responses, no redirect followed, the timeouts of
/// `$config`. (A macro: ureq's builder scopes cannot be named in a generic function.)
/// Sending is bounded per write: a per-write limit is the same figure at every write, so
/// a pooled connection keeps its socket's send timeout, where a phase budget (time left)
/// would set it again before every write (a system call each).
macro_rules! policy_settings {
    ($builder:expr, $config:expr) => {{
        let connect = Some($config.connect_timeout);
        let read = Some($config.read_timeout);
        $builder
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_resolve(connect)
            .timeout_connect(connect)
            .timeout_per_write(read)
            .timeout_recv_response(read)
            .timeout_recv_body(read)
    }};
}

/// A blocking [`HttpBackend`](auth_core::HttpBackend) on [ureq](https://docs.rs/ureq) 3 with rustls (ring) and the
/// webpki root certificates. It pulls in no async runtime.
///
/// It is a ureq one-hop transport run by [`PolicyBackend`]: everything in the crate's
/// rules (redirects, retries, hooks, size cap) is the shared policy.
///
/// `send` does its work when first polled and never yields, so a synchronous program
/// drives it with a tiny executor such as `pollster`, or calls [`UreqBackend::send_blocking`].
/// Inside an async runtime, call it from a blocking task (or use the `reqwest` backend).
///
/// ```no_run
/// use auth_core::HttpConfig;
/// use auth_http::UreqBackend;
///
/// let backend = UreqBackend::new(HttpConfig::default())?;
/// let request = http::Request::get("https://api.inaturalist.org/v1/users/me")
///     .header("accept", "application/json")
///     .body(Vec::new())
///     .unwrap();
/// let response = backend.send_blocking(request)?;
/// println!("{}", response.status());
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct UreqBackend {
    policy: PolicyBackend<UreqTransport>,
}

/// The one-hop transport: a ureq agent, with the policy's settings applied to each request.
#[derive(Clone)]
struct UreqTransport {
    agent: Agent,
    /// Whether the agent itself has the policy's settings ([`UreqBackend::new`]); a
    /// user's agent gets them on each request.
    configured: bool,
}

impl UreqBackend {
    /// A backend with these settings, on a fresh ureq agent (rustls with ring, webpki
    /// roots).
    ///
    /// Fails with [`Error::Config`] when the user agent is not a valid header value or a
    /// timeout is zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut config = auth_core::HttpConfig::default();
    /// config.read_timeout = Duration::from_secs(5);
    /// let backend = auth_http::UreqBackend::new(config.clone()).unwrap();
    /// assert_eq!(backend.config().read_timeout, Duration::from_secs(5));
    ///
    /// config.read_timeout = Duration::ZERO;
    /// let err = auth_http::UreqBackend::new(config).unwrap_err();
    /// assert!(err.to_string().contains("read_timeout"));
    /// ```
    pub fn new(config: HttpConfig) -> Result<Self, Error> {
        // No User-Agent of ureq's own: the policy sets the configured one. Said on the
        // agent (not only per request), so requests without one still share its pool.
        // Everything else the policy needs is said on the agent too, so a request is sent
        // as it is, without a configuration of its own.
        let agent = policy_settings!(Config::builder(), config)
            .user_agent(AutoHeaderValue::None)
            .build();
        let connector = DefaultConnector::default().chain(WholeMillis);
        let agent = Agent::with_parts(agent, connector, LiteralFirst::default());
        Ok(UreqBackend {
            policy: PolicyBackend::with_transport(
                UreqTransport {
                    agent,
                    configured: true,
                },
                config,
            )?,
        })
    }

    /// A backend on your own configured agent (proxy, extra root certificates, TLS
    /// settings, connection pool).
    ///
    /// Each request overrides, for that request only, what the policy needs: 4xx and 5xx
    /// come back as responses, the agent follows no redirect itself (the policy does), it
    /// adds no `User-Agent` (the policy sets the configured one), and the timeouts of
    /// `config` apply (`connect_timeout` to resolving and connecting, `read_timeout` to
    /// each write of the request, to receiving the response head, and then to the whole
    /// body). Everything else is the agent's (ureq's default resolver
    /// looks a name up on a thread of its own per request, to bound the wait; [`new`]
    /// skips that for IP addresses), and requests reuse its
    /// connection pool (with an empty configured user agent, only if the agent itself is
    /// configured with `user_agent(AutoHeaderValue::None)`: ureq pools a request only with
    /// an agent of the same user agent).
    ///
    /// [`new`]: UreqBackend::new
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::HttpConfig;
    ///
    /// let agent: ureq::Agent = ureq::Agent::config_builder()
    ///     .max_idle_connections(4)
    ///     .build()
    ///     .into();
    /// let config = HttpConfig::default().with_read_timeout(Duration::from_secs(5));
    /// let backend = auth_http::UreqBackend::with_agent(agent, config).unwrap();
    /// assert_eq!(backend.config().read_timeout, Duration::from_secs(5));
    /// ```
    pub fn with_agent(agent: Agent, config: HttpConfig) -> Result<Self, Error> {
        Ok(UreqBackend {
            policy: PolicyBackend::with_transport(
                UreqTransport {
                    agent,
                    configured: false,
                },
                config,
            )?,
        })
    }

    /// The settings this backend was built with.
    ///
    /// ```
    /// let backend = auth_http::UreqBackend::new(Default::default()).unwrap();
    /// assert!(backend.config().user_agent.starts_with("authctl/"));
    /// ```
    pub fn config(&self) -> &HttpConfig {
        self.policy.config()
    }

    /// Sends a request on the current thread: [`HttpBackend::send`](auth_core::HttpBackend::send) without an executor.
    ///
    /// ```no_run
    /// let backend = auth_http::UreqBackend::new(Default::default())?;
    /// let request = http::Request::get("https://example.com/").body(Vec::new()).unwrap();
    /// let response = backend.send_blocking(request)?;
    /// assert!(response.status().is_success());
    /// # Ok::<(), auth_core::Error>(())
    /// ```
    pub fn send_blocking(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        pollster::block_on(self.policy.run(request))
    }
}

impl UreqTransport {
    /// `request` with the per-request settings the policy relies on (as it is when the
    /// agent has them already: [`UreqBackend::new`]).
    ///
    /// None of them may keep the request out of the agent's connection pool: ureq pools a
    /// request only when its user agent, TLS, buffer and address settings equal the
    /// agent's (redirects, status handling and timeouts do not count). So the user agent
    /// is overridden only when the request carries none (the policy sets the configured
    /// one whenever there is one; ureq adds its own only to a request without one).
    fn configured<S: AsSendBody>(
        &self,
        request: http::Request<S>,
        config: &HttpConfig,
    ) -> http::Request<S> {
        if self.configured {
            return request;
        }
        let has_user_agent = request.headers().contains_key(http::header::USER_AGENT);
        let mut builder = policy_settings!(self.agent.configure_request(request), config);
        if !has_user_agent {
            builder = builder.user_agent(AutoHeaderValue::None);
        }
        builder.build()
    }

    fn exchange(&self, ex: &Exchange<'_>) -> Result<HttpResponse, Error> {
        // the URI parsed already when there is one (the first hop of a provider request)
        let builder = http::Request::builder().method(ex.method().clone());
        let mut builder = match ex.uri() {
            Some(uri) => builder.uri(uri.clone()),
            None => builder.uri(ex.url().as_str()),
        };
        if let Some(headers) = builder.headers_mut() {
            *headers = ex.headers().clone();
        }
        let sent = if ex.sends_no_body() {
            builder
                .body(())
                .map(|r| self.agent.run(self.configured(r, ex.config())))
                .map_err(ureq::Error::from)
        } else {
            builder
                .body(ex.body())
                .map(|r| self.agent.run(self.configured(r, ex.config())))
                .map_err(ureq::Error::from)
        };
        let response = sent.and_then(|r| r).map_err(|e| map_error(e, ex))?;

        let (parts, body) = response.into_parts();
        let mut collector = ex.body_collector(parts.status, &parts.headers)?;
        collector.read_from(body.into_reader(), |e| map_error(ureq::Error::from(e), ex))?;
        Ok(http::Response::from_parts(parts, collector.finish()))
    }
}

/// ureq's default resolver, except that an address which is already an IP address (as
/// `127.0.0.1:8080` or `[::1]:443`) is used as it is. With a resolve timeout set (the
/// policy's `connect_timeout`), the default resolver starts a thread per request to bound
/// the wait, even for an IP address and even when a pooled connection is then reused.
#[derive(Debug, Default)]
struct LiteralFirst(DefaultResolver);

impl Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let literal = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(scheme, authority)| {
                let host = authority.host();
                let host = host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(host);
                // an IP address is read where it stands (no `host:port` string is built);
                // a name, or a scheme without a known port, goes to the default resolver
                let ip = host.parse::<IpAddr>().ok()?;
                let port = authority
                    .port_u16()
                    .or(if *scheme == http::uri::Scheme::HTTPS {
                        Some(443)
                    } else if *scheme == http::uri::Scheme::HTTP {
                        Some(80)
                    } else {
                        None
                    })?;
                Some(SocketAddr::new(ip, port))
            })
            .filter(|addr| {
                config
                    .ip_family()
                    .keep_wanted(std::iter::once(*addr))
                    .next()
                    .is_some()
            });
        match literal {
            Some(addr) => {
                let mut addrs = self.empty();
                addrs.push(addr);
                Ok(addrs)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

/// Wraps each connection of [`UreqBackend::new`]'s agent in [`RoundedTimeouts`].
#[derive(Debug)]
struct WholeMillis;

impl Connector<Box<dyn Transport>> for WholeMillis {
    type Out = RoundedTimeouts;

    fn connect(
        &self,
        _details: &ConnectionDetails<'_>,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(RoundedTimeouts))
    }
}

/// A connection whose time left (of the response head's or the body's `read_timeout`)
/// is rounded up to a whole millisecond before it reaches the socket.
///
/// The socket keeps the last timeout set on it and ureq sets it again only when the
/// figure changes, but the time left changes with every request (by the microseconds
/// since its phase began): one `setsockopt` per request on a pooled connection. Rounded
/// up, the first read of each request sees exactly `read_timeout` again, so a connection
/// sets its read timeout once. A deadline moves by under a millisecond, less than the
/// kernel's own rounding of socket timeouts to its clock tick.
#[derive(Debug)]
struct RoundedTimeouts(Box<dyn Transport>);

impl RoundedTimeouts {
    fn rounded(mut timeout: NextTimeout) -> NextTimeout {
        if let UreqDuration::Exact(left) = timeout.after {
            let sub_milli = left.subsec_nanos() % 1_000_000;
            if sub_milli != 0 {
                let up = Duration::from_nanos(u64::from(1_000_000 - sub_milli));
                timeout.after = UreqDuration::Exact(left.saturating_add(up));
            }
        }
        timeout
    }
}

impl Transport for RoundedTimeouts {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.0.transmit_output(amount, Self::rounded(timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(Self::rounded(timeout))
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

impl SendOnce for UreqTransport {
    async fn send_once(&self, exchange: Exchange<'_>) -> Result<HttpResponse, Error> {
        self.exchange(&exchange)
    }

    async fn sleep(&self, duration: Duration) {
        // A blocking backend blocks: there is no runtime to yield to.
        std::thread::sleep(duration);
    }
}

policy::policy_backend_impls!(UreqBackend);

/// Maps a ureq error to the toolkit's error, naming the host and never the query.
fn map_error(error: ureq::Error, ex: &Exchange<'_>) -> Error {
    let kind = match &error {
        ureq::Error::Timeout(Timeout::Resolve | Timeout::Connect) => {
            TransportErrorKind::ConnectTimeout
        }
        ureq::Error::Timeout(_) => TransportErrorKind::ReadTimeout,
        ureq::Error::HostNotFound => TransportErrorKind::Dns,
        ureq::Error::Io(io) if policy::is_tls_failure(io) => TransportErrorKind::Tls,
        ureq::Error::Io(io) => policy::classify_chain(io).unwrap_or(TransportErrorKind::Other),
        ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::Rustls(_) => {
            TransportErrorKind::Tls
        }
        ureq::Error::TooManyRedirects => TransportErrorKind::TooManyRedirects,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            return Error::config(format!(
                "the request to {} could not be built: {}; check the URL and the header names and values",
                auth_core::http::without_query(ex.url()),
                policy::scrub(&error.to_string(), ex.url(), ex.headers()),
            ));
        }
        _ => TransportErrorKind::Other,
    };
    ex.transport_error(kind, &policy::chain_message(&error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, Method};

    fn classify(error: ureq::Error) -> Error {
        let url = "https://api.example/cb?code=SECRET".parse().unwrap();
        let headers = HeaderMap::new();
        let config = HttpConfig::default();
        let ex = Exchange::new(&Method::GET, &url, &headers, &[], &config);
        map_error(error, &ex)
    }

    fn kind(e: &Error) -> TransportErrorKind {
        match e {
            Error::Transport { kind, host, .. } => {
                assert_eq!(host, "api.example:443");
                *kind
            }
            other => panic!("not a transport error: {other}"),
        }
    }

    #[test]
    fn ureq_errors_map_to_kinds() {
        assert_eq!(
            kind(&classify(ureq::Error::HostNotFound)),
            TransportErrorKind::Dns
        );
        assert_eq!(
            kind(&classify(ureq::Error::Timeout(Timeout::Connect))),
            TransportErrorKind::ConnectTimeout
        );
        assert_eq!(
            kind(&classify(ureq::Error::Timeout(Timeout::RecvResponse))),
            TransportErrorKind::ReadTimeout
        );
        assert_eq!(
            kind(&classify(ureq::Error::Timeout(Timeout::RecvBody))),
            TransportErrorKind::ReadTimeout
        );
        assert_eq!(
            kind(&classify(ureq::Error::Tls("bad certificate"))),
            TransportErrorKind::Tls
        );
        assert_eq!(
            kind(&classify(ureq::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused
            )))),
            TransportErrorKind::ConnectionRefused
        );
        // a ureq error wrapped into io by the body reader is unwrapped again
        let wrapped = ureq::Error::Timeout(Timeout::RecvBody).into_io();
        assert_eq!(
            kind(&classify(ureq::Error::from(wrapped))),
            TransportErrorKind::ReadTimeout
        );
        let bad = classify(ureq::Error::BadUri(
            "https://api.example/cb?code=SECRET".into(),
        ));
        assert!(matches!(bad, Error::Config { .. }));
        assert!(!bad.to_string().contains("SECRET"), "{bad}");
    }

    fn resolve(url: &str, config: &Config) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: http::Uri = url.parse().unwrap();
        let timeout = NextTimeout {
            after: Duration::from_secs(5).into(),
            reason: Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        LiteralFirst::default()
            .resolve(&uri, config, timeout)
            .map(|addrs| addrs.to_vec())
    }

    #[test]
    fn ip_addresses_are_used_as_they_are_and_names_are_looked_up() {
        let config = Config::default();
        let v4: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            resolve("http://127.0.0.1:8080/token", &config).unwrap(),
            [v4]
        );
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!(resolve("https://[::1]/token", &config).unwrap(), [v6]);
        let v4_default: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(
            resolve("http://127.0.0.1/token", &config).unwrap(),
            [v4_default]
        );
        // a name goes to ureq's resolver
        let local = resolve("http://localhost:8080/", &config).unwrap();
        assert!(
            local
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8080)
        );
        // an address of the wrong family is refused as the default resolver refuses it
        let v6_only = Config::builder()
            .ip_family(ureq::config::IpFamily::Ipv6Only)
            .build();
        assert!(matches!(
            resolve("http://127.0.0.1:8080/", &v6_only),
            Err(ureq::Error::HostNotFound)
        ));
    }

    #[test]
    fn the_time_left_is_rounded_up_to_a_whole_millisecond() {
        let left = |after: UreqDuration| NextTimeout {
            after,
            reason: Timeout::RecvResponse,
            per_read: None,
            per_write: Some(Duration::from_secs(30).into()),
        };
        let exact = |d: Duration| left(UreqDuration::Exact(d));
        // a request's first read, microseconds into its phase: the whole budget again
        let first = RoundedTimeouts::rounded(exact(Duration::from_micros(29_999_987)));
        assert_eq!(first.after, UreqDuration::Exact(Duration::from_secs(30)));
        assert_eq!(first.reason, Timeout::RecvResponse);
        assert_eq!(first.per_write, Some(Duration::from_secs(30).into()));
        // later in the phase: never less than the time left, never a millisecond more
        let late = RoundedTimeouts::rounded(exact(Duration::from_nanos(1_250_000_001)));
        assert_eq!(
            late.after,
            UreqDuration::Exact(Duration::from_millis(1_251))
        );
        let whole = RoundedTimeouts::rounded(exact(Duration::from_millis(7)));
        assert_eq!(whole.after, UreqDuration::Exact(Duration::from_millis(7)));
        // no deadline stays none
        let none = RoundedTimeouts::rounded(left(UreqDuration::NotHappening));
        assert_eq!(none.after, UreqDuration::NotHappening);
    }

    #[test]
    fn debug_shows_the_config() {
        let backend = UreqBackend::new(HttpConfig::default()).unwrap();
        let debug = format!("{backend:?}");
        assert!(debug.contains("UreqBackend"));
        assert!(debug.contains("authctl/"));
    }
}
