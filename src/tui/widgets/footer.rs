//! The footer: key hints generated from the current mode's keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::locale::Locale;
use crate::locale::width::width;
use crate::tui::keymap::{Entry, Keymap, Mode, Shown};
use crate::tui::screens::View;

/// One hint as drawn: its keys and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub keys: String,
    pub text: String,
}

impl Hint {
    /// Cells it takes, with the two blanks after it.
    fn width(&self) -> usize {
        width(&self.keys) + 1 + width(&self.text) + 2
    }
}

/// The hints of `mode` that fit in `room` cells, in keymap order: the
/// footer hints that fit, then, if all did, the spare ones that still fit. `args`
/// fill placeholders in hints (the seconds left of a reveal).
pub fn hints(
    keymap: &Keymap,
    mode: Mode,
    room: usize,
    locale: &Locale,
    args: &[(&str, &str)],
) -> Vec<Hint> {
    let hint = |e: &Entry| Hint {
        keys: e.keys.clone(),
        text: locale.f(e.hint, args),
    };
    let all = keymap.entries(mode);
    let mut used = 0;
    let mut keep = vec![false; all.len()];
    let mut all_fit = true;
    for (i, e) in all.iter().enumerate() {
        if e.footer != Shown::Footer {
            continue;
        }
        let needed = hint(e).width();
        if used + needed > room {
            // Later hints may be shorter: `? help` still fits where a
            // longer one did not.
            all_fit = false;
            continue;
        }
        used += needed;
        keep[i] = true;
    }
    for (i, e) in all.iter().enumerate() {
        // Spare hints never take the place of a footer hint cut for room.
        if e.footer != Shown::FooterIfRoom || !all_fit {
            continue;
        }
        let needed = hint(e).width();
        if used + needed <= room {
            used += needed;
            keep[i] = true;
        }
    }
    all.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(e, _)| hint(e))
        .collect()
}

/// Draws as many hints of `mode` as fit in one line, with the keys bound now.
pub fn render(frame: &mut Frame, area: Rect, mode: Mode, args: &[(&str, &str)], view: View<'_>) {
    let View {
        theme,
        keymap,
        locale,
        ..
    } = view;
    let mut spans = Vec::new();
    for h in hints(keymap, mode, area.width as usize, locale, args) {
        spans.push(Span::styled(h.keys, theme.key));
        spans.push(Span::styled(format!(" {}  ", h.text), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
