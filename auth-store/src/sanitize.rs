//! Small helpers for error messages: no stored value may reach one.

/// Replaces every double-quoted part of a parser message with `"…"`: serde's messages
/// quote the offending value (`invalid type: string "s3cr3t", expected u64`), and in a
/// token document that value may be a secret.
#[cfg_attr(not(any(feature = "file", feature = "keyring")), allow(dead_code))]
pub(crate) fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if inside => {
                out.push_str("…\"");
                inside = false;
            }
            '"' => {
                out.push('"');
                inside = true;
            }
            '\\' if inside => {
                chars.next();
            }
            _ if inside => {}
            c => out.push(c),
        }
    }
    if inside {
        out.push_str("…\"");
    }
    out
}

/// Quotes a path for a POSIX shell command in a hint, when it needs quoting (single
/// quotes, with `'` written as `'\''`).
///
/// ```
/// assert_eq!(auth_store::shell_quote("/home/ana/tokens"), "/home/ana/tokens");
/// assert_eq!(auth_store::shell_quote("/tmp/it's here"), r"'/tmp/it'\''s here'");
/// ```
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_removed() {
        assert_eq!(
            without_quoted_values(r#"invalid type: string "s3cr3t", expected u64"#),
            r#"invalid type: string "…", expected u64"#
        );
        assert_eq!(
            without_quoted_values(r#"a "b\"c" d "unterminated"#),
            r#"a "…" d "…""#
        );
        assert_eq!(
            without_quoted_values("missing field `access_token`"),
            "missing field `access_token`"
        );
    }

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(
            shell_quote("/home/ana/.local/share/authctl/tokens.json"),
            "/home/ana/.local/share/authctl/tokens.json"
        );
        assert_eq!(shell_quote("/tmp/a b/it's"), r"'/tmp/a b/it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
