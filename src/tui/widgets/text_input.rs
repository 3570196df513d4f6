//! A tui-input field: editing it with readline keys and pastes, and drawing
//! it masked or clear, with placeholder and cursor.

use ratatui::Frame;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use crate::locale::terminal_safe::is_unsafe;
use crate::locale::width::{fit, skip_columns, truncate};
use crate::tui::theme::Theme;

/// The character secrets are drawn with.
pub const MASK_CHAR: char = '•';

/// Whether a field keeps the line breaks of a paste.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: names, filters, ids, URLs, JSON inputs, the passphrase.
    Single,
    /// Lines kept as pasted: secrets (a PEM private key, a key file's JSON).
    Multi,
}

/// Hands a key or a paste to `input` and says whether it changed. Keys are
/// readline's (Ctrl-a/e/b/f/k/u/w/y, Alt-b/f, Alt-Backspace); a paste goes in whole at the
/// cursor, never as key presses, so nothing pasted can act as a key.
pub fn edit(input: &mut Input, event: &Event, lines: Lines) -> bool {
    match event {
        Event::Paste(text) => paste(input, text, lines),
        Event::Key(key) => readline_request(key, input).is_some_and(|r| input.handle(r).is_some()),
        _ => false,
    }
}

/// What a key asks of a text input, as readline and shells read it.
fn readline_request(key: &KeyEvent, input: &Input) -> Option<InputRequest> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers == KeyModifiers::CONTROL;
    // Terminals report Alt (or Esc then the key) as ALT; tui-input only reads
    // META, which they never send.
    let alt = key.modifiers == KeyModifiers::ALT;
    match key.code {
        // tui-input clears the whole line on Ctrl-u; readline kills to the start.
        KeyCode::Char('u') if ctrl => Some(InputRequest::DeleteFromStart),
        KeyCode::Char('b') if alt => Some(InputRequest::GoToPrevWord),
        // tui-input goes to the start of the next word; readline to the end
        // of this one, so Alt-f then Ctrl-k keeps the first word.
        KeyCode::Char('f') if alt => Some(InputRequest::SetCursor(word_end(
            input.value(),
            input.cursor(),
        ))),
        KeyCode::Backspace if alt => Some(InputRequest::DeletePrevWord),
        _ => match to_input_request(&Event::Key(*key))? {
            // What cannot be pasted cannot be typed either (a bidi override
            // from a compose key or an input method).
            InputRequest::InsertChar(c) if is_unsafe(c) => None,
            request => Some(request),
        },
    }
}

/// The end of the word at or after character `cursor`; words are letters and
/// digits, as in readline.
fn word_end(value: &str, cursor: usize) -> usize {
    value
        .chars()
        .enumerate()
        .skip(cursor)
        .skip_while(|(_, c)| !c.is_alphanumeric())
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or_else(|| value.chars().count(), |(i, _)| i)
}

fn paste(input: &mut Input, text: &str, lines: Lines) -> bool {
    let pasted = pasted_text(text, lines);
    if pasted.is_empty() {
        return false;
    }
    let value = input.value();
    let cursor = input.cursor();
    let at = value
        .char_indices()
        .nth(cursor)
        .map_or(value.len(), |(i, _)| i);
    let mut joined = String::with_capacity(value.len() + pasted.len());
    joined.push_str(&value[..at]);
    joined.push_str(&pasted);
    joined.push_str(&value[at..]);
    *input = Input::new(joined).with_cursor(cursor + pasted.chars().count());
    true
}

