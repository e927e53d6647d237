//! A custom transport: HTTP/1.1 over a plain `TcpStream`, given the whole HTTP policy by
//! `PolicyBackend` (https-only, redirects, retries, size cap, per-hop hooks).
//!
//! ```toml
//! [dependencies]
//! auth-core = "0.1"
//! auth-flows = { version = "0.1", default-features = false, features = ["client-credentials", "blocking"] }
//! auth-http = { version = "0.1", default-features = false }   # the policy only, no transport
//! auth-store = { version = "0.1", default-features = false, features = ["memory"] }
//! http = "1"
//! httparse = "1"
//! pollster = "0.4"
//! ```
//!
//! It speaks no TLS, so it reaches only `http://` loopback servers (which the policy
//! allows) or hosts a `Provider::insecure_http` opts into; a real transport would wrap
//! your own client or connection pool the same way.
//!
//! Run: `cargo run -p auth-flows --example custom_transport --all-features`.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{
    Endpoint, Error, FlowContext, HttpBackend, HttpConfig, HttpResponse, Provider, TokenKey,
    TransportErrorKind,
};
use auth_flows::{ClientCredentialsFlow, TokenManager, blocking};
use auth_http::policy::{Exchange, PolicyBackend, SendOnce, classify_io};

/// HTTP/1.1 over `TcpStream`, one connection per request.
struct PlainTcp;

impl PlainTcp {
    /// Sends the exchange's request line, headers and body as they are.
    fn write_request(stream: &mut TcpStream, ex: &Exchange<'_>) -> std::io::Result<()> {
        let url = ex.url();
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(80);
        let mut head = format!(
            "{} {target} HTTP/1.1\r\nhost: {host}:{port}\r\nconnection: close\r\n",
            ex.method()
        );
        for (name, value) in ex.headers() {
            head.push_str(&format!(
                "{name}: {}\r\n",
                value.to_str().unwrap_or_default()
            ));
        }
        if !ex.sends_no_body() {
            head.push_str(&format!("content-length: {}\r\n", ex.body().len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(ex.body())
    }
}

impl SendOnce for PlainTcp {
    async fn send_once(&self, ex: Exchange<'_>) -> Result<HttpResponse, Error> {
        // Every I/O failure becomes the policy's transport error (no URL query, no secrets).
        let io = |e: std::io::Error| {
            let kind = classify_io(e.kind()).unwrap_or(TransportErrorKind::Other);
            ex.transport_error(kind, &e.to_string())
        };
        let url = ex.url();
        let addr = (
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(80),
        );
        let mut stream = TcpStream::connect(addr).map_err(io)?;
        stream
            .set_read_timeout(Some(ex.config().read_timeout))
            .map_err(io)?;
        Self::write_request(&mut stream, &ex).map_err(io)?;

        // Read until the head is complete, then hand the body to the policy's collector,
        // which enforces the size cap as the chunks come in.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = stream.read(&mut chunk).map_err(io)?;
            if n == 0 {
                return Err(ex.transport_error(
                    TransportErrorKind::Other,
                    "the connection closed before the response head",
                ));
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut headers);
            let status = parsed
                .parse(&buf)
                .map_err(|e| ex.transport_error(TransportErrorKind::Other, &e.to_string()))?;
            let httparse::Status::Complete(head_len) = status else {
                continue;
            };

            let mut response = http::Response::builder().status(parsed.code.unwrap_or(502));
            for header in parsed.headers.iter() {
                response = response.header(header.name, header.value);
            }
            let mut response = response
                .body(Vec::new())
                .map_err(|e| ex.transport_error(TransportErrorKind::Other, &e.to_string()))?;
            let mut body = ex.body_collector(response.status(), response.headers())?;
            body.push(&buf[head_len..])?;
            loop {
                let n = stream.read(&mut chunk).map_err(io)?;
                if n == 0 {
                    break; // `connection: close`: the body ends with the connection
                }
                body.push(&chunk[..n])?;
            }
            *response.body_mut() = body.finish();
            return Ok(response);
        }
    }

    async fn sleep(&self, duration: Duration) {
        // A blocking transport may block between retries.
        std::thread::sleep(duration);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::Target::from_env_or_demo()?;

    // The one-hop transport gets the whole policy.
    let http: Arc<dyn HttpBackend> = Arc::new(PolicyBackend::with_transport(
        PlainTcp,
        HttpConfig::default(),
    )?);

    let provider = Provider::new("example").with_endpoint(Endpoint::Token, &target.token_url)?;
    let client_id = target.credentials.client_id.clone().unwrap_or_default();
    let key = TokenKey::new("example", "default", client_id);
    let store = Arc::new(auth_store::MemoryStore::new());
    let ctx = FlowContext::new(provider, target.credentials, Arc::clone(&http));
    let manager = blocking::TokenManager::new(
        TokenManager::new(key, store, ctx).with_flow(Arc::new(ClientCredentialsFlow)),
    );
    let token = manager.token()?;
    println!("got a token over the custom transport: {token:?}");

    if let Some(api_url) = &target.api_url {
        let response = manager
            .client(Arc::clone(&http))
            .allow_origins(auth_core::AllowedOrigins::new().with_entry(api_url)?)
            .send(http::Request::get(api_url.as_str()).body(Vec::new())?)?;
        println!(
            "GET {api_url}: {} {}",
            response.status(),
            String::from_utf8_lossy(response.body())
        );
    }

    // The policy, not the transport, refuses plain http:// to a remote host.
    let remote = http::Request::get("http://api.example/").body(Vec::new())?;
    let refused = pollster::block_on(http.send(remote)).unwrap_err();
    assert!(matches!(refused, Error::InsecureTransport { .. }));
    println!("refused by the policy: {refused}");
    Ok(())
}
