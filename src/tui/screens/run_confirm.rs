//! Before a real run: the exact requests it will send, as the dry run shows
//! them, and to which hosts; it sends only on `y`. When an action cannot
//! run, it offers no `y` and says why, action by action.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::flows::step_warnings;
use super::list::ListRow;
use super::run_view::{request_lines, wrap};
use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::actions::request::method_of;
use crate::actions::{StepOutcome, StepReport, Warning};
use crate::catalog::{ActionRun, AuthKind, AuthSpec, Catalog};
use crate::present::labels::{action_name, step_failure, warning};
use crate::tui::intent::{FlowIntent, Intent};
use crate::tui::keymap::{Action, Key, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::vault::status::Status;
use crate::vault::{Connection, Flow, FlowStep, StoredConnection};

/// A real run waiting for the operator's yes.
#[derive(Debug)]
pub struct RunConfirm {
    /// The dry run whose result this screen shows.
    pub run: u64,
    /// The flow as it was checked: what `y` sends.
    pub flow: Flow,
    /// The one action to run (0-based), or the whole flow.
    pub only: Option<usize>,
    /// What keeps each checked action from running, by 1-based position.
    warnings: Vec<(usize, Vec<Warning>)>,
    /// Actions whose connection has no valid token: one is asked for first.
    tokens_first: Vec<(usize, String)>,
    /// The connections the checked actions use, as they were checked.
    connections: Vec<Option<Connection>>,
    /// The dry run's reports; `None` while it runs.
    pub reports: Option<Vec<StepReport>>,
    pub scroll: u16,
}

impl RunConfirm {
    /// Checks `flow` (or its action at `only`) against the connections in
    /// `rows`; the dry run numbered `run` builds its requests.
    pub fn checking(run: u64, flow: Flow, only: Option<usize>, rows: &[ListRow]) -> RunConfirm {
        let mut confirm = RunConfirm {
            run,
            flow,
            only,
            warnings: Vec::new(),
            tokens_first: Vec::new(),
            connections: Vec::new(),
            reports: None,
            scroll: 0,
        };
        let checked: Vec<(usize, FlowStep)> =
            confirm.steps().map(|(p, s)| (p, s.clone())).collect();
        for (position, step) in &checked {
            let found = step_warnings(step, rows);
            if !found.is_empty() {
                confirm.warnings.push((*position, found));
            }
            let row = row_of(step, rows);
            if let Some(row) = row.filter(|r| asks_for_token(step, r)) {
                let name = row.stored.name().unwrap_or("?").to_owned();
                confirm.tokens_first.push((*position, name));
            }
        }
        confirm.connections = connections_of(&confirm.flow, only, rows);
        confirm
    }

    /// The checked steps with their 1-based positions.
    fn steps(&self) -> impl Iterator<Item = (usize, &FlowStep)> {
        let only = self.only;
        self.flow
            .steps
            .iter()
            .enumerate()
            .filter(move |(i, _)| only.is_none_or(|o| o == *i))
            .map(|(i, s)| (i + 1, s))
    }

    /// Every action was checked and can run: `y` sends.
    pub fn ready(&self) -> bool {
        self.reports.as_ref().is_some_and(|reports| {
            self.warnings.is_empty() && reports.iter().all(|r| !r.outcome.failed())
        })
    }

    /// Whether the flow or its connections changed since the check, so what
    /// was shown is no longer what would be sent.
    pub fn is_stale(&self, flows: &[Flow], rows: &[ListRow]) -> bool {
        let now = flows.iter().find(|f| f.id == self.flow.id);
        now != Some(&self.flow) || connections_of(&self.flow, self.only, rows) != self.connections
    }

    /// The dialog's title: a question when `y` is offered.
    pub fn title(&self, view: View<'_>) -> String {
        let blocked = self.reports.is_some() && !self.ready();
        let key = match (blocked, self.only.is_some()) {
            (false, false) => "confirm_run.title",
            (false, true) => "confirm_run.title_step",
            (true, false) => "confirm_run.title_blocked",
            (true, true) => "confirm_run.title_blocked_step",
        };
        let position = self.only.map_or(0, |i| i + 1).to_string();
        view.locale
            .f(key, &[("flow", &self.flow.name), ("position", &position)])
    }

    /// Handles a key. `page` is the visible height, `total` the text's.
    pub fn handle(&mut self, action: Action, page: u16, total: u16) -> Reply {
        match action {
            Action::Yes if self.ready() => Reply::Do(Intent::Flow(FlowIntent::Send {
                flow: self.flow.clone(),
                only: self.only,
            })),
            Action::No | Action::Back => Reply::Close,
            _ if super::run_view::scroll(&mut self.scroll, action, page, total) => Reply::Changed,
            _ => Reply::Ignored,
        }
    }

    /// The checked actions that failed because of their connection.
    fn fixable(&self) -> impl Iterator<Item = (usize, crate::actions::ConnectionFault)> + '_ {
        super::run_view::connection_failures(self.reports.as_deref().unwrap_or_default())
    }

    /// What `e` opens: the fix of the first action blocked by its connection
    /// (the dialog is short; its first blocked action is in view).
    fn fix(&self, ctx: &Context<'_>) -> Option<Intent> {
        let reports = self.reports.as_ref()?;
        let (i, fault) = self.fixable().next()?;
        super::run_view::fix_for(&self.flow.id, &reports[i], fault, ctx)
    }

    /// The text of the dialog, wrapped to `width` cells so nothing is cut.
    pub fn lines(&self, view: View<'_>, width: usize) -> Vec<Line<'static>> {
        wrap(self.unwrapped(view, width), width)
    }

    /// The text; sentences already wrapped at spaces, requests not yet.
    fn unwrapped(&self, view: View<'_>, width: usize) -> Vec<Line<'static>> {
        let prose = |lines: &mut Vec<Line<'static>>, text: String, style| {
            lines.extend(
                words(&text, width)
                    .into_iter()
                    .map(|l| Line::from(Span::styled(l, style))),
            );
        };
        let View { theme, locale, .. } = view;
        let Some(reports) = &self.reports else {
            return vec![Line::from(Span::styled(
                locale.t("confirm_run.checking").to_owned(),
                theme.muted,
            ))];
        };
        let mut lines = Vec::new();
        let ready = self.ready();
        if ready {
            prose(&mut lines, self.summary(reports, view), theme.title);
            for (position, name) in &self.tokens_first {
                let text = locale.f(
                    "confirm_run.token_first",
                    &[("position", &position.to_string()), ("name", name)],
                );
                prose(&mut lines, text, theme.text);
            }
            let keys = |action| view.keymap.keys_of(Mode::ConfirmRun, action);
            let shown = locale.f(
                "confirm_run.shown",
                &[("yes", &keys(Action::Yes)), ("no", &keys(Action::No))],
            );
            prose(&mut lines, shown, theme.muted);
        } else {
            let total = self.steps().count();
            let blocked = self
                .steps()
                .filter(|(p, _)| !self.reasons(*p, reports, view).is_empty())
                .count();
            let text = locale.f(
                "confirm_run.blocked",
                &[("n", &blocked.to_string()), ("total", &total.to_string())],
            );
            prose(&mut lines, format!("✗ {text}"), theme.error);
        }
        for (position, step) in self.steps() {
            lines.push(Line::from(""));
            let name = Catalog::embedded()
                .action(&step.action)
                .map_or(step.action.clone(), |a| action_name(locale, a).to_owned());
            lines.push(Line::from(Span::styled(
                format!("── {position}. {name}"),
                theme.title,
            )));
            let reasons = self.reasons(position, reports, view);
            if !reasons.is_empty() {
                for reason in reasons {
                    prose(&mut lines, format!("✗ {reason}"), theme.error);
                }
                continue;
            }
            match reports.iter().find(|r| r.position == position) {
                Some(StepReport {
                    outcome: StepOutcome::DryRun(request),
                    ..
                }) => request_lines(&mut lines, request, view),
                Some(StepReport {
                    outcome: StepOutcome::Local(_),
                    ..
                }) => lines.push(Line::from(Span::styled(
                    locale.t("confirm_run.local").to_owned(),
                    theme.muted,
                ))),
                _ => {}
            }
        }
        lines
    }

    /// Why the action at `position` cannot run: its warnings (as the pane
    /// shows them), else why its request could not be built.
    fn reasons(&self, position: usize, reports: &[StepReport], view: View<'_>) -> Vec<String> {
        let action = self
            .flow
            .steps
            .get(position - 1)
            .map_or("", |s| s.action.as_str());
        if let Some((_, found)) = self.warnings.iter().find(|(p, _)| *p == position) {
            return found
                .iter()
                .map(|w| warning(view.locale, action, w))
                .collect();
        }
        match reports.iter().find(|r| r.position == position) {
            Some(StepReport {
                outcome: StepOutcome::Failed(failure),
                ..
            }) => vec![step_failure(view.locale, action, failure)],
            _ => Vec::new(),
        }
    }

    /// "Sends 2 requests, to api.example.com, 127.0.0.1:8080."
    fn summary(&self, reports: &[StepReport], view: View<'_>) -> String {
        let locale = view.locale;
        let urls: Vec<&str> = reports
            .iter()
            .filter_map(|r| match &r.outcome {
                StepOutcome::DryRun(request) => Some(request.url.as_str()),
                _ => None,
            })
            .collect();
        let mut hosts: Vec<String> = Vec::new();
        for host in urls.iter().map(|u| host_of(u)) {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        let hosts = hosts.join(locale.t("common.separator"));
        match urls.len() {
            0 => locale.t("confirm_run.sends_none").to_owned(),
            1 => locale.f("confirm_run.sends_one", &[("hosts", &hosts)]),
            n => locale.f(
                "confirm_run.sends_many",
                &[("n", &n.to_string()), ("hosts", &hosts)],
            ),
        }
    }

    /// Draws the dialog over the whole body, scrolled; a mark on the bottom
    /// border says when more lies below, so nothing is confirmed unseen.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let popup = centered(area, area.width, area.height);
        let inner = frame_dialog(
            frame,
            popup,
            &self.title(view),
            view.theme.focused_border,
            view.theme,
        );
        let lines = self.lines(view, inner.width as usize);
        let max = (lines.len() as u16).saturating_sub(inner.height);
        let scroll = self.scroll.min(max);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
        if scroll < max && popup.height > 0 {
            // The first key of each, as the mark is short.
            let first = |action| {
                let binding = view.keymap.bindings(Mode::ConfirmRun).iter();
                binding
                    .filter(|b| b.action == action)
                    .find_map(|b| b.keys.first().map(Key::label))
                    .unwrap_or_default()
            };
            let (down, up) = (first(Action::Down), first(Action::Up));
            let more = view
                .locale
                .f("confirm_run.more", &[("down", &down), ("up", &up)]);
            let more = format!(" {more} ");
            let room = popup.width.saturating_sub(4);
            let mark = Rect::new(popup.x + 2, popup.bottom() - 1, room, 1);
            frame.render_widget(
                Paragraph::new(Span::styled(
                    crate::locale::width::truncate(&more, room as usize),
                    view.theme.key,
                )),
                mark,
            );
        }
    }
}

/// `text` in lines of at most `width` cells, broken at spaces where it has
/// them (a word wider than a line is cut later, as requests are). Text in
/// wide (CJK) characters breaks anywhere, as it is read, so it is left whole.
fn words(text: &str, width: usize) -> Vec<String> {
    use crate::locale::width::width as cells;
    if cells(text) > text.chars().count() {
        return vec![text.to_owned()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && cells(&line) + 1 + cells(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// The host (and port, when the URL names one) a request goes to.
fn host_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => url.to_owned(),
        },
        Err(_) => url.to_owned(),
    }
}

fn row_of<'a>(step: &FlowStep, rows: &'a [ListRow]) -> Option<&'a ListRow> {
    let id = step.connection.as_ref()?;
    rows.iter().find(|r| r.stored.id() == id)
}

