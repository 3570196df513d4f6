//! The credentials form of the wizard and of edit: one input per catalog field.

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

use super::text_input::{InputView, Lines, edit};
use crate::catalog::{Field, FieldError, Method, Rule};
use crate::locale::Locale;
use crate::locale::labels::{LabelScope, field_error, scoped_label};
use crate::locale::width::{truncate, width};
use crate::tui::theme::Theme;
use crate::vault::Credentials;

/// One field of the form.
#[derive(Debug, Clone)]
pub struct FormField {
    pub field: Field,
    pub input: Input,
    pub error: Option<FieldError>,
    /// Editing: the secret has a stored value that a blank input keeps.
    pub keeps_secret: bool,
}

/// The form's state: its fields and which one has the focus.
#[derive(Debug, Clone)]
pub struct CredentialsForm {
    /// Where the field labels come from.
    pub scope: LabelScope,
    pub fields: Vec<FormField>,
    pub focus: usize,
}

impl CredentialsForm {
    /// An empty form for a method's fields.
    pub fn new(service: &str, method: &Method) -> CredentialsForm {
        CredentialsForm::of(LabelScope::Service(service.to_owned()), &method.fields)
    }

    /// An empty form for any fields.
    pub fn of(scope: LabelScope, fields: &[Field]) -> CredentialsForm {
        let fields = fields
            .iter()
            .map(|f| FormField {
                field: f.clone(),
                input: Input::default(),
                error: None,
                keeps_secret: false,
            })
            .collect();
        CredentialsForm {
            scope,
            fields,
            focus: 0,
        }
    }

    /// A form prefilled from stored values; secrets start blank and blank keeps them.
    pub fn for_edit(service: &str, method: &Method, current: &Credentials) -> CredentialsForm {
        CredentialsForm::prefilled(
            LabelScope::Service(service.to_owned()),
            &method.fields,
            current,
        )
    }

    /// A form of `fields` prefilled from `current`; secrets start blank and blank keeps them.
    pub fn prefilled(
        scope: LabelScope,
        fields: &[Field],
        current: &Credentials,
    ) -> CredentialsForm {
        let mut form = CredentialsForm::of(scope, fields);
        for f in &mut form.fields {
            match current.get(&f.field.key) {
                Some(_) if f.field.secret => f.keeps_secret = true,
                Some(value) => f.input = Input::new(value.to_owned()),
                None => {}
            }
        }
        form
    }

    /// Moves the focus to the next field, checking the one left.
    pub fn focus_next(&mut self) {
        self.check_focused();
        self.focus = (self.focus + 1) % self.fields.len().max(1);
    }

    /// Moves the focus to the previous field, checking the one left.
    pub fn focus_prev(&mut self) {
        self.check_focused();
        self.focus = (self.focus + self.fields.len().max(1) - 1) % self.fields.len().max(1);
    }

    /// Whether the focus is on the last field.
    pub fn on_last_field(&self) -> bool {
        self.focus + 1 >= self.fields.len()
    }

