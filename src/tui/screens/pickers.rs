//! Choosing from lists in the flows pane: an action to add, a connection for an action.

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

use super::list::ListRow;
use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::catalog::{Action as CatalogAction, Catalog, ConnectionNeed};
use crate::locale::width::truncate;
use crate::present::labels::{action_name, status_mark, status_word};
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::tui::widgets::text_input::{InputView, Lines, edit, labelled};
use crate::vault::{ConnectionId, FlowId, StoredConnection};

/// What a picker asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickOutcome<T> {
    Ignored,
    Changed,
    Cancel,
    Picked(T),
}

/// Picks an action to append to a flow; typing filters.
#[derive(Debug)]
pub struct ActionPicker {
    pub flow: FlowId,
    filter: Input,
    selected: usize,
}

impl ActionPicker {
    /// A picker for `flow`.
    pub fn new(flow: FlowId) -> ActionPicker {
        ActionPicker {
            flow,
            filter: Input::default(),
            selected: 0,
        }
    }

    fn matching(&self, view: View<'_>) -> Vec<&'static CatalogAction> {
        let needle = self.filter.value().trim().to_lowercase();
        Catalog::embedded()
            .actions()
            .iter()
            .filter(|a| {
                needle.is_empty()
                    || a.id.contains(&needle)
                    || action_name(view.locale, a).to_lowercase().contains(&needle)
            })
            .collect()
    }

    /// Handles a key.
    pub fn handle(
        &mut self,
        action: Option<Action>,
        event: &Event,
        view: View<'_>,
    ) -> PickOutcome<&'static str> {
        let matching = self.matching(view);
        match action {
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(matching.len().saturating_sub(1));
            }
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Submit) => {
                return matching
                    .get(self.selected)
                    .map_or(PickOutcome::Ignored, |a| PickOutcome::Picked(a.id.as_str()));
            }
            Some(Action::Back | Action::ForceQuit) => return PickOutcome::Cancel,
            Some(_) => return PickOutcome::Ignored,
            None => {
                if !edit(&mut self.filter, event, Lines::Single) {
                    return PickOutcome::Ignored;
                }
                self.selected = 0;
            }
        }
        PickOutcome::Changed
    }

    /// Draws the filter and the matching actions.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let popup = centered(area, area.width.min(76), area.height);
        let inner = frame_dialog(
            frame,
            popup,
            locale.t("pickers.action_title"),
            theme.focused_border,
            theme,
        );
        labelled(
            frame,
            Rect { height: 1, ..inner },
            locale.t("wizard.search"),
            InputView {
                input: &self.filter,
                masked: false,
                placeholder: Some(locale.t("wizard.search_hint")),
                focused: true,
            },
            theme,
        );
        let list = Rect {
            y: inner.y + 2,
            height: inner.height.saturating_sub(2),
            ..inner
        };
        let matching = self.matching(view);
        let height = list.height as usize;
        let skip = (self.selected + 1).saturating_sub(height);
        let w = list.width as usize;
        let lines: Vec<Line> = matching
            .iter()
            .enumerate()
            .skip(skip)
            .take(height)
            .map(|(i, a)| {
                let selected = i == self.selected;
                let name = truncate(action_name(locale, a), 34);
                let pad = 36usize
                    .saturating_sub(crate::locale::width::width(&name) + 2)
                    .max(1);
                Line::from(vec![
                    theme.marker(selected),
                    Span::raw(" "),
                    Span::styled(name, theme.name(selected)),
                    Span::raw(" ".repeat(pad)),
                    Span::styled(truncate(&a.id, w.saturating_sub(36)), theme.muted),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), list);
    }
}

/// One choice of the connection picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionChoice {
    Connection(ConnectionId),
    /// Clear the setting (actions whose connection is optional).
    None,
    /// Open the wizard with the service already chosen.
    New,
}

/// Picks the *Vault connection* of an action among the compatible ones.
#[derive(Debug)]
pub struct ConnectionPicker {
    pub flow: FlowId,
    pub step: usize,
    pub action: String,
    choices: Vec<ConnectionChoice>,
    selected: usize,
}

