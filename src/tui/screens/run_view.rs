//! The result of a run: each action's request (secrets masked) and the
//! response, pretty-printed and scrollable.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::actions::request::ShownRequest;
use crate::actions::{
    ConnectionFault, ResponseView, StepFailure, StepOutcome, StepReport, TokenFetch,
};
use crate::catalog::{Catalog, ConnectionNeed};
use crate::present::labels::{action_name, problem, step_failure};
use crate::tui::intent::{FlowIntent, Intent};
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::vault::{FlowId, StoredConnection};

/// A run in progress or done.
#[derive(Debug)]
pub struct RunView {
    /// Which run this view shows.
    pub run: u64,
    /// The flow run.
    pub flow: FlowId,
    /// The one action run (0-based), or `None` for the whole flow.
    pub only: Option<usize>,
    pub title: String,
    pub dry_run: bool,
    /// `None` while running.
    pub reports: Option<Vec<StepReport>>,
    pub scroll: u16,
}

/// The text of a run, wrapped, and where each action's part of it lies.
struct Layout {
    lines: Vec<Line<'static>>,
    /// The lines of each report, in the order of the reports, less the
    /// blank line after each.
    blocks: Vec<Range<usize>>,
}

impl RunView {
    /// A run of `flow` that has started.
    pub fn running(
        run: u64,
        flow: FlowId,
        only: Option<usize>,
        title: String,
        dry_run: bool,
    ) -> RunView {
        RunView {
            run,
            flow,
            only,
            title,
            dry_run,
            reports: None,
            scroll: 0,
        }
    }

    /// Handles a key. `page` is the visible height.
    pub fn handle(&mut self, action: Action, page: u16, total: u16) -> Reply {
        match action {
            Action::Back | Action::ForceQuit => Reply::Close,
            _ if scroll(&mut self.scroll, action, page, total) => Reply::Changed,
            _ => Reply::Ignored,
        }
    }

