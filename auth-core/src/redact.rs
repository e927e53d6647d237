//! Secret-free excerpts of response bodies for error messages.

/// Names whose values are masked in excerpts, compared case-insensitively.
pub const SECRET_FIELD_NAMES: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "api_token",
    "client_secret",
    "password",
    "oauth_token_secret",
    "oauth_token",
    "oauth_verifier",
    "device_code",
    "code_verifier",
    "code",
    "token",
    "assertion",
    "client_assertion",
    "subject_token",
    "actor_token",
    "secret",
];

/// The most characters an excerpt keeps.
pub const EXCERPT_CHARS: usize = 200;

/// A short, printable, secret-free excerpt of a body for an error message.
///
/// Keeps at most [`EXCERPT_CHARS`] characters, turns control characters into spaces, and
/// replaces the value of any field in [`SECRET_FIELD_NAMES`] (as `"name": "value"` in
/// JSON or `name=value` in a form or query) with `***`.
///
/// ```
/// use auth_core::redact::excerpt;
///
/// let e = excerpt(br#"{"access_token":"s3cr3t","token_type":"bearer"}"#);
/// assert!(!e.contains("s3cr3t"));
/// assert!(e.contains("token_type"));
/// assert_eq!(excerpt(b"refresh_token=abc&x=1"), "refresh_token=***&x=1");
/// ```
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let masked = mask_secret_fields(&text);
    shorten(&masked, EXCERPT_CHARS).trim().to_owned()
}

/// `text` made printable and short: control characters become spaces
/// ([`crate::text::printable`]), and a text longer than `max` characters is cut to `max`
/// and ends in `…`. It masks nothing: use [`excerpt`] for a response body.
///
/// ```
/// assert_eq!(auth_core::redact::shorten("a\nb", 10), "a b");
/// assert_eq!(auth_core::redact::shorten("abcdef", 3), "abc…");
/// ```
pub fn shorten(text: &str, max: usize) -> String {
    let mut out: String = crate::text::printable(text).chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// `text` with every occurrence of each of `values` replaced by `***`: the secret values
/// in play (a client secret, password, code, token) that a pattern cannot recognise, as
/// when a server echoes `client_secret 'S3cr3t' is wrong`. Longer values go first, so a
/// whole value is replaced before a part of it; empty values are skipped. Callers choose
/// which values are worth replacing (too short a value would mangle ordinary words).
///
/// ```
/// use auth_core::redact::replace_values;
/// let out = replace_values("client_secret 'S3cr3t' is wrong; password was hunter22", ["S3cr3t", "hunter22", ""]);
/// assert_eq!(out, "client_secret '***' is wrong; password was ***");
/// ```
pub fn replace_values<'a>(text: &str, values: impl IntoIterator<Item = &'a str>) -> String {
    let mut values: Vec<&str> = values.into_iter().filter(|v| !v.is_empty()).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = text.to_owned();
    for value in values {
        if out.contains(value) {
            out = out.replace(value, "***");
        }
    }
    out
}

fn mask_secret_fields(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let Some(name_len) = secret_name_at(&lower, i) else {
            i += 1;
            continue;
        };
        // The name must start a token: preceded by start, quote, '&', '?', space, '{' or ','.
        let boundary = i == 0
            || matches!(
                bytes[i - 1],
                b'"' | b'\'' | b'&' | b'?' | b' ' | b'{' | b',' | b'\n' | b'\t'
            );
        let mut j = i + name_len;
        if !boundary {
            i += 1;
            continue;
        }
        // JSON: name" : "value"   form: name=value
        if j < bytes.len() && bytes[j] == b'"' {
            j += 1;
        }
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        let sep = bytes.get(j).copied();
        if sep != Some(b':') && sep != Some(b'=') {
            i += name_len;
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        let quoted = bytes.get(j) == Some(&b'"');
        if quoted {
            j += 1;
        }
        let start = j;
        while j < bytes.len() {
            let b = bytes[j];
            let end = if quoted {
                b == b'"' && bytes[j - 1] != b'\\'
            } else {
                matches!(
                    b,
                    b'&' | b',' | b'}' | b' ' | b'\n' | b'\r' | b'\t' | b';' | b'"'
                )
            };
            if end {
                break;
            }
            j += 1;
        }
        if j > start {
            out.push_str(&text[copied..start]);
            out.push_str("***");
            copied = j;
        }
        i = j.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

fn secret_name_at(lower: &str, i: usize) -> Option<usize> {
    let rest = lower.get(i..)?;
    SECRET_FIELD_NAMES
        .iter()
        .find(|name| rest.starts_with(*name))
        .map(|name| name.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_json_and_form_values() {
        let body =
            br#"{"access_token": "AAA", "refresh_token":"BBB", "expires_in":3600, "error":"x"}"#;
        let e = excerpt(body);
        assert!(!e.contains("AAA") && !e.contains("BBB"), "{e}");
        assert!(e.contains("expires_in"), "{e}");
        let e = excerpt(b"oauth_token=T&oauth_token_secret=S&oauth_callback_confirmed=true");
        assert_eq!(
            e,
            "oauth_token=***&oauth_token_secret=***&oauth_callback_confirmed=true"
        );
    }

    #[test]
    fn truncates_and_strips_control_characters() {
        let body = "<html>\n\t<body>".to_owned() + &"x".repeat(500);
        let e = excerpt(body.as_bytes());
        assert!(e.starts_with("<html>  <body>"));
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn keeps_innocent_words() {
        assert_eq!(excerpt(b"token_type=bearer"), "token_type=bearer");
        assert_eq!(excerpt(b"<h1>Bad Gateway</h1>"), "<h1>Bad Gateway</h1>");
    }

    proptest! {
        #[test]
        fn never_panics_and_masks(secret in "[A-Za-z0-9]{12,40}", junk in ".{0,80}") {
            for body in [
                format!("{junk}{{\"access_token\":\"{secret}\"}}"),
                format!("{junk}&refresh_token={secret}&a=b"),
                format!("password: {secret}"),
            ] {
                let e = excerpt(body.as_bytes());
                prop_assert!(!e.contains(&secret), "{} -> {}", body, e);
            }
            let _ = excerpt(junk.as_bytes());
        }
    }
}
