//! Details of one connection: every field, secrets masked unless revealed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use zeroize::Zeroizing;

use super::list::ListRow;
use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::catalog::{Catalog, Method};
use crate::locale::width::{pad, truncate, width};
use crate::present::labels::{
    assessment_mark, assessment_word, audit_action, detail, duration, field_label, method_name,
    service_name,
};
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::vault::audit::AuditEntry;
use crate::vault::status::Tone;
use crate::vault::{Connection, ConnectionId, Flow};

const MASK: &str = "••••••";
/// The history's "who" column, in cells.
const ACTOR_WIDTH: usize = 16;

/// The details screen's state.
#[derive(Debug, Clone)]
pub struct Details {
    pub id: ConnectionId,
    pub selected: usize,
    pub revealed: bool,
    /// Bumped on each reveal so an older timer does not hide a newer reveal.
    pub reveal_generation: u64,
    /// When revealed secrets hide again, for the countdown.
    pub hides_at: Option<time::OffsetDateTime>,
    /// How long revealed secrets stay visible (the config file's `reveal`).
    pub reveal: std::time::Duration,
    /// The connection's last audit entries (`None` until the vault thread
    /// has read them).
    pub history: Option<Vec<AuditEntry>>,
}

impl Details {
    /// Details of a connection, nothing revealed; secrets revealed show for `reveal`.
    pub fn new(id: ConnectionId, reveal: std::time::Duration) -> Details {
        Details {
            id,
            selected: 0,
            revealed: false,
            reveal_generation: 0,
            hides_at: None,
            reveal,
            history: None,
        }
    }

    /// Whole seconds until revealed secrets hide (at least 1 while they show).
    pub fn seconds_left(&self, now: time::OffsetDateTime) -> Option<i64> {
        let at = self.hides_at.filter(|_| self.revealed)?;
        let left = (at - now).whole_milliseconds();
        // Rounded up: "1 s" until the very end, never "0 s" while they show.
        let most = i128::from(self.reveal.as_secs().max(1));
        Some(((left + 999) / 1000).clamp(1, most) as i64)
    }

    /// Handles a key.
    pub fn handle(&mut self, action: Action, connection: &Connection, view: View<'_>) -> Reply {
        let method = method_of(connection);
        let count = method.map_or(0, |m| m.fields.len());
        match action {
            Action::Down => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Reveal => {
                self.revealed = !self.revealed;
                self.hides_at = None;
                if self.revealed {
                    self.hides_at = Some(view.now + self.reveal);
                    self.reveal_generation += 1;
                    return Reply::Do(Intent::HideSecretsLater(self.reveal_generation));
                }
            }
            Action::Copy => {
                let Some(field) = method.and_then(|m| m.fields.get(self.selected)) else {
                    return Reply::Ignored;
                };
                let Some(value) = connection.fields.get(&field.key) else {
                    return Reply::Ignored;
                };
                return Reply::Do(Intent::Copy {
                    value: Zeroizing::new(value.to_owned()),
                    label: field_label(view.locale, &connection.service, field).to_owned(),
                });
            }
            Action::CopyToken => return Reply::Do(Intent::CopyToken(self.id.clone())),
            Action::Edit => return Reply::Do(Intent::EditConnection(self.id.clone())),
            Action::Delete => return Reply::Do(Intent::DeleteConnection(self.id.clone())),
            Action::Back | Action::ForceQuit => return Reply::Close,
            _ => return Reply::Ignored,
        }
        Reply::Changed
    }

    /// Hides secrets when the reveal of this generation times out.
    pub fn hide_if(&mut self, generation: u64) -> bool {
        let hide = self.revealed && generation == self.reveal_generation;
        if hide {
            self.revealed = false;
            self.hides_at = None;
        }
        hide
    }