/// The text a paste puts into a field: line breaks as `\n` (terminals send
/// CR, or CRLF from Windows text), and nothing unsafe for a terminal (controls,
/// bidi and invisible characters), except line breaks and tabs in a
/// [`Lines::Multi`] field.
///
/// In a [`Lines::Single`] field the breaks a copy drags along at either end
/// are dropped and those inside become spaces, rather than the paste being cut
/// at the first line: all of it stays in the field, where the operator sees it
/// and a check flags it, whereas a cut would silently drop the lines they
/// cannot see and might save half a value. JSON stays valid, since a line
/// break in it is only ever white space.
pub fn pasted_text(text: &str, lines: Lines) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    match lines {
        Lines::Multi => text
            .chars()
            .filter(|&c| c == '\n' || c == '\t' || !is_unsafe(c))
            .collect(),
        Lines::Single => text
            .trim_matches('\n')
            .chars()
            .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
            .filter(|&c| !is_unsafe(c))
            .collect(),
    }
}

/// How one input is drawn.
#[derive(Debug, Clone, Copy)]
pub struct InputView<'a> {
    pub input: &'a Input,
    pub masked: bool,
    pub placeholder: Option<&'a str>,
    pub focused: bool,
}

impl InputView<'_> {
    /// Draws the input in one line of `area` and places the cursor when focused.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width as usize;
        if width == 0 {
            return;
        }
        let value = self.input.value();
        if value.is_empty() {
            if let Some(placeholder) = self.placeholder {
                let text = truncate(placeholder, width);
                frame.render_widget(Paragraph::new(Span::styled(text, theme.muted)), area);
            }
            self.place_cursor(frame, area, 0);
            return;
        }
        let (shown, cursor) = if self.masked {
            let chars = value.chars().count();
            let cursor = self.input.cursor();
            let scroll = cursor.saturating_sub(width.saturating_sub(1));
            let shown: String =
                std::iter::repeat_n(MASK_CHAR, chars.saturating_sub(scroll)).collect();
            (shown, cursor - scroll)
        } else {
            // Leave a cell for the cursor at the end of the line.
            let scroll = self.input.visual_scroll(width.saturating_sub(1));
            let shown = skip_columns(value, scroll).to_owned();
            (shown, self.input.visual_cursor() - scroll)
        };
        // Cut without an ellipsis: the field scrolls, it does not end.
        let line = Line::from(Span::styled(fit(&shown, width).to_owned(), theme.text));
        frame.render_widget(Paragraph::new(line), area);
        self.place_cursor(frame, area, cursor);
    }

    fn place_cursor(&self, frame: &mut Frame, area: Rect, column: usize) {
        if self.focused {
            let x = area.x + (column as u16).min(area.width.saturating_sub(1));
            frame.set_cursor_position(Position::new(x, area.y));
        }
    }
}

/// Draws `label` and, right after it on the same row, the input.
pub fn labelled(frame: &mut Frame, row: Rect, label: &str, input: InputView<'_>, theme: &Theme) {
    let row = Rect { height: 1, ..row };
    let label_width = (crate::locale::width::width(label) as u16 + 1).min(row.width);
    frame.render_widget(
        Paragraph::new(Span::styled(label.to_owned(), theme.title)),
        row,
    );
    let field = Rect {
        x: row.x + label_width,
        width: row.width - label_width,
        ..row
    };
    input.render(frame, field, theme);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_paste_keeps_its_lines_and_tabs_only() {
        let pasted = pasted_text("a\r\nb\rc\n\td\u{1b}[31m\u{202e}\u{200b}\n", Lines::Multi);
        assert_eq!(pasted, "a\nb\nc\n\td[31m\n");
    }

    #[test]
    fn a_single_line_paste_joins_its_lines_with_spaces() {
        assert_eq!(pasted_text("\r\ntoken\r\n", Lines::Single), "token");
        assert_eq!(
            pasted_text("{\"a\": 1,\n\t\"b\": 2}\n", Lines::Single),
            "{\"a\": 1,  \"b\": 2}"
        );
        assert_eq!(pasted_text("x\u{7f}\u{9b}y", Lines::Single), "xy");
    }

    #[test]
    fn alt_f_goes_to_the_end_of_the_word() {
        assert_eq!(word_end("one two", 0), 3);
        assert_eq!(word_end("one two", 3), 7);
        assert_eq!(word_end("one  ", 3), 5);
    }
}
