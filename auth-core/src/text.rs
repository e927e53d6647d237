//! Server-controlled text made safe to show on a terminal.
//!
//! A server chooses the `error`, `error_description` and `error_uri` of an OAuth error,
//! a device flow's `user_code` and `verification_uri`, account names and scopes. Written
//! raw to a terminal, control characters in them could set the window title
//! (`ESC ] 0 ; ... BEL`), clear the screen (`ESC [ 2 J`), move the cursor to fake a prompt,
//! or reorder what the person reads (bidirectional overrides). [`printable`] is the one
//! rule every such string passes through before it is displayed.

/// True for a character that must not reach a terminal from a server: C0 controls (ESC,
/// BEL, CR, LF, TAB, ...), DEL, C1 controls (U+0080 to U+009F, which some terminals obey
/// like `ESC [`), and the Unicode bidirectional controls (U+061C, U+200E, U+200F,
/// U+202A to U+202E, U+2066 to U+2069).
///
/// ```
/// use auth_core::text::is_unsafe_char;
/// assert!(is_unsafe_char('\x1b') && is_unsafe_char('\x7f') && is_unsafe_char('\u{9b}'));
/// assert!(is_unsafe_char('\u{202e}'));
/// assert!(!is_unsafe_char('é') && !is_unsafe_char(' '));
/// ```
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [unsafe character](is_unsafe_char) replaced by a space, so that an
/// escape sequence loses its ESC (and so its effect) and shows as plain characters.
/// Everything else, non-ASCII letters included, is kept.
///
/// ```
/// use auth_core::text::printable;
/// assert_eq!(printable("bad\x1b]0;pwned\x07 scope"), "bad ]0;pwned  scope");
/// assert_eq!(printable("\x1b[2Jclear"), " [2Jclear");
/// assert_eq!(printable("abc\u{202e}fed"), "abc fed");
/// assert_eq!(printable("Zoë"), "Zoë");
/// ```
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if is_unsafe_char(c) { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn no_unsafe_character_survives(text in any::<String>()) {
            let out = printable(&text);
            prop_assert!(!out.chars().any(is_unsafe_char));
            prop_assert_eq!(out.chars().count(), text.chars().count());
        }
    }
}
