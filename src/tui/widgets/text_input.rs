//! Drawing a tui-input field: masked or clear, with placeholder and cursor.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

use crate::locale::width::{fit, skip_columns, truncate};
use crate::tui::theme::Theme;

/// The character secrets are drawn with.
pub const MASK_CHAR: char = '•';

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
