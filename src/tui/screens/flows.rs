//! The flow-action pane: flows on the left, the selected flow's actions on the
//! right, the selected action's settings and warnings below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::list::ListRow;
use super::{Context, KeyInput, Reply, Screen, View};
use crate::actions::{Warning, warnings};
use crate::catalog::{Catalog, ConnectionNeed};
use crate::locale::width::{pad, truncate};
use crate::present::labels::{action_name, input_label, status_mark, status_word, warning};
use crate::tui::intent::{FlowIntent, Intent};
use crate::tui::keymap::{Action, Mode};
use crate::vault::{Flow, FlowId, FlowStep};

const MASK: &str = "••••••";

/// Which column has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Flows,
    Actions,
}

/// The pane's state: selections and focus.
#[derive(Debug, Default)]
pub struct FlowsPane {
    pub focus: Focus,
    pub flow: usize,
    pub step: usize,
}

impl FlowsPane {
    /// Keeps the selections inside what exists.
    pub fn clamp(&mut self, flows: &[Flow]) {
        self.flow = self.flow.min(flows.len().saturating_sub(1));
        let steps = flows.get(self.flow).map_or(0, |f| f.steps.len());
        self.step = self.step.min(steps.saturating_sub(1));
        if steps == 0 {
            self.focus = Focus::Flows;
        }
    }

    /// Selects a flow by id, if it exists.
    pub fn select_flow(&mut self, flows: &[Flow], id: &FlowId) {
        if let Some(i) = flows.iter().position(|f| &f.id == id) {
            self.flow = i;
        }
    }

    /// Handles a key.
    pub fn handle(&mut self, action: Action, flows: &[Flow]) -> Reply {
        let flow = flows.get(self.flow);
        let flow_id = flow.map(|f| f.id.clone());
        let steps = flow.map_or(0, |f| f.steps.len());
        let on_step = self.focus == Focus::Actions && steps > 0;
        let step_target = |intent: fn(FlowId, usize) -> FlowIntent| match (&flow_id, on_step) {
            (Some(id), true) => Reply::Do(Intent::Flow(intent(id.clone(), self.step))),
            _ => Reply::Ignored,
        };
        let flow_target = |intent: fn(FlowId) -> FlowIntent| {
            flow_id
                .clone()
                .map_or(Reply::Ignored, |id| Reply::Do(Intent::Flow(intent(id))))
        };
        match action {
            Action::Down if self.focus == Focus::Flows => {
                self.flow = (self.flow + 1).min(flows.len().saturating_sub(1));
                self.step = 0;
            }
            Action::Up if self.focus == Focus::Flows => {
                self.flow = self.flow.saturating_sub(1);
                self.step = 0;
            }
            Action::Down => self.step = (self.step + 1).min(steps.saturating_sub(1)),
            Action::Up => self.step = self.step.saturating_sub(1),
            Action::FocusLeft => self.focus = Focus::Flows,
            Action::FocusRight if steps > 0 => self.focus = Focus::Actions,
            Action::NewFlow => return Reply::Do(Intent::Flow(FlowIntent::NewFlow)),
            Action::Add => return flow_target(FlowIntent::AddAction),
            Action::Edit if on_step => return step_target(FlowIntent::EditInputs),
            Action::Edit => return flow_target(FlowIntent::RenameFlow),
            Action::Delete if on_step => return step_target(FlowIntent::DeleteStep),
            Action::Delete => return flow_target(FlowIntent::DeleteFlow),
            Action::ChooseConnection => return step_target(FlowIntent::ChooseConnection),
            Action::NewConnection => return step_target(FlowIntent::NewConnection),
            Action::MoveDown | Action::MoveUp if on_step => {
                let by = if action == Action::MoveDown { 1 } else { -1 };
                let to = self.step as isize + by;
                if to < 0 || to as usize >= steps {
                    return Reply::Ignored;
                }
                let from = self.step;
                self.step = to as usize;
                let Some(flow) = flow_id else {
                    return Reply::Ignored;
                };
                return Reply::Do(Intent::Flow(FlowIntent::MoveStep { flow, from, by }));
            }
            // The same key means the same thing in either column: x and r
            // the selected action, X and R the whole flow. A real run only
            // opens its confirmation; nothing is sent from here.
            Action::DryRun | Action::Run | Action::DryRunAll | Action::RunAll => {
                let Some(flow) = flow_id.filter(|_| steps > 0) else {
                    return Reply::Ignored;
                };
                let whole = matches!(action, Action::DryRunAll | Action::RunAll);
                if !whole && !on_step {
                    return Reply::Do(Intent::Flow(FlowIntent::ChooseActionFirst));
                }
                return Reply::Do(Intent::Flow(FlowIntent::Run {
                    flow,
                    only: (!whole).then_some(self.step),
                    dry_run: matches!(action, Action::DryRun | Action::DryRunAll),
                }));
            }
            Action::NextPane => return Reply::Do(Intent::NextPane),
            Action::Help => return Reply::Do(Intent::Help),
            Action::Quit | Action::ForceQuit => return Reply::Do(Intent::Quit),
            _ => return Reply::Ignored,
        }
        Reply::Changed
    }

