//! The RFC 5849 building blocks: percent-encoding (§3.6), the base string URI (§3.4.1.2),
//! parameter normalisation (§3.4.1.3.2), the signature base string (§3.4.1.1) and the
//! `Authorization: OAuth` header (§3.5.1).
//!
//! The percent-decoder and the base string URI are written here on purpose rather than
//! taken from `percent-encoding` or `url`: OAuth 1 signatures need the spec's exact
//! behaviour, and general-purpose crates are lenient where a signature must not be. The
//! decoder refuses a `%` without two hex digits and bytes that are not UTF-8 (where
//! `percent_decode` passes them through), and the base string URI refuses what HTTP
//! clients would rewrite before sending (non-ASCII or non-canonical numeric hosts, `.`
//! and `..` segments, ports out of range), where `url` would silently normalise them and
//! the server would sign a different string. The RFC 5849 vectors in the tests pin it.
//!
//! At about 970 lines, 170 of them tests, the module stays whole: every function here
//! is one step of the same string (encode, compare encoded, decode, base string URI,
//! normalise, base string, header), and the fast paths of the signer (the byte tables,
//! the comparison without encoding, the base string URI read as written) must agree
//! with the public building blocks beside them.

use std::net::{Ipv4Addr, Ipv6Addr};

use std::borrow::Cow;

use percent_encoding::{AsciiSet, CONTROLS};

use super::error::{SignError, display_name, display_url};

/// What HTTP clients (the `url` crate) percent-encode in a path: the same set is
/// encoded in the base string URI, so it matches the request line the server sees.
const PATH_ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Percent-encodes a value as RFC 5849 §3.6 says: the UTF-8 bytes of everything except
/// `A-Z a-z 0-9 - . _ ~`, with upper-case hex digits.
///
/// ```
/// use auth_flows::oauth1::percent_encode;
/// assert_eq!(percent_encode("r b&c@"), "r%20b%26c%40");
/// assert_eq!(percent_encode("-._~"), "-._~");
/// assert_eq!(percent_encode("、"), "%E3%80%81");
/// ```
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value);
    out
}

/// The RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~`, which RFC 5849 §3.6 leaves
/// as they are, as a table indexed by byte.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// True for the unreserved bytes ([`UNRESERVED`]).
fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

/// Upper-case hex digits, by value.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Where an encoding is written: runs of text copied as they are, and escapes.
trait Sink {
    /// Appends `text` as it is.
    fn text(&mut self, text: &str);
    /// Appends the escape of a reserved byte.
    fn escape(&mut self, byte: u8);
}

/// A `String` gets `%XY`.
impl Sink for String {
    fn text(&mut self, text: &str) {
        self.push_str(text);
    }
    fn escape(&mut self, byte: u8) {
        self.push('%');
        self.push(char::from(HEX[usize::from(byte >> 4)]));
        self.push(char::from(HEX[usize::from(byte & 15)]));
    }
}

/// A byte buffer gets `%XY`, written as one fixed-size copy.
impl Sink for Vec<u8> {
    fn text(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }
    fn escape(&mut self, byte: u8) {
        let (high, low) = (HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]);
        self.extend_from_slice(&[b'%', high, low]);
    }
}

/// The encoding of the encoding (what a normalised parameter becomes inside the base
/// string): a reserved byte becomes `%25XY`.
struct Twice<'a>(&'a mut Vec<u8>);

impl Sink for Twice<'_> {
    fn text(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }
    fn escape(&mut self, byte: u8) {
        let (high, low) = (HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]);
        self.0.extend_from_slice(&[b'%', b'2', b'5', high, low]);
    }
}

/// The length of the run of unreserved bytes at the start of `bytes`: eight bytes at a
/// time while they are all unreserved (one branch per eight table lookups), then byte
/// by byte.
fn unreserved_run(bytes: &[u8]) -> usize {
    let mut run = 0;
    for chunk in bytes.chunks_exact(8) {
        if !chunk.iter().fold(true, |all, &b| all & is_unreserved(b)) {
            break;
        }
        run += 8;
    }
    let tail = &bytes[run..];
    run + tail
        .iter()
        .position(|&b| !is_unreserved(b))
        .unwrap_or(tail.len())
}

