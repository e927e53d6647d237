//! What the examples share: where they get tokens.
//!
//! With `OAUTH_TOKEN_URL` set they talk to that provider, with `OAUTH_CLIENT_ID`,
//! `OAUTH_CLIENT_SECRET` and, for the authorized call, `OAUTH_API_URL`. Without it they
//! start a tiny OAuth server on 127.0.0.1 and talk to that, so they run offline. The
//! server is not part of the toolkit: it is as small as an example's server can be.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use auth_core::Credentials;

/// The provider the example talks to.
pub(crate) struct Target {
    /// Its token endpoint.
    pub(crate) token_url: String,
    /// An API URL to call with the token, if any.
    #[allow(dead_code, reason = "custom_store makes no API call")]
    pub(crate) api_url: Option<String>,
    /// The client's credentials.
    pub(crate) credentials: Credentials,
}

impl Target {
    /// The provider named in the environment, or a demo server started now.
    pub(crate) fn from_env_or_demo() -> io::Result<Target> {
        let Ok(token_url) = std::env::var("OAUTH_TOKEN_URL") else {
            return start_demo();
        };
        Ok(Target {
            token_url,
            api_url: std::env::var("OAUTH_API_URL").ok(),
            credentials: Credentials {
                client_id: std::env::var("OAUTH_CLIENT_ID").ok(),
                client_secret: std::env::var("OAUTH_CLIENT_SECRET").ok().map(Into::into),
                ..Credentials::default()
            },
        })
    }
}

/// Starts the demo server: `POST /token` issues a new bearer token to any client for any
/// grant, `GET /me` answers 200 to a bearer token it issued and 401 otherwise.
fn start_demo() -> io::Result<Target> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        let mut issued = 0;
        for stream in listener.incoming().flatten() {
            if let Err(e) = answer(stream, &mut issued) {
                eprintln!("demo server: {e}");
            }
        }
    });
    Ok(Target {
        token_url: format!("http://{addr}/token"),
        api_url: Some(format!("http://{addr}/me")),
        credentials: Credentials {
            client_id: Some("demo-client".into()),
            client_secret: Some("demo-secret".into()),
            ..Credentials::default()
        },
    })
}

/// Reads one request and answers it.
fn answer(mut stream: TcpStream, issued: &mut u32) -> io::Result<()> {
    let mut buf = Vec::new();
    let (route, authorization) = loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(head_len) = request.parse(&buf).map_err(io::Error::other)?
        else {
            continue;
        };
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .map(str::to_owned)
        };
        let body_len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if buf.len() >= head_len + body_len {
            let route = format!(
                "{} {}",
                request.method.unwrap_or(""),
                request.path.unwrap_or("")
            );
            break (route, header("authorization"));
        }
    };
    let (status, body) = match route.as_str() {
        "POST /token" => {
            *issued += 1;
            let token = format!(
                r#"{{"access_token":"demo-access-{issued}","token_type":"Bearer","expires_in":3600,"refresh_token":"demo-refresh"}}"#
            );
            ("200 OK", token)
        }
        "GET /me" if authorization.is_some_and(|a| a.starts_with("Bearer demo-access-")) => {
            ("200 OK", r#"{"name":"demo user"}"#.to_owned())
        }
        "GET /me" => (
            "401 Unauthorized",
            r#"{"error":"invalid_token"}"#.to_owned(),
        ),
        _ => ("404 Not Found", r#"{"error":"not_found"}"#.to_owned()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}
