//! The last step of every frame: no cell may send the terminal a character
//! that commands it or misleads the reader.
//!
//! ratatui already drops C0 and C1 controls, but keeps zero-width
//! characters by appending them to the previous cell, so bidi overrides
//! (U+202E) and invisible characters from names, values or server texts would
//! reach the terminal.

use ratatui::buffer::Buffer;
use unicode_width::UnicodeWidthStr;

use crate::locale::terminal_safe::{is_unsafe, strip};

/// Removes every unsafe character from the cells of `buffer`.
pub fn scrub(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        let symbol = cell.symbol();
        if !symbol.chars().any(is_unsafe) {
            continue;
        }
        let kept = strip(symbol);
        // A joiner removed from an emoji sequence leaves glyphs wider than
        // the cells laid out for it: keep the first, so columns stay aligned.
        let safe = if kept.width() > symbol.width() {
            kept.chars().next().map(String::from).unwrap_or_default()
        } else {
            kept.into_owned()
        };
        cell.set_symbol(if safe.is_empty() { " " } else { &safe });
    }
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;
    use ratatui::text::Line;
    use ratatui::widgets::Widget;

    use super::*;

    fn rendered(text: &str) -> Buffer {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 1));
        Line::from(text).render(buffer.area, &mut buffer);
        scrub(&mut buffer);
        buffer
    }

    /// The row as a terminal shows it: the cells a wide glyph covers are skipped.
    fn row(buffer: &Buffer) -> String {
        let mut out = String::new();
        let mut covered = 0;
        for cell in &buffer.content {
            if covered > 0 {
                covered -= 1;
                continue;
            }
            out.push_str(cell.symbol());
            covered = cell.symbol().width().saturating_sub(1);
        }
        out
    }

    #[test]
    fn bidi_and_invisible_characters_never_reach_a_cell() {
        for attack in [
            "evil\u{202e}gpj.exe",
            "\u{202e}first",
            "a\u{200b}b\u{2066}c\u{feff}",
            "x\u{1b}]0;pwn\u{7}",
            "y\u{9b}2J\u{7f}",
        ] {
            let buffer = rendered(attack);
            let text = row(&buffer);
            assert!(!text.chars().any(is_unsafe), "{attack:?} left {text:?}");
        }
        assert!(row(&rendered("evil\u{202e}gpj.exe")).starts_with("evilgpj.exe"));
    }

    #[test]
    fn an_emoji_sequence_keeps_its_columns() {
        let text = row(&rendered("👩\u{200d}💻|"));
        assert!(!text.chars().any(is_unsafe));
        assert_eq!(text.width(), 20, "{text:?}");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        assert!(row(&rendered("本番 Twilio ok")).starts_with("本番 Twilio ok"));
    }
}
