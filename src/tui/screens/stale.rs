//! The offer shown over an edit form whose save was refused because another
//! process changed or deleted the connection since the form opened. Nothing
//! was saved; the operator chooses: reload (or re-create), or go back.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Context, KeyInput, Reply, Screen, centered};
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::vault::Connection;

/// What happened to the connection elsewhere.
#[derive(Debug, Clone)]
pub enum Staleness {
    /// Changed; here it is as stored now, and the labels of the fields
    /// (and name) that changed there.
    Changed {
        stored: Box<Connection>,
        fields: Vec<String>,
    },
    Deleted,
}

/// The offer, naming the connection as the form opened it.
#[derive(Debug, Clone)]
pub struct StaleEdit {
    pub name: String,
    pub staleness: Staleness,
}

impl Screen for StaleEdit {
    fn handle(&mut self, key: &KeyInput, _ctx: &Context<'_>) -> Reply {
        match (key.action, &self.staleness) {
            (Some(Action::Reload), Staleness::Changed { stored, .. }) => {
                Reply::Do(Intent::ReloadEdit(stored.clone()))
            }
            (Some(Action::Recreate), Staleness::Deleted) => Reply::Do(Intent::RecreateEdit),
            (Some(Action::Back), _) => Reply::Close,
            _ => Reply::Ignored,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        let (theme, locale) = (ctx.view.theme, ctx.view.locale);
        let name = [("name", self.name.as_str())];
        let (title, mut text, offer, key, hint) = match &self.staleness {
            Staleness::Changed { fields, .. } => {
                let mut text = vec![Line::from(locale.f("stale.changed", &name))];
                if !fields.is_empty() {
                    let fields = fields.join(locale.t("common.separator"));
                    text.push(Line::from(Span::styled(
                        locale.f("stale.changed_fields", &[("fields", &fields)]),
                        theme.warning,
                    )));
                }
                let offer = locale.t("stale.changed_offer");
                ("stale.changed_title", text, offer, "r", "keys.reload")
            }
            Staleness::Deleted => (
                "stale.deleted_title",
                vec![Line::from(locale.f("stale.deleted", &name))],
                locale.t("stale.deleted_offer"),
                "c",
                "keys.recreate",
            ),
        };
        text.push(Line::from(""));
        text.push(Line::from(offer));
        text.push(Line::from(""));
        // The keys as the confirmation shows them: on a line of their own.
        text.push(Line::from(vec![
            Span::styled(key, theme.key),
            Span::raw(format!(" {}   ", locale.t(hint))),
            Span::styled("Esc", theme.key),
            Span::raw(format!(" {}", locale.t("keys.back_to_form"))),
        ]));
        let popup = centered(area, 64, 12);
        let inner = frame_dialog(frame, popup, locale.t(title), theme.warning, theme);
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }

    fn mode(&self) -> Mode {
        match self.staleness {
            Staleness::Changed { .. } => Mode::ChangedElsewhere,
            Staleness::Deleted => Mode::DeletedElsewhere,
        }
    }
}
