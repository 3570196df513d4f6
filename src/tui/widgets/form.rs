//! The credentials form of the wizard and of edit: one input per catalog field.

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;
use zeroize::Zeroizing;

use super::text_input::{InputView, Lines, edit};
use crate::catalog::{Field, FieldError, Method, Rule};
use crate::locale::Locale;
use crate::locale::width::{truncate, width};
use crate::present::labels::{LabelScope, field_error, scoped_label};
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

    /// The values of the focused field, when it takes one of a few.
    pub fn focused_choices(&self) -> Option<&[String]> {
        match self.fields.get(self.focus).map(|f| &f.field.rule) {
            Some(Some(Rule::Choice(values))) => Some(values),
            _ => None,
        }
    }

    /// Moves a choice field to its next (`by` = 1) or previous (-1) value,
    /// from the default when blank.
    pub fn cycle(&mut self, by: isize) -> bool {
        let Some(values) = self.focused_choices().map(<[String]>::to_vec) else {
            return false;
        };
        let Some(f) = self.fields.get_mut(self.focus) else {
            return false;
        };
        if values.is_empty() {
            return false;
        }
        let n = values.len() as isize;
        // Blank means the default, which is where the cycle starts.
        let current = match f.input.value().trim() {
            "" => f.field.default.clone().unwrap_or_default(),
            typed => typed.to_owned(),
        };
        let next = match values.iter().position(|v| *v == current) {
            Some(at) => (at as isize + by).rem_euclid(n),
            None if by >= 0 => 0,
            None => n - 1,
        };
        f.input = Input::new(values[next as usize].clone());
        f.error = None;
        true
    }

    /// Hands a key or paste to the focused input; an error shown there is
    /// re-checked as the operator types, so it goes away once fixed. A
    /// choice field takes no typing: ←/→ and Space move between its values.
    pub fn handle_input(&mut self, event: &Event) -> bool {
        if self.focused_choices().is_some() {
            use ratatui::crossterm::event::KeyCode;
            return match event {
                Event::Key(k) if matches!(k.code, KeyCode::Right | KeyCode::Char(' ')) => {
                    self.cycle(1)
                }
                Event::Key(k) if k.code == KeyCode::Left => self.cycle(-1),
                _ => false,
            };
        }
        let Some(f) = self.fields.get_mut(self.focus) else {
            return false;
        };
        let changed = edit(&mut f.input, event, lines_of(&f.field));
        if changed && f.error.is_some() {
            self.check_focused();
        }
        changed
    }

    /// The focused field's key and value, for the operator's editor; none
    /// on a choice field, whose value is chosen, not written.
    pub fn editor_request(&self) -> Option<(String, Zeroizing<String>)> {
        if self.focused_choices().is_some() {
            return None;
        }
        let f = self.fields.get(self.focus)?;
        Some((
            f.field.key.clone(),
            Zeroizing::new(f.input.value().to_owned()),
        ))
    }

    /// Puts what the editor left into the field `key`; says whether the
    /// field is there. A field that keeps lines (a secret, a PEM key) takes
    /// the text byte for byte, final line break and all: a PEM file ends
    /// with one. Any other field is one line by nature, and editors end
    /// the file with a line break the operator did not write: exactly one
    /// final `\n` is dropped there (any other stays, and the field's check
    /// says whether it belongs).
    pub fn set_edited(&mut self, key: &str, text: &str) -> bool {
        let Some(f) = self.fields.iter_mut().find(|f| f.field.key == key) else {
            return false;
        };
        let value = match lines_of(&f.field) {
            Lines::Multi => text,
            Lines::Single => text.strip_suffix('\n').unwrap_or(text),
        };
        // At its start: the first line says more of a value than its last.
        f.input = Input::new(value.to_owned()).with_cursor(0);
        f.error = check(f, false).err();
        true
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

    /// The values typed, over `base` (blank secrets that keep their value
    /// stay). A value of one line is trimmed (a copy drags spaces and a line
    /// break along); one of several lines is kept byte for byte (a PEM key
    /// ends with its line break, a JSON file keeps its indentation).
    pub fn credentials(&self, base: &Credentials) -> Credentials {
        let mut out = base.clone();
        for f in &self.fields {
            let raw = f.input.value();
            let value = if raw.trim().contains('\n') {
                raw
            } else {
                raw.trim()
            };
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
        // Errors wrap under their field, in the room right of the labels.
        let error_width = area.width.saturating_sub(label_width + 2).max(10) as usize;
        let mut lines: Vec<(usize, Option<String>)> = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            lines.push((i, None));
            if let Some(e) = &f.error {
                let label = scoped_label(locale, &self.scope, &f.field);
                let text = format!("✗ {}", field_error(locale, label, e));
                for part in wrap_text(&text, error_width) {
                    lines.push((i, Some(part)));
                }
            }
        }
        // The focused field and all of its error show.
        let focus_end = lines
            .iter()
            .rposition(|(i, _)| *i == self.focus)
            .unwrap_or(0);
        let height = area.height as usize;
        let skip = (focus_end + 2).saturating_sub(height);
        for (row, (i, error)) in lines.iter().skip(skip).take(height).enumerate() {
            let f = &self.fields[*i];
            let y = area.y + row as u16;
            let focused = *i == self.focus;
            let label = scoped_label(locale, &self.scope, &f.field);
            if let Some(part) = error {
                let line = Line::from(vec![
                    Span::raw(" ".repeat(label_width as usize + 2)),
                    Span::styled(part.clone(), theme.error),
                ]);
                frame.render_widget(Paragraph::new(line), Rect::new(area.x, y, area.width, 1));
                continue;
            }
            let required = if f.field.required { "*" } else { "" };
            let label_text = truncate(&format!("{label}{required}"), label_width as usize - 1);
            let label_style = if focused { theme.title } else { theme.text };
            let line = Line::from(vec![
                theme.marker(focused),
                Span::raw(" "),
                Span::styled(label_text, label_style),
            ]);
            frame.render_widget(
                Paragraph::new(line),
                Rect::new(area.x, y, label_width + 2, 1),
            );
            let input_area = Rect::new(
                area.x + label_width + 2,
                y,
                area.width.saturating_sub(label_width + 2),
                1,
            );
            if let Some(Rule::Choice(values)) = &f.field.rule {
                render_choice(frame, input_area, f, values, focused, theme, locale);
                continue;
            }
            let placeholder = if f.keeps_secret {
                Some(locale.t("form.keep_secret").to_owned())
            } else {
                f.field
                    .default_for(self.domain())
                    .map(|d| locale.f("form.default", &[("value", &d)]))
            };
            // Line breaks never reach the screen: `⏎` stands for each, one
            // character for one, so the cursor stays where it is.
            let joined = (!f.field.secret && f.input.value().contains('\n')).then(|| {
                Input::new(f.input.value().replace('\n', "⏎")).with_cursor(f.input.cursor())
            });
            let view = InputView {
                input: joined.as_ref().unwrap_or(&f.input),
                masked: f.field.secret,
                placeholder: placeholder.as_deref(),
                focused,
            };
            let mut input_area = input_area;
            if let Some(count) = line_count(f) {
                // A pasted or edited key shows it went in whole, and no more of it.
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

/// A choice field: every value, the chosen one marked, so the operator
/// sees what there is to choose from (`‹ basic › post`).
fn render_choice(
    frame: &mut Frame,
    area: Rect,
    f: &FormField,
    values: &[String],
    focused: bool,
    theme: &Theme,
    locale: &Locale,
) {
    let chosen = f.input.value().trim();
    let default = f.field.default.as_deref();
    let mut spans = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let is_chosen = v == chosen || (chosen.is_empty() && Some(v.as_str()) == default);
        if is_chosen {
            spans.push(Span::styled(
                format!("‹{v}›"),
                if focused { theme.selected } else { theme.title },
            ));
        } else {
            spans.push(Span::styled(format!(" {v} "), theme.muted));
        }
    }
    if chosen.is_empty() && default.is_some() {
        spans.push(Span::styled(
            format!("  {}", locale.t("form.choice_default")),
            theme.muted,
        ));
    }
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    if width(&text) > area.width as usize {
        // Too many to list: the chosen one, with where it stands.
        let at = values.iter().position(|v| v == chosen).map_or(0, |i| i + 1);
        let short = format!("‹{chosen}› {at}/{}", values.len());
        frame.render_widget(Paragraph::new(truncate(&short, area.width as usize)), area);
        return;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Splits `text` into lines of at most `room` cells, at spaces where it can
/// and anywhere in a word longer than a line (Japanese has no spaces).
pub fn wrap_text(text: &str, room: usize) -> Vec<String> {
    let room = room.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if width(&line) + sep + width(word) <= room {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if width(word) <= room {
            lines.push(std::mem::take(&mut line));
            line.push_str(word);
            continue;
        }
        // Longer than a line: it goes on where the line is, cut by cells.
        if sep == 1 {
            line.push(' ');
        }
        for c in word.chars() {
            if width(&line) + width(c.encode_utf8(&mut [0; 4])) > room {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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

/// How many lines a value of several lines has: for a masked one, one `•`
/// per character tells no more than that; for a clear one, it says what
/// the `⏎` in it stand for.
fn line_count(f: &FormField) -> Option<usize> {
    let value = f.input.value();
    value.contains('\n').then(|| value.lines().count())
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

#[cfg(test)]
mod tests {
    use super::wrap_text;

    #[test]
    fn text_wraps_at_spaces_and_long_words_anywhere() {
        assert_eq!(wrap_text("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap_text("✗ 長い長い", 6), ["✗ 長い", "長い"]);
        assert_eq!(wrap_text("", 4), [""]);
    }
}
