//! Transport security: plain `http://` and its one opt-in.

use std::net::TcpStream;

use auth_core::http::AllowInsecureHttp;
use auth_core::{Error, HttpConfig};

use super::server::{RawServer, read_request, respond};
use super::{SECRET_CODE, Suite, describe, get, text};
/// `http://` to a non-loopback host is `InsecureTransport` before any connection, and proceeds with `AllowInsecureHttp`.
pub fn insecure_http(s: &Suite<'_>) {
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

    // With the opt-in (the request extension flows set from `Provider::insecure_http`),
    // the request proceeds.
    let config = HttpConfig::default().with_max_retries(0);
    let mapped_reachable = TcpStream::connect(("::ffff:127.0.0.1", port)).is_ok();
    let mut request = get(&mapped);
    request.extensions_mut().insert(AllowInsecureHttp);
    let result = s.send_with(config, request);
    if mapped_reachable {
        let response = result.unwrap_or_else(|e| {
            panic!("with AllowInsecureHttp, http:// to a non-loopback host must proceed: {e}")
        });
        assert_eq!(text(&response), "plain ok");
        assert!(server.connections() >= before + 2);
    } else {
        // This system does not route IPv4-mapped addresses: the request was at least
        // attempted instead of refused.
        assert!(
            !matches!(result, Err(Error::InsecureTransport { .. })),
            "with AllowInsecureHttp, http:// must not be refused"
        );
    }
}
