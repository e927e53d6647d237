//! The loopback redirect server, driven by a "browser": `ureq` where the browser behaves,
//! raw HTTP/1.1 bytes over `TcpStream` where a test sends what a normal client would not
//! (a HEAD whose body must be absent, an absolute-form target, malformed escapes, hostile
//! bytes).
#![cfg(feature = "loopback")]

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use auth_core::{Error, Secret};
use auth_flows::loopback::{
    AuthorizationCallback, CallbackVerdict, IssuerCheck, LoopbackConfig, LoopbackServer,
    MAX_REJECTED_CALLBACKS,
};

const STATE: &str = "st4te-Zx9";

/// A server on a free port with a timeout long enough for any test.
fn server() -> LoopbackServer {
    server_with(LoopbackConfig::default().with_port(0))
}

fn server_with(config: LoopbackConfig) -> LoopbackServer {
    LoopbackServer::bind(config.with_timeout(Duration::from_secs(20))).expect("bind")
}

/// What the browser got back.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// A well-behaved client: every status is an answer, redirects are not followed.
fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

/// The answer as the tests read it: the head rebuilt as `Name: value` lines (names in
/// their usual capitalisation), and the body.
fn answer_of(mut response: http::Response<ureq::Body>) -> Answer {
    let mut head = format!("HTTP/1.1 {}", response.status());
    for (name, value) in response.headers() {
        let name: Vec<String> = name
            .as_str()
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        head.push_str(&format!(
            "\r\n{}: {}",
            name.join("-"),
            value.to_str().expect("an ASCII header value")
        ));
    }
    let body = response
        .body_mut()
        .read_to_string()
        .expect("read the answer");
    Answer {
        status: response.status().as_u16(),
        head,
        body,
    }
}

/// Sends raw bytes as one request and reads the answer until the server closes.
fn send_raw(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(request).expect("write request");
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).expect("read answer");
    let text = String::from_utf8(raw).expect("answer is UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// A request written by hand, for targets and methods a normal client would change.
fn request(addr: SocketAddr, method: &str, target: &str) -> Answer {
    send_raw(
        addr,
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: test\r\n\r\n")
            .as_bytes(),
    )
}

/// A browser's GET of `target` (origin form).
fn get(addr: SocketAddr, target: &str) -> Answer {
    let response = agent()
        .get(format!("http://{addr}{target}"))
        .call()
        .expect("GET");
    answer_of(response)
}

/// Runs the browser's steps on a thread while the flow waits.
fn browser<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> JoinHandle<R> {
    thread::spawn(f)
}

fn wait_code(server: LoopbackServer) -> Result<AuthorizationCallback, Error> {
    pollster::block_on(server.wait_for_code(&Secret::new(STATE)))
}

/// True once nothing listens on `addr` any more (polled for up to 2 s).
fn port_closed(addr: SocketAddr) -> bool {
    let until = Instant::now() + Duration::from_secs(2);
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return true,
            _ if Instant::now() > until => return false,
            _ => thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[test]
fn the_code_arrives_and_the_server_stops() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        get(
            addr,
            &format!("/?code=c0de%2Bx&state={STATE}&iss=https%3A%2F%2Fid.example"),
        )
    });
    let callback = wait_code(server).expect("the code");
    assert_eq!(callback.code.expose(), "c0de+x");
    assert_eq!(callback.query.get("iss"), Some("https://id.example"));
    assert!(!format!("{callback:?}").contains("c0de"));

    let answer = b.join().unwrap();
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("Signed in"), "{}", answer.body);
    assert!(
        answer
            .head
            .contains("Content-Type: text/html; charset=utf-8")
    );
    assert!(answer.head.contains("Connection: close"));
    assert!(
        !answer.body.contains("c0de"),
        "the page does not repeat the code"
    );
    // Stopped after the first valid callback: the port is closed already.
    assert!(port_closed(addr));
}