/// Appends the RFC 5849 §3.6 encoding of `value` to `out`: runs of unreserved bytes are
/// copied whole, every other byte becomes an escape. A run starts at an ASCII byte and
/// ends before the byte after an ASCII byte, so both ends are character boundaries.
fn encode_to(out: &mut impl Sink, value: &str) {
    let bytes = value.as_bytes();
    let mut start = 0;
    while let Some(rest) = bytes.get(start..) {
        let end = start + unreserved_run(rest);
        if start < end {
            out.text(&value[start..end]);
        }
        match bytes.get(end) {
            Some(&b) => out.escape(b),
            None => return,
        }
        start = end + 1;
    }
}

/// Appends the RFC 5849 §3.6 encoding of `value` to `out`.
pub(crate) fn encode_into(out: &mut String, value: &str) {
    out.reserve(value.len());
    encode_to(out, value);
}

/// True when `value` is all unreserved bytes, so that its encoding is `value` itself.
pub(crate) fn is_plain(value: &str) -> bool {
    unreserved_run(value.as_bytes()) == value.len()
}

/// Appends the RFC 5849 §3.6 encoding of `value` to `out`, copied whole when it is
/// known to be [plain](is_plain).
pub(crate) fn encode_known_into(out: &mut String, value: &str, plain: bool) {
    if plain {
        out.push_str(value);
    } else {
        encode_into(out, value);
    }
}