/// Whether running `step` first asks its connection's token endpoint for a
/// token: the action authenticates with one and the connection has none valid.
fn asks_for_token(step: &FlowStep, row: &ListRow) -> bool {
    let StoredConnection::Intact(connection) = &row.stored else {
        return false;
    };
    let Some(action) = Catalog::embedded().action(&step.action) else {
        return false;
    };
    let ActionRun::Http(spec) = &action.run else {
        return false;
    };
    let uses_token = match spec.auth {
        AuthSpec::Token => true,
        AuthSpec::Connection => {
            method_of(connection).is_some_and(|m| m.auth == AuthKind::ClientCredentials)
        }
        _ => false,
    };
    uses_token && row.assessment.status != Status::Ready
}

/// The connections the checked steps use, as the rows have them now.
fn connections_of(flow: &Flow, only: Option<usize>, rows: &[ListRow]) -> Vec<Option<Connection>> {
    flow.steps
        .iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o == *i))
        .map(|(_, step)| match row_of(step, rows).map(|r| &r.stored) {
            Some(StoredConnection::Intact(c)) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

impl Screen for RunConfirm {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        let Some(action) = key.action else {
            return Reply::Ignored;
        };
        // The dialog fills the body, less its two borders.
        let page = ctx.body.height.saturating_sub(2);
        let total = self
            .lines(ctx.view, ctx.body.width.saturating_sub(2) as usize)
            .len() as u16;
        if action == Action::Edit && !self.ready() {
            return self.fix(ctx).map_or(Reply::Ignored, Reply::Do);
        }
        RunConfirm::handle(self, action, page, total)
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        RunConfirm::render(self, frame, area, ctx.view);
    }

    /// `y` is bound only once every action was checked and can run; until
    /// then (and when one cannot) the keys are the run view's: scroll, close.
    fn mode(&self) -> Mode {
        if self.ready() {
            Mode::ConfirmRun
        } else if self.fixable().next().is_some() {
            // Blocked by a connection: `e` fixes it, as in the run view.
            Mode::RunViewFixable
        } else {
            Mode::RunView
        }
    }
}