#[test]
fn wrong_state_fails_the_flow() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        (1..MAX_REJECTED_CALLBACKS)
            .map(|_| get(addr, "/?code=abc&state=forged"))
            .for_each(|refused| assert_eq!(refused.status, 400));
        get(addr, "/?code=abc&state=forged")
    });
    let err = wait_code(server).unwrap_err();
    assert!(matches!(err, Error::StateMismatch), "{err:?}");
    let answer = b.join().unwrap();
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("state"), "{}", answer.body);
    assert!(!answer.body.contains("abc"));
}

#[test]
fn missing_state_fails_the_flow() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        (1..MAX_REJECTED_CALLBACKS).for_each(|_| drop(get(addr, "/?code=abc")));
        get(addr, "/?code=abc")
    });
    assert!(matches!(wait_code(server), Err(Error::StateMismatch)));
    assert_eq!(b.join().unwrap().status, 400);
}

#[test]
fn an_empty_expected_state_is_refused() {
    let err = pollster::block_on(server().wait_for_code(&Secret::new(""))).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
}

#[test]
fn favicon_and_bare_requests_are_ignored_then_the_callback_succeeds() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        let favicon = get(addr, "/favicon.ico");
        let bare = get(addr, "/");
        let unrelated = get(addr, "/?foo=bar");
        let callback = get(addr, &format!("/?code=the-code&state={STATE}"));
        (favicon, bare, unrelated, callback)
    });
    let callback = wait_code(server).expect("the flow succeeds");
    assert_eq!(callback.code.expose(), "the-code");
    let (favicon, bare, unrelated, last) = b.join().unwrap();
    assert_eq!(favicon.status, 404);
    assert!(favicon.body.contains("<html"));
    assert_eq!(bare.status, 200);
    assert!(bare.body.contains("still waiting"), "{}", bare.body);
    assert_eq!(unrelated.status, 200);
    assert_eq!(last.status, 200);
    assert!(last.body.contains("Signed in"));
}

#[test]
fn a_custom_path_ignores_the_root() {
    let server = server_with(
        LoopbackConfig::default()
            .with_port(0)
            .with_path("/callback"),
    );
    let addr = server.local_addr();
    assert_eq!(
        server.redirect_uri(),
        format!("http://127.0.0.1:{}/callback", addr.port())
    );
    let b = browser(move || {
        let root = get(addr, &format!("/?code=wrong-place&state={STATE}"));
        let real = get(addr, &format!("/callback?code=right&state={STATE}"));
        (root, real)
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "right");
    let (root, real) = b.join().unwrap();
    assert_eq!((root.status, real.status), (404, 200));
}

#[test]
fn access_denied_carries_the_description() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        get(
            addr,
            &format!("/?error=access_denied&error_description=The+user+said+no&state={STATE}"),
        )
    });
    match wait_code(server).unwrap_err() {
        Error::AccessDenied { description } => {
            assert_eq!(description.as_deref(), Some("The user said no"));
        }
        other => panic!("expected access denied, got {other:?}"),
    }
    let answer = b.join().unwrap();
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("The user said no"), "{}", answer.body);
}

#[test]
fn another_error_code_is_an_oauth_error() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || get(addr, &format!("/?error=invalid_scope&state={STATE}")));
    match wait_code(server).unwrap_err() {
        Error::OAuth(e) => assert_eq!(e.code, "invalid_scope"),
        other => panic!("expected an OAuth error, got {other:?}"),
    }
    assert!(b.join().unwrap().body.contains("invalid_scope"));
}

#[test]
fn error_text_is_html_escaped() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        get(
            addr,
            &format!(
                "/?error=access_denied&error_description=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E&state={STATE}"
            ),
        )
    });
    assert!(matches!(wait_code(server), Err(Error::AccessDenied { .. })));
    let answer = b.join().unwrap();
    assert!(!answer.body.contains("<script>"), "{}", answer.body);
    assert!(answer.body.contains("&lt;script&gt;"), "{}", answer.body);
    assert!(
        answer
            .head
            .contains("Content-Security-Policy: default-src 'none'")
    );
}