/// Compares the RFC 5849 §3.6 encodings of `a` and `b` without building them. Equal
/// bytes encode equally, so the first byte where they differ decides: an unreserved byte
/// stands for itself, any other becomes `%XY`; `%` sorts before every unreserved byte,
/// and two `%XY` compare as their bytes do (upper-case hex keeps the numeric order).
/// When one is a prefix of the other, so is its encoding, and the shorter sorts first.
fn cmp_encoded(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let rank = |byte: u8| (is_unreserved(byte), byte);
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => rank(a[i]).cmp(&rank(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

/// Sorts parameters as RFC 5849 §3.4.1.3.2 says, by encoded name and then encoded value
/// ([`cmp_encoded`], which builds no encoding).
fn sort_encoded<S: AsRef<str>>(params: &mut [(S, S)]) {
    params.sort_unstable_by(|(n1, v1), (n2, v2)| {
        cmp_encoded(n1.as_ref().as_bytes(), n2.as_ref().as_bytes())
            .then_with(|| cmp_encoded(v1.as_ref().as_bytes(), v2.as_ref().as_bytes()))
    });
}

/// Appends the sorted `name=value` pairs joined with `&`, each name and value encoded
/// by `out` (once for the normalised parameters, twice inside the base string, where the
/// separators `eq` and `amp` are themselves encoded).
fn write_normalized<'p>(
    out: &mut impl Sink,
    sorted: impl IntoIterator<Item = (&'p str, &'p str)>,
    eq: &str,
    amp: &str,
) {
    for (i, (name, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.text(amp);
        }
        encode_to(out, name);
        out.text(eq);
        encode_to(out, value);
    }
}

/// Decodes RFC 5849 §3.6 percent-encoding (as used in the `Authorization` header and
/// the signature base string). `+` stays `+`. Malformed escapes and bytes that are not
/// UTF-8 are an error.
///
/// ```
/// use auth_flows::oauth1::percent_decode;
/// assert_eq!(percent_decode("r%20b%2Bc").unwrap(), "r b+c");
/// assert!(percent_decode("100%").is_err());
/// assert!(percent_decode("%FF").is_err());
/// ```
pub fn percent_decode(value: &str) -> Result<String, SignError> {
    decode_component(value, false)
        .map(Cow::into_owned)
        .map_err(|problem| SignError::InvalidParameter {
            location: "percent-encoded",
            name: display_name(value),
            problem: problem.to_owned(),
        })
}

/// Decodes one name or value: `%XX` escapes (strictly), and `+` as a space when
/// `plus_as_space` (form encoding). The result must be UTF-8.
/// A component that needs no decoding is borrowed, not copied.
pub(crate) fn decode_component(
    text: &str,
    plus_as_space: bool,
) -> Result<Cow<'_, str>, &'static str> {
    let input = text.as_bytes();
    let needs_decoding = input
        .iter()
        .any(|&b| b == b'%' || (plus_as_space && b == b'+'));
    if !needs_decoding {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => {
                let digits = input.get(i + 1..i + 3).ok_or(BAD_ESCAPE)?;
                let high = hex_value(digits[0]).ok_or(BAD_ESCAPE)?;
                let low = hex_value(digits[1]).ok_or(BAD_ESCAPE)?;
                out.push(high << 4 | low);
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                // the run up to the next byte to decode, copied whole
                let run = input[i..]
                    .iter()
                    .position(|&b| b == b'%' || (plus_as_space && b == b'+'))
                    .unwrap_or(input.len() - i);
                out.extend_from_slice(&input[i..i + run]);
                i += run;
            }
        }
    }
    String::from_utf8(out).map(Cow::Owned).map_err(|_| NOT_UTF8)
}

const BAD_ESCAPE: &str =
    "a `%` is not followed by two hex digits; percent-encode a literal `%` as %25";
const NOT_UTF8: &str = "it decodes to bytes that are not UTF-8, which OAuth 1 signatures cannot represent unambiguously; percent-encode the UTF-8 form of the text";

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Decoded name/value pairs, borrowed from the text they were parsed from when they
/// needed no decoding.
pub(crate) type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Parses an `application/x-www-form-urlencoded` string (a query or a form body) into
/// decoded pairs, as RFC 5849 §3.4.1.3.1 says: `&`-separated, split at the first `=`, a
/// missing `=` meaning an empty value, `+` meaning a space. Empty segments are skipped.
/// Names and values without escapes are borrowed from `input`. The pairs are appended
/// to `pairs`, so the query's and the body's share one vector.
pub(crate) fn parse_form_into<'a>(
    pairs: &mut Pairs<'a>,
    input: &'a str,
    location: &'static str,
) -> Result<(), SignError> {
    // byte scans: `&` and `=` are ASCII, so every split is at a character boundary
    let mut rest = input;
    while !rest.is_empty() {
        let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
        let segment = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if segment.is_empty() {
            continue;
        }
        let (name, value): (&'a str, &'a str) = match segment.bytes().position(|b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, ""),
        };
        let problem = |problem: &str| SignError::InvalidParameter {
            location,
            name: display_name(name),
            problem: problem.to_owned(),
        };
        let name_decoded = decode_component(name, true).map_err(problem)?;
        let value_decoded = decode_component(value, true).map_err(problem)?;
        pairs.push((name_decoded, value_decoded));
    }
    Ok(())
}

/// The base string URI of RFC 5849 §3.4.1.2: scheme and host in lower case, the port only
/// when it is not the scheme's default (80 for http, 443 for https), the path (`/` when
/// empty), no query and no fragment. `host_header` is the request's `Host` header, which
/// takes the place of the URL's host and port when given.
///
/// URLs that cannot give a base string every server agrees on are an error: no scheme,
/// no host, a port that is not a number from 1 to 65535, a host that is not ASCII, `.`
/// or `..` path segments.
///
/// ```
/// use auth_flows::oauth1::base_string_uri;
/// assert_eq!(base_string_uri("HTTP://Example.COM:80/r%20v/X?id=123", None).unwrap(),
///            "http://example.com/r%20v/X");
/// assert_eq!(base_string_uri("https://example.net:8080", None).unwrap(),
///            "https://example.net:8080/");
/// assert!(base_string_uri("example.com/path", None).is_err());
/// ```
pub fn base_string_uri(url: &str, host_header: Option<&str>) -> Result<String, SignError> {
    base_uri(url, host_header).map(Cow::into_owned)
}

