//! Small editors of the flows pane: a flow's name, and an action's inputs.

use ratatui::Frame;
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use tui_input::Input;

use super::{View, centered};
use crate::catalog::Catalog;
use crate::locale::width::truncate;
use crate::present::labels::{LabelScope, action_name, name_error};
use crate::tui::keymap::{Action, Mode};
use crate::tui::widgets::dialog::frame_dialog;
use crate::tui::widgets::form::CredentialsForm;
use crate::tui::widgets::text_input::{InputView, Lines, edit, labelled};
use crate::vault::{Credentials, Flow, FlowId, normalise_name, validate_name};

/// What an editor asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome<T> {
    Ignored,
    Changed,
    Cancel,
    Save(T),
}

/// The name of a new flow, or a new name for one.
#[derive(Debug)]
pub struct FlowNameDialog {
    /// Renaming this flow, rather than creating one.
    pub renaming: Option<FlowId>,
    input: Input,
    error: Option<String>,
}

impl FlowNameDialog {
    /// A dialog for a new flow.
    pub fn create() -> FlowNameDialog {
        FlowNameDialog {
            renaming: None,
            input: Input::default(),
            error: None,
        }
    }

    /// A dialog renaming `flow`.
    pub fn rename(flow: &Flow) -> FlowNameDialog {
        FlowNameDialog {
            renaming: Some(flow.id.clone()),
            input: Input::new(flow.name.clone()),
            error: None,
        }
    }

    /// Handles a key; names are checked as they are typed.
    pub fn handle(
        &mut self,
        action: Option<Action>,
        event: &Event,
        flows: &[Flow],
        view: View<'_>,
    ) -> EditOutcome<String> {
        match action {
            Some(Action::Back | Action::ForceQuit) => EditOutcome::Cancel,
            Some(Action::Submit) => {
                self.check(flows, view);
                match &self.error {
                    Some(_) => EditOutcome::Changed,
                    None => EditOutcome::Save(self.input.value().trim().to_owned()),
                }
            }
            Some(_) => EditOutcome::Ignored,
            None => {
                if !edit(&mut self.input, event, Lines::Single) {
                    return EditOutcome::Ignored;
                }
                self.check(flows, view);
                EditOutcome::Changed
            }
        }
    }

    /// A save came back refused: the name is taken.
    pub fn name_taken(&mut self, name: &str, view: View<'_>) {
        self.error = Some(view.locale.f("flows.duplicate", &[("name", name)]));
    }

    fn check(&mut self, flows: &[Flow], view: View<'_>) {
        let name = self.input.value();
        self.error = if let Err(e) = validate_name(name) {
            Some(name_error(view.locale, e).to_owned())
        } else {
            let wanted = normalise_name(name);
            flows
                .iter()
                .any(|f| Some(&f.id) != self.renaming.as_ref() && normalise_name(&f.name) == wanted)
                .then(|| view.locale.f("flows.duplicate", &[("name", name.trim())]))
        };
    }

    /// Draws the dialog.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let popup = centered(area, area.width.min(60), 6);
        let title = if self.renaming.is_some() {
            locale.t("flows.rename_title")
        } else {
            locale.t("flows.new_title")
        };
        let inner = frame_dialog(frame, popup, title, theme.focused_border, theme);
        labelled(
            frame,
            Rect { height: 1, ..inner },
            locale.t("flows.name"),
            InputView {
                input: &self.input,
                masked: false,
                placeholder: None,
                focused: true,
            },
            theme,
        );
        if let Some(error) = &self.error {
            let line = Rect {
                y: inner.y + 2,
                height: 1,
                ..inner
            };
            frame.render_widget(
                Paragraph::new(Span::styled(
                    truncate(&format!("✗ {error}"), inner.width as usize),
                    theme.error,
                )),
                line,
            );
        }
    }
}

/// The inputs of one action of a flow, in the wizard's form widgets.
#[derive(Debug)]
pub struct InputsEditor {
    pub flow: FlowId,
    pub step: usize,
    pub action: String,
    pub form: CredentialsForm,
}

impl InputsEditor {
    /// An editor prefilled with the step's inputs (secrets blank, kept if left so).
    pub fn new(
        flow: FlowId,
        step: usize,
        action: &crate::catalog::Action,
        current: &Credentials,
    ) -> InputsEditor {
        let form = CredentialsForm::prefilled(
            LabelScope::Action(action.id.clone()),
            &action.inputs,
            current,
        );
        InputsEditor {
            flow,
            step,
            action: action.id.clone(),
            form,
        }
    }

