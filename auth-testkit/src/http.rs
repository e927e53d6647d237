//! The [`http_backend`] suite.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use mockito::{Matcher, Server};

use auth_core::{
    Error, HttpBackend, HttpConfig, HttpRequest, HttpResponse, RequestKind, TransportErrorKind,
};

/// A function building the backend under test from settings.
type Make<'a> = &'a dyn Fn(HttpConfig) -> Arc<dyn HttpBackend>;

/// One case of the suite.
type Case = fn(&Suite<'_>);

const TOKEN: &str = "Bearer conformance-token-3f9a";
const SECRET_CODE: &str = "SECRET-CODE-7c1e";

/// Runs the [`HttpBackend`] contract against backends built by `make`, which gets the
/// settings each case needs (timeouts, caps, retries) and returns a fresh backend.
///
/// The servers are `mockito` servers and small hand-written ones, all on 127.0.0.1; no
/// case sends anything off the machine. The cases:
///
/// - GET with a query and custom headers; response headers (a repeated one too) come back;
/// - POST with a form body and with a JSON body: bytes and content type arrive intact;
/// - 200, 400, 401, 500 come back as responses with their bodies, a 500 is not retried;
/// - the default user agent is `authctl/<version>`; a request's own one wins;
/// - a server that does not answer hits the read timeout (`ReadTimeout`, host named);
/// - a refused connection is `ConnectionRefused` naming `127.0.0.1:<port>`, and the
///   message shows neither the query (`?code=...`) nor the `Authorization` value;
/// - `https://` to a server that does not speak TLS is a `Tls` transport error;
/// - bodies over `max_response_bytes` (declared, chunked, and endless) are
///   `ResponseTooLarge`, and reading stops; a body exactly at the cap passes;
/// - `http://` to a non-loopback host is `InsecureTransport` before any connection, and
///   proceeds with `allow_insecure_http`; a redirect to such a URL is refused too;
/// - redirects: within the origin `Authorization` is kept (relative `Location`), to
///   another origin it and `Cookie` are dropped; 303 turns a POST into a bodiless GET;
///   307 keeps method and body within the origin and is returned instead of carrying a
///   body to another origin; `max_redirects` is enforced; token endpoint requests are
///   never redirected;
/// - retries: a GET after 503 with `Retry-After: 1` (2 hits, waited), after 429, after a
///   connection closed without an answer; `max_retries` bounds the attempts and
///   `max_retry_wait` caps `Retry-After`; never a POST, never a token endpoint request.
///
/// Call it from a plain `#[test]` (not inside an async runtime): it runs each request on
/// its own multi-thread tokio runtime, which async backends need and blocking ones ignore.
/// It panics with a message naming the broken rule. It takes a few seconds (one case
/// waits for `Retry-After: 1`).
///
/// ```no_run
/// use std::sync::Arc;
/// use auth_core::{Error, HttpBackend, HttpConfig};
///
/// /// Runs the suite for a backend constructor such as `auth_http::UreqBackend::new`,
/// /// from a `#[test]`.
/// fn conformance<B: HttpBackend + 'static>(new: fn(HttpConfig) -> Result<B, Error>) {
///     auth_testkit::http_backend(|config| {
///         Arc::new(new(config).expect("the backend builds")) as Arc<dyn HttpBackend>
///     });
/// }
/// ```
pub fn http_backend<F>(make: F)
where
    F: Fn(HttpConfig) -> Arc<dyn HttpBackend>,
{
    let suite = Suite {
        rt: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("http_backend: could not start a tokio runtime for the suite"),
        make: &make,
    };
    let cases: &[(&str, Case)] = &[
        ("get with query and headers", get_with_query_and_headers),
        ("post form and json bodies", post_bodies),
        ("statuses are responses", statuses_are_responses),
        ("user agent", user_agent),
        ("read timeout", read_timeout),
        ("connection refused", connection_refused),
        ("tls failure", tls_failure),
        ("response size cap", response_size_cap),
        ("endless body stops at the cap", endless_body),
        ("insecure http", insecure_http),
        ("redirects and credentials", redirects_and_credentials),
        ("redirect methods", redirect_methods),
        ("redirect limits", redirect_limits),
        (
            "token endpoint never redirected",
            token_endpoint_not_redirected,
        ),
        ("retry after 503 and 429", retry_on_503_and_429),
        (
            "no retry for post or token endpoint",
            no_retry_for_post_or_token,
        ),
        ("retry bounds", retry_bounds),
        (
            "retry after a dropped connection",
            retry_after_dropped_connection,
        ),
    ];
    for (name, case) in cases {
        eprintln!("http_backend: {name}");
        case(&suite);
    }
}

struct Suite<'a> {
    rt: tokio::runtime::Runtime,
    make: Make<'a>,
}