    fn fixable(&self) -> impl Iterator<Item = (usize, ConnectionFault)> + '_ {
        connection_failures(self.reports.as_deref().unwrap_or_default())
    }

    /// What `e` opens for the failed action in view: the edit form of its
    /// connection, or the connection picker when it has none usable (none
    /// chosen, gone, damaged, for another service). `None` when nothing
    /// failed because of a connection, or the flow changed since the run.
    fn fix(&self, ctx: &Context<'_>, page: u16) -> Option<Intent> {
        let reports = self.reports.as_ref()?;
        let layout = self.layout(ctx.view, ctx.body.width.saturating_sub(2) as usize);
        let top = usize::from(self.scroll).min(layout.lines.len().saturating_sub(page.into()));
        // The view has no cursor, only a scroll position: as lazygit and k9s
        // act on what is under the eye, `e` takes the first such failure
        // whose reason (the last line of its part) is not scrolled out of
        // view above: at the top, the first of the run; scrolled past them
        // all, the last.
        let fixable: Vec<(usize, ConnectionFault)> = self.fixable().collect();
        let &(i, fault) = fixable
            .iter()
            .find(|(i, _)| layout.blocks[*i].end > top)
            .or(fixable.last())?;
        fix_for(&self.flow, &reports[i], fault, ctx)
    }

    /// What `y` copies and `s` saves: the body of the action in view (the
    /// one with the most lines on screen; the first on a tie), exactly as
    /// received, with its 1-based position. A local action's (JWT) result
    /// counts as its body.
    fn body_in_view(&self, ctx: &Context<'_>, page: u16) -> Option<(usize, bytes::Bytes)> {
        let reports = self.reports.as_ref()?;
        let layout = self.layout(ctx.view, ctx.body.width.saturating_sub(2) as usize);
        let top = usize::from(self.scroll).min(layout.lines.len().saturating_sub(page.into()));
        let bottom = top + usize::from(page);
        let shown = |i: usize| {
            let block = &layout.blocks[i];
            block.end.min(bottom).saturating_sub(block.start.max(top))
        };
        let mut best: Option<(usize, usize, bytes::Bytes)> = None;
        for (i, report) in reports.iter().enumerate() {
            let Some(body) = body_of(report) else {
                continue;
            };
            let lines = shown(i);
            if best.as_ref().is_none_or(|(_, most, _)| lines > *most) {
                best = Some((i, lines, body));
            }
        }
        best.map(|(i, _, body)| (reports[i].position, body))
    }

    /// The text of the run, wrapped to `width` cells so nothing is cut.
    pub fn lines(&self, view: View<'_>, width: usize) -> Vec<Line<'static>> {
        self.layout(view, width).lines
    }

    fn layout(&self, view: View<'_>, width: usize) -> Layout {
        let View { theme, locale, .. } = view;
        let Some(reports) = &self.reports else {
            let running = Line::from(Span::styled(
                locale.t("run.running").to_owned(),
                theme.muted,
            ));
            return Layout {
                lines: wrap(vec![running], width),
                blocks: Vec::new(),
            };
        };
        let mut lines = Vec::new();
        if self.dry_run {
            lines.push(Line::from(Span::styled(
                locale.t("run.dry_run_note").to_owned(),
                theme.muted,
            )));
            lines.push(Line::from(""));
        }
        let mut lines = wrap(lines, width);
        let mut blocks = Vec::with_capacity(reports.len());
        for report in reports {
            let start = lines.len();
            lines.extend(wrap(self.report_lines(report, view), width));
            blocks.push(start..lines.len());
            lines.push(Line::from(""));
        }
        let mut end = Vec::new();
        if reports.iter().all(|r| !r.outcome.failed()) {
            let key = if self.dry_run {
                "run.dry_run_done"
            } else {
                "run.done"
            };
            end.push(Line::from(Span::styled(
                format!("✓ {}", locale.t(key)),
                theme.success,
            )));
            if let Some(text) = tokens_fetched(reports, view) {
                end.push(Line::from(Span::styled(text, theme.text)));
            }
        }
        lines.extend(wrap(end, width));
        Layout { lines, blocks }
    }

    /// One action's part: its request, its response or why it failed.
    fn report_lines(&self, report: &StepReport, view: View<'_>) -> Vec<Line<'static>> {
        let View { theme, locale, .. } = view;
        let mut lines = Vec::new();
        let name = Catalog::embedded()
            .action(&report.action)
            .map_or(report.action.clone(), |a| action_name(locale, a).to_owned());
        lines.push(Line::from(Span::styled(
            format!("── {}. {name}", report.position),
            theme.title,
        )));
        match &report.outcome {
            StepOutcome::DryRun(request) => request_lines(&mut lines, request, view),
            StepOutcome::Answered { request, response } => {
                request_lines(&mut lines, request, view);
                response_lines(&mut lines, response, view);
            }
            StepOutcome::Local(output) => {
                lines.extend(output.lines().map(|l| Line::from(l.to_owned())));
            }
            StepOutcome::Failed(failure) => {
                match failure {
                    StepFailure::Send { request, .. } => request_lines(&mut lines, request, view),
                    StepFailure::Refused { request, response } => {
                        request_lines(&mut lines, request, view);
                        response_lines(&mut lines, response, view);
                    }
                    _ => {}
                }
                // A dry run goes on past a failure: it did not stop there.
                let key = if self.dry_run {
                    "run.cannot_run"
                } else {
                    "run.stopped_at"
                };
                let text = locale.f(
                    key,
                    &[
                        ("position", &report.position.to_string()),
                        ("reason", &step_failure(locale, &report.action, failure)),
                    ],
                );
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(format!("✗ {text}"), theme.error)));
            }
        }
        lines
    }

    /// Draws the run, scrolled.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let popup = centered(area, area.width, area.height);
        let inner = frame_dialog(
            frame,
            popup,
            &self.title,
            view.theme.focused_border,
            view.theme,
        );
        let lines = self.lines(view, inner.width as usize);
        let max = (lines.len() as u16).saturating_sub(inner.height);
        frame.render_widget(
            Paragraph::new(lines).scroll((self.scroll.min(max), 0)),
            inner,
        );
    }
}

