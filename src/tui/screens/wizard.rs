//! The add-connection wizard (service, method, name, credentials) and the edit form.

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

use super::list::ListRow;
use super::{View, centered};
use crate::catalog::{Catalog, Method, Service};
use crate::locale::Locale;
use crate::locale::width::{truncate, width};
use crate::present::labels::{method_name, name_error, service_name};
use crate::tui::keymap::{Action, Mode};
use crate::tui::message::VaultCommand;
use crate::tui::widgets::dialog::frame_dialog;
use crate::tui::widgets::form::{CredentialsForm, wrap_text};
use crate::tui::widgets::text_input::{InputView, Lines, edit, labelled};
use crate::vault::{Connection, Credentials, SecretValue, normalise_name, validate_name};

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Service,
    Method,
    Name,
    Credentials,
}

/// What the wizard asks the app to do.
#[derive(Debug)]
pub enum WizardOutcome {
    Ignored,
    Changed,
    Cancel,
    Save(VaultCommand),
    /// Write the field `field`'s value in the operator's editor.
    OpenEditor {
        field: String,
        text: zeroize::Zeroizing<String>,
    },
}

/// The wizard's state; every step keeps what was typed when stepping back.
#[derive(Debug)]
pub struct Wizard {
    /// Editing this connection (the form only), rather than adding one.
    pub editing: Option<Connection>,
    pub step: Step,
    pub service_filter: Input,
    pub service_selected: usize,
    pub service: Option<&'static Service>,
    /// Opened with the service already chosen: `Esc` at the name step cancels.
    preset_service: bool,
    pub method_selected: usize,
    pub name: Input,
    pub name_error: Option<String>,
    pub form: Option<CredentialsForm>,
    /// A save the vault refused, in words.
    pub save_error: Option<String>,
    /// Opened to rename: Enter at the name saves, the form is not shown.
    pub renaming: bool,
}

impl Wizard {
    /// The wizard from its first step.
    pub fn add() -> Wizard {
        Wizard {
            editing: None,
            step: Step::Service,
            service_filter: Input::default(),
            service_selected: 0,
            service: None,
            preset_service: false,
            method_selected: 0,
            name: Input::default(),
            name_error: None,
            form: None,
            save_error: None,
            renaming: false,
        }
    }

    /// The wizard with the service chosen, starting at the name (or method) step.
    pub fn add_for_service(service: &'static Service) -> Wizard {
        let mut wizard = Wizard::add();
        wizard.service = Some(service);
        wizard.preset_service = true;
        wizard.step = if service.methods.len() > 1 {
            Step::Method
        } else {
            Step::Name
        };
        wizard
    }

    /// The credentials form of an existing connection, prefilled.
    pub fn edit(connection: Connection) -> Option<Wizard> {
        let service = Catalog::embedded().service(&connection.service)?;
        let method = service.method(&connection.method)?;
        let mut wizard = Wizard::add();
        wizard.form = Some(CredentialsForm::for_edit(
            &service.id,
            method,
            &connection.fields,
        ));
        wizard.service = Some(service);
        wizard.method_selected = service
            .methods
            .iter()
            .position(|m| m.id == method.id)
            .unwrap_or(0);
        wizard.step = Step::Credentials;
        wizard.name = Input::new(connection.name.clone());
        wizard.editing = Some(connection);
        Some(wizard)
    }

    /// The edit form of a connection opened at its name: Enter renames it.
    pub fn rename(connection: Connection) -> Option<Wizard> {
        let mut wizard = Wizard::edit(connection)?;
        wizard.step = Step::Name;
        wizard.renaming = true;
        Some(wizard)
    }