/// [`base_string_uri`], borrowed from `url` when the URL has the common shape that
/// [`base_uri_as_written`] recognises in one scan.
pub(crate) fn base_uri<'u>(
    url: &'u str,
    host_header: Option<&str>,
) -> Result<Cow<'u, str>, SignError> {
    match base_uri_as_written(url) {
        Some(base_uri) if host_header.is_none() => Ok(Cow::Borrowed(base_uri)),
        _ => normalize_base_uri(url, host_header).map(Cow::Owned),
    }
}

/// The base string URI when `url` already spells it, up to its query or fragment:
/// `http://` or `https://`, a host of lower-case letters, digits, `-` and `.` whose last
/// label starts with a letter, maybe a port that is not the scheme's default (written
/// without a leading zero), and a path of unreserved bytes and `/` without `.` or `..`
/// segments. `None` for any other URL, which [`normalize_base_uri`] handles; the tests
/// check that the two agree.
fn base_uri_as_written(url: &str) -> Option<&str> {
    let (scheme_len, default_port) = if url.starts_with("https://") {
        (8, 443)
    } else if url.starts_with("http://") {
        (7, 80)
    } else {
        return None;
    };
    let bytes = url.as_bytes();
    let mut i = scheme_len;
    let mut label = i;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'.' => label = i + 1,
            _ => break,
        }
        i += 1;
    }
    // no host, a trailing dot, or a last label that may make the host numeric
    if label >= i || bytes[label].is_ascii_digit() {
        return None;
    }
    if bytes.get(i) == Some(&b':') {
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let port = &bytes[i + 1..i + 1 + digits];
        let value = port.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
        if !(1..=5).contains(&digits) || port[0] == b'0' || value > 65535 || value == default_port {
            return None;
        }
        i += 1 + digits;
    }
    if bytes.get(i) != Some(&b'/') {
        return None;
    }
    let mut segment = i + 1;
    loop {
        let b = bytes.get(i).copied();
        if matches!(b, None | Some(b'/' | b'?' | b'#')) {
            if segment < i && bytes[segment..i].iter().all(|&c| c == b'.') && i - segment <= 2 {
                return None;
            }
            segment = i + 1;
        }
        match b {
            None | Some(b'?' | b'#') => return Some(&url[..i]),
            Some(b'/') => {}
            Some(b) if is_unreserved(b) => {}
            Some(_) => return None,
        }
        i += 1;
    }
}

/// [`base_string_uri`] for any URL, built piece by piece.
fn normalize_base_uri(url: &str, host_header: Option<&str>) -> Result<String, SignError> {
    let invalid = |problem: &str| SignError::InvalidUrl {
        url: display_url(url),
        problem: problem.to_owned(),
    };

    let colon = url
        .find(':')
        .ok_or_else(|| invalid("it has no scheme (such as https://)"))?;
    let scheme = &url[..colon];
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(invalid("it has no valid scheme (such as https://)"));
    }
    let rest = url[colon + 1..]
        .strip_prefix("//")
        .ok_or_else(|| invalid("it has no host (expected scheme://host/path)"))?;

    // authority, then path up to the query or fragment
    let authority_end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let after = &rest[authority_end..];
    let path_end = after
        .bytes()
        .position(|b| matches!(b, b'?' | b'#'))
        .unwrap_or(after.len());
    let path = &after[..path_end];

    // user information is not part of the Host header
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (mut host, mut port) = split_host_port(host_port).map_err(|p| invalid(&p))?;
    if let Some(header) = host_header {
        (host, port) = split_host_port(header.trim())
            .map_err(|p| invalid(&format!("its Host header: {p}")))?;
    }
    if host.is_empty() {
        return Err(invalid("it has no host (expected scheme://host/path)"));
    }

    let default_port = if scheme.eq_ignore_ascii_case("http") {
        Some(80)
    } else if scheme.eq_ignore_ascii_case("https") {
        Some(443)
    } else {
        None
    };
    let mut out = String::with_capacity(url.len() + 1);
    push_lowercase(&mut out, scheme);
    out.push_str("://");
    push_lowercase(&mut out, &host);
    if let Some(port) = port.filter(|p| Some(*p) != default_port) {
        out.push(':');
        out.push_str(&port.to_string());
    }
    if path.is_empty() {
        out.push('/');
    } else {
        check_dot_segments(path).map_err(invalid)?;
        // borrowed, with no copy, when nothing in the path needs encoding
        out.push_str(&Cow::from(percent_encoding::utf8_percent_encode(
            path,
            PATH_ENCODE,
        )));
    }
    Ok(out)
}

