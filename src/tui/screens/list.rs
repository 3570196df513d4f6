//! The connection list: status, name, service and detail of every connection.

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tui_input::Input;

use super::{Context, KeyInput, Reply, Screen, View};
use crate::catalog::Catalog;
use crate::locale::width::truncate;
use crate::present::labels::{assessment_mark, assessment_word, detail, method_name, service_name};
use crate::tui::intent::Intent;
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::text_input::{InputView, Lines, edit};
use crate::vault::status::{Assessment, Tone, assess};
use crate::vault::{Connection, ConnectionId, StoredConnection, TokenRecord};

/// Widths above which the list shows its extra columns.
pub const WIDE: u16 = 120;

/// One connection as the list shows it.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub stored: StoredConnection,
    /// Boxed: most rows have no token, and a list of 10,000 rows would
    /// otherwise hold 1.5 MB of empty records.
    token: Option<Box<TokenRecord>>,
    pub assessment: Assessment,
    /// Lower-cased name and service, for the filter.
    search: String,
}

impl ListRow {
    /// Assesses a stored connection, with what is known of its token, at `now`.
    pub fn new(
        stored: StoredConnection,
        token: Option<TokenRecord>,
        now: OffsetDateTime,
    ) -> ListRow {
        let catalog = Catalog::embedded();
        let assessment = assess(&stored, catalog, token.as_ref(), now);
        let service = match &stored {
            StoredConnection::Intact(c) => catalog
                .service(&c.service)
                .map_or(c.service.clone(), |s| s.name.clone()),
            StoredConnection::Damaged(_) => String::new(),
        };
        let search = format!("{} {}", stored.name().unwrap_or_default(), service).to_lowercase();
        ListRow {
            stored,
            token: token.map(Box::new),
            assessment,
            search,
        }
    }

    /// The connection, if it is intact.
    pub fn connection(&self) -> Option<&Connection> {
        match &self.stored {
            StoredConnection::Intact(c) => Some(c),
            StoredConnection::Damaged(_) => None,
        }
    }

    /// What is known of the connection's token.
    pub fn token(&self) -> Option<&TokenRecord> {
        self.token.as_deref()
    }

    /// Replaces what is known of the token and reassesses.
    pub fn set_token(&mut self, token: Option<TokenRecord>, now: OffsetDateTime) {
        self.assessment = assess(&self.stored, Catalog::embedded(), token.as_ref(), now);
        self.token = token.map(Box::new);
    }

    /// Reassesses at a later time (countdowns, expiry).
    pub fn reassess(&mut self, now: OffsetDateTime) {
        self.assessment = assess(&self.stored, Catalog::embedded(), self.token(), now);
    }
}

/// The list's state: filter, selection and scroll.
#[derive(Debug, Default)]
pub struct ConnectionList {
    pub filter: Input,
    pub filtering: bool,
    /// Indices into the app's rows that pass the filter.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    pub offset: usize,
    /// Display width of the longest name, measured when the rows change.
    longest_name: usize,
    /// Only the vault's first page is here: no match is not yet none.
    pub reading_the_rest: bool,
}

impl ConnectionList {
    /// Recomputes which rows pass the filter, keeping `keep` selected if it still shows.
    pub fn refilter(&mut self, rows: &[ListRow], keep: Option<&ConnectionId>, height: usize) {
        self.longest_name = rows
            .iter()
            .map(|r| r.stored.name().map_or(12, crate::locale::width::width))
            .max()
            .unwrap_or(12);
        let needle = self.filter.value().trim().to_lowercase();
        self.visible = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| needle.is_empty() || r.search.contains(&needle))
            .map(|(i, _)| i)
            .collect();
        if let Some(id) = keep
            && let Some(pos) = self.visible.iter().position(|&i| rows[i].stored.id() == id)
        {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        self.scroll_to_selection(height);
    }