    /// Draws the pane in `area`; `rows` are the connections (for names and warnings).
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        flows: &[Flow],
        rows: &[ListRow],
        view: View<'_>,
    ) {
        let View { theme, locale, .. } = view;
        let settings_height = if area.height >= 30 { 12 } else { 8 };
        let [top, bottom] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(settings_height)])
                .areas(area);
        let flows_width = if area.width >= 110 { 32 } else { 24 };
        let [left, right] =
            Layout::horizontal([Constraint::Length(flows_width), Constraint::Fill(1)]).areas(top);
        let border = |focused: bool| {
            if focused {
                theme.focused_border
            } else {
                theme.border
            }
        };

        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", locale.t("flows.title")),
                theme.title,
            ))
            .border_style(border(self.focus == Focus::Flows));
        let inner = block.inner(left);
        frame.render_widget(block, left);
        if flows.is_empty() {
            let text = Paragraph::new(locale.t("flows.none"))
                .style(theme.muted)
                .wrap(ratatui::widgets::Wrap { trim: true });
            frame.render_widget(text, inner);
        } else {
            let height = inner.height as usize;
            let skip = (self.flow + 1).saturating_sub(height);
            let lines: Vec<Line> = flows
                .iter()
                .enumerate()
                .skip(skip)
                .take(height)
                .map(|(i, f)| {
                    let selected = i == self.flow;
                    let name = if f.damaged {
                        locale.t("flows.damaged").to_owned()
                    } else {
                        f.name.clone()
                    };
                    // A long name is cut, never the count after it.
                    let count = format!(" ({})", f.steps.len());
                    let room = (inner.width as usize)
                        .saturating_sub(2 + crate::locale::width::width(&count));
                    // The name is highlighted only while this list has the focus.
                    let style = theme.name(selected && self.focus == Focus::Flows);
                    Line::from(vec![
                        theme.marker(selected),
                        Span::raw(" "),
                        Span::styled(truncate(&name, room), style),
                        Span::raw(count),
                    ])
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), inner);
        }

        let flow = flows.get(self.flow);
        let title = match flow {
            Some(f) => locale.f("flows.actions_of", &[("flow", &f.name)]),
            None => locale.t("flows.actions").to_owned(),
        };
        let block = Block::bordered()
            .title(Span::styled(
                format!(
                    " {} ",
                    truncate(&title, right.width.saturating_sub(4) as usize)
                ),
                theme.title,
            ))
            .border_style(border(self.focus == Focus::Actions));
        let inner = block.inner(right);
        frame.render_widget(block, right);
        let w = inner.width as usize;
        match flow {
            Some(f) if !f.steps.is_empty() => {
                // Two lines per action: its name, then its connection and first warning.
                let per_page = (inner.height as usize / 2).max(1);
                let skip = (self.step + 1).saturating_sub(per_page);
                let mut lines = Vec::new();
                for (i, step) in f.steps.iter().enumerate().skip(skip).take(per_page) {
                    let selected = i == self.step && self.focus == Focus::Actions;
                    let name = Catalog::embedded()
                        .action(&step.action)
                        .map_or(step.action.as_str(), |a| action_name(locale, a));
                    let number = format!(" {}. ", i + 1);
                    let room = w.saturating_sub(1 + crate::locale::width::width(&number));
                    lines.push(Line::from(vec![
                        theme.marker(selected),
                        Span::raw(number),
                        Span::styled(truncate(name, room), theme.name(selected)),
                    ]));
                    // "no connection" already says itself on this line.
                    let found: Vec<Warning> = step_warnings(step, rows)
                        .into_iter()
                        .filter(|w| *w != Warning::NoConnection)
                        .collect();
                    let connection = connection_label(step, rows, view, true);
                    let mut spans = vec![Span::styled(format!("     ↳ {connection}"), theme.muted)];
                    if let Some(first) = found.first() {
                        let more = if found.len() > 1 {
                            format!(" (+{})", found.len() - 1)
                        } else {
                            String::new()
                        };
                        spans.push(Span::styled(
                            format!("  ! {}{more}", warning(locale, &step.action, first)),
                            theme.warning,
                        ));
                    }
                    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
                    let cut = truncate(&text, w);
                    if cut == text {
                        lines.push(Line::from(spans));
                    } else {
                        lines.push(Line::from(Span::styled(
                            cut,
                            if found.is_empty() {
                                theme.muted
                            } else {
                                theme.warning
                            },
                        )));
                    }
                }
                frame.render_widget(Paragraph::new(lines), inner);
            }
            Some(_) => frame.render_widget(
                Paragraph::new(locale.t("flows.no_actions")).style(theme.muted),
                inner,
            ),
            None => {}
        }

        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", locale.t("flows.settings")),
                theme.title,
            ))
            .border_style(theme.border);
        let inner = block.inner(bottom);
        frame.render_widget(block, bottom);
        if let Some(step) = flow
            .and_then(|f| f.steps.get(self.step))
            .filter(|_| self.focus == Focus::Actions)
        {
            frame.render_widget(
                Paragraph::new(settings_lines(step, rows, inner.width as usize, view)),
                inner,
            );
        } else {
            frame.render_widget(
                Paragraph::new(locale.t("flows.settings_hint")).style(theme.muted),
                inner,
            );
        }
    }
}