impl Suite<'_> {
    fn send_with(&self, config: HttpConfig, request: HttpRequest) -> Result<HttpResponse, Error> {
        let backend = (self.make)(config);
        self.rt.block_on(backend.send(request))
    }

    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        self.send_with(HttpConfig::default(), request)
    }

    fn ok(&self, request: HttpRequest) -> HttpResponse {
        let what = format!("{} {}", request.method(), request.uri().path());
        self.send(request)
            .unwrap_or_else(|e| panic!("{what}: expected a response, got the error: {e}"))
    }
}

fn get(url: &str) -> HttpRequest {
    http::Request::get(url)
        .body(Vec::new())
        .expect("test request")
}

fn with_kind(mut request: HttpRequest, kind: RequestKind) -> HttpRequest {
    request.extensions_mut().insert(kind);
    request
}

fn text(response: &HttpResponse) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

fn transport_kind(result: &Result<HttpResponse, Error>) -> Option<(TransportErrorKind, String)> {
    match result {
        Err(Error::Transport { kind, host, .. }) => Some((*kind, host.clone())),
        _ => None,
    }
}

fn describe(result: &Result<HttpResponse, Error>) -> String {
    match result {
        Ok(r) => format!("a {} response", r.status()),
        Err(e) => format!("the error {e:?}"),
    }
}

fn get_with_query_and_headers(s: &Suite<'_>) {
    let mut server = Server::new();
    let mock = server
        .mock("GET", "/v1/observations")
        .match_query(Matcher::AllOf(vec![
            Matcher::UrlEncoded("taxon".into(), "Vulpes vulpes".into()),
            Matcher::UrlEncoded("page".into(), "2".into()),
        ]))
        .match_header("x-request-id", "req-42")
        .match_header("accept", "application/json")
        .with_status(200)
        .with_header("content-type", "application/json")
        .with_header("x-ratelimit-remaining", "41")
        .with_header("x-multi", "one")
        .with_header("x-multi", "two")
        .with_body(r#"{"results":[]}"#)
        .expect(1)
        .create();
    let request = http::Request::get(format!(
        "{}/v1/observations?taxon=Vulpes%20vulpes&page=2",
        server.url()
    ))
    .header("x-request-id", "req-42")
    .header("accept", "application/json")
    .body(Vec::new())
    .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        response.status(),
        200,
        "GET must return the server's status"
    );
    assert_eq!(
        text(&response),
        r#"{"results":[]}"#,
        "GET must return the body intact"
    );
    assert_eq!(
        response.headers()["x-ratelimit-remaining"],
        "41",
        "response headers must come back"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "the content type must come back"
    );
    let multi: Vec<_> = response.headers().get_all("x-multi").iter().collect();
    assert_eq!(
        multi,
        ["one", "two"],
        "a repeated response header must keep all its values"
    );
    assert!(
        mock.matched(),
        "the query and custom request headers must reach the server exactly once"
    );
}