#[test]
fn post_and_head_are_answered_and_not_taken_for_the_callback() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        let post = agent()
            .post(format!("http://{addr}/?code=posted&state={STATE}"))
            .content_type("application/x-www-form-urlencoded")
            .send(format!("code=posted&state={STATE}"))
            .map(answer_of)
            .expect("POST");
        // By hand: a client that knows HEAD would not read a body even if one were sent.
        let head = request(addr, "HEAD", &format!("/?code=headed&state={STATE}"));
        let real = get(addr, &format!("/?code=got&state={STATE}"));
        (post, head, real)
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "got");
    let (post, head, real) = b.join().unwrap();
    assert_eq!(post.status, 405);
    assert!(post.head.contains("Allow: GET"));
    assert!(post.body.contains("GET"));
    assert_eq!(head.status, 405);
    assert!(head.body.is_empty(), "HEAD gets no body: {:?}", head.body);
    assert_eq!(real.status, 200);
}

#[test]
fn a_10_kb_query_does_not_break_it() {
    let server = server();
    let addr = server.local_addr();
    let padding = "p".repeat(10 * 1024);
    let b = browser(move || get(addr, &format!("/?code=big&state={STATE}&padding={padding}")));
    let callback = wait_code(server).unwrap();
    assert_eq!(callback.code.expose(), "big");
    assert_eq!(callback.query.get("padding").map(str::len), Some(10 * 1024));
    assert_eq!(b.join().unwrap().status, 200);
}

#[test]
fn busy_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = LoopbackServer::bind(LoopbackConfig::default().with_port(port)).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(message.contains(&format!("port {port}")), "{message}");
    assert!(message.contains("already in use"), "{message}");
    assert!(message.contains("port 0"), "{message}");
    assert_eq!(err.hint(), Some(auth_core::Hint::OtherPort));
}

