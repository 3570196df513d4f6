//! Tab-separated values for scripts: one record a line, fields joined by a
//! tab, and the characters that would break a record escaped.

use std::borrow::Cow;

/// A field made safe for one TSV cell: backslash, tab, line feed and
/// carriage return become `\\`, `\t`, `\n` and `\r` (the escapes of
/// PostgreSQL's text format and of `mlr --tsv`), so every record stays one
/// line of a fixed number of fields and decoding gives the value back.
/// Every other character is kept as it is.
pub fn field(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '\t', '\n', '\r']) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 4);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
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
    fn plain_values_are_not_copied() {
        assert!(matches!(field("Mgmt API 本番"), Cow::Borrowed(_)));
    }
}