    /// The edit was refused: the connection changed elsewhere. `stored`
    /// becomes the base; a field changed there shows the stored value (a
    /// secret: blank, keeping it), a field changed only here keeps what was
    /// typed. Saving again sends only what then differs from `stored`.
    pub fn rebase(&mut self, stored: Connection) {
        let Some(base) = self.editing.take() else {
            return;
        };
        if stored.service != base.service || stored.method != base.method {
            // Other fields altogether: the stored connection's own form.
            if let Some(fresh) = Wizard::edit(stored.clone()) {
                *self = fresh;
                return;
            }
        }
        if let Some(form) = &mut self.form {
            for f in &mut form.fields {
                let key = f.field.key.as_str();
                let now = stored.fields.get(key);
                if now == base.fields.get(key) {
                    continue;
                }
                f.error = None;
                if f.field.secret {
                    f.input = Input::default();
                    f.keeps_secret = now.is_some();
                } else {
                    f.input = Input::new(now.unwrap_or_default().to_owned());
                }
            }
        }
        if stored.name != base.name && self.name.value().trim() == base.name {
            self.name = Input::new(stored.name.clone());
        }
        self.save_error = None;
        self.editing = Some(stored);
    }

    /// The edit was refused: the connection was deleted elsewhere. What the
    /// form holds becomes a new connection (blank secrets keep the values
    /// the form opened with); the form is then an add form. `None` if a
    /// field is not valid (the form shows which).
    pub fn recreate(&mut self) -> Option<VaultCommand> {
        let base = self.editing.as_ref()?;
        let form = self.form.as_mut()?;
        if !form.validate(false) {
            return None;
        }
        let fields = form.credentials(&base.fields);
        let connection = Connection::new(
            self.name.value().trim(),
            &base.service,
            &base.method,
            fields,
        );
        self.editing = None;
        self.save_error = None;
        Some(VaultCommand::Add(connection))
    }

    /// The keymap mode of the current step.
    pub fn mode(&self) -> Mode {
        match self.step {
            Step::Service => Mode::WizardService,
            Step::Method => Mode::WizardMethod,
            Step::Name if self.renaming => Mode::Rename,
            Step::Name => Mode::WizardName,
            Step::Credentials
                if self
                    .form
                    .as_ref()
                    .is_some_and(|f| f.focused_choices().is_some()) =>
            {
                Mode::WizardChoice
            }
            Step::Credentials => Mode::WizardForm,
        }
    }

