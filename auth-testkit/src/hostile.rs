//! Inputs shaped like what a hostile peer sends, as `proptest` strategies, for the parser
//! property tests of every crate (`cargo xtask fuzz` runs them with many cases).
//!
//! Random bytes alone rarely get past a parser's first check. These strategies build
//! near-valid documents instead: the fields a parser looks for, with absurd numbers, huge
//! strings, control and escape characters, wrong types, duplicate keys and deep nesting,
//! and then maybe break them (cut short, an invalid UTF-8 byte put in).
//!
//! ```
//! use auth_testkit::hostile;
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::deterministic();
//! let body: Vec<u8> = hostile::json_object(&["access_token", "expires_in"])
//!     .new_tree(&mut runner)
//!     .unwrap()
//!     .current();
//! // feed `body` to the parser under test; it must never panic
//! let _ = serde_json::from_slice::<serde_json::Value>(&body);
//! ```

use proptest::prelude::*;
use proptest::test_runner::Config;

/// A proptest configuration whose case count is `PROPTEST_CASES` when it is set (what
/// `cargo xtask fuzz` sets) and `ci_default` otherwise, for properties too slow for
/// proptest's default of 256 cases on every CI run.
///
/// ```
/// let config = auth_testkit::hostile::config(64);
/// assert!(config.cases > 0);
/// ```
pub fn config(ci_default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ci_default);
    Config {
        cases,
        // A parser property either holds or shows the input; shrinking the huge inputs
        // is what takes long, not finding them.
        max_shrink_iters: 256,
        ..Config::default()
    }
}

/// A string strategy for `pattern`, compiled once (a `&str` strategy compiles its regex
/// for every case, which dominates the run time of a long fuzz run).
fn re(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern).expect("a valid pattern")
}

/// Control characters and terminal escapes a server might slip into a text field.
pub const ESCAPES: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J",
    "\u{1b}[31m",
    "\r\nSet-Cookie: a=b",
    "\0",
    "\u{7f}",
    "\u{202e}",
    "\u{feff}",
    "\u{9b}31m",
    "\t",
];

/// Numbers that break arithmetic: zero, negatives, the edges of the integer types,
/// floats, exponents, and numbers no integer type holds, as JSON number text.
pub const ABSURD_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2147483647",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "340282366920938463463374607431768211456",
    "1e308",
    "1e400",
    "-1e400",
    "1.5",
    "0.0000001",
    "-0",
    "1E+2",
    "99999999999999999999999999999999999999999999999999999999999",
];

/// A text value a hostile server might send: ordinary words, control characters and
/// escapes, an absurd number as text, any Unicode, or something huge (up to 65,536 characters).
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let _text: String = auth_testkit::hostile::text().new_tree(&mut runner).unwrap().current();
/// ```
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => re("[a-zA-Z0-9_.:/-]{0,24}"),
        2 => re("\\PC{0,40}"),
        2 => prop::sample::select(ESCAPES).prop_map(str::to_owned),
        1 => prop::sample::select(ABSURD_NUMBERS).prop_map(str::to_owned),
        1 => (re("[a-zA-Z0-9]{0,8}"), prop::sample::select(ESCAPES), re("[a-z]{0,8}"))
            .prop_map(|(a, e, b)| format!("{a}{e}{b}")),
        1 => (
            prop::sample::select(vec!['a', '%', '\u{1b}', 'é', '"', '\\']),
            prop::sample::select(vec![255usize, 4_096, 65_536]),
        )
            .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
    ]
}

/// One JSON value as text: a string from [`text`], an absurd number, a literal, an
/// array or object, or nesting far deeper than a parser's recursion limit.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let _value: String = auth_testkit::hostile::json_value().new_tree(&mut runner).unwrap().current();
/// ```
pub fn json_value() -> impl Strategy<Value = String> {
    let nested = leaf().prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((re("[a-z_]{1,8}"), inner), 0..4).prop_map(|fields| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::Value::String(k)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    });
    prop_oneof![6 => leaf(), 1 => nested]
}

/// A JSON value that is not an array or object built of others: a string, a number, a
/// literal, or deep nesting of one value.
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => text().prop_map(|t| serde_json::Value::String(t).to_string()),
        3 => prop::sample::select(ABSURD_NUMBERS).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["true", "false", "null", "\"\"", "[]", "{}"])
            .prop_map(str::to_owned),
        1 => (
            prop::sample::select(vec![2usize, 127, 128, 129, 1_000, 20_000]),
            prop::sample::select(vec![("[", "]"), ("{\"a\":", "}")]),
        )
            .prop_map(|(depth, (open, close))| {
                format!("{}1{}", open.repeat(depth), close.repeat(depth))
            }),
    ]
}