impl ConnectionPicker {
    /// A picker for step `step` of `flow`, whose action is `action`, with the
    /// current choice selected.
    pub fn new(
        flow: FlowId,
        step: usize,
        action: &CatalogAction,
        current: Option<&ConnectionId>,
        rows: &[ListRow],
    ) -> ConnectionPicker {
        let mut choices: Vec<ConnectionChoice> = rows
            .iter()
            .filter_map(|r| match &r.stored {
                StoredConnection::Intact(c) if action.accepts(&c.service, &c.method) => {
                    Some(ConnectionChoice::Connection(c.id.clone()))
                }
                _ => None,
            })
            .collect();
        if action.connection == ConnectionNeed::Optional {
            choices.push(ConnectionChoice::None);
        }
        choices.push(ConnectionChoice::New);
        let selected = current
            .and_then(|id| {
                choices
                    .iter()
                    .position(|c| c == &ConnectionChoice::Connection(id.clone()))
            })
            .unwrap_or(0);
        ConnectionPicker {
            flow,
            step,
            action: action.id.clone(),
            choices,
            selected,
        }
    }

    /// Handles a key.
    pub fn handle(&mut self, action: Action) -> PickOutcome<ConnectionChoice> {
        match action {
            Action::Down => {
                self.selected = (self.selected + 1).min(self.choices.len().saturating_sub(1));
            }
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Submit => return PickOutcome::Picked(self.choices[self.selected].clone()),
            Action::NewConnection => return PickOutcome::Picked(ConnectionChoice::New),
            Action::Back | Action::ForceQuit => return PickOutcome::Cancel,
            _ => return PickOutcome::Ignored,
        }
        PickOutcome::Changed
    }

    /// Draws the choices: each connection with its status, then "no connection" and "+ new".
    pub fn render(&self, frame: &mut Frame, area: Rect, rows: &[ListRow], view: View<'_>) {
        let View { theme, locale, .. } = view;
        let height = (self.choices.len() as u16 + 2).min(area.height);
        let popup = centered(area, area.width.min(64), height);
        let action = Catalog::embedded().action(&self.action);
        let title = action.map_or(self.action.clone(), |a| {
            locale.f(
                "pickers.connection_title",
                &[("action", action_name(locale, a))],
            )
        });
        let inner = frame_dialog(frame, popup, &title, theme.focused_border, theme);
        let w = inner.width as usize;
        let visible = inner.height as usize;
        let skip = (self.selected + 1).saturating_sub(visible);
        let lines: Vec<Line> = self
            .choices
            .iter()
            .enumerate()
            .skip(skip)
            .take(visible)
            .map(|(i, choice)| {
                let selected = i == self.selected;
                let text = match choice {
                    ConnectionChoice::Connection(id) => {
                        match rows.iter().find(|r| r.stored.id() == id) {
                            Some(r) => format!(
                                "{} ({} {})",
                                r.stored.name().unwrap_or("?"),
                                status_mark(r.assessment.status),
                                status_word(locale, r.assessment.status)
                            ),
                            None => id.to_string(),
                        }
                    }
                    ConnectionChoice::None => locale.t("pickers.no_connection").to_owned(),
                    ConnectionChoice::New => locale.t("pickers.new_connection").to_owned(),
                };
                Line::from(vec![
                    theme.marker(selected),
                    Span::raw(" "),
                    Span::styled(truncate(&text, w.saturating_sub(2)), theme.name(selected)),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

impl Screen for ActionPicker {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        match ActionPicker::handle(self, key.action, &key.event, ctx.view) {
            PickOutcome::Ignored => Reply::Ignored,
            PickOutcome::Changed => Reply::Changed,
            PickOutcome::Cancel => Reply::Close,
            PickOutcome::Picked(action) => Reply::Do(Intent::AppendAction {
                flow: self.flow.clone(),
                action: action.to_owned(),
            }),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        ActionPicker::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> Mode {
        Mode::ActionPicker
    }
}

impl Screen for ConnectionPicker {
    fn handle(&mut self, key: &KeyInput, _ctx: &Context<'_>) -> Reply {
        let Some(action) = key.action else {
            return Reply::Ignored;
        };
        match ConnectionPicker::handle(self, action) {
            PickOutcome::Ignored => Reply::Ignored,
            PickOutcome::Changed => Reply::Changed,
            PickOutcome::Cancel => Reply::Close,
            PickOutcome::Picked(choice) => Reply::Do(Intent::SetConnection {
                flow: self.flow.clone(),
                step: self.step,
                choice,
            }),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        ConnectionPicker::render(self, frame, area, ctx.rows, ctx.view);
    }

    fn mode(&self) -> Mode {
        Mode::ConnectionPicker
    }
}