/// "A token for “Mgmt API” will be fetched when it runs.": the tokens a
/// dry run could not fetch and the real run will, by connection; `None`
/// when it needs none it does not hold.
fn tokens_fetched(reports: &[StepReport], view: View<'_>) -> Option<String> {
    let locale = view.locale;
    let mut fetched: Vec<&TokenFetch> = Vec::new();
    for fetch in reports.iter().filter_map(|r| r.token_fetch.as_ref()) {
        if !fetched.iter().any(|f| f.connection == fetch.connection) {
            fetched.push(fetch);
        }
    }
    let quoted = |f: &&TokenFetch| locale.f("common.quoted", &[("name", &f.name)]);
    match fetched.as_slice() {
        [] => None,
        [one] => Some(locale.f("run.token_fetch_one", &[("name", &quoted(one))])),
        many => {
            let names: Vec<String> = many.iter().map(quoted).collect();
            let names = names.join(locale.t("common.separator"));
            Some(locale.f("run.token_fetch_many", &[("names", &names)]))
        }
    }
}

pub(super) fn request_lines(
    lines: &mut Vec<Line<'static>>,
    request: &ShownRequest,
    view: View<'_>,
) {
    lines.push(Line::from(vec![
        Span::styled(request.method.clone(), view.theme.key),
        Span::raw(format!(" {}", request.url)),
    ]));
    for (name, value) in &request.headers {
        lines.push(Line::from(Span::styled(
            format!("{name}: {value}"),
            view.theme.muted,
        )));
    }
    if let Some(body) = &request.body {
        lines.push(Line::from(""));
        lines.extend(body.lines().map(|l| Line::from(l.to_owned())));
    }
}

fn response_lines(lines: &mut Vec<Line<'static>>, response: &ResponseView, view: View<'_>) {
    let style = if response.status < 400 {
        view.theme.success
    } else {
        view.theme.error
    };
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        crate::present::response::status_line(view.locale, response),
        style,
    )));
    if let Some(p) = &response.problem {
        lines.push(Line::from(Span::styled(
            problem(view.locale, p),
            view.theme.error,
        )));
    }
    for (name, value) in &response.headers {
        lines.push(Line::from(Span::styled(
            format!("{name}: {value}"),
            view.theme.muted,
        )));
    }
    if !response.body.is_empty() {
        lines.push(Line::from(""));
        lines.extend(response.body.lines().map(|l| Line::from(l.to_owned())));
    }
    if response.cut {
        lines.push(Line::styled(
            crate::present::labels::response_cut(view.locale),
            view.theme.warning,
        ));
    }
}

/// Moves `offset` through `total` lines shown `page` at a time, for a
/// scrolling action; `false` if `action` does not scroll.
pub(super) fn scroll(offset: &mut u16, action: Action, page: u16, total: u16) -> bool {
    let max = total.saturating_sub(page);
    *offset = match action {
        Action::Down => (*offset + 1).min(max),
        Action::Up => offset.saturating_sub(1),
        Action::PageDown => (*offset + page).min(max),
        Action::PageUp => offset.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => max,
        _ => return false,
    };
    true
}

/// Splits lines wider than `width` cells into several; a split line keeps
/// the style of its last part (request lines lead with the method's style).
pub(super) fn wrap(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    use crate::locale::width::{fit, width as cells};
    let width = width.max(1);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        if cells(&text) <= width {
            out.push(line);
            continue;
        }
        let style = line
            .spans
            .last()
            .map(|s| s.style)
            .unwrap_or_default()
            .patch(line.style);
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let mut part = fit(rest, width);
            if part.is_empty() {
                // A character wider than the line: take it anyway.
                part = &rest[..rest.chars().next().map_or(rest.len(), char::len_utf8)];
            }
            out.push(Line::from(Span::styled(part.to_owned(), style)));
            rest = &rest[part.len()..];
        }
    }
    out
}