    /// Draws the connection's header and fields.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        row: &ListRow,
        flows: &[Flow],
        view: View<'_>,
    ) {
        let Some(connection) = row.connection() else {
            return;
        };
        let a = &row.assessment;
        let View {
            theme, locale, now, ..
        } = view;
        let catalog = Catalog::embedded();
        let service = catalog.service(&connection.service);
        let method = method_of(connection);
        let popup = centered(area, area.width.min(100), area.height);
        let inner = frame_dialog(frame, popup, &connection.name, theme.focused_border, theme);
        let w = inner.width as usize;
        // The header labels' column, as wide as the wider label (by display cells).
        let head = [locale.t("details.service"), locale.t("details.status")]
            .iter()
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
            + 2;
        let detail_text = detail(locale, Some(connection), a, now);
        let service_text = match (service, method) {
            (Some(s), Some(m)) if s.methods.len() > 1 => {
                format!(
                    "{} · {}",
                    service_name(locale, s),
                    method_name(locale, &s.id, m)
                )
            }
            (Some(s), _) => service_name(locale, s).to_owned(),
            _ => connection.service.clone(),
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled(pad(locale.t("details.service"), head), theme.muted),
                Span::raw(truncate(&service_text, w.saturating_sub(head))),
            ]),
            Line::from(vec![
                Span::styled(pad(locale.t("details.status"), head), theme.muted),
                Span::styled(
                    truncate(
                        &format!(
                            "{} {} — {}",
                            assessment_mark(a),
                            assessment_word(locale, a),
                            detail_text
                        ),
                        w.saturating_sub(head),
                    ),
                    match a.tone() {
                        Tone::Good => theme.text,
                        Tone::Warning => theme.warning,
                        Tone::Bad => theme.error,
                    },
                ),
            ]),
            Line::from(""),
        ];
        let fields = method.map_or(&[][..], |m| &m.fields[..]);
        let label_width = fields
            .iter()
            .map(|f| width(field_label(locale, &connection.service, f)))
            .max()
            .unwrap_or(0)
            .clamp(8, w / 2);
        let domain = connection.fields.get("domain");
        for (i, f) in fields.iter().enumerate() {
            let selected = i == self.selected;
            let value = match connection.fields.get(&f.key) {
                Some(_) if f.secret && !self.revealed => Span::raw(MASK),
                Some(v) => Span::raw(v.to_owned()),
                None => match f.default_for(domain) {
                    Some(d) => {
                        Span::styled(locale.f("form.default", &[("value", &d)]), theme.muted)
                    }
                    None if f.required => Span::styled(locale.t("details.missing"), theme.warning),
                    None => Span::styled(locale.t("details.not_set"), theme.muted),
                },
            };
            let label = truncate(field_label(locale, &connection.service, f), label_width);
            let pad = label_width.saturating_sub(width(&label));
            let value_width = w.saturating_sub(label_width + 4);
            let value = Span::styled(truncate(&value.content, value_width), value.style);
            let label_style = if selected {
                theme.selected
            } else {
                theme.muted
            };
            lines.push(Line::from(vec![
                theme.marker(selected),
                Span::raw(" "),
                Span::styled(label, label_style),
                Span::raw(format!("{}  ", " ".repeat(pad))),
                value,
            ]));
        }
        lines.push(Line::from(""));
        for (label, value) in facts(connection, row, flows, view) {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(pad(&label, label_width), theme.muted),
                Span::raw("  "),
                Span::raw(truncate(&value, w.saturating_sub(label_width + 4))),
            ]));
        }
        if let Some(left) = self.seconds_left(now) {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                locale.f("details.revealed", &[("n", &left.to_string())]),
                theme.warning,
            )));
        }
        lines.push(Line::from(""));
        lines.extend(self.history_lines(w, view));
        frame.render_widget(Paragraph::new(lines), inner);
    }

    /// The history section: a title, then when, who and what of each of
    /// the last entries, most recent last.
    fn history_lines(&self, w: usize, view: View<'_>) -> Vec<Line<'static>> {
        let View { theme, locale, .. } = view;
        let mut lines = vec![Line::from(Span::styled(
            format!("  {}", locale.t("details.history")),
            theme.muted,
        ))];
        let entries = match &self.history {
            None => {
                lines.push(Line::from(Span::styled(
                    format!("    {}", locale.t("details.history_loading")),
                    theme.muted,
                )));
                return lines;
            }
            Some(entries) if entries.is_empty() => {
                lines.push(Line::from(Span::styled(
                    format!("    {}", locale.t("details.history_empty")),
                    theme.muted,
                )));
                return lines;
            }
            Some(entries) => entries,
        };
        for entry in entries {
            let when = utc(entry.at);
            let what = match &entry.event.detail {
                Some(detail) => format!("{} ({detail})", audit_action(locale, entry.event.action)),
                None => audit_action(locale, entry.event.action).to_owned(),
            };
            // The actor in a column of its own width, so the actions line up.
            let who = pad(&truncate(&entry.actor, ACTOR_WIDTH), ACTOR_WIDTH);
            let text = format!("    {when}  {who}  {what}");
            lines.push(Line::from(Span::raw(truncate(&text, w))));
        }
        lines
    }
}

