//! Text from a vault, a server or an argument made safe to print on a terminal.
//!
//! A terminal obeys control characters: ESC starts sequences that write the
//! clipboard (OSC 52), retitle the window or clear the screen, and C1 codes
//! such as U+009B do the same on terminals that honour them. Bidi controls
//! and invisible characters do not command the terminal but make text read
//! differently from what it is ("evil\u{202e}gpj.exe" shows as "evilexe.jpg").
//! None of them may reach a terminal raw from data: the CLI shows them as
//! visible escapes (`\x1b`, `\u{202e}`) and the UI drops them.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must never reach a terminal raw: C0 controls, DEL, C1
/// controls, bidi controls and invisible formatting characters.
pub fn is_unsafe(c: char) -> bool {
    is_control(c) || is_bidi_control(c) || is_invisible(c)
}

/// C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F).
fn is_control(c: char) -> bool {
    c.is_control()
}

/// Marks and embeddings, overrides and isolates that reorder what follows.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that take no visible space, so two different texts can look
/// the same: zero-width space and joiners, word joiner and invisible
/// operators, soft hyphen, line and paragraph separators (some terminals
/// break lines on them), the byte order mark, interlinear annotations and
/// tag characters (which can hide a whole ASCII text).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200d}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'..='\u{2064}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// `s` for one line of output: every unsafe character, line breaks and tabs
/// included, as a visible escape (`\n`, `\x1b`, `\u{202e}`). Other
/// characters, backslashes included, are left as they are so ordinary values
/// stay readable and can be copied.
pub fn escape_line(s: &str) -> Cow<'_, str> {
    escape(s, |_, _| false)
}

/// `s` for output of several lines (a response body): like [`escape_line`],
/// but line feeds, tabs and a carriage return right before a line feed stay
/// raw, since they only move the cursor on to the next line or column.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape(s, |c, next| {
        c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'))
    })
}

