//! An edit the vault refused because another process changed or deleted the
//! connection since the form opened: nothing was saved, and the operator is
//! told so and offered a way on (reload, or re-create), never an overwrite.

use super::{App, Overlay};
use crate::tui::message::{Conflict, Effect};

impl App {
    /// What the app does with a refused write; the rows already show the
    /// file as it is now.
    pub(super) fn refused(&mut self, conflict: Conflict) -> Vec<Effect> {
        let locale = self.locale;
        let text = match &conflict {
            Conflict::Changed(stored) => {
                locale.f("notice.changed_elsewhere", &[("name", &stored.name)])
            }
            Conflict::Deleted(_) => {
                let name = match self.overlays.last() {
                    Some(Overlay::Wizard(w)) => w.editing.as_ref().map(|c| c.name.clone()),
                    _ => None,
                };
                locale.f(
                    "notice.deleted_elsewhere",
                    &[("name", &name.unwrap_or_default())],
                )
            }
            Conflict::Other(message) => locale.f("notice.failed", &[("error", message)]),
        };
        if let Some(Overlay::Wizard(w)) = self.overlays.last_mut() {
            w.save_error = Some(text.clone());
        }
        vec![self.notify(text, true)]
    }
}