#[test]
fn bad_configuration_is_refused() {
    let err = LoopbackServer::bind(
        LoopbackConfig::default()
            .with_port(0)
            .with_host("0.0.0.0".parse().unwrap()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    let err = LoopbackServer::bind(LoopbackConfig::default().with_port(0).with_path("callback"))
        .unwrap_err();
    assert!(err.to_string().contains("must start with `/`"), "{err}");
}

#[test]
fn timeout_names_the_redirect_uri() {
    let server = LoopbackServer::bind(
        LoopbackConfig::default()
            .with_port(0)
            .with_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let addr = server.local_addr();
    let uri = server.redirect_uri();
    let started = Instant::now();
    let err = wait_code(server).unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    match &err {
        Error::TimedOut { what, waited } => {
            assert_eq!(what, &format!("the browser to return to {uri}"));
            assert_eq!(*waited, Duration::from_millis(300));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("more time"));
    assert_eq!(err.hint(), Some(auth_core::Hint::LongerTimeout));
    assert!(port_closed(addr));
}

#[test]
fn port_0_gives_a_real_port_in_the_redirect_uri() {
    let server = server();
    let port = server.local_addr().port();
    assert_ne!(port, 0);
    assert_eq!(server.redirect_uri(), format!("http://127.0.0.1:{port}/"));
    let b = browser(move || {
        get(
            SocketAddr::from(([127, 0, 0, 1], port)),
            &format!("/?code=p&state={STATE}"),
        )
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "p");
    b.join().unwrap();
}

#[test]
fn ipv6_loopback_when_available() {
    let config = LoopbackConfig::default()
        .with_host(IpAddr::V6(Ipv6Addr::LOCALHOST))
        .with_port(0);
    let server = match LoopbackServer::bind(config) {
        Ok(server) => server,
        // No IPv6 on this machine: the error must say so and suggest 127.0.0.1.
        Err(e) => {
            assert!(e.to_string().contains("127.0.0.1"), "{e}");
            return;
        }
    };
    let addr = server.local_addr();
    assert_eq!(
        server.redirect_uri(),
        format!("http://[::1]:{}/", addr.port())
    );
    let b = browser(move || get(addr, &format!("/?code=six&state={STATE}")));
    assert_eq!(wait_code(server).unwrap().code.expose(), "six");
    b.join().unwrap();
}

#[test]
fn works_under_pollster_without_a_runtime() {
    // No tokio runtime exists on this thread: pollster drives the wait.
    assert!(tokio::runtime::Handle::try_current().is_err());
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || get(addr, &format!("/?code=poll&state={STATE}")));
    assert_eq!(wait_code(server).unwrap().code.expose(), "poll");
    b.join().unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_a_current_thread_tokio_runtime() {
    let server = server();
    let addr = server.local_addr();
    // The browser is a task of the same single-threaded runtime: the wait must not block it.
    let b = tokio::task::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::task::spawn_blocking(move || get(addr, &format!("/?code=tokio&state={STATE}")))
            .await
            .unwrap()
    });
    let callback = server.wait_for_code(&Secret::new(STATE)).await.unwrap();
    assert_eq!(callback.code.expose(), "tokio");
    assert_eq!(b.await.unwrap().status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_multi_thread_tokio_runtime() {
    let server = server();
    let addr = server.local_addr();
    let b = tokio::task::spawn_blocking(move || get(addr, &format!("/?code=multi&state={STATE}")));
    // tokio::spawn needs a Send future: this checks that the wait future is Send.
    let callback = tokio::spawn(async move { server.wait_for_code(&Secret::new(STATE)).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(callback.code.expose(), "multi");
    assert_eq!(b.await.unwrap().status, 200);
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_the_future_stops_the_server() {
    let server = server();
    let addr = server.local_addr();
    let waited = tokio::time::timeout(
        Duration::from_millis(100),
        server.wait_for_code(&Secret::new(STATE)),
    )
    .await;
    assert!(
        waited.is_err(),
        "nothing arrived, so the wait was still pending"
    );
    assert!(
        tokio::task::spawn_blocking(move || port_closed(addr))
            .await
            .unwrap()
    );
}

#[test]
fn the_generic_wait_serves_oauth1_callbacks() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        let partial = get(addr, "/?oauth_token=t0k");
        let full = get(addr, "/?oauth_token=t0k&oauth_verifier=v3r");
        (partial, full)
    });
    let (token, verifier) = pollster::block_on(server.wait(|q| {
        match (q.get("oauth_token"), q.get("oauth_verifier")) {
            (Some(t), Some(v)) => CallbackVerdict::Accept((t.to_owned(), v.to_owned())),
            _ => CallbackVerdict::Ignore,
        }
    }))
    .unwrap();
    assert_eq!((token.as_str(), verifier.as_str()), ("t0k", "v3r"));
    let (partial, full) = b.join().unwrap();
    assert_eq!((partial.status, full.status), (200, 200));
}

#[test]
fn a_failing_check_ends_the_flow_with_its_error() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || get(addr, "/?denied=t0k"));
    let err = pollster::block_on(server.wait(|q| -> CallbackVerdict<()> {
        if q.get("denied").is_some() {
            CallbackVerdict::Fail(Error::AccessDenied { description: None })
        } else {
            CallbackVerdict::Ignore
        }
    }))
    .unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }));
    assert_eq!(b.join().unwrap().status, 400);
}

#[test]
fn absolute_form_targets_are_understood() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        request(
            addr,
            "GET",
            &format!("http://{addr}/?code=abs&state={STATE}"),
        )
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "abs");
    b.join().unwrap();
}