/// `s` without its unsafe characters, for a screen that has no room to show
/// escapes (the terminal UI).
pub fn strip(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_unsafe) {
        Cow::Owned(s.chars().filter(|c| !is_unsafe(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Serialized JSON made safe to print: unsafe characters the serializer left
/// raw in strings (DEL, C1, bidi, invisible) become `\uXXXX` escapes, so the
/// text decodes to exactly the same values.
pub fn escape_json(json: String) -> String {
    // Outside strings a serializer writes only ASCII punctuation, digits,
    // letters, spaces and line feeds; a raw line feed in a string is invalid
    // JSON, so every other unsafe character is inside a string.
    if printable_ascii(&json, true) || !json.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c != '\n' && is_unsafe(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `s` is printable ASCII (and line feeds, if `line_feeds`): the
/// common case, checked a byte at a time before any character is decoded.
fn printable_ascii(s: &str, line_feeds: bool) -> bool {
    s.bytes()
        .all(|b| (b' '..=b'~').contains(&b) || (line_feeds && b == b'\n'))
}

fn escape(s: &str, keep: impl Fn(char, Option<char>) -> bool) -> Cow<'_, str> {
    if printable_ascii(s, false) || !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if !is_unsafe(c) || keep(c, chars.peek().copied()) {
            out.push(c);
            continue;
        }
        // `write!` to a String cannot fail.
        let _ = match c {
            '\n' => write!(out, "\\n"),
            '\r' => write!(out, "\\r"),
            '\t' => write!(out, "\\t"),
            c if c.is_ascii() => write!(out, "\\x{:02x}", u32::from(c)),
            c => write!(out, "\\u{{{:x}}}", u32::from(c)),
        };
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Unicode scalar value.
    fn all_chars() -> impl Iterator<Item = char> {
        (0..=u32::from(char::MAX)).filter_map(char::from_u32)
    }

    #[test]
    fn the_unsafe_classes_are_exactly_these() {
        let unsafe_ranges: &[(u32, u32)] = &[
            (0x00, 0x1f),
            (0x7f, 0x9f),
            (0xad, 0xad),
            (0x34f, 0x34f),
            (0x61c, 0x61c),
            (0x180e, 0x180e),
            (0x200b, 0x200f),
            (0x2028, 0x202e),
            (0x2060, 0x2064),
            (0x2066, 0x2069),
            (0xfeff, 0xfeff),
            (0xfff9, 0xfffb),
            (0xe0000, 0xe007f),
        ];
        for c in all_chars() {
            let n = u32::from(c);
            let expected = unsafe_ranges
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&n));
            assert_eq!(is_unsafe(c), expected, "U+{n:04X}");
        }
    }

    #[test]
    fn no_unsafe_character_survives_any_function() {
        // Every character alone, between letters, and all of them at once.
        let mut everything = String::new();
        for c in all_chars() {
            let s = format!("a{c}b");
            assert!(
                !escape_line(&s).chars().any(is_unsafe),
                "U+{:04X}",
                c as u32
            );
            assert!(
                !escape_text(&s)
                    .chars()
                    .any(|c| is_unsafe(c) && c != '\n' && c != '\t'),
                "U+{:04X}",
                c as u32
            );
            assert!(!strip(&s).chars().any(is_unsafe), "U+{:04X}", c as u32);
            everything.push(c);
        }
        assert!(!escape_line(&everything).chars().any(is_unsafe));
        assert!(!strip(&everything).chars().any(is_unsafe));
    }

    #[test]
    fn attacks_are_shown_as_visible_escapes() {
        assert_eq!(
            escape_line("\u{1b}]52;c;ZXZpbA==\u{7}"),
            r"\x1b]52;c;ZXZpbA==\x07"
        );
        assert_eq!(escape_line("\u{1b}[2J"), r"\x1b[2J");
        assert_eq!(escape_line("a\u{9b}31m"), r"a\u{9b}31m");
        assert_eq!(escape_line("x\u{7f}"), r"x\x7f");
        assert_eq!(escape_line("evil\u{202e}gpj.exe"), r"evil\u{202e}gpj.exe");
        assert_eq!(escape_line("a\u{200b}b\u{feff}"), r"a\u{200b}b\u{feff}");
        assert_eq!(escape_line("one\ntwo\r\tx"), r"one\ntwo\r\tx");
    }

    #[test]
    fn ordinary_text_is_untouched_and_borrowed() {
        for s in [
            "",
            "Mgmt API",
            "本番 Twilio",
            r"C:\path\x1b",
            "émoji 💻",
            "{\"a\": 1}",
        ] {
            assert!(matches!(escape_line(s), Cow::Borrowed(t) if t == s));
            assert!(matches!(escape_text(s), Cow::Borrowed(t) if t == s));
            assert!(matches!(strip(s), Cow::Borrowed(t) if t == s));
        }
    }

    #[test]
    fn several_lines_keep_their_breaks_but_not_a_lone_carriage_return() {
        assert_eq!(escape_text("a\r\nb\tc\n"), "a\r\nb\tc\n");
        assert_eq!(escape_text("paid\rFAILED\n"), "paid\\rFAILED\n");
        assert_eq!(escape_text("\u{1b}[2J\n"), "\\x1b[2J\n");
        assert_eq!(escape_text("x\r"), "x\\r");
    }

    #[test]
    fn escaping_twice_changes_nothing_more() {
        let s = "\u{1b}]0;pwn\u{7}\u{202e}\n\u{9b}";
        let once = escape_line(s).into_owned();
        assert_eq!(escape_line(&once), once);
    }

    #[test]
    fn strip_drops_only_the_unsafe_characters() {
        assert_eq!(strip("ab\u{202e}cd\u{1b}[2J"), "abcd[2J");
        assert_eq!(strip("a\u{200b}\u{2066}b"), "ab");
    }

    #[test]
    fn json_stays_equal_in_value_and_safe_to_print() {
        let all: String = all_chars().collect();
        let value = serde_json::json!({ "name": all, "plain": "ok" });
        let text = escape_json(serde_json::to_string_pretty(&value).unwrap());
        assert!(!text.chars().any(|c| c != '\n' && is_unsafe(c)));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        let tag = serde_json::json!(["\u{e0041}\u{202e}\u{9b}\u{7f}"]);
        assert_eq!(
            escape_json(serde_json::to_string(&tag).unwrap()),
            r#"["\udb40\udc41\u202e\u009b\u007f"]"#
        );
    }
}