/// Which of `names` a document carries, each with a hostile value (maybe twice, as a
/// duplicate key), plus some unknown fields.
fn fields(names: &[&'static str]) -> impl Strategy<Value = Vec<(String, String)>> {
    let names = names.to_vec();
    let count = names.len();
    (
        prop::collection::vec((0..4u8, json_value(), leaf()), count),
        prop::collection::vec((re("[a-z_]{1,12}|\\PC{1,6}"), leaf()), 0..3),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(chosen, extra, shuffle)| {
            let mut out = Vec::new();
            for (name, (presence, value, duplicate)) in names.iter().zip(chosen) {
                match presence {
                    0 => {}
                    3 => {
                        out.push(((*name).to_owned(), value));
                        out.push(((*name).to_owned(), duplicate));
                    }
                    _ => out.push(((*name).to_owned(), value)),
                }
            }
            out.extend(extra);
            if !out.is_empty() {
                let at = shuffle.index(out.len());
                out.rotate_left(at);
            }
            out
        })
}

/// Breaks a well-formed document the way a network or a hostile peer does: left as it
/// is (most often), cut short, an invalid UTF-8 byte put in, or a byte replaced.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// let mut runner = proptest::test_runner::TestRunner::deterministic();
/// let doc = auth_testkit::hostile::damage(b"{}".to_vec()).new_tree(&mut runner).unwrap().current();
/// assert!(doc.len() <= 3);
/// ```
pub fn damage(doc: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = doc.len();
    (0..6u8, 0..=len, any::<u8>()).prop_map(move |(how, at, byte)| {
        let mut doc = doc.clone();
        match how {
            0 => doc.truncate(at),
            1 => doc.insert(at, 0xff),
            2 if at < doc.len() => doc[at] = byte,
            _ => {}
        }
        doc
    })
}

/// A JSON object carrying (some of) the fields `names`, each with a hostile value, maybe
/// duplicated, among unknown fields, and then maybe damaged (see the module doc); or
/// now and then something that is not an object at all.
pub fn json_object(names: &[&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let object = fields(names).prop_map(|fields| {
        let fields: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::String(k)))
            .collect();
        format!("{{{}}}", fields.join(",")).into_bytes()
    });
    prop_oneof![
        9 => object.prop_flat_map(damage),
        1 => json_value().prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// A form-encoded body (`a=b&c=d`) carrying (some of) the fields `names` with hostile
/// values, percent-encoded or raw, maybe duplicated, maybe damaged.
pub fn form_body(names: &[&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (fields(names), any::<bool>())
        .prop_map(|(fields, raw)| {
            let pairs: Vec<String> = fields
                .into_iter()
                .map(|(k, v)| {
                    let v = v.trim_matches('"').to_owned();
                    if raw {
                        format!("{k}={v}")
                    } else {
                        form_urlencoded::Serializer::new(String::new())
                            .append_pair(&k, &v)
                            .finish()
                    }
                })
                .collect();
            pairs.join("&").into_bytes()
        })
        .prop_flat_map(damage)
}

/// A URL query (`a=b&c=d`, no `?`) carrying (some of) `names` with hostile values:
/// percent-encoded, raw, with broken escapes (`%zz`, `%`), maybe duplicated.
pub fn query(names: &[&'static str]) -> impl Strategy<Value = String> {
    (
        fields(names),
        prop::sample::select(vec!["", "%", "%zz", "%FF%FE", "%00", "&&", "=", "+"]),
    )
        .prop_map(|(fields, junk)| {
            let mut pairs: Vec<String> = fields
                .into_iter()
                .map(|(k, v)| {
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair(&k, v.trim_matches('"'))
                        .finish()
                })
                .collect();
            pairs.push(junk.to_owned());
            pairs.join("&")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    /// The strategies give what they promise: near-valid objects that parse now and
    /// then, and damaged ones that do not.
    #[test]
    fn objects_are_near_valid_and_sometimes_broken() {
        let mut runner = TestRunner::deterministic();
        let strategy = json_object(&["access_token", "expires_in"]);
        let (mut parsed, mut broken, mut with_field) = (0, 0, 0);
        for _ in 0..300 {
            let body = strategy.new_tree(&mut runner).unwrap().current();
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(v) => {
                    parsed += 1;
                    with_field += usize::from(v.get("expires_in").is_some());
                }
                Err(_) => broken += 1,
            }
        }
        assert!(
            parsed > 50 && broken > 20 && with_field > 20,
            "{parsed} {broken} {with_field}"
        );
    }
}
