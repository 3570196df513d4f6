//! Details of one connection: every field, secrets masked unless revealed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use zeroize::Zeroizing;

use super::list::ListRow;
use super::{Context, KeyInput, Reply, Screen, View, centered};
use crate::catalog::{Catalog, Method};
use crate::locale::labels::{
    detail, field_label, method_name, service_name, status_mark, status_word,
};
use crate::locale::width::{pad, truncate, width};
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::vault::status::Assessment;
use crate::vault::{Connection, ConnectionId};

/// How long revealed secrets stay visible.
pub const REVEAL_SECONDS: u64 = 10;
const MASK: &str = "••••••";

/// The details screen's state.
#[derive(Debug, Clone)]
pub struct Details {
    pub id: ConnectionId,
    pub selected: usize,
    pub revealed: bool,
    /// Bumped on each reveal so an older timer does not hide a newer reveal.
    pub reveal_generation: u64,
}

impl Details {
    /// Details of a connection, nothing revealed.
    pub fn new(id: ConnectionId) -> Details {
        Details {
            id,
            selected: 0,
            revealed: false,
            reveal_generation: 0,
        }
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
                if self.revealed {
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
        }
        hide
    }

    /// Draws the connection's header and fields.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        connection: &Connection,
        a: &Assessment,
        view: View<'_>,
    ) {
        let View { theme, locale, now } = view;
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
                Span::raw(truncate(
                    &format!(
                        "{} {} — {}",
                        status_mark(a.status),
                        status_word(locale, a.status),
                        detail_text
                    ),
                    w.saturating_sub(head),
                )),
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
            let marker = if selected { "> " } else { "  " };
            let mut line = Line::from(vec![
                Span::styled(marker, theme.key),
                Span::styled(format!("{label}{}  ", " ".repeat(pad)), theme.muted),
                value,
            ]);
            if selected {
                line = line.style(theme.selected);
            }
            lines.push(line);
        }
        if self.revealed {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                locale.f("details.revealed", &[("n", &REVEAL_SECONDS.to_string())]),
                theme.warning,
            )));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }
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
        let row = self.row(ctx.rows);
        if let Some((c, a)) = row.and_then(|r| r.connection().map(|c| (c, &r.assessment))) {
            Details::render(self, frame, area, c, a, ctx.view);
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
        Mode::Details
    }
}
