//! [`FormRequest`]: a request to a token-like endpoint before the client authenticates,
//! and how it becomes the HTTP request that is sent. Every token request (the adapter's,
//! whether `oauth2` or one of our grants made its form) and every hand-built form request
//! ([`post_form`](crate::client::post_form): revocation, PAR) is built here, once.

use auth_core::{BodyFormat, Error, HttpRequest, Provider, Secret};
use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::client::client_authentication;

/// A request to a token-like endpoint before the client authenticates: where it goes,
/// its headers so far and its form, whose values are zeroized on drop.
#[derive(Clone)]
pub(crate) struct FormRequest {
    /// The endpoint, as it will be sent (with its query, if it has one).
    pub(crate) url: String,
    /// The headers so far (no `Authorization`: the client authenticates later).
    pub(crate) headers: http::HeaderMap,
    /// The form, in order.
    pub(crate) form: Vec<(String, String)>,
}

impl FormRequest {
    /// A `POST` of `form` to `url` that accepts JSON, as every token request is.
    pub(crate) fn new(url: &str, form: Vec<(String, String)>) -> Self {
        let mut headers = http::HeaderMap::with_capacity(3);
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        FormRequest {
            url: url.to_owned(),
            headers,
            form,
        }
    }

    /// The form's `grant_type`, if it has one (a token request has).
    pub(crate) fn grant_type(&self) -> Option<&str> {
        self.form
            .iter()
            .find(|(name, _)| name == "grant_type")
            .map(|(_, value)| value.as_str())
    }

    /// The endpoint without its query, as it may be recorded and named in errors.
    pub(crate) fn endpoint(&self) -> &str {
        without_query(&self.url)
    }

    /// Authenticates the client by [`client_authentication`]: an `Authorization` header,
    /// or fields added to the form.
    pub(crate) fn authenticate(
        &mut self,
        provider: &Provider,
        client_id: &str,
        secret: Option<&Secret>,
    ) -> Result<(), Error> {
        let FormRequest { url, form, .. } = self;
        let header = client_authentication(provider, client_id, secret, without_query(url), form)?;
        if let Some(header) = header {
            let mut value = http::HeaderValue::from_str(header.expose()).map_err(|_| {
                Error::config("the client id or secret cannot be sent in an Authorization header")
            })?;
            value.set_sensitive(true);
            self.headers.insert(http::header::AUTHORIZATION, value);
        }
        Ok(())
    }

    /// The HTTP request: the form encoded as `format` says (a JSON object of strings for
    /// providers that want JSON), the form's values then zeroized.
    pub(crate) fn into_request(mut self, format: BodyFormat) -> Result<HttpRequest, Error> {
        let body = match format {
            BodyFormat::Form => encode_form(&self.form),
            BodyFormat::Json => {
                self.headers.insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                let map: Map<String, Value> = self
                    .form
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                let json = Value::Object(map);
                let text = json.to_string();
                zeroize_json(json);
                text.into_bytes()
            }
        };
        let mut request = http::Request::post(self.url.as_str())
            .body(body)
            .map_err(|_| {
                Error::config(format!(
                    "{} cannot be requested: it is not a URL that can be sent",
                    self.endpoint()
                ))
            })?;
        *request.headers_mut() = std::mem::take(&mut self.headers);
        Ok(request)
    }
}

/// `url` without its query and fragment.
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or_default()
}

impl Drop for FormRequest {
    fn drop(&mut self) {
        self.form.iter_mut().for_each(|(_, value)| value.zeroize());
    }
}

/// The bytes `application/x-www-form-urlencoded` (WHATWG URL §5.2) leaves as they are:
/// ASCII letters and digits and `* - . _`; a space becomes `+`, every other byte `%XY`.
const FORM_KEEP: [bool; 256] = {
    let mut keep = [false; 256];
    let mut b = 0;
    while b < 256 {
        keep[b] =
            matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_');
        b += 1;
    }
    keep
};

/// Encodes `form` as `application/x-www-form-urlencoded` into one buffer sized for the
/// common case (the same bytes as `form_urlencoded::Serializer`): runs of kept bytes
/// are copied whole.
fn encode_form(form: &[(String, String)]) -> Vec<u8> {
    let size = form.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = Vec::with_capacity(size);
    for (i, (name, value)) in form.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        encode_form_text(&mut out, name.as_bytes());
        out.push(b'=');
        encode_form_text(&mut out, value.as_bytes());
    }
    out
}

fn encode_form_text(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if FORM_KEEP[usize::from(b)] {
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        run = i + 1;
    }
    out.extend_from_slice(&bytes[run..]);
}

/// Zeroizes the string values of a JSON object made from a form.
fn zeroize_json(json: Value) {
    if let Value::Object(map) = json {
        for (_, value) in map {
            if let Value::String(mut s) = value {
                s.zeroize();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(form: &[(&str, &str)]) -> Vec<(String, String)> {
        form.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_request_is_a_post_that_accepts_json() {
        let request = FormRequest::new(
            "https://as.example/token?tenant=a",
            pairs(&[("grant_type", "password"), ("password", "p&w d")]),
        );
        assert_eq!(request.grant_type(), Some("password"));
        assert_eq!(request.endpoint(), "https://as.example/token");
        let sent = request.into_request(BodyFormat::Form).unwrap();
        assert_eq!(sent.method(), http::Method::POST);
        assert_eq!(sent.uri(), "https://as.example/token?tenant=a");
        assert_eq!(sent.headers()["accept"], "application/json");
        assert_eq!(
            sent.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(sent.body(), b"grant_type=password&password=p%26w+d");
    }

    #[test]
    fn the_form_is_encoded_as_form_urlencoded_encodes_it() {
        let every_byte: Vec<u8> = (0..=255u8).collect();
        let text = String::from_utf8_lossy(&every_byte).into_owned();
        let form = pairs(&[
            ("grant_type", "password"),
            ("pass word", &text),
            ("", ""),
            ("é~", "a+b=c&d%e*f-g.h_i"),
        ]);
        let expected = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        assert_eq!(encode_form(&form), expected.into_bytes());
        assert!(encode_form(&[]).is_empty());
    }

    #[test]
    fn a_json_provider_gets_the_form_as_a_json_object() {
        let request = FormRequest::new("https://as.example/token", pairs(&[("a", "1")]));
        let sent = request.into_request(BodyFormat::Json).unwrap();
        assert_eq!(sent.headers()["content-type"], "application/json");
        let body: Value = serde_json::from_slice(sent.body()).unwrap();
        assert_eq!(body, serde_json::json!({"a": "1"}));
    }

    #[test]
    fn basic_client_authentication_is_a_sensitive_header() {
        let mut provider = Provider::new("t");
        provider.client_auth = auth_core::ClientAuth::Basic;
        let mut request = FormRequest::new("https://as.example/token", Vec::new());
        request
            .authenticate(&provider, "id", Some(&Secret::new("s")))
            .unwrap();
        let header = &request.headers[http::header::AUTHORIZATION];
        assert!(header.is_sensitive());
        assert!(header.to_str().unwrap().starts_with("Basic "));
        assert!(request.form.is_empty());
        let bad = FormRequest::new("not a url", Vec::new());
        let err = bad.into_request(BodyFormat::Form).unwrap_err();
        assert!(err.to_string().contains("cannot be requested"), "{err}");
    }
}