/// Appends `text` in ASCII lower case (copied whole when it has no upper-case letter).
fn push_lowercase(out: &mut String, text: &str) {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        out.extend(text.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        out.push_str(text);
    }
}

/// Splits `host[:port]` or `[v6][:port]` and checks the host; an IPv6 host comes back
/// canonical (borrowed otherwise: the caller writes it in lower case). An empty port
/// (`host:`) means none.
fn split_host_port(input: &str) -> Result<(Cow<'_, str>, Option<u16>), String> {
    let (host, port_text) = if let Some(v6) = input.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or("its IPv6 address has no closing `]`")?;
        let addr: Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv6 address"))?;
        let port_text = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("unexpected text after the IPv6 address")?,
            ),
        };
        (Cow::Owned(format!("[{addr}]")), port_text)
    } else {
        let (host, port_text) = match input.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (input, None),
        };
        check_host(host)?;
        (Cow::Borrowed(host), port_text)
    };
    let port = match port_text {
        None | Some("") => None,
        Some(text) => Some(parse_port(text)?),
    };
    Ok((host, port))
}

fn parse_port(text: &str) -> Result<u16, String> {
    let bad = || format!("its port {text:?} is not a number from 1 to 65535");
    if !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 5 {
        return Err(bad());
    }
    match text.parse::<u32>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        _ => Err(bad()),
    }
}

/// Host names must be plain ASCII (what goes in the `Host` header), and numeric hosts
/// must be dotted-quad IPv4, because HTTP clients rewrite anything else (IDNA, `127.1`)
/// and the server would sign a different host.
fn check_host(host: &str) -> Result<(), String> {
    if !host.is_ascii() {
        return Err(format!(
            "its host {:?} is not ASCII; use its ASCII (punycode, xn--) form",
            display_name(host)
        ));
    }
    if let Some(bad) = host.bytes().find(|&b| !is_unreserved(b)).map(char::from) {
        return Err(format!(
            "its host {:?} contains {bad:?}, which is not allowed in a host name",
            display_name(host)
        ));
    }
    let last_label = host.trim_end_matches('.').rsplit('.').next().unwrap_or("");
    let numeric = !last_label.is_empty()
        && (last_label.bytes().all(|b| b.is_ascii_digit())
            || last_label
                .get(..2)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("0x")));
    if numeric {
        let canonical = host
            .parse::<Ipv4Addr>()
            .is_ok_and(|ip| ip.to_string() == host);
        if !canonical {
            return Err(format!(
                "its host {host:?} looks like an IPv4 address but is not four decimal numbers \
                 (a.b.c.d)"
            ));
        }
    }
    Ok(())
}

fn check_dot_segments(path: &str) -> Result<(), &'static str> {
    // A dot segment starts with `.` or `%` (`%2e`): paths with neither right after a `/`
    // (most of them) need no split.
    let may_have_dots = path.starts_with(['.', '%'])
        || path
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'/' && matches!(w[1], b'.' | b'%'));
    let dotty = may_have_dots && path.split('/').any(is_dot_segment);
    if dotty {
        Err(
            "its path has `.` or `..` segments, which HTTP clients resolve before sending; give the resolved path",
        )
    } else {
        Ok(())
    }
}

/// True for `.` and `..`, each dot written as `.` or `%2e` (any case), without building
/// the decoded segment.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() {
        rest = match rest {
            [b'.', after @ ..] => after,
            [b'%', b'2', e, after @ ..] if e.eq_ignore_ascii_case(&b'e') => after,
            _ => return false,
        };
        dots += 1;
        if dots > 2 {
            return false;
        }
    }
    dots > 0
}

