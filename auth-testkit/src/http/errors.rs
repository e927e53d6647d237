//! Failures to get an answer: timeouts, refused connections, TLS.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use auth_core::{HttpConfig, TransportErrorKind};

use super::server::{RawServer, read_request};
use super::{SECRET_CODE, Suite, TOKEN, describe, get, transport_kind};
/// A server that does not answer hits the read timeout (`ReadTimeout`, host named).
pub fn read_timeout(s: &Suite<'_>) {
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

/// A refused connection is `ConnectionRefused` naming `127.0.0.1:<port>`, without the query or header values.
pub fn connection_refused(s: &Suite<'_>) {
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

/// `https://` to a server that does not speak TLS is a `Tls` transport error.
pub fn tls_failure(s: &Suite<'_>) {
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
