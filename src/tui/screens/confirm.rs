//! Confirmation before deleting a connection.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{View, centered};
use crate::tui::keymap::Action;
use crate::vault::ConnectionId;

/// Which connection would be deleted.
#[derive(Debug, Clone)]
pub struct ConfirmDelete {
    pub id: ConnectionId,
    pub name: String,
}

/// The operator's answer.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Ignored,
    Yes,
    No,
}

impl ConfirmDelete {
    /// Handles a key.
    pub fn handle(&self, action: Action) -> ConfirmOutcome {
        match action {
            Action::Yes => ConfirmOutcome::Yes,
            Action::No | Action::Back | Action::ForceQuit => ConfirmOutcome::No,
            _ => ConfirmOutcome::Ignored,
        }
    }

    /// Draws the question.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let popup = centered(area, 60, 7);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", locale.t("confirm.title")),
                theme.title,
            ))
            .border_style(theme.error);
        let inner = block.inner(popup);
        frame.render_widget(Clear, popup);
        frame.render_widget(block, popup);
        let text = vec![
            Line::from(locale.f("confirm.question", &[("name", &self.name)])),
            Line::from(""),
            Line::from(vec![
                Span::styled("y", theme.key),
                Span::raw(format!(" {}   ", locale.t("keys.yes_delete"))),
                Span::styled("n", theme.key),
                Span::raw(format!(" {}", locale.t("keys.no_keep"))),
            ]),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }
}
