//! Redis key names: `PREFIX:{provider:account:client}:token`, `…:lock`, and
//! `PREFIX:{provider}:active`.
//!
//! Each part is percent-encoded: every byte outside `A-Z a-z 0-9 . _ - ~ @ +` becomes
//! `%XX`. So no part contains `:`, `{`, `}` or a glob character, the three parts of a
//! hash tag can never run into each other, and the tag (what Redis Cluster hashes to pick
//! a slot) is the same for every key of one token.

use auth_core::TokenKey;

fn keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~' | b'@' | b'+')
}

/// Percent-encodes one part.
pub(crate) fn encode(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for &b in part.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reverses [`encode`]; `None` for text `encode` cannot have made.
pub(crate) fn decode(part: &str) -> Option<String> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = part.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b if keep(b) => {
                out.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// The names of one store's keys, under a prefix.
#[derive(Clone, Debug)]
pub(crate) struct Names {
    pub(crate) prefix: String,
}

impl Names {
    fn tag(key: &TokenKey) -> String {
        format!(
            "{}:{}:{}",
            encode(&key.provider),
            encode(&key.account),
            encode(&key.client_id)
        )
    }

    /// Where the token of `key` lives (a hash: `rev`, `data`).
    pub(crate) fn token(&self, key: &TokenKey) -> String {
        format!("{}:{{{}}}:token", self.prefix, Self::tag(key))
    }

    /// The renewal lock of `key`.
    pub(crate) fn lock(&self, key: &TokenKey) -> String {
        format!("{}:{{{}}}:lock", self.prefix, Self::tag(key))
    }

    /// The active account of `provider`.
    pub(crate) fn active(&self, provider: &str) -> String {
        format!("{}:{{{}}}:active", self.prefix, encode(provider))
    }

    /// A SCAN pattern matching every token key of `provider`.
    pub(crate) fn token_pattern(&self, provider: &str) -> String {
        format!(
            "{}:{{{}:*}}:token",
            glob_escape(&self.prefix),
            encode(provider)
        )
    }

    /// The key a token key name was made from, if it is one of this store's.
    pub(crate) fn parse_token(&self, name: &str) -> Option<TokenKey> {
        let tag = name
            .strip_prefix(&self.prefix)?
            .strip_prefix(":{")?
            .strip_suffix("}:token")?;
        let mut parts = tag.split(':');
        let key = TokenKey::new(
            decode(parts.next()?)?,
            decode(parts.next()?)?,
            decode(parts.next()?)?,
        );
        parts.next().is_none().then_some(key)
    }
}

/// Escapes the glob characters of a SCAN pattern.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            prefix: "authctl".into(),
        }
    }

    #[test]
    fn names_carry_one_hash_tag_per_token() {
        let key = TokenKey::new("p", "a", "c");
        assert_eq!(names().token(&key), "authctl:{p:a:c}:token");
        assert_eq!(names().lock(&key), "authctl:{p:a:c}:lock");
    }

    #[test]
    fn separators_and_braces_cannot_collide() {
        let a = TokenKey::new("p:a", "c", "x");
        let b = TokenKey::new("p", "a:c", "x");
        let c = TokenKey::new("p}", "{a", "*");
        assert_ne!(names().token(&a), names().token(&b));
        let name = names().token(&c);
        assert_eq!(name.matches('{').count(), 1);
        assert_eq!(name.matches('}').count(), 1);
        assert!(!name.contains('*'));
        for key in [a, b, c] {
            assert_eq!(names().parse_token(&names().token(&key)), Some(key));
        }
    }

    #[test]
    fn unicode_round_trips_and_bad_escapes_are_refused() {
        let key = TokenKey::new("prövider", "ana %20", "🔑");
        assert_eq!(names().parse_token(&names().token(&key)), Some(key));
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("a:b"), None);
        assert_eq!(names().parse_token("other:{p:a:c}:token"), None);
    }

    #[test]
    fn the_pattern_covers_only_one_provider() {
        assert_eq!(names().token_pattern("p*"), "authctl:{p%2A:*}:token");
    }
}