/// The warnings of a step, with its connection's row.
pub fn step_warnings(step: &FlowStep, rows: &[ListRow]) -> Vec<Warning> {
    let row = step
        .connection
        .as_ref()
        .and_then(|id| rows.iter().find(|r| r.stored.id() == id));
    warnings(step, row.map(|r| &r.stored), row.and_then(|r| r.token()))
}

/// The connection of a step in words; `short` for the actions column.
fn connection_label(step: &FlowStep, rows: &[ListRow], view: View<'_>, short: bool) -> String {
    let locale = view.locale;
    let needs = Catalog::embedded()
        .action(&step.action)
        .map(|a| a.connection);
    match step
        .connection
        .as_ref()
        .and_then(|id| rows.iter().find(|r| r.stored.id() == id))
    {
        Some(row) => format!(
            "{} ({} {})",
            row.stored.name().unwrap_or("?"),
            status_mark(row.assessment.status),
            status_word(locale, row.assessment.status)
        ),
        None if needs == Some(ConnectionNeed::None) => {
            locale.t("flows.no_connection_needed").to_owned()
        }
        None if short => locale.t("flows.no_connection_short").to_owned(),
        None => locale.t("flows.no_connection").to_owned(),
    }
}

fn settings_lines<'a>(
    step: &FlowStep,
    rows: &[ListRow],
    width: usize,
    view: View<'a>,
) -> Vec<Line<'a>> {
    let View { theme, locale, .. } = view;
    let action = Catalog::embedded().action(&step.action);
    let label_width = 18usize.min(width / 3);
    let row = |label: &str, value: String, style| {
        Line::from(vec![
            Span::styled(
                format!("{} ", pad(&truncate(label, label_width), label_width)),
                theme.muted,
            ),
            Span::styled(
                truncate(&value, width.saturating_sub(label_width + 1)),
                style,
            ),
        ])
    };
    let mut lines = vec![row(
        locale.t("flows.vault_connection"),
        connection_label(step, rows, view, false),
        theme.text,
    )];
    // Warnings first: when the panel is short, they matter more than inputs.
    for w in step_warnings(step, rows) {
        lines.push(Line::from(Span::styled(
            truncate(&format!("! {}", warning(locale, &step.action, &w)), width),
            theme.warning,
        )));
    }
    if let Some(action) = action {
        if !action.scopes.is_empty() {
            lines.push(row(
                locale.t("flows.scopes"),
                action.scopes.join(" "),
                theme.text,
            ));
        }
        for field in &action.inputs {
            let value = match step.inputs.get(&field.key) {
                Some(_) if field.secret => MASK.to_owned(),
                Some(v) => v.replace('\n', " "),
                None => field.default.clone().map_or_else(
                    || "-".to_owned(),
                    |d| locale.f("form.default", &[("value", &d)]),
                ),
            };
            lines.push(row(
                input_label(locale, &action.id, field),
                value,
                theme.text,
            ));
        }
    }
    lines
}

impl Screen for FlowsPane {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        match key.action {
            Some(action) => FlowsPane::handle(self, action, ctx.flows),
            None => Reply::Ignored,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        FlowsPane::render(self, frame, area, ctx.flows, ctx.rows, ctx.view);
    }

    /// The focused column decides the keys: the footer shows only what
    /// acts there.
    fn mode(&self) -> Mode {
        match self.focus {
            Focus::Flows => Mode::FlowsList,
            Focus::Actions => Mode::FlowsActions,
        }
    }
}