#[test]
fn bad_percent_escapes_are_kept_as_they_are() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        request(
            addr,
            "GET",
            &format!("/?code=%zz%25%&x=%E0%A4%A&state={STATE}"),
        )
    });
    let callback = wait_code(server).unwrap();
    assert_eq!(callback.code.expose(), "%zz%%");
    assert_eq!(b.join().unwrap().status, 200);
}

#[test]
fn hostile_requests_before_the_callback_are_ignored() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        let idle = TcpStream::connect(addr).unwrap();
        let bad_bytes = send_raw(addr, b"GET /?code=\xff\xfe&state=x HTTP/1.1\r\n\r\n");
        let garbage = send_raw(addr, b"\x00\x01\x02 nonsense\r\n\r\n");
        let cookie = send_raw(
            addr,
            b"GET /favicon.ico HTTP/1.1\r\nCookie: name=\xc3\xa9\xff\r\n\r\n",
        );
        let huge_header = {
            let mut conn = TcpStream::connect(addr).unwrap();
            let mut request = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
            request.extend(std::iter::repeat_n(b'a', 200 * 1024));
            request.extend_from_slice(b"\r\n\r\n");
            let _ = conn.write_all(&request);
            let mut answer = Vec::new();
            let _ = conn.read_to_end(&mut answer);
            String::from_utf8_lossy(&answer).into_owned()
        };
        let started = Instant::now();
        let real = get(addr, &format!("/?code=survived&state={STATE}"));
        let real_took = started.elapsed();
        drop(idle);
        (bad_bytes, garbage, cookie, huge_header, real, real_took)
    });
    let callback = wait_code(server).expect("the flow survives hostile requests");
    assert_eq!(callback.code.expose(), "survived");
    let (bad_bytes, garbage, cookie, huge_header, real, real_took) = b.join().unwrap();
    assert_eq!(bad_bytes.status, 400);
    assert_eq!(garbage.status, 400);
    assert_eq!(cookie.status, 404, "non-ASCII header values are tolerated");
    assert!(
        huge_header.is_empty() || huge_header.starts_with("HTTP/1.1 431 "),
        "{huge_header:.100}"
    );
    assert_eq!(real.status, 200);
    assert!(
        real_took < Duration::from_secs(2),
        "an idle connection delayed the callback: {real_took:?}"
    );
}

#[test]
fn a_stray_navigation_with_a_wrong_state_does_not_end_the_login() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        let stray = get(addr, "/?code=x&state=x");
        let real = get(addr, &format!("/?code=real&state={STATE}"));
        (stray, real)
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "real");
    let (stray, real) = b.join().unwrap();
    assert_eq!(stray.status, 400);
    assert!(stray.body.contains("state"), "{}", stray.body);
    assert_eq!(real.status, 200);
}

#[test]
fn another_host_name_is_refused_and_the_wait_goes_on() {
    let server = server();
    let addr = server.local_addr();
    let port = addr.port();
    let b = browser(move || {
        let target = format!("/?code=rebound&state={STATE}");
        let rebound = send_raw(
            addr,
            format!("GET {target} HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n").as_bytes(),
        );
        let no_host = send_raw(addr, format!("GET {target} HTTP/1.1\r\n\r\n").as_bytes());
        let absolute = send_raw(
            addr,
            format!("GET http://evil.example:{port}{target} HTTP/1.1\r\nHost: {addr}\r\n\r\n")
                .as_bytes(),
        );
        let localhost = send_raw(
            addr,
            format!("GET /?code=fine&state={STATE} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n")
                .as_bytes(),
        );
        (rebound, no_host, absolute, localhost)
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "fine");
    let (rebound, no_host, absolute, localhost) = b.join().unwrap();
    for refused in [&rebound, &no_host, &absolute] {
        assert_eq!(refused.status, 421, "{refused:?}");
        assert!(!refused.body.contains("rebound"));
    }
    assert_eq!(localhost.status, 200);
}

#[test]
fn idle_connections_do_not_take_the_callbacks_slot() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        let idle: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(addr).unwrap()).collect();
        // Let the server accept them all and start their readers.
        thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let real = get(addr, &format!("/?code=through&state={STATE}"));
        (real, started.elapsed(), idle)
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "through");
    let (real, took, _idle) = b.join().unwrap();
    assert_eq!(real.status, 200);
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn a_silent_connection_is_dropped_after_about_two_seconds() {
    let server = server();
    let addr = server.local_addr();
    let b = browser(move || {
        let mut silent = TcpStream::connect(addr).unwrap();
        silent
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let started = Instant::now();
        let mut rest = Vec::new();
        let closed = silent.read_to_end(&mut rest).map(|_| rest.is_empty());
        let took = started.elapsed();
        let real = get(addr, &format!("/?code=after&state={STATE}"));
        (closed.ok(), took, real)
    });
    assert_eq!(wait_code(server).unwrap().code.expose(), "after");
    let (closed, took, real) = b.join().unwrap();
    assert_eq!(closed, Some(true), "closed without an answer");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(real.status, 200);
}