    /// Handles a key; Enter on the last field, or Ctrl-s on any, saves if
    /// every input is valid.
    pub fn handle(
        &mut self,
        action: Option<Action>,
        event: &Event,
        current: &Credentials,
    ) -> EditOutcome<Credentials> {
        match action {
            Some(Action::Back | Action::ForceQuit) => return EditOutcome::Cancel,
            Some(Action::NextField) => self.form.focus_next(),
            Some(Action::PrevField) => self.form.focus_prev(),
            Some(Action::Submit) if !self.form.on_last_field() => self.form.focus_next(),
            Some(Action::Submit | Action::Save) => {
                if self.form.validate(true) {
                    return EditOutcome::Save(self.form.credentials(current));
                }
            }
            Some(_) => return EditOutcome::Ignored,
            None => {
                if !self.form.handle_input(event) {
                    return EditOutcome::Ignored;
                }
            }
        }
        EditOutcome::Changed
    }

    /// Draws the form.
    pub fn render(&self, frame: &mut Frame, area: Rect, view: View<'_>) {
        let View { theme, locale, .. } = view;
        let popup = centered(area, area.width.min(90), area.height);
        let name = Catalog::embedded()
            .action(&self.action)
            .map_or(self.action.clone(), |a| action_name(locale, a).to_owned());
        let title = locale.f(
            "flows.inputs_title",
            &[
                ("action", &name),
                ("position", &(self.step + 1).to_string()),
            ],
        );
        let inner = frame_dialog(frame, popup, &title, theme.focused_border, theme);
        let form_area = Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(3),
            ..inner
        };
        self.form.render(frame, form_area, theme, locale);
        let hint = Rect {
            y: inner.y + inner.height.saturating_sub(1),
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                truncate(
                    &locale.f(
                        "flows.inputs_hint",
                        &[(
                            "submit",
                            &view.keymap.keys_of(Mode::InputsForm, Action::Submit),
                        )],
                    ),
                    inner.width as usize,
                ),
                theme.muted,
            )),
            hint,
        );
    }
}

impl super::Screen for FlowNameDialog {
    fn handle(&mut self, key: &super::KeyInput, ctx: &super::Context<'_>) -> super::Reply {
        match FlowNameDialog::handle(self, key.action, &key.event, ctx.flows, ctx.view) {
            EditOutcome::Ignored => super::Reply::Ignored,
            EditOutcome::Changed => super::Reply::Changed,
            EditOutcome::Cancel => super::Reply::Close,
            EditOutcome::Save(name) => super::Reply::Do(crate::tui::intent::Intent::NameFlow {
                renaming: self.renaming.clone(),
                name,
            }),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &super::Context<'_>) {
        FlowNameDialog::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> crate::tui::keymap::Mode {
        crate::tui::keymap::Mode::FlowName
    }
}

impl super::Screen for InputsEditor {
    fn handle(&mut self, key: &super::KeyInput, ctx: &super::Context<'_>) -> super::Reply {
        if key.action == Some(Action::OpenEditor) {
            return match self.form.editor_request() {
                Some((field, text)) => {
                    super::Reply::Do(crate::tui::intent::Intent::OpenEditor { field, text })
                }
                None => super::Reply::Ignored,
            };
        }
        let current = ctx
            .flows
            .iter()
            .find(|f| f.id == self.flow)
            .and_then(|f| f.steps.get(self.step))
            .map(|s| s.inputs.clone())
            .unwrap_or_default();
        match InputsEditor::handle(self, key.action, &key.event, &current) {
            EditOutcome::Ignored => super::Reply::Ignored,
            EditOutcome::Changed => super::Reply::Changed,
            EditOutcome::Cancel => super::Reply::Close,
            EditOutcome::Save(inputs) => super::Reply::Do(crate::tui::intent::Intent::SaveInputs {
                flow: self.flow.clone(),
                step: self.step,
                inputs,
            }),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &super::Context<'_>) {
        InputsEditor::render(self, frame, area, ctx.view);
    }

    fn mode(&self) -> crate::tui::keymap::Mode {
        crate::tui::keymap::Mode::InputsForm
    }
}