    fn method(&self) -> Option<&'static Method> {
        self.service
            .and_then(|s| s.methods.get(self.method_selected))
    }

    /// Services that match the filter, in catalog order.
    pub fn matching_services(&self, locale: &Locale) -> Vec<&'static Service> {
        let needle = self.service_filter.value().trim().to_lowercase();
        Catalog::embedded()
            .services()
            .iter()
            .filter(|s| {
                needle.is_empty()
                    || s.id.contains(&needle)
                    || s.name.to_lowercase().contains(&needle)
                    || service_name(locale, s).to_lowercase().contains(&needle)
            })
            .collect()
    }

    /// (step number, number of steps) for "Step 2 of 3".
    pub fn progress(&self) -> (usize, usize) {
        let has_method = self.service.is_some_and(|s| s.methods.len() > 1);
        let total = if has_method { 4 } else { 3 };
        let n = match self.step {
            Step::Service => 1,
            Step::Method => 2,
            Step::Name => total - 1,
            Step::Credentials => total,
        };
        (n, total)
    }

    /// A save came back refused because of the name: back to the name step.
    pub fn name_taken(&mut self, locale: &Locale, name: &str) {
        self.step = Step::Name;
        self.name_error = Some(locale.f("wizard.duplicate", &[("name", name)]));
    }

    /// Handles a key.
    pub fn handle(
        &mut self,
        action: Option<Action>,
        event: &Event,
        rows: &[ListRow],
        locale: &Locale,
    ) -> WizardOutcome {
        if action == Some(Action::ForceQuit) {
            return WizardOutcome::Cancel;
        }
        if action == Some(Action::Back) {
            return self.back();
        }
        match self.step {
            Step::Service => self.handle_service(action, event, locale),
            Step::Method => self.handle_method(action),
            Step::Name => self.handle_name(action, event, rows, locale),
            Step::Credentials => self.handle_form(action, event),
        }
    }

    fn back(&mut self) -> WizardOutcome {
        let has_method = self.service.is_some_and(|s| s.methods.len() > 1);
        self.save_error = None;
        self.step = match self.step {
            // Editing: the name is one step back, then out.
            Step::Credentials => Step::Name,
            Step::Name if self.editing.is_some() => return WizardOutcome::Cancel,
            Step::Name if has_method => Step::Method,
            Step::Name | Step::Method if self.preset_service => return WizardOutcome::Cancel,
            Step::Name | Step::Method => Step::Service,
            Step::Service => return WizardOutcome::Cancel,
        };
        WizardOutcome::Changed
    }

    fn handle_service(
        &mut self,
        action: Option<Action>,
        event: &Event,
        locale: &Locale,
    ) -> WizardOutcome {
        let matching = self.matching_services(locale);
        match action {
            Some(Action::Down) => {
                self.service_selected =
                    (self.service_selected + 1).min(matching.len().saturating_sub(1));
            }
            Some(Action::Up) => self.service_selected = self.service_selected.saturating_sub(1),
            Some(Action::Submit) => {
                let Some(&chosen) = matching.get(self.service_selected) else {
                    return WizardOutcome::Ignored;
                };
                if self.service.is_none_or(|s| s.id != chosen.id) {
                    self.method_selected = 0;
                    self.form = None;
                }
                self.service = Some(chosen);
                self.step = if chosen.methods.len() > 1 {
                    Step::Method
                } else {
                    Step::Name
                };
            }
            Some(_) => return WizardOutcome::Ignored,
            None => {
                if !edit(&mut self.service_filter, event, Lines::Single) {
                    return WizardOutcome::Ignored;
                }
                self.service_selected = 0;
            }
        }
        WizardOutcome::Changed
    }

    fn handle_method(&mut self, action: Option<Action>) -> WizardOutcome {
        let count = self.service.map_or(0, |s| s.methods.len());
        match action {
            Some(Action::Down) => {
                self.method_selected = (self.method_selected + 1).min(count.saturating_sub(1));
            }
            Some(Action::Up) => self.method_selected = self.method_selected.saturating_sub(1),
            Some(Action::Submit) => {
                let method = self.method();
                if self.form.as_ref().zip(method).is_some_and(|(f, m)| {
                    f.fields.len() != m.fields.len()
                        || f.fields
                            .iter()
                            .zip(&m.fields)
                            .any(|(a, b)| a.field.key != b.key)
                }) {
                    self.form = None;
                }
                self.step = Step::Name;
            }
            _ => return WizardOutcome::Ignored,
        }
        WizardOutcome::Changed
    }

    fn handle_name(
        &mut self,
        action: Option<Action>,
        event: &Event,
        rows: &[ListRow],
        locale: &Locale,
    ) -> WizardOutcome {
        match action {
            Some(Action::Submit) => {
                self.check_name(rows, locale);
                if self.name_error.is_some() {
                    return WizardOutcome::Changed;
                }
                if let (true, Some(existing)) = (self.renaming, &self.editing) {
                    return WizardOutcome::Save(VaultCommand::Edit {
                        base: Box::new(existing.clone()),
                        name: self.name.value().trim().to_owned(),
                        changes: Vec::new(),
                    });
                }
                if self.form.is_none() {
                    let (Some(service), Some(method)) = (self.service, self.method()) else {
                        return WizardOutcome::Ignored;
                    };
                    self.form = Some(CredentialsForm::new(&service.id, method));
                }
                self.step = Step::Credentials;
                WizardOutcome::Changed
            }
            Some(_) => WizardOutcome::Ignored,
            None => {
                if !edit(&mut self.name, event, Lines::Single) {
                    return WizardOutcome::Ignored;
                }
                self.check_name(rows, locale);
                WizardOutcome::Changed
            }
        }
    }

    fn check_name(&mut self, rows: &[ListRow], locale: &Locale) {
        let name = self.name.value();
        self.name_error = if let Err(e) = validate_name(name) {
            Some(name_error(locale, e).to_owned())
        } else {
            let wanted = normalise_name(name);
            let editing = self.editing.as_ref().map(|c| &c.id);
            let taken = rows.iter().any(|r| {
                Some(r.stored.id()) != editing
                    && r.stored.name().is_some_and(|n| normalise_name(n) == wanted)
            });
            taken.then(|| locale.f("wizard.duplicate", &[("name", name.trim())]))
        };
    }

    fn handle_form(&mut self, action: Option<Action>, event: &Event) -> WizardOutcome {
        let Some(form) = self.form.as_mut() else {
            return WizardOutcome::Ignored;
        };
        match action {
            Some(Action::NextField) => form.focus_next(),
            Some(Action::PrevField) => form.focus_prev(),
            Some(Action::Submit) if !form.on_last_field() => form.focus_next(),
            Some(Action::Submit | Action::Save) => return self.save(true),
            Some(Action::CreateEmpty) => return self.save(false),
            Some(Action::NextChoice) => {
                form.cycle(1);
            }
            Some(Action::PrevChoice) => {
                form.cycle(-1);
            }
            Some(Action::OpenEditor) => {
                return match form.editor_request() {
                    Some((field, text)) => WizardOutcome::OpenEditor { field, text },
                    None => WizardOutcome::Ignored,
                };
            }
            Some(_) => return WizardOutcome::Ignored,
            None => {
                if !form.handle_input(event) {
                    return WizardOutcome::Ignored;
                }
            }
        }
        WizardOutcome::Changed
    }

    fn save(&mut self, complete: bool) -> WizardOutcome {
        let chosen = self.service.zip(self.method());
        let Some(form) = self.form.as_mut() else {
            return WizardOutcome::Ignored;
        };
        if !form.validate(complete) {
            return WizardOutcome::Changed;
        }
        if let Some(existing) = &self.editing {
            // Only what the operator changed: the stored connection may have
            // moved on since the form opened (a rotated refresh token).
            let edited = form.credentials(&existing.fields);
            let changes = form
                .fields
                .iter()
                .map(|f| f.field.key.as_str())
                .filter(|k| edited.get(k) != existing.fields.get(k))
                .map(|k| {
                    (
                        k.to_owned(),
                        SecretValue::new(edited.get(k).unwrap_or_default()),
                    )
                })
                .collect();
            return WizardOutcome::Save(VaultCommand::Edit {
                base: Box::new(existing.clone()),
                name: self.name.value().trim().to_owned(),
                changes,
            });
        }
        let Some((service, method)) = chosen else {
            return WizardOutcome::Ignored;
        };
        let fields = form.credentials(&Credentials::default());
        let connection = Connection::new(self.name.value().trim(), &service.id, &method.id, fields);
        WizardOutcome::Save(VaultCommand::Add(connection))
    }

    /// Draws the current step.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let popup = centered(area, area.width.min(90), area.height);
        let title = match &self.editing {
            Some(c) if self.renaming => locale.f("wizard.rename_title", &[("name", &c.name)]),
            Some(c) => locale.f("wizard.edit_title", &[("name", &c.name)]),
            None => locale.t("wizard.title").to_owned(),
        };
        let inner = frame_dialog(frame, popup, &title, theme.focused_border, theme);
        if inner.height < 4 {
            return;
        }
        let w = inner.width as usize;
        let (n, total) = self.progress();
        let step_title = locale.t(match self.step {
            Step::Service => "wizard.step_service",
            Step::Method => "wizard.step_method",
            Step::Name => "wizard.step_name",
            Step::Credentials => "wizard.step_credentials",
        });
        let step_title = if self.renaming {
            locale.t("wizard.step_rename")
        } else {
            step_title
        };
        let progress = if self.editing.is_some() {
            step_title.to_owned()
        } else {
            format!(
                "{} · {step_title}",
                locale.f(
                    "wizard.step",
                    &[("n", &n.to_string()), ("total", &total.to_string())]
                )
            )
        };
        frame.render_widget(
            Paragraph::new(Span::styled(truncate(&progress, w), theme.title)),
            line(inner, 0),
        );
        if let Some(service) = self.service.filter(|_| self.step != Step::Service) {
            let mut text = service_name(locale, service).to_owned();
            if let Some(m) = self
                .method()
                .filter(|_| service.methods.len() > 1 && self.step != Step::Method)
            {
                text = format!("{text} · {}", method_name(locale, &service.id, m));
            }
            if self.step == Step::Credentials && self.editing.is_none() {
                text = format!("{text} · {}", self.name.value().trim());
            }
            frame.render_widget(
                Paragraph::new(Span::styled(truncate(&text, w), theme.muted)),
                line(inner, 1),
            );
        }
        let body = Rect {
            y: inner.y + 3,
            height: inner.height.saturating_sub(4),
            ..inner
        };
        match self.step {
            Step::Service => self.render_services(frame, body, view),
            Step::Method => self.render_methods(frame, body, view),
            Step::Name => self.render_name(frame, body, view),
            Step::Credentials => {
                // The keys as bound, which the config file may change.
                let keys = |action| view.keymap.keys_of(Mode::WizardForm, action);
                let (submit, back) = (keys(Action::Submit), keys(Action::Back));
                let (text, style) = match &self.save_error {
                    Some(e) => (e.clone(), theme.error),
                    None if self.editing.is_some() => (
                        locale.f("wizard.edit_hint", &[("back", &back), ("submit", &submit)]),
                        theme.muted,
                    ),
                    None => (
                        locale.f(
                            "wizard.form_hint",
                            &[
                                ("submit", &submit),
                                ("create_empty", &keys(Action::CreateEmpty)),
                            ],
                        ),
                        theme.muted,
                    ),
                };
                // A refusal is read in full (it says what to do); the hint
                // below the form is one line.
                let hint: Vec<String> = if self.save_error.is_some() {
                    let mut lines = wrap_text(&text, w);
                    lines.truncate((body.height / 2).max(1) as usize);
                    lines
                } else {
                    vec![truncate(&text, w)]
                };
                let hint_height = hint.len() as u16;
                if let Some(form) = &self.form {
                    let form_area = Rect {
                        height: body.height.saturating_sub(hint_height + 1),
                        ..body
                    };
                    form.render(frame, form_area, theme, locale);
                }
                for (i, l) in hint.into_iter().enumerate() {
                    frame.render_widget(
                        Paragraph::new(Span::styled(l, style)),
                        line(inner, inner.height - hint_height + i as u16),
                    );
                }
            }
        }
    }

    fn render_services(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        labelled(
            frame,
            line(area, 0),
            locale.t("wizard.search"),
            InputView {
                input: &self.service_filter,
                masked: false,
                placeholder: Some(locale.t("wizard.search_hint")),
                focused: true,
            },
            theme,
        );
        let matching = self.matching_services(locale);
        let list_area = Rect {
            y: area.y + 2,
            height: area.height.saturating_sub(2),
            ..area
        };
        if matching.is_empty() {
            frame.render_widget(
                Paragraph::new(Span::styled(locale.t("wizard.no_service"), theme.muted)),
                line(list_area, 0),
            );
            return;
        }
        // When the list overflows, its last row says how many more there are.
        let overflows = matching.len() > list_area.height as usize;
        let height = list_area.height as usize - usize::from(overflows);
        let skip = (self.service_selected + 1).saturating_sub(height);
        let below = matching.len().saturating_sub(skip + height);
        let mut lines: Vec<Line> = matching
            .iter()
            .enumerate()
            .skip(skip)
            .take(height)
            .map(|(i, s)| {
                selectable(
                    i == self.service_selected,
                    service_name(locale, s),
                    &s.id,
                    list_area.width as usize,
                    view,
                )
            })
            .collect();
        if below > 0 {
            let more = locale.f("wizard.more", &[("n", &below.to_string())]);
            lines.push(Line::from(Span::styled(format!("  {more}"), theme.muted)));
        }
        frame.render_widget(Paragraph::new(lines), list_area);
    }

    fn render_methods(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let Some(service) = self.service else { return };
        let lines: Vec<Line> = service
            .methods
            .iter()
            .enumerate()
            .map(|(i, m)| {
                selectable(
                    i == self.method_selected,
                    method_name(view.locale, &service.id, m),
                    &m.id,
                    area.width as usize,
                    view,
                )
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn render_name(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        labelled(
            frame,
            line(area, 0),
            locale.t("wizard.name"),
            InputView {
                input: &self.name,
                masked: false,
                placeholder: Some(locale.t("wizard.name_hint")),
                focused: true,
            },
            theme,
        );
        let w = area.width as usize;
        let (text, style) = match &self.name_error {
            Some(e) => (format!("✗ {e}"), theme.error),
            None if !self.name.value().trim().is_empty() => {
                (format!("✓ {}", locale.t("wizard.name_ok")), theme.success)
            }
            None => (String::new(), theme.muted),
        };
        // Wrapped, never cut: the reason a name is refused is read whole.
        for (i, l) in wrap_text(&text, w).into_iter().enumerate() {
            frame.render_widget(
                Paragraph::new(Span::styled(l, style)),
                line(area, 2 + i as u16),
            );
        }
        if self.renaming && self.name_error.is_none() {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    truncate(
                        &locale.f(
                            "wizard.rename_hint",
                            &[
                                ("submit", &view.keymap.keys_of(Mode::Rename, Action::Submit)),
                                ("back", &view.keymap.keys_of(Mode::Rename, Action::Back)),
                            ],
                        ),
                        w,
                    ),
                    theme.muted,
                )),
                line(area, 4),
            );
        }
    }
}