#[test]
fn a_wrong_or_missing_iss_fails_the_flow_and_shows_why() {
    for (target, what) in [
        (
            format!("/?code=c&state={STATE}&iss=https%3A%2F%2Fevil.example"),
            "evil.example",
        ),
        (
            format!("/?code=c&state={STATE}&iss=https%3A%2F%2Fid.example%2F"),
            "id.example/",
        ),
        (format!("/?code=c&state={STATE}"), "no `iss`"),
    ] {
        let server = server();
        let addr = server.local_addr();
        let b = browser(move || get(addr, &target));
        let mut provider = auth_core::Provider::new("idp").with_issuer("https://id.example");
        provider.authorization_response_iss_parameter_supported = true;
        let err = pollster::block_on(
            server.wait_for_response(&Secret::new(STATE), IssuerCheck::for_provider(&provider)),
        )
        .unwrap_err();
        assert!(matches!(err, Error::IssuerMismatch { .. }), "{err:?}");
        assert!(err.to_string().contains("mix-up"), "{err}");
        assert!(err.to_string().contains(what), "{err}");
        let page = b.join().unwrap();
        assert_eq!(page.status, 400);
        assert!(page.body.contains("mix-up"), "{}", page.body);
    }
}

#[test]
fn a_pasted_address_is_checked_like_the_redirect() {
    let server = server();
    let paste = server.redirect_paste();
    let uri = server.redirect_uri();
    let port = server.local_addr().port();
    let person = browser(move || {
        let refused = [
            paste.submit("code=abc&state=st4te-Zx9").unwrap_err(),
            paste
                .submit(&format!(
                    "http://evil.example:{port}/?code=abc&state={STATE}"
                ))
                .unwrap_err(),
            paste
                .submit(&format!("{uri}?code=abc&state=forged"))
                .unwrap_err(),
            paste.submit(&format!("{uri}?nothing=here")).unwrap_err(),
        ];
        let accepted = paste.submit(&format!(
            " http://localhost:{port}/?code=pasted&state={STATE}\n"
        ));
        let late = paste.submit(&format!("{uri}?code=late&state={STATE}"));
        (refused, accepted, late, paste.is_waiting())
    });
    let callback = wait_code(server).unwrap();
    assert_eq!(callback.code.expose(), "pasted");
    let (refused, accepted, late, waiting) = person.join().unwrap();
    assert!(
        refused[0].to_string().contains("whole address"),
        "{}",
        refused[0]
    );
    assert!(
        refused[1].to_string().contains("whole address"),
        "{}",
        refused[1]
    );
    assert!(
        matches!(refused[2], Error::StateMismatch),
        "{:?}",
        refused[2]
    );
    assert!(
        refused[3].to_string().contains("neither a code"),
        "{}",
        refused[3]
    );
    assert!(accepted.is_ok(), "{accepted:?}");
    assert!(late.is_err());
    assert!(!waiting);
}
