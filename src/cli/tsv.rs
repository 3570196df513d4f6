//! Tab-separated values for scripts: one record a line, fields joined by a
//! tab, and the characters that would break a record escaped.

use std::borrow::Cow;

use crate::locale::terminal_safe::escape_line;

/// A field made safe for one TSV cell and for a terminal: a backslash
/// becomes `\\`, then tab, line feed and carriage return become `\t`, `\n`
/// and `\r`, and every other control, bidi or invisible character a visible
/// escape (`\x1b`, `\u{202e}`), as everywhere the CLI prints. A record stays
/// one line of a fixed number of fields, and since backslashes are doubled
/// first, every escape decodes to exactly one value. Everything else (CJK,
/// accents, emoji) is kept as it is.
pub fn field(value: &str) -> Cow<'_, str> {
    if !value.contains('\\') {
        return escape_line(value);
    }
    Cow::Owned(escape_line(&value.replace('\\', "\\\\")).into_owned())
}

/// One record: the fields escaped and joined by tabs, without the line feed.
pub fn record(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join("\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_and_line_breaks_stay_inside_their_field() {
        let line = record(&["ok", "a\tb\nc\r", "back\\slash", ""]);
        assert_eq!(line, "ok\ta\\tb\\nc\\r\tback\\\\slash\t");
        assert_eq!(line.split('\t').count(), 4);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn an_escape_and_its_spelling_stay_apart() {
        assert_eq!(field("\u{1b}[2J"), "\\x1b[2J");
        assert_eq!(field("\\x1b[2J"), "\\\\x1b[2J");
        assert_eq!(field("evil\u{202e}"), "evil\\u{202e}");
    }

    #[test]
    fn plain_values_are_not_copied() {
        assert!(matches!(field("Mgmt API 本番"), Cow::Borrowed(_)));
    }
}
