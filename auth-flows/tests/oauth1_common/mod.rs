//! Test helpers shared by the OAuth 1 integration tests: a minimal blocking HTTP/1.1
//! backend over `TcpStream`, a server-side signature check written independently of the
//! crate's signer, and the shared test vectors.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

use auth_core::{
    Error, HttpBackend, HttpRequest, HttpResponse, RequestKind, TransportErrorKind, async_trait,
};
use hmac::{Hmac, Mac};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The shared test vectors.
pub(crate) fn vectors() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/oauth-vectors.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).expect("the vectors file is JSON")
}

/// The oauthlib test RSA key (PKCS#1 PEM) from the vectors.
pub(crate) fn rsa_private_pem() -> String {
    vectors()["keys"]["oauthlib_test_rsa_private_pem"]
        .as_str()
        .expect("private key in vectors")
        .to_owned()
}

/// Its public key.
pub(crate) fn rsa_public_key() -> RsaPublicKey {
    let pem = vectors()["keys"]["oauthlib_test_rsa_public_pkcs1_pem"]
        .as_str()
        .expect("public key in vectors")
        .to_owned();
    RsaPublicKey::from_pkcs1_pem(&pem).expect("valid public key")
}

/// What the test backend was asked to send.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) kind: RequestKind,
    pub(crate) authorization: Option<String>,
}

/// A deliberately naive blocking HTTP/1.1 client (`Connection: close`, `Content-Length`)
/// for `http://` loopback servers. For [`RequestKind::Api`] requests it follows redirects
/// and keeps every header, `Authorization` included, so a wrapper that forgets to mark
/// its requests as token-endpoint requests leaks credentials visibly in the tests.
#[derive(Default)]
pub(crate) struct TcpBackend {
    pub(crate) seen: Mutex<Vec<Seen>>,
}

impl TcpBackend {
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl HttpBackend for TcpBackend {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let kind = RequestKind::of(&request);
        let mut request = request;
        for _ in 0..10 {
            self.seen.lock().unwrap().push(Seen {
                method: request.method().to_string(),
                url: request.uri().to_string(),
                kind,
                authorization: request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned()),
            });
            let response = exchange(&request)?;
            let location = response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned());
            match (kind, response.status().is_redirection(), location) {
                (RequestKind::Api, true, Some(location)) => {
                    let next = url::Url::parse(&request.uri().to_string())
                        .unwrap()
                        .join(&location)
                        .unwrap();
                    *request.uri_mut() = next.as_str().parse().unwrap();
                }
                _ => return Ok(response),
            }
        }
        Err(Error::Transport {
            host: "test".into(),
            kind: TransportErrorKind::TooManyRedirects,
            message: "test backend".into(),
        })
    }
}

fn transport(host: &str, message: String) -> Error {
    Error::Transport {
        host: host.to_owned(),
        kind: TransportErrorKind::Other,
        message,
    }
}

fn exchange(request: &HttpRequest) -> Result<HttpResponse, Error> {
    let uri = request.uri();
    assert_eq!(
        uri.scheme_str(),
        Some("http"),
        "the test backend speaks http only"
    );
    let authority = uri.authority().expect("absolute URI").as_str().to_owned();
    let host = uri.host().unwrap();
    let port = uri.port_u16().unwrap_or(80);
    let mut stream =
        TcpStream::connect((host, port)).map_err(|e| transport(&authority, e.to_string()))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    let mut head = format!(
        "{} {} HTTP/1.1\r\n",
        request.method(),
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let host_header = request
        .headers()
        .get("host")
        .map_or(authority.clone(), |v| v.to_str().unwrap().to_owned());
    head.push_str(&format!("Host: {host_header}\r\n"));
    for (name, value) in request.headers() {
        if matches!(name.as_str(), "host" | "content-length" | "connection") {
            continue;
        }
        head.push_str(&format!("{}: {}\r\n", name, value.to_str().unwrap()));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        request.body().len()
    ));
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(request.body()))
        .map_err(|e| transport(&authority, e.to_string()))?;

    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| transport(&authority, e.to_string()))?;
    parse_response(&raw).ok_or_else(|| transport(&authority, "malformed response".into()))
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut builder = http::Response::builder().status(status);
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked") {
            chunked = true;
        }
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
        builder = builder.header(name.trim(), value);
    }
    if chunked {
        body = dechunk(&body)?;
    } else if let Some(length) = length {
        body.truncate(length);
    }
    builder.body(body).ok()
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// How the test server checks a signature.
#[derive(Clone)]
pub(crate) enum VerifyKey {
    /// HMAC-SHA1 with these secrets.
    HmacSha1 {
        consumer_secret: String,
        token_secret: String,
    },
    /// RSA-SHA256 with this public key.
    RsaSha256(RsaPublicKey),
}