/// What `flowvault show` prints beyond the fields: the token's scope and
/// expiry, the id, the times, and the flow actions that use it.
fn facts(
    connection: &Connection,
    row: &ListRow,
    flows: &[Flow],
    view: View<'_>,
) -> Vec<(String, String)> {
    let View { locale, now, .. } = view;
    let mut out = Vec::new();
    let token = row.token().and_then(|t| t.token.as_ref());
    if let Some(scope) = token.and_then(|t| t.scope.as_deref()) {
        out.push((locale.t("show.scope").to_owned(), scope.to_owned()));
    }
    if let Some(at) = token.and_then(|t| t.expires_at) {
        let text = if at > now {
            locale.f(
                "details.expires_in",
                &[("at", &utc(at)), ("in", &duration(locale, at - now))],
            )
        } else {
            locale.f("details.expired_at", &[("at", &utc(at))])
        };
        out.push((locale.t("details.token_expires").to_owned(), text));
    }
    out.push((
        locale.t("show.id").to_owned(),
        connection.id.as_str().to_owned(),
    ));
    out.push((
        locale.t("details.created").to_owned(),
        utc(connection.created_at),
    ));
    out.push((
        locale.t("show.updated").to_owned(),
        utc(connection.updated_at),
    ));
    let used: Vec<String> = flows
        .iter()
        .flat_map(|f| {
            f.steps
                .iter()
                .enumerate()
                .filter(|(_, s)| s.connection.as_ref() == Some(&connection.id))
                .map(|(i, _)| {
                    locale.f(
                        "cli.used_at",
                        &[("flow", &f.name), ("position", &(i + 1).to_string())],
                    )
                })
        })
        .collect();
    let used = if used.is_empty() {
        locale.t("details.used_by_none").to_owned()
    } else {
        used.join(locale.t("common.separator"))
    };
    out.push((locale.t("details.used_by").to_owned(), used));
    out
}

/// A time as the list shows it: `2026-01-02 03:04:05 UTC`.
fn utc(t: time::OffsetDateTime) -> String {
    let text = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
        .replace('T', " ")
        .replace('Z', "");
    format!("{text} UTC")
}

fn method_of(connection: &Connection) -> Option<&'static Method> {
    Catalog::embedded()
        .service(&connection.service)
        .and_then(|s| s.method(&connection.method))
}

impl Details {
    /// The row of the connection shown, if it still exists.
    fn row<'a>(&self, rows: &'a [ListRow]) -> Option<&'a ListRow> {
        rows.iter().find(|r| r.stored.id() == &self.id)
    }
}

impl Screen for Details {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        let Some(action) = key.action else {
            return Reply::Ignored;
        };
        match self.row(ctx.rows).and_then(ListRow::connection) {
            Some(connection) => Details::handle(self, action, connection, ctx.view),
            // Deleted or damaged meanwhile: nothing here can act on it.
            None if matches!(action, Action::Back | Action::ForceQuit) => Reply::Close,
            None => Reply::Ignored,
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        let row = self.row(ctx.rows).filter(|r| r.connection().is_some());
        if let Some(row) = row {
            Details::render(self, frame, area, row, ctx.flows, ctx.view);
        } else {
            let theme = ctx.view.theme;
            let popup = centered(area, area.width.min(60), 5);
            let inner = frame_dialog(frame, popup, "", theme.focused_border, theme);
            frame.render_widget(
                Paragraph::new(ctx.view.locale.t("notice.gone").to_owned()),
                inner,
            );
        }
    }

    fn mode(&self) -> Mode {
        if self.revealed {
            Mode::DetailsRevealed
        } else {
            Mode::Details
        }
    }

    fn footer_args(&self, ctx: &Context<'_>) -> Vec<(&'static str, String)> {
        self.seconds_left(ctx.view.now)
            .map(|n| ("n", n.to_string()))
            .into_iter()
            .collect()
    }
}