    /// The selected row's id.
    pub fn selected_id<'a>(&self, rows: &'a [ListRow]) -> Option<&'a ConnectionId> {
        self.visible
            .get(self.selected)
            .map(|&i| rows[i].stored.id())
    }

    /// Handles a navigation-mode action.
    pub fn handle(&mut self, action: Action, rows: &[ListRow], height: usize) -> Reply {
        let selected = self.selected_id(rows).cloned();
        let on_selected = |intent: fn(ConnectionId) -> Intent| {
            selected
                .clone()
                .map_or(Reply::Ignored, |id| Reply::Do(intent(id)))
        };
        let last = self.visible.len().saturating_sub(1);
        match action {
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::PageDown => self.selected = (self.selected + height.max(1)).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(height.max(1)),
            Action::Filter => self.filtering = true,
            Action::Back if !self.filter.value().is_empty() => {
                self.filter.reset();
                self.refilter(rows, selected.as_ref(), height);
            }
            Action::Open => return on_selected(Intent::OpenConnection),
            Action::Add => return Reply::Do(Intent::AddConnection),
            Action::Edit => return on_selected(Intent::EditConnection),
            Action::Rename => return on_selected(Intent::RenameConnection),
            Action::Delete => return on_selected(Intent::DeleteConnection),
            Action::Help => return Reply::Do(Intent::Help),
            Action::Refresh => return on_selected(Intent::RenewNow),
            Action::NextPane => return Reply::Do(Intent::NextPane),
            Action::Quit | Action::ForceQuit => return Reply::Do(Intent::Quit),
            _ => return Reply::Ignored,
        }
        self.scroll_to_selection(height);
        Reply::Changed
    }

    /// Handles a key while the filter is being typed.
    pub fn handle_filter(
        &mut self,
        action: Option<Action>,
        event: &Event,
        rows: &[ListRow],
        height: usize,
    ) -> Reply {
        let selected = self.selected_id(rows).cloned();
        match action {
            Some(Action::Submit) => self.filtering = false,
            Some(Action::Back) => {
                self.filtering = false;
                self.filter.reset();
                self.refilter(rows, selected.as_ref(), height);
            }
            Some(Action::ForceQuit) => return Reply::Do(Intent::Quit),
            Some(other) => return self.handle(other, rows, height),
            None => {
                if !edit(&mut self.filter, event, Lines::Single) {
                    return Reply::Ignored;
                }
                self.selected = 0;
                self.refilter(rows, None, height);
            }
        }
        Reply::Changed
    }

    fn scroll_to_selection(&mut self, height: usize) {
        let height = height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let max_offset = self.visible.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    /// Draws the table (only the rows that show) and the filter line.
    pub fn render(
        &self,
        frame: &mut Frame,
        table_area: Rect,
        filter_area: Rect,
        rows: &[ListRow],
        view: View<'_>,
    ) {
        let View {
            theme, locale, now, ..
        } = view;
        if self.filtering || !self.filter.value().is_empty() {
            let prompt = Span::styled("/ ", theme.key);
            frame.render_widget(
                Paragraph::new(Line::from(prompt)),
                Rect {
                    width: 2,
                    ..filter_area
                },
            );
            let input = InputView {
                input: &self.filter,
                masked: false,
                placeholder: None,
                focused: self.filtering,
            };
            input.render(
                frame,
                Rect {
                    x: filter_area.x + 2,
                    width: filter_area.width.saturating_sub(2),
                    ..filter_area
                },
                theme,
            );
        }
        if rows.is_empty() {
            let text = Paragraph::new(locale.t("list.empty_vault")).style(theme.muted);
            frame.render_widget(
                text,
                Rect {
                    y: table_area.y + 1,
                    height: 1,
                    ..table_area
                },
            );
            return;
        }
        if self.visible.is_empty() {
            let key = if self.reading_the_rest {
                "list.no_match_yet"
            } else {
                "list.no_match"
            };
            let clear = view.keymap.keys_of(self.mode(), Action::Back);
            let text = locale.f(key, &[("filter", self.filter.value()), ("clear", &clear)]);
            frame.render_widget(
                Paragraph::new(text).style(theme.muted),
                Rect {
                    y: table_area.y + 1,
                    height: 1,
                    ..table_area
                },
            );
            return;
        }
        let wide = table_area.width > WIDE;
        let body_height = table_area.height.saturating_sub(1) as usize;
        let catalog = Catalog::embedded();
        let status_width = 13u16;
        let service_width = if wide { 16 } else { 14 };
        // Names get what the longest needs, up to two fifths of the room: the detail
        // ("refresh failed: invalid_client") matters as much.
        let longest = self.longest_name as u16;
        let room = table_area
            .width
            .saturating_sub(status_width + service_width + 3);
        let name_width = longest.clamp(12, if wide { 30 } else { (room * 2 / 5).max(12) });
        let mut widths = vec![
            Constraint::Length(status_width),
            Constraint::Length(name_width),
            Constraint::Length(service_width),
            Constraint::Fill(1),
        ];
        let mut header = vec![
            locale.t("list.col.status"),
            locale.t("list.col.name"),
            locale.t("list.col.service"),
            locale.t("list.col.detail"),
        ];
        if wide {
            widths.insert(3, Constraint::Length(22));
            widths.push(Constraint::Length(20));
            header.insert(3, locale.t("list.col.method"));
            header.push(locale.t("list.col.updated"));
        }
        let detail_width = table_area.width.saturating_sub(
            widths
                .iter()
                .map(|c| match c {
                    Constraint::Length(n) => n + 1,
                    _ => 1,
                })
                .sum::<u16>(),
        ) as usize;
        let body: Vec<Row> = self
            .visible
            .iter()
            .enumerate()
            .skip(self.offset)
            .take(body_height)
            .map(|(pos, &i)| {
                let row = &rows[i];
                let a = &row.assessment;
                let selected = pos == self.selected;
                let status_style = match a.tone() {
                    Tone::Good => theme.success,
                    Tone::Warning => theme.warning,
                    Tone::Bad => theme.error,
                };
                let connection = row.connection();
                let service_def = connection.and_then(|c| catalog.service(&c.service));
                let method_def = connection
                    .zip(service_def)
                    .and_then(|(c, s)| s.method(&c.method));
                let name = match &row.stored {
                    StoredConnection::Intact(c) => c.name.clone(),
                    StoredConnection::Damaged(d) => d.name.clone().unwrap_or_else(|| {
                        locale.f(
                            "list.unreadable",
                            &[("id", crate::locale::width::fit(d.id.as_str(), 8))],
                        )
                    }),
                };
                let service = match (connection, service_def) {
                    (_, Some(s)) => service_name(locale, s).to_owned(),
                    (Some(c), None) => c.service.clone(),
                    (None, None) => "?".to_owned(),
                };
                let method = connection.zip(method_def).map_or(String::new(), |(c, m)| {
                    method_name(locale, &c.service, m).to_owned()
                });
                let updated = connection.map_or(String::new(), |c| {
                    c.updated_at
                        .format(&Rfc3339)
                        .unwrap_or_default()
                        .replace('T', " ")
                        .replace('Z', "")
                });
                let detail_text = detail(locale, connection, a, now);
                let status = format!("{} {}", assessment_mark(a), assessment_word(locale, a));
                let mut cells = vec![
                    Cell::from(Line::from(vec![
                        theme.marker(selected),
                        Span::styled(truncate(&status, status_width as usize - 1), status_style),
                    ])),
                    Cell::from(Span::styled(
                        truncate(&name, name_width as usize),
                        theme.name(selected),
                    )),
                    Cell::from(truncate(&service, service_width as usize)),
                    Cell::from(Span::styled(
                        truncate(&detail_text, detail_width),
                        if a.tone() == Tone::Good {
                            theme.muted
                        } else {
                            status_style
                        },
                    )),
                ];
                if wide {
                    cells.insert(3, Cell::from(truncate(&method, 22)));
                    cells.push(Cell::from(Span::styled(updated, theme.muted)));
                }
                Row::new(cells)
            })
            .collect();
        let table = Table::new(body, widths).header(Row::new(header).style(theme.title));
        frame.render_widget(table, table_area);
    }
}

impl Screen for ConnectionList {
    fn handle(&mut self, key: &KeyInput, ctx: &Context<'_>) -> Reply {
        // The table's header row is not a row of connections.
        let height = ctx.body.height.saturating_sub(1) as usize;
        if self.filtering {
            return self.handle_filter(key.action, &key.event, ctx.rows, height);
        }
        match key.action {
            Some(action) => ConnectionList::handle(self, action, ctx.rows, height),
            None => Reply::Ignored,
        }
    }

    /// Draws the table in `area` and the filter on the status line below it.
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &Context<'_>) {
        let status = Rect {
            y: area.bottom(),
            height: 1,
            ..area
        };
        ConnectionList::render(self, frame, area, status, ctx.rows, ctx.view);
    }

    fn mode(&self) -> Mode {
        if self.filtering {
            Mode::Filter
        } else {
            Mode::List
        }
    }
}