    /// Hands a key or paste to the focused input; an error shown there is
    /// re-checked as the operator types, so it goes away once fixed.
    pub fn handle_input(&mut self, event: &Event) -> bool {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return false;
        };
        let changed = edit(&mut f.input, event, lines_of(&f.field));
        if changed && f.error.is_some() {
            self.check_focused();
        }
        changed
    }

    fn check_focused(&mut self) {
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.error = check(f, true).err();
        }
    }

    /// Checks every field; `complete` also requires the required ones. Focuses
    /// the first field in error and says whether all passed.
    pub fn validate(&mut self, complete: bool) -> bool {
        for f in &mut self.fields {
            f.error = check(f, complete).err();
        }
        match self.fields.iter().position(|f| f.error.is_some()) {
            Some(first) => {
                self.focus = first;
                false
            }
            None => true,
        }
    }

    /// The values typed, over `base` (blank secrets that keep their value stay).
    pub fn credentials(&self, base: &Credentials) -> Credentials {
        let mut out = base.clone();
        for f in &self.fields {
            let value = f.input.value().trim();
            if value.is_empty() && f.keeps_secret {
                continue;
            }
            out.set(f.field.key.clone(), value.to_owned());
        }
        out
    }

    fn domain(&self) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field.key == "domain")
            .map(|f| f.input.value())
    }

    /// Draws one line per field (plus one under a field in error), scrolled so
    /// the focused field shows.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, locale: &Locale) {
        let label_width = self
            .fields
            .iter()
            .map(|f| width(scoped_label(locale, &self.scope, &f.field)) + 2)
            .max()
            .unwrap_or(10)
            .clamp(10, (area.width as usize / 2).max(10)) as u16;
        let mut lines: Vec<(usize, bool)> = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            lines.push((i, false));
            if f.error.is_some() {
                lines.push((i, true));
            }
        }
        let focus_line = lines
            .iter()
            .position(|(i, _)| *i == self.focus)
            .unwrap_or(0);
        let height = area.height as usize;
        let skip = (focus_line + 2).saturating_sub(height);
        for (row, (i, is_error)) in lines.iter().skip(skip).take(height).enumerate() {
            let f = &self.fields[*i];
            let y = area.y + row as u16;
            let focused = *i == self.focus;
            let label = scoped_label(locale, &self.scope, &f.field);
            if *is_error {
                let text = f
                    .error
                    .as_ref()
                    .map(|e| field_error(locale, label, e))
                    .unwrap_or_default();
                let line = Line::from(vec![
                    Span::raw(" ".repeat(label_width as usize + 2)),
                    Span::styled(
                        truncate(
                            &format!("✗ {text}"),
                            (area.width - label_width - 2) as usize,
                        ),
                        theme.error,
                    ),
                ]);
                frame.render_widget(Paragraph::new(line), Rect::new(area.x, y, area.width, 1));
                continue;
            }
            let marker = if focused { "> " } else { "  " };
            let required = if f.field.required { "*" } else { "" };
            let label_text = truncate(&format!("{label}{required}"), label_width as usize - 1);
            let label_style = if focused { theme.title } else { theme.text };
            let line = Line::from(vec![
                Span::styled(marker, theme.key),
                Span::styled(label_text, label_style),
            ]);
            frame.render_widget(
                Paragraph::new(line),
                Rect::new(area.x, y, label_width + 2, 1),
            );
            let placeholder = if f.keeps_secret {
                Some(locale.t("form.keep_secret").to_owned())
            } else {
                f.field
                    .default_for(self.domain())
                    .map(|d| locale.f("form.default", &[("value", &d)]))
            };
            let view = InputView {
                input: &f.input,
                masked: f.field.secret,
                placeholder: placeholder.as_deref(),
                focused,
            };
            let mut input_area = Rect::new(
                area.x + label_width + 2,
                y,
                area.width.saturating_sub(label_width + 2),
                1,
            );
            if let Some(count) = masked_line_count(f) {
                // A pasted key shows it went in whole, and no more of it.
                let text = format!(" {}", locale.f("form.lines", &[("n", &count.to_string())]));
                let hint_width = (width(&text) as u16).min(input_area.width / 2);
                input_area.width -= hint_width;
                let hint_area = Rect::new(input_area.right(), y, hint_width, 1);
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        truncate(&text, hint_width as usize),
                        theme.muted,
                    )),
                    hint_area,
                );
            }
            view.render(frame, input_area, theme);
        }
    }
}

/// Secrets keep a paste's lines (a PEM key, a key file's JSON); so does a
/// PEM, which is lines by definition. Other fields are one line.
fn lines_of(field: &Field) -> Lines {
    if field.secret || matches!(field.rule, Some(Rule::Pem)) {
        Lines::Multi
    } else {
        Lines::Single
    }
}

/// How many lines a masked value of several lines has; one `•` per character
/// tells no more than that.
fn masked_line_count(f: &FormField) -> Option<usize> {
    let value = f.input.value();
    (f.field.secret && value.contains('\n')).then(|| value.lines().count())
}

fn check(f: &FormField, complete: bool) -> Result<(), FieldError> {
    let value = f.input.value();
    if value.trim().is_empty() && (f.keeps_secret || !complete) {
        return Ok(());
    }
    if value.trim().is_empty() && f.field.default.is_some() {
        return Ok(());
    }
    f.field.validate(value)
}