/// RFC 5849 §3.6 encoding, written without the crate under test.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The server's side: recomputes the signature of a received request with its own code
/// and `key`, and returns the OAuth protocol parameters when it is right.
pub(crate) fn verify(
    request: &mockito::Request,
    key: &VerifyKey,
) -> Result<BTreeMap<String, String>, String> {
    let header = |name: &str| {
        request
            .header(name)
            .first()
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let mut params: Vec<(String, String)> = Vec::new();
    let mut protocol = BTreeMap::new();
    if let Some(auth) = header("authorization") {
        let list = auth
            .strip_prefix("OAuth ")
            .ok_or_else(|| format!("not an OAuth header: {auth}"))?;
        for item in list.split(", ") {
            let (name, quoted) = item.split_once('=').ok_or("no =")?;
            let raw = quoted.trim_matches('"');
            let value = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|e| e.to_string())?
                .into_owned();
            if name != "realm" {
                protocol.insert(name.to_owned(), value.clone());
                params.push((name.to_owned(), value));
            }
        }
    }
    let path_and_query = request.path_and_query();
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if name.starts_with("oauth_") {
            protocol.insert(name.to_string(), value.to_string());
        }
        params.push((name.into_owned(), value.into_owned()));
    }
    let is_form = header("content-type")
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let body = request.body().map_err(|e| e.to_string())?;
        for (name, value) in form_urlencoded::parse(body) {
            if name.starts_with("oauth_") {
                protocol.insert(name.to_string(), value.to_string());
            }
            params.push((name.into_owned(), value.into_owned()));
        }
    }
    let signature = protocol
        .get("oauth_signature")
        .cloned()
        .ok_or("no oauth_signature")?;
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(n, _)| n != "oauth_signature")
        .map(|(n, v)| (encode(n), encode(v)))
        .collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let host = header("host").ok_or("no Host header")?.to_ascii_lowercase();
    let base_uri = format!("http://{host}{path}");
    let base_string = format!(
        "{}&{}&{}",
        request.method(),
        encode(&base_uri),
        encode(&normalized)
    );
    let method = protocol
        .get("oauth_signature_method")
        .map(String::as_str)
        .unwrap_or_default();
    let ok = match key {
        VerifyKey::HmacSha1 {
            consumer_secret,
            token_secret,
        } => {
            if method != "HMAC-SHA1" {
                return Err(format!("expected HMAC-SHA1, got {method}"));
            }
            let mut mac = Hmac::<Sha1>::new_from_slice(
                format!("{}&{}", encode(consumer_secret), encode(token_secret)).as_bytes(),
            )
            .unwrap();
            mac.update(base_string.as_bytes());
            use base64::Engine as _;
            let expected =
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
            expected == signature
        }
        VerifyKey::RsaSha256(public) => {
            if method != "RSA-SHA256" {
                return Err(format!("expected RSA-SHA256, got {method}"));
            }
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(&signature)
                .map_err(|e| e.to_string())?;
            public
                .verify(
                    Pkcs1v15Sign::new::<Sha256>(),
                    &Sha256::digest(base_string.as_bytes()),
                    &raw,
                )
                .is_ok()
        }
    };
    if ok {
        Ok(protocol)
    } else {
        Err(format!("bad signature for base string {base_string}"))
    }
}