fn post_bodies(s: &Suite<'_>) {
    let mut server = Server::new();
    let form = "grant_type=password&username=ana&password=p%40ss%26w%C3%B6rd";
    let form_mock = server
        .mock("POST", "/oauth/token")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_header("content-length", form.len().to_string().as_str())
        .match_body(form)
        .with_status(200)
        .with_body(r#"{"access_token":"x"}"#)
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/oauth/token", server.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.as_bytes().to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(response.status(), 200);
    assert_eq!(text(&response), r#"{"access_token":"x"}"#);
    assert!(
        form_mock.matched(),
        "a form POST must arrive once with its body and content type intact"
    );

    let json = r#"{"name":"zoë 🦊","n":[1,2.5,null],"nested":{"ok":true}}"#;
    let json_mock = server
        .mock("POST", "/api/items")
        .match_header("content-type", "application/json")
        .match_body(json)
        .with_status(201)
        .with_body("created")
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/api/items", server.url()))
        .header("content-type", "application/json")
        .body(json.as_bytes().to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(response.status(), 201);
    assert_eq!(text(&response), "created");
    assert!(
        json_mock.matched(),
        "a JSON POST must arrive once with its UTF-8 body and content type intact"
    );

    let empty_mock = server
        .mock("POST", "/api/empty")
        .match_header("content-length", "0")
        .with_status(204)
        .expect(1)
        .create();
    let response = s.ok(http::Request::post(format!("{}/api/empty", server.url()))
        .body(Vec::new())
        .expect("test request"));
    assert_eq!(response.status(), 204);
    assert!(response.body().is_empty());
    assert!(
        empty_mock.matched(),
        "an empty POST must be sent with Content-Length: 0"
    );
}

fn statuses_are_responses(s: &Suite<'_>) {
    let mut server = Server::new();
    for status in [200u16, 400, 401, 500] {
        let body = format!(r#"{{"error":"status {status}"}}"#);
        let mock = server
            .mock("GET", format!("/status/{status}").as_str())
            .with_status(usize::from(status))
            .with_header("www-authenticate", "Bearer error=\"invalid_token\"")
            .with_body(&body)
            .expect(1)
            .create();
        let response = s.ok(get(&format!("{}/status/{status}", server.url())));
        assert_eq!(
            response.status(),
            status,
            "HTTP {status} must come back as a response"
        );
        assert_eq!(
            text(&response),
            body,
            "the body of an HTTP {status} must come back"
        );
        assert!(
            response.headers().contains_key("www-authenticate"),
            "the headers of an HTTP {status} must come back"
        );
        assert!(
            mock.matched(),
            "HTTP {status} must be requested exactly once (no retry)"
        );
    }
}

fn user_agent(s: &Suite<'_>) {
    let mut server = Server::new();
    let default_ua = concat!("authctl/", env!("CARGO_PKG_VERSION"));
    let mock = server
        .mock("GET", "/ua")
        .match_header("user-agent", default_ua)
        .with_body("ok")
        .expect(1)
        .create();
    let response = s.ok(get(&format!("{}/ua", server.url())));
    assert_eq!(response.status(), 200);
    assert!(
        mock.matched(),
        "the default User-Agent must be exactly {default_ua}"
    );

    let own = server
        .mock("GET", "/own-ua")
        .match_header("user-agent", "my-app/2.0")
        .with_body("ok")
        .expect(1)
        .create();
    let request = http::Request::get(format!("{}/own-ua", server.url()))
        .header("user-agent", "my-app/2.0")
        .body(Vec::new())
        .expect("test request");
    assert_eq!(s.ok(request).status(), 200);
    assert!(
        own.matched(),
        "a User-Agent set on the request must be sent instead of the configured one"
    );

    let configured = server
        .mock("GET", "/configured-ua")
        .match_header("user-agent", "inat-uploader/0.3")
        .with_body("ok")
        .expect(1)
        .create();
    let config = HttpConfig::default().with_user_agent("inat-uploader/0.3");
    let response = s
        .send_with(config, get(&format!("{}/configured-ua", server.url())))
        .expect("request with a configured user agent");
    assert_eq!(response.status(), 200);
    assert!(
        configured.matched(),
        "the configured user_agent must be sent"
    );
}

fn read_timeout(s: &Suite<'_>) {
    let server = RawServer::start(|_, mut stream| {
        read_request(&mut stream);
        // Never answer within the client's read timeout.
        thread::sleep(Duration::from_secs(3));
    });
    let config = HttpConfig::default().with_read_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let result = s.send_with(config, get(&format!("http://{}/slow", server.addr)));
    let elapsed = started.elapsed();
    let (kind, host) = transport_kind(&result).unwrap_or_else(|| {
        panic!(
            "a server that does not answer must give a Transport error, got {}",
            describe(&result)
        )
    });
    assert_eq!(
        kind,
        TransportErrorKind::ReadTimeout,
        "a server that does not answer must be a read timeout"
    );
    assert_eq!(
        host,
        server.addr.to_string(),
        "the error must name host:port"
    );
    assert!(
        elapsed < Duration::from_millis(2500),
        "the 300 ms read timeout must fire well before the server's 3 s delay (took {elapsed:?})"
    );
    assert!(
        elapsed >= Duration::from_millis(250),
        "the read timeout fired before 300 ms ({elapsed:?})"
    );
}

fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    port
}

fn connection_refused(s: &Suite<'_>) {
    let port = refused_port();
    let config = HttpConfig::default().with_max_retries(0);
    let request = http::Request::get(format!(
        "http://127.0.0.1:{port}/callback?code={SECRET_CODE}&state=st4te-value"
    ))
    .header("authorization", TOKEN)
    .body(Vec::new())
    .expect("test request");
    let result = s.send_with(config, request);
    let (kind, host) = transport_kind(&result).unwrap_or_else(|| {
        panic!(
            "a refused connection must be a Transport error, got {}",
            describe(&result)
        )
    });
    assert_eq!(kind, TransportErrorKind::ConnectionRefused);
    assert_eq!(
        host,
        format!("127.0.0.1:{port}"),
        "the error must name host:port"
    );
    let err = result.expect_err("checked above");
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains(&format!("127.0.0.1:{port}")),
        "the message must name the host: {err}"
    );
    for secret in [SECRET_CODE, "st4te-value", "conformance-token-3f9a"] {
        assert!(
            !shown.contains(secret),
            "a transport error must not show the query or header values, found {secret:?} in {shown}"
        );
    }

    // A POST to a refused port is not retried either, and fails the same way.
    let post = http::Request::post(format!("http://127.0.0.1:{port}/token"))
        .body(b"a=b".to_vec())
        .expect("test request");
    let result = s.send(post);
    assert_eq!(
        transport_kind(&result).map(|(k, _)| k),
        Some(TransportErrorKind::ConnectionRefused),
        "POST to a refused port: got {}",
        describe(&result)
    );
}

fn tls_failure(s: &Suite<'_>) {
    let server = RawServer::start(|_, mut stream| {
        let mut buf = [0u8; 1024];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let config = HttpConfig::default().with_read_timeout(Duration::from_secs(5));
    let result = s.send_with(config, get(&format!("https://{}/", server.addr)));
    assert_eq!(
        transport_kind(&result),
        Some((TransportErrorKind::Tls, server.addr.to_string())),
        "https:// to a server that does not speak TLS must be a Tls transport error naming \
         host:port, got {}",
        describe(&result)
    );
}

fn response_size_cap(s: &Suite<'_>) {
    let mut server = Server::new();
    let config = HttpConfig::default().with_max_response_bytes(1024);
    let big = "x".repeat(4096);
    server
        .mock("GET", "/big")
        .match_query(Matcher::Any)
        .with_body(&big)
        .create();
    server
        .mock("GET", "/big-chunked")
        .match_query(Matcher::Any)
        .with_chunked_body(move |w| {
            for _ in 0..4 {
                w.write_all(&[b'y'; 1024])?;
            }
            Ok(())
        })
        .create();
    server
        .mock("GET", "/exact")
        .with_body("z".repeat(1024))
        .create();

    for path in ["/big", "/big-chunked"] {
        let result = s.send_with(
            config.clone(),
            get(&format!("{}{path}?code={SECRET_CODE}", server.url())),
        );
        match &result {
            Err(e @ Error::ResponseTooLarge { limit, .. }) => {
                assert_eq!(*limit, 1024, "the error must state the configured cap");
                assert!(
                    !e.to_string().contains(SECRET_CODE),
                    "ResponseTooLarge must not show the query: {e}"
                );
            }
            _ => panic!(
                "a 4 KiB body ({path}) over a 1 KiB cap must be ResponseTooLarge, got {}",
                describe(&result)
            ),
        }
    }
    let response = s
        .send_with(config, get(&format!("{}/exact", server.url())))
        .expect("a body exactly at the cap must be accepted");
    assert_eq!(response.body().len(), 1024);
}

fn endless_body(s: &Suite<'_>) {
    const OFFERED: u64 = 256 * 1024 * 1024;
    let written = Arc::new(AtomicU64::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    let counter = written.clone();
    let server = RawServer::start(move |_, mut stream| {
        read_request(&mut stream);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_ok() {
            let chunk = vec![b'e'; 64 * 1024];
            while counter.load(Ordering::SeqCst) < OFFERED {
                if stream.write_all(&chunk).is_err() {
                    break;
                }
                counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
        let _ = done_tx.send(());
    });
    let config = HttpConfig::default().with_max_response_bytes(1024);
    let result = s.send_with(config, get(&format!("http://{}/endless", server.addr)));
    assert!(
        matches!(result, Err(Error::ResponseTooLarge { limit: 1024, .. })),
        "a body without length that never ends must be ResponseTooLarge, got {}",
        describe(&result)
    );
    let finished = done_rx.recv_timeout(Duration::from_secs(20)).is_ok();
    let sent = written.load(Ordering::SeqCst);
    assert!(
        finished && sent < OFFERED,
        "the backend must stop reading (and drop the connection) past the cap; the server \
         wrote {sent} bytes of {OFFERED}"
    );
}

fn insecure_http(s: &Suite<'_>) {
    // A local server reached through a host that is not "loopback" by name:
    // [::ffff:127.0.0.1], the IPv4-mapped form of 127.0.0.1. Nothing leaves the machine.
    let server = RawServer::start(|_, mut stream| {
        if read_request(&mut stream) {
            respond(&mut stream, 200, "plain ok");
        }
    });
    let port = server.addr.port();
    let mapped = format!("http://[::ffff:127.0.0.1]:{port}/data?code={SECRET_CODE}");

    for url in [mapped.as_str(), "http://example.invalid/token"] {
        let result = s.send(get(url));
        match &result {
            Err(e @ Error::InsecureTransport { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains("insecure_http")
                        && e.hint() == Some(auth_core::Hint::InsecureHttp),
                    "the error must say how to opt in: {message}"
                );
                assert!(
                    !message.contains(SECRET_CODE),
                    "the error must not show the query: {message}"
                );
            }
            _ => panic!(
                "http:// to a non-loopback host ({url}) must be InsecureTransport before any \
                 lookup or connection, got {}",
                describe(&result)
            ),
        }
    }
    assert_eq!(
        server.connections(),
        0,
        "a refused http:// request must not open a connection"
    );

    // Loopback hosts are fine without opting in.
    let response = s.ok(get(&format!("http://127.0.0.1:{port}/data")));
    assert_eq!(text(&response), "plain ok");
    let before = server.connections();

    // With the opt-in, the request proceeds.
    let config = HttpConfig::default()
        .with_allow_insecure_http(true)
        .with_max_retries(0);
    let mapped_reachable = TcpStream::connect(("::ffff:127.0.0.1", port)).is_ok();
    let result = s.send_with(config, get(&mapped));
    if mapped_reachable {
        let response = result.unwrap_or_else(|e| {
            panic!("with allow_insecure_http, http:// to a non-loopback host must proceed: {e}")
        });
        assert_eq!(text(&response), "plain ok");
        assert!(server.connections() >= before + 2);
    } else {
        // This system does not route IPv4-mapped addresses: the request was at least
        // attempted instead of refused.
        assert!(
            !matches!(result, Err(Error::InsecureTransport { .. })),
            "with allow_insecure_http, http:// must not be refused"
        );
    }
}

fn redirects_and_credentials(s: &Suite<'_>) {
    let mut a = Server::new();
    let mut b = Server::new();

    // Within the origin, with a relative Location: credentials stay.
    a.mock("GET", "/here")
        .with_status(302)
        .with_header("location", "there?x=1")
        .create();
    let kept = a
        .mock("GET", "/there")
        .match_query(Matcher::UrlEncoded("x".into(), "1".into()))
        .match_header("authorization", TOKEN)
        .with_body("kept")
        .expect(1)
        .create();
    let request = http::Request::get(format!("{}/here", a.url()))
        .header("authorization", TOKEN)
        .body(Vec::new())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        (response.status().as_u16(), text(&response).as_str()),
        (200, "kept"),
        "a same-origin redirect with a relative Location must be followed"
    );
    assert!(
        kept.matched(),
        "a same-origin redirect must keep the Authorization header"
    );

    // To another origin (another port): Authorization and Cookie are dropped.
    a.mock("GET", "/leave")
        .with_status(301)
        .with_header("location", &format!("{}/landing", b.url()))
        .create();
    let landed = b
        .mock("GET", "/landing")
        .match_header("authorization", Matcher::Missing)
        .match_header("cookie", Matcher::Missing)
        .match_header("x-keep", "yes")
        .with_body("landed")
        .expect(1)
        .create();
    let request = http::Request::get(format!("{}/leave", a.url()))
        .header("authorization", TOKEN)
        .header("cookie", "session=abc123")
        .header("x-keep", "yes")
        .body(Vec::new())
        .expect("test request");
    let response = s.ok(request);
    assert!(
        landed.matched(),
        "a redirect to another origin must drop Authorization and Cookie (and keep other \
         headers); got {} {:?}",
        response.status(),
        text(&response)
    );
    assert_eq!(text(&response), "landed");

    // A redirect to plain http on a non-loopback host is refused like a first URL.
    a.mock("GET", "/downgrade")
        .with_status(302)
        .with_header("location", "http://example.invalid/x")
        .create();
    let result = s.send(get(&format!("{}/downgrade", a.url())));
    assert!(
        matches!(result, Err(Error::InsecureTransport { .. })),
        "a redirect target must pass the same transport check, got {}",
        describe(&result)
    );
}

fn redirect_methods(s: &Suite<'_>) {
    let mut a = Server::new();
    let mut b = Server::new();

    // 303 after a POST: a GET without body or body headers.
    a.mock("POST", "/submit")
        .with_status(303)
        .with_header("location", "/result")
        .create();
    let result_mock = a
        .mock("GET", "/result")
        .match_header("content-type", Matcher::Missing)
        .match_body("")
        .with_body("result")
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/submit", a.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"a=1".to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(text(&response), "result");
    assert!(
        result_mock.matched(),
        "a 303 must be followed with a GET without body"
    );

    // 307 within the origin keeps method and body.
    a.mock("POST", "/v1/upload")
        .with_status(307)
        .with_header("location", "/v2/upload")
        .create();
    let moved = a
        .mock("POST", "/v2/upload")
        .match_header("content-type", "application/json")
        .match_body(r#"{"k":"v"}"#)
        .with_status(201)
        .expect(1)
        .create();
    let request = http::Request::post(format!("{}/v1/upload", a.url()))
        .header("content-type", "application/json")
        .body(br#"{"k":"v"}"#.to_vec())
        .expect("test request");
    assert_eq!(s.ok(request).status(), 201);
    assert!(
        moved.matched(),
        "a same-origin 307 must repeat the method and body"
    );

    // 307 to another origin with a body: returned, not followed.
    a.mock("POST", "/away")
        .with_status(307)
        .with_header("location", &format!("{}/elsewhere", b.url()))
        .create();
    let elsewhere = b.mock("POST", "/elsewhere").expect(0).create();
    let request = http::Request::post(format!("{}/away", a.url()))
        .body(b"secret=form".to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        response.status(),
        307,
        "a 307 carrying a body to another origin must be returned, not followed"
    );
    assert!(
        elsewhere.matched(),
        "the body must not reach the other origin"
    );
}

fn redirect_limits(s: &Suite<'_>) {
    let mut server = Server::new();
    let looping = server
        .mock("GET", "/loop")
        .with_status(302)
        .with_header("location", "/loop")
        .expect(4)
        .create();
    let config = HttpConfig::default().with_max_redirects(3);
    let result = s.send_with(config, get(&format!("{}/loop", server.url())));
    assert_eq!(
        transport_kind(&result).map(|(k, _)| k),
        Some(TransportErrorKind::TooManyRedirects),
        "a redirect loop must end in TooManyRedirects, got {}",
        describe(&result)
    );
    assert!(
        looping.matched(),
        "max_redirects = 3 means the first request plus 3 redirects"
    );
}

fn token_endpoint_not_redirected(s: &Suite<'_>) {
    let mut server = Server::new();
    server
        .mock("POST", "/oauth/token")
        .with_status(302)
        .with_header("location", "/login")
        .create();
    server
        .mock("GET", "/oauth/token-get")
        .with_status(301)
        .with_header("location", "/login")
        .create();
    let login = server.mock("GET", "/login").expect(0).create();
    let post = http::Request::post(format!("{}/oauth/token", server.url()))
        .header("authorization", "Basic Y2xpZW50OnNlY3JldA==")
        .body(b"grant_type=client_credentials".to_vec())
        .expect("test request");
    let response = s.ok(with_kind(post, RequestKind::TokenEndpoint));
    assert_eq!(
        response.status(),
        302,
        "a token endpoint redirect must be returned as is"
    );
    assert_eq!(response.headers()["location"], "/login");
    let response = s.ok(with_kind(
        get(&format!("{}/oauth/token-get", server.url())),
        RequestKind::TokenEndpoint,
    ));
    assert_eq!(response.status(), 301);
    assert!(
        login.matched(),
        "a token endpoint request must never follow a redirect"
    );
}

fn retry_on_503_and_429(s: &Suite<'_>) {
    let mut server = Server::new();
    // mockito answers with the first matching mock that still expects hits.
    let unavailable = server
        .mock("GET", "/flaky")
        .with_status(503)
        .with_header("retry-after", "1")
        .with_body("down")
        .expect(1)
        .create();
    let recovered = server
        .mock("GET", "/flaky")
        .with_body("recovered")
        .expect(1)
        .create();
    let started = Instant::now();
    let response = s.ok(get(&format!("{}/flaky", server.url())));
    let waited = started.elapsed();
    assert_eq!(
        (response.status().as_u16(), text(&response).as_str()),
        (200, "recovered"),
        "a GET answered 503 must be retried"
    );
    assert!(
        unavailable.matched() && recovered.matched(),
        "503 then 200: exactly 2 hits"
    );
    assert!(
        waited >= Duration::from_millis(900),
        "Retry-After: 1 must be honoured (waited {waited:?})"
    );

    let limited = server
        .mock("GET", "/limited")
        .with_status(429)
        .with_header("retry-after", "0")
        .expect(1)
        .create();
    let fine = server
        .mock("GET", "/limited")
        .with_body("fine")
        .expect(1)
        .create();
    let response = s.ok(get(&format!("{}/limited", server.url())));
    assert_eq!(
        text(&response),
        "fine",
        "a GET answered 429 must be retried"
    );
    assert!(
        limited.matched() && fine.matched(),
        "429 then 200: exactly 2 hits"
    );

    // PUT is idempotent too; no Retry-After means the exponential backoff.
    let put_busy = server
        .mock("PUT", "/doc")
        .with_status(503)
        .expect(1)
        .create();
    let put_ok = server
        .mock("PUT", "/doc")
        .match_body("v2")
        .expect(1)
        .create();
    let request = http::Request::put(format!("{}/doc", server.url()))
        .body(b"v2".to_vec())
        .expect("test request");
    assert_eq!(s.ok(request).status(), 200);
    assert!(
        put_busy.matched() && put_ok.matched(),
        "a PUT answered 503 must be retried with the same body"
    );
}

fn no_retry_for_post_or_token(s: &Suite<'_>) {
    let mut server = Server::new();
    let busy = server
        .mock("POST", "/busy")
        .with_status(503)
        .with_header("retry-after", "0")
        .with_body("busy")
        .expect(1)
        .create();
    let second = server.mock("POST", "/busy").expect(0).create();
    let request = http::Request::post(format!("{}/busy", server.url()))
        .body(b"x=1".to_vec())
        .expect("test request");
    let response = s.ok(request);
    assert_eq!(
        (response.status().as_u16(), text(&response).as_str()),
        (503, "busy"),
        "a POST answered 503 must return the 503"
    );
    assert!(
        busy.matched() && second.matched(),
        "a POST must never be retried (1 hit)"
    );

    let token_busy = server
        .mock("GET", "/token-busy")
        .with_status(503)
        .with_header("retry-after", "0")
        .expect(1)
        .create();
    let token_second = server.mock("GET", "/token-busy").expect(0).create();
    let response = s.ok(with_kind(
        get(&format!("{}/token-busy", server.url())),
        RequestKind::TokenEndpoint,
    ));
    assert_eq!(response.status(), 503);
    assert!(
        token_busy.matched() && token_second.matched(),
        "a token endpoint request must never be retried, even a GET"
    );
}

fn retry_bounds(s: &Suite<'_>) {
    let mut server = Server::new();
    let down = server
        .mock("GET", "/down")
        .with_status(503)
        .with_header("retry-after", "0")
        .expect(2)
        .create();
    let config = HttpConfig::default().with_max_retries(1);
    let response = s
        .send_with(config, get(&format!("{}/down", server.url())))
        .expect("the last 503 must be returned as a response");
    assert_eq!(response.status(), 503);
    assert!(down.matched(), "max_retries = 1 means exactly 2 attempts");

    let slow = server
        .mock("GET", "/later")
        .with_status(503)
        .with_header("retry-after", "3600")
        .expect(1)
        .create();
    let later = server
        .mock("GET", "/later")
        .with_body("now")
        .expect(1)
        .create();
    let config = HttpConfig::default().with_max_retry_wait(Duration::from_millis(100));
    let started = Instant::now();
    let response = s
        .send_with(config, get(&format!("{}/later", server.url())))
        .expect("retry after a capped wait");
    assert_eq!(text(&response), "now");
    assert!(slow.matched() && later.matched());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "Retry-After must be capped at max_retry_wait"
    );
}

fn retry_after_dropped_connection(s: &Suite<'_>) {
    // The first connection is closed without an answer; later ones are answered.
    let server = RawServer::start(|n, mut stream| {
        if read_request(&mut stream) && n > 0 {
            respond(&mut stream, 200, "second time lucky");
        }
    });
    let response = s.ok(get(&format!("http://{}/reset", server.addr)));
    assert_eq!(
        text(&response),
        "second time lucky",
        "a GET whose connection was closed without an answer must be retried"
    );
    assert_eq!(server.connections(), 2);

    let server = RawServer::start(|n, mut stream| {
        if read_request(&mut stream) && n > 0 {
            respond(&mut stream, 200, "must not be reached");
        }
    });
    let post = http::Request::post(format!("http://{}/reset", server.addr))
        .body(b"once=1".to_vec())
        .expect("test request");
    let result = s.send(post);
    assert_eq!(
        transport_kind(&result).map(|(k, _)| k),
        Some(TransportErrorKind::ConnectionReset),
        "a POST whose connection was closed without an answer must be a ConnectionReset \
         error, got {}",
        describe(&result)
    );
    assert_eq!(server.connections(), 1, "a POST must never be retried");
}

/// A tiny HTTP/1.1 server on 127.0.0.1 for what mockito cannot express: slow answers,
/// dropped connections, endless bodies, non-TLS answers to TLS. The handler gets the
/// connection's index (0 for the first) and the stream.
struct RawServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    fn start<H>(handler: H) -> RawServer
    where
        H: Fn(usize, TcpStream) + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test server");
        let addr = listener.local_addr().expect("local addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let (count, stopping) = (accepted.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    handler(n, stream);
                });
            }
        });
        RawServer {
            addr,
            accepted,
            stop,
        }
    }

    fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads one request (head and a `Content-Length` body). False when the peer sent none.
fn read_request(stream: &mut TcpStream) -> bool {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    let mut lines = 0;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        lines += 1;
        if line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    lines > 1 && reader.read_exact(&mut body).is_ok()
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status} OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}
