//! The footer: key hints generated from the current mode's keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::locale::Locale;
use crate::locale::width::width;
use crate::tui::keymap::{Mode, bindings, keys_label};
use crate::tui::theme::Theme;

/// Draws as many hints of `mode` as fit in one line.
pub fn render(frame: &mut Frame, area: Rect, mode: Mode, theme: &Theme, locale: &Locale) {
    let mut spans = Vec::new();
    let mut used = 0;
    for b in bindings(mode).iter().filter(|b| b.footer) {
        let keys = keys_label(b);
        let hint = locale.t(b.hint);
        let needed = width(&keys) + 1 + width(hint) + 2;
        if used + needed > area.width as usize {
            break;
        }
        used += needed;
        spans.push(Span::styled(keys, theme.key));
        spans.push(Span::styled(format!(" {hint}  "), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