/// Normalises decoded parameters as RFC 5849 §3.4.1.3.2 says: each name and value
/// percent-encoded (§3.6), sorted by encoded name and then encoded value, joined as
/// `name=value` pairs with `&`. Repeated names are kept.
///
/// ```
/// use auth_flows::oauth1::normalize_parameters;
/// let params = [("b5", "=%3D"), ("a3", "a"), ("c@", ""), ("a2", "r b"), ("a3", "2 q")];
/// assert_eq!(normalize_parameters(&params), "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=");
/// ```
pub fn normalize_parameters<N: AsRef<str>, V: AsRef<str>>(params: &[(N, V)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .collect();
    sort_encoded(&mut sorted);
    let mut out = Vec::with_capacity(encoded_len(sorted.iter().copied(), 1));
    write_normalized(&mut out, sorted, "=", "&");
    into_string(out)
}

/// What the encoded parameters take at most when each reserved byte grows to `grow`
/// times 3 bytes (a guess at the capacity, so the buffer is allocated once).
fn encoded_len<'p>(params: impl Iterator<Item = (&'p str, &'p str)>, grow: usize) -> usize {
    params.map(|(n, v)| n.len() + v.len() + 6).sum::<usize>() * (1 + grow)
}

/// A buffer written from `&str` pieces and ASCII escapes, as the `String` it is.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Orders two decoded parameters as RFC 5849 §3.4.1.3.2 does: by encoded name, then
/// encoded value ([`cmp_encoded`]).
fn cmp_pair(a: (&str, &str), b: (&str, &str)) -> std::cmp::Ordering {
    cmp_encoded(a.0.as_bytes(), b.0.as_bytes())
        .then_with(|| cmp_encoded(a.1.as_bytes(), b.1.as_bytes()))
}

