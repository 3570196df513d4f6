//! `Ctrl-o` in a form: the focused field's value in the operator's editor,
//! and what it left put back in that field.

use zeroize::Zeroizing;

use super::{App, Overlay};
use crate::tui::editor::EditorError;
use crate::tui::message::Effect;
use crate::tui::widgets::form::CredentialsForm;

impl App {
    /// The editor closed on the field `field` of the form on top.
    pub(super) fn edited(
        &mut self,
        field: &str,
        result: Result<Zeroizing<String>, EditorError>,
    ) -> Vec<Effect> {
        let locale = self.locale;
        let text = match result {
            Ok(text) => text,
            Err(error) => {
                let why = match &error {
                    EditorError::Failed(status) => locale.f("editor.failed", &[("status", status)]),
                    EditorError::NotStarted { editor, reason } => locale.f(
                        "editor.not_started",
                        &[("editor", editor), ("reason", reason)],
                    ),
                    EditorError::NotText => locale.t("editor.not_text").to_owned(),
                    EditorError::Io(reason) => locale.f("editor.io", &[("reason", reason)]),
                };
                return vec![self.notify(why, true)];
            }
        };
        // The form the editor was opened from is still on top: the editor
        // had the terminal, so no key could close it meanwhile.
        let put = self
            .top_form()
            .is_some_and(|form| form.set_edited(field, &text));
        if put {
            return Vec::new();
        }
        vec![self.notify(locale.t("editor.form_gone").to_owned(), true)]
    }

    /// The credentials or inputs form on top, if one is.
    fn top_form(&mut self) -> Option<&mut CredentialsForm> {
        match self.overlays.last_mut()? {
            Overlay::Wizard(wizard) => wizard.form.as_mut(),
            Overlay::Inputs(editor) => Some(&mut editor.form),
            _ => None,
        }
    }
}
