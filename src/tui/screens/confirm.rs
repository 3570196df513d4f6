//! Confirmation before deleting a connection, a flow, or an action of a flow.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::vault::{ConnectionId, FlowId};

/// What would be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    Connection(ConnectionId),
    Flow(FlowId),
    /// The action at this 0-based position of a flow.
    Step(FlowId, usize),
}

/// The question, with what it names.
#[derive(Debug, Clone)]
pub struct ConfirmDelete {
    pub target: DeleteTarget,
    /// The connection's or flow's name (for a step: the action's).
    pub name: String,
    /// For a connection: where flows use it ("Onboarding (action 2)").
    pub used_by: Vec<String>,
}

impl ConfirmDelete {
    /// Handles a key.
    pub fn handle(&self, action: Action) -> Reply {
        match action {
            Action::Yes => Reply::Do(Intent::Confirmed(self.target.clone())),
            Action::No | Action::Back | Action::ForceQuit => Reply::Close,
            _ => Reply::Ignored,
        }
    }

    /// Draws the question.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let mut text = vec![Line::from(match &self.target {
            DeleteTarget::Connection(_) => locale.f("confirm.question", &[("name", &self.name)]),
            DeleteTarget::Flow(_) => locale.f("confirm.question_flow", &[("name", &self.name)]),
            DeleteTarget::Step(_, i) => locale.f(
                "confirm.question_step",
                &[("name", &self.name), ("position", &(i + 1).to_string())],
            ),
        })];
        if !self.used_by.is_empty() {
            text.push(Line::from(""));
            text.push(Line::from(Span::styled(
                locale.f(
                    "confirm.used_by",
                    &[("places", &self.used_by.join(locale.t("common.separator")))],
                ),
                theme.warning,
            )));
        }
        text.push(Line::from(""));
        text.push(Line::from(vec![
            Span::styled("y", theme.key),
            Span::raw(format!(" {}   ", locale.t("keys.yes_delete"))),
            Span::styled("n", theme.key),
            Span::raw(format!(" {}", locale.t("keys.no_keep"))),
        ]));
        let height = if self.used_by.is_empty() { 7 } else { 10 };
        let popup = centered(area, 60, height);
        let inner = frame_dialog(frame, popup, locale.t("confirm.title"), theme.error, theme);
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }
}

impl Screen for ConfirmDelete {
    fn handle(&mut self, key: &KeyInput, _ctx: &Context<'_>) -> Reply {
        key.action
            .map_or(Reply::Ignored, |action| ConfirmDelete::handle(self, action))
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        ConfirmDelete::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> Mode {
        Mode::Confirm
    }
}