impl Screen for RunView {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        let Some(action) = key.action else {
            return Reply::Ignored;
        };
        // The view fills the body, less its two borders.
        let page = ctx.body.height.saturating_sub(2);
        let total = self
            .lines(ctx.view, ctx.body.width.saturating_sub(2) as usize)
            .len() as u16;
        match action {
            Action::Edit => return self.fix(ctx, page).map_or(Reply::Ignored, Reply::Do),
            // Still running: nothing to take yet.
            Action::Copy | Action::Save if self.reports.is_none() => return Reply::Ignored,
            Action::Copy | Action::Save => {
                let Some((position, body)) = self.body_in_view(ctx, page) else {
                    return Reply::Do(Intent::NoBody);
                };
                return Reply::Do(if action == Action::Copy {
                    Intent::CopyBody { position, body }
                } else {
                    Intent::OpenSaveBody { position, body }
                });
            }
            _ => {}
        }
        RunView::handle(self, action, page, total)
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        RunView::render(self, frame, area, ctx.view);
    }

    /// `e` is bound, and shown, only while an action failed because of its connection.
    fn mode(&self) -> Mode {
        if self.fixable().next().is_some() {
            Mode::RunViewFixable
        } else {
            Mode::RunView
        }
    }
}

/// A report's body as received, if it got one.
fn body_of(report: &StepReport) -> Option<bytes::Bytes> {
    match &report.outcome {
        StepOutcome::Answered { response, .. }
        | StepOutcome::Failed(StepFailure::Refused { response, .. }) => Some(response.raw.clone()),
        StepOutcome::Local(output) => Some(bytes::Bytes::copy_from_slice(output.as_bytes())),
        StepOutcome::DryRun(_) | StepOutcome::Failed(_) => None,
    }
}

/// The reports (by index) of actions that failed because of their connection
/// and take one: what `e` can fix, in the order of the run.
pub(super) fn connection_failures(
    reports: &[StepReport],
) -> impl Iterator<Item = (usize, ConnectionFault)> + '_ {
    let takes_connection = |action: &str| {
        Catalog::embedded()
            .action(action)
            .is_some_and(|a| a.service.is_some() && a.connection != ConnectionNeed::None)
    };
    reports
        .iter()
        .enumerate()
        .filter_map(move |(i, report)| match &report.outcome {
            StepOutcome::Failed(failure) if takes_connection(&report.action) => {
                failure.connection_fault().map(|fault| (i, fault))
            }
            _ => None,
        })
}

/// What fixes `report`'s failure on the flow `flow` as it is now: the edit
/// form of its connection, or the connection picker when it has none usable
/// (none chosen, gone, damaged, for another service). `None` when the action
/// moved since the run (another process): never fix another one.
pub(super) fn fix_for(
    flow: &FlowId,
    report: &StepReport,
    fault: ConnectionFault,
    ctx: &Context<'_>,
) -> Option<Intent> {
    let index = report.position.checked_sub(1)?;
    let current = ctx.flows.iter().find(|f| &f.id == flow)?;
    let step = current
        .steps
        .get(index)
        .filter(|s| s.action == report.action)?;
    let intact = step.connection.as_ref().filter(|id| {
        ctx.rows
            .iter()
            .any(|r| matches!(&r.stored, StoredConnection::Intact(c) if &c.id == *id))
    });
    Some(match (fault, intact) {
        (ConnectionFault::Credentials, Some(id)) => Intent::EditConnection(id.clone()),
        _ => Intent::Flow(FlowIntent::ChooseConnection(flow.clone(), index)),
    })
}
