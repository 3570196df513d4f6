//! Fitting text into terminal cells by display width (CJK takes two), never by bytes.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of `s` in terminal cells.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` cut to at most `max` cells, ending in `…` when cut, at a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    format!("{}…", fit(s, max - 1))
}

/// `s` followed by spaces up to `cells` display cells (never cut).
pub fn pad(s: &str, cells: usize) -> String {
    format!("{s}{}", " ".repeat(cells.saturating_sub(s.width())))
}

/// The longest prefix of `s` that fits in `max` cells.
pub fn fit(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += c.width().unwrap_or(0);
        if used > max {
            return &s[..i];
        }
    }
    s
}

/// The part of `s` after its first `cols` cells (a wide character cut in two is dropped).
pub fn skip_columns(s: &str, cols: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        if used >= cols {
            return &s[i..];
        }
        used += c.width().unwrap_or(0);
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("Mgmt API", 20), "Mgmt API");
        assert_eq!(truncate("Mgmt API", 5), "Mgmt…");
        // Each of 本番 is two cells: four cells hold one of them and the ellipsis.
        assert_eq!(truncate("本番 Twilio", 4), "本…");
        assert_eq!(width(&truncate("本番 Twilio", 5)), 5);
    }

    #[test]
    fn skips_whole_characters() {
        assert_eq!(skip_columns("abcdef", 2), "cdef");
        assert_eq!(skip_columns("接続テスト", 4), "テスト");
    }
}