/// Appends the signature base string straight from the decoded parameters to `out`:
/// the same string as [`signature_base_string`] of
/// the [`normalize_parameters`] of all the parameters, without the intermediate
/// strings. `method` is upper case already. Only the request's own `params` are sorted
/// (in place); the `protocol` parameters come sorted already and are merged in as the
/// base string is written.
pub(crate) fn base_string_into<'p, S: AsRef<str>>(
    out: &mut Vec<u8>,
    method: &str,
    base_uri: &str,
    params: &'p mut [(S, S)],
    protocol: impl Iterator<Item = (&'p str, &'p str, bool)> + Clone,
) {
    sort_encoded(params);
    let request = params.iter().map(|(n, v)| (n.as_ref(), v.as_ref()));
    // a guess: a third of the bytes escaped (`%25XY`, five bytes for one)
    let raw = method.len() + base_uri.len() + encoded_len(request.clone(), 0);
    let raw = raw + encoded_len(protocol.clone().map(|(n, v, _)| (n, v)), 0);
    out.reserve(raw * 2);
    encode_to(out, method);
    out.push(b'&');
    encode_to(out, base_uri);
    out.push(b'&');
    let (mut request, mut protocol) = (request.peekable(), protocol.peekable());
    let out = &mut Twice(out);
    for i in 0.. {
        // the protocol names are unreserved: only their values may need encoding
        let from_protocol = match (request.peek(), protocol.peek()) {
            (Some(&r), Some(&(name, value, _))) => cmp_pair((name, value), r).is_lt(),
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        if i > 0 {
            out.text("%26");
        }
        if from_protocol {
            if let Some((name, value, plain)) = protocol.next() {
                out.text(name);
                out.text("%3D");
                if plain {
                    out.text(value);
                } else {
                    encode_to(out, value);
                }
            }
        } else if let Some((name, value)) = request.next() {
            encode_to(out, name);
            out.text("%3D");
            encode_to(out, value);
        }
    }
}

/// The signature base string of RFC 5849 §3.4.1.1: the upper-case method, the base
/// string URI and the normalised parameters, each percent-encoded, joined with `&`.
///
/// ```
/// use auth_flows::oauth1::signature_base_string;
/// assert_eq!(signature_base_string("get", "http://example.com/", "a=1&b=x%20y"),
///            "GET&http%3A%2F%2Fexample.com%2F&a%3D1%26b%3Dx%2520y");
/// ```
pub fn signature_base_string(method: &str, base_uri: &str, normalized_params: &str) -> String {
    let mut out =
        String::with_capacity(method.len() + base_uri.len() * 2 + normalized_params.len() * 2);
    encode_into(&mut out, &method.to_ascii_uppercase());
    out.push('&');
    encode_into(&mut out, base_uri);
    out.push('&');
    encode_into(&mut out, normalized_params);
    out
}

/// Parses an `Authorization: OAuth ...` header value (RFC 5849 §3.5.1) into decoded
/// name/value pairs, in order. `realm` is returned as written (it is a quoted string,
/// not percent-encoded). For servers and tests that check what a client sent.
///
/// ```
/// use auth_flows::oauth1::parse_authorization_header;
/// let pairs = parse_authorization_header(r#"OAuth realm="Photos", oauth_nonce="a%20b""#).unwrap();
/// assert_eq!(pairs, [("realm".to_owned(), "Photos".to_owned()),
///                    ("oauth_nonce".to_owned(), "a b".to_owned())]);
/// assert!(parse_authorization_header("Bearer abc").is_err());
/// ```
pub fn parse_authorization_header(value: &str) -> Result<Vec<(String, String)>, SignError> {
    let malformed = |problem: &str| SignError::InvalidRequest {
        problem: format!("the Authorization header is not a valid OAuth header: {problem}"),
    };
    let value = value.trim();
    let scheme_end = value.find([' ', '\t']).unwrap_or(value.len());
    if !value[..scheme_end].eq_ignore_ascii_case("OAuth") {
        return Err(malformed("it does not start with `OAuth `"));
    }
    let mut rest = value[scheme_end..].trim_start();
    let mut pairs = Vec::new();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| malformed("a parameter has no `=`"))?;
        let name = name.trim();
        let after = after
            .trim_start()
            .strip_prefix('"')
            .ok_or_else(|| malformed("a value is not in double quotes"))?;
        let (raw, after) = after
            .split_once('"')
            .ok_or_else(|| malformed("a value has no closing quote"))?;
        let decoded_name = percent_decode(name)?;
        let decoded_value = if decoded_name == "realm" {
            raw.to_owned()
        } else {
            decode_component(raw, false)
                .map(Cow::into_owned)
                .map_err(|problem| SignError::InvalidParameter {
                    location: "Authorization header",
                    name: display_name(&decoded_name),
                    problem: problem.to_owned(),
                })?
        };
        pairs.push((decoded_name, decoded_value));
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if after.is_empty() => after,
            None => return Err(malformed("parameters are not separated by commas")),
        };
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unreserved_runs_end_at_the_first_reserved_byte_inside_or_after_a_chunk() {
        let text = b"abcdefgh-._~0123456789ABCDEFGHIJklm";
        for cut in 0..=text.len() {
            let mut bytes = text.to_vec();
            if let Some(b) = bytes.get_mut(cut) {
                *b = b'/';
            }
            assert_eq!(unreserved_run(&bytes), cut, "reserved byte at {cut}");
        }
        assert!(is_plain("oauth_nonce-1.0~") && is_plain(""));
        assert!(!is_plain("abcdefghijklmnop=") && !is_plain("é"));
    }

    /// The encoding of any bytes: the valid UTF-8 chunks as `encode_into` writes them,
    /// the other bytes escaped.
    fn encoding(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.utf8_chunks() {
            encode_into(&mut out, chunk.valid());
            for &b in chunk.invalid() {
                out.escape(b);
            }
        }
        out
    }

    #[test]
    fn dot_segments_in_any_spelling() {
        for dotty in [".", "..", "%2e", "%2E%2e", ".%2E", "%2e."] {
            assert!(is_dot_segment(dotty), "{dotty}");
        }
        for plain in [
            "",
            "...",
            "%2e%2e%2e",
            "a.",
            ".a",
            "%2",
            "%2f",
            "%%2e2e",
            "items",
        ] {
            assert!(!is_dot_segment(plain), "{plain}");
        }
    }

    proptest! {
        /// The comparison without encodings orders as the encodings themselves do.
        #[test]
        fn comparing_encodings_without_building_them(
            a in prop::collection::vec(prop::sample::select(b"aZ09-._~%&= +\x7f\xc3\xa9!".to_vec()), 0..6),
            b in prop::collection::vec(prop::sample::select(b"aZ09-._~%&= +\x7f\xc3\xa9!".to_vec()), 0..6),
        ) {
            prop_assert_eq!(cmp_encoded(&a, &b), encoding(&a).cmp(&encoding(&b)));
        }
    }

    /// Every URL the one-scan base string URI accepts gets the same base string URI as
    /// the full normalisation, and the usual API URL shapes take it.
    #[test]
    fn the_base_uri_as_written_agrees_with_the_full_normalisation() {
        for url in [
            "https://api.example.com/1.1/statuses/home_timeline.json?count=20",
            "http://photos.example.net/photos?file=vacation.jpg",
            "https://a.example:8443/x#frag",
            "http://localhost:8080/",
            "https://a-b.example/a.b/c~d/_e/...",
        ] {
            let fast = base_uri_as_written(url);
            assert!(fast.is_some(), "{url}");
            assert_eq!(
                fast,
                Some(&*normalize_base_uri(url, None).unwrap()),
                "{url}"
            );
        }
        for url in [
            "https://a.example",
            "https://a.example?q",
            "https://a.example:443/x",
            "http://a.example:80/x",
            "https://a.example:0443/x",
            "https://a.example:/x",
            "https://a.example:65536/x",
            "https://A.example/x",
            "HTTPS://a.example/x",
            "https://1.2.3.4/x",
            "https://1.2.3.4./x",
            "https://a.0x7f/x",
            "https://u@a.example/x",
            "https://a.example/./x",
            "https://a.example/x/..",
            "https://a.example/x/../y?q",
            "https://a.example/%7e",
            "https://a.example/a b",
            "https://a.example./x",
        ] {
            assert_eq!(base_uri_as_written(url), None, "{url}");
        }
    }

    proptest! {
        #[test]
        fn the_base_uri_as_written_agrees_on_any_url(
            scheme in prop::sample::select(vec!["http://", "https://", "HTTP://", "ftp://"]),
            rest in prop::collection::vec(
                prop::sample::select(b"ab09.-_~/:?#@%A8".to_vec()), 0..16
            ),
        ) {
            let url = format!("{scheme}{}", String::from_utf8(rest).unwrap());
            if let Some(fast) = base_uri_as_written(&url) {
                let full = normalize_base_uri(&url, None).map_err(|_| ());
                prop_assert_eq!(Ok(fast), full.as_deref());
            }
        }
    }

    #[test]
    fn form_parsing_follows_the_rfc_example() {
        let mut pairs = Vec::new();
        parse_form_into(&mut pairs, "c2&a3=2+q", "form body").unwrap();
        assert_eq!(
            pairs,
            [("c2".into(), "".into()), ("a3".into(), "2 q".into())]
        );
        let err = parse_form_into(&mut Vec::new(), "a=%zz", "query").unwrap_err();
        assert!(err.to_string().contains("two hex digits"), "{err}");
        assert!(!err.to_string().contains("zz"), "{err}");
    }

    #[test]
    fn hosts_that_clients_rewrite_are_refused() {
        for bad in [
            "http://exämple.com/",
            "http://127.1/",
            "http://0x7f.0.0.1/",
            "http://a b/",
            "http://x/a/../b",
            "http://x/a/%2E/b",
        ] {
            assert!(base_string_uri(bad, None).is_err(), "{bad}");
        }
        assert_eq!(
            base_string_uri("http://u:p@Host.example:8080/a", None).unwrap(),
            "http://host.example:8080/a"
        );
        assert_eq!(
            base_string_uri("http://[::FFFF:1.2.3.4]:80/", None).unwrap(),
            "http://[::ffff:1.2.3.4]/"
        );
    }

    #[test]
    fn header_parsing_rejects_garbage() {
        for bad in [
            "OAuth a",
            "OAuth a=b",
            "OAuth a=\"b",
            "OAuth a=\"b\" c=\"d\"",
            "OAuth a=\"%zz\"",
        ] {
            assert!(parse_authorization_header(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_authorization_header("OAuth").unwrap(), []);
    }
}