fn selectable<'a>(selected: bool, name: &str, id: &str, w: usize, view: View<'_>) -> Line<'a> {
    let theme = view.theme;
    let name = truncate(name, w.saturating_sub(2).min(30));
    // At least one space between a name of full width and its id.
    let pad = 32usize.saturating_sub(width(&name) + 2).max(1);
    let id = truncate(id, w.saturating_sub(32));
    Line::from(vec![
        theme.marker(selected),
        Span::raw(" "),
        Span::styled(name, theme.name(selected)),
        Span::raw(" ".repeat(pad)),
        Span::styled(id, theme.muted),
    ])
}

fn line(area: Rect, n: u16) -> Rect {
    Rect {
        y: area.y + n.min(area.height.saturating_sub(1)),
        height: 1,
        ..area
    }
}

impl super::Screen for Wizard {
    fn handle(&mut self, key: &super::KeyInput, ctx: &super::Context<'_>) -> super::Reply {
        match Wizard::handle(self, key.action, &key.event, ctx.rows, ctx.view.locale) {
            WizardOutcome::Ignored => super::Reply::Ignored,
            WizardOutcome::Changed => super::Reply::Changed,
            WizardOutcome::Cancel => super::Reply::Close,
            WizardOutcome::Save(command) => {
                super::Reply::Do(crate::tui::intent::Intent::Save(command))
            }
            WizardOutcome::OpenEditor { field, text } => {
                super::Reply::Do(crate::tui::intent::Intent::OpenEditor { field, text })
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &super::Context<'_>) {
        Wizard::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> Mode {
        Wizard::mode(self)
    }
}
