//! Consecutive requests to one origin reuse one connection: a transport that opened a
//! new one per request (as ureq does when a request's settings keep it out of the agent's
//! pool) pays a TCP handshake, and on https a TLS handshake, every time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::http::AllowInsecureHttp;
use auth_core::{HttpBackend, HttpConfig};

/// A keep-alive server on 127.0.0.1 that counts the connections it accepts.
struct CountingServer {
    url: String,
    accepted: Arc<AtomicUsize>,
}

impl CountingServer {
    fn start() -> CountingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || serve(stream));
            }
        });
        CountingServer { url, accepted }
    }

    fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Answers each request of a connection with a small JSON body, until the client closes.
fn serve(stream: TcpStream) {
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut content_length = 0usize;
        let mut first = true;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line.trim_end().is_empty() && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let answer = r#"{"access_token":"t","token_type":"bearer"}"#;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn post(url: &str) -> http::Request<Vec<u8>> {
    let mut request = http::Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"grant_type=password&username=ana".to_vec())
        .unwrap();
    request.extensions_mut().insert(AllowInsecureHttp);
    request
}

#[cfg(feature = "ureq")]
mod ureq {
    use super::*;

    /// Sends five POSTs one after the other; how many connections the server saw.
    fn five_posts(backend: &auth_http::UreqBackend) -> usize {
        let server = CountingServer::start();
        for _ in 0..5 {
            let response = backend.send_blocking(post(&server.url)).expect("the POST");
            assert_eq!(response.status(), 200);
            assert!(response.body().starts_with(b"{\"access_token\""));
        }
        server.connections()
    }

    #[test]
    fn five_requests_share_one_connection() {
        let backend = auth_http::UreqBackend::new(HttpConfig::default()).unwrap();
        assert_eq!(five_posts(&backend), 1);
    }

    #[test]
    fn five_requests_share_one_connection_without_a_user_agent() {
        let config = HttpConfig::default().with_user_agent("");
        let backend = auth_http::UreqBackend::new(config).unwrap();
        assert_eq!(five_posts(&backend), 1);
    }

    #[test]
    fn five_requests_share_one_connection_of_your_own_agent() {
        let agent: ::ureq::Agent = ::ureq::Agent::config_builder()
            .max_redirects(10)
            .http_status_as_error(true)
            .build()
            .into();
        let backend = auth_http::UreqBackend::with_agent(agent, HttpConfig::default()).unwrap();
        assert_eq!(five_posts(&backend), 1);
    }
}

#[cfg(feature = "reqwest")]
mod reqwest {
    use super::*;

    #[test]
    fn five_requests_share_one_connection() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = runtime.enter();
        let backend = auth_http::ReqwestBackend::new(HttpConfig::default()).unwrap();
        let server = CountingServer::start();
        for _ in 0..5 {
            let response = runtime
                .block_on(backend.send(post(&server.url)))
                .expect("the POST");
            assert_eq!(response.status(), 200);
        }
        assert_eq!(server.connections(), 1);
    }
}
