//! An edit the vault refused because another process changed or deleted the
//! connection since the form opened: nothing was saved, and the operator is
//! told so and offered a way on (reload, or re-create), never an overwrite.

use super::{App, Overlay};
use crate::catalog::Catalog;
use crate::present::labels::field_label;
use crate::tui::keymap::{Action, Mode};
use crate::tui::message::{Conflict, Effect};
use crate::tui::screens::stale::{StaleEdit, Staleness};
use crate::vault::Connection;

impl App {
    /// What the app does with a refused write; the rows already show the
    /// file as it is now.
    pub(super) fn refused(&mut self, conflict: Conflict) -> Vec<Effect> {
        let locale = self.locale;
        let editing = match self.overlays.last() {
            Some(Overlay::Wizard(w)) => w.editing.clone(),
            _ => None,
        };
        let (text, offer) = match (conflict, editing) {
            (Conflict::Changed(stored), Some(base)) if base.id == stored.id => {
                let fields = changed_fields(self, &base, &stored);
                let text = locale.f("notice.changed_elsewhere", &[("name", &base.name)]);
                let staleness = Staleness::Changed { stored, fields };
                (text, Some((base.name, staleness)))
            }
            (Conflict::Deleted(id), Some(base)) if base.id == id => {
                let text = locale.f("notice.deleted_elsewhere", &[("name", &base.name)]);
                (text, Some((base.name, Staleness::Deleted)))
            }
            // The form that asked is gone (closed while the save ran): say so only.
            (Conflict::Changed(stored), _) => (
                locale.f("notice.changed_elsewhere", &[("name", &stored.name)]),
                None,
            ),
            (Conflict::Deleted(_), _) => {
                (locale.f("notice.deleted_elsewhere", &[("name", "")]), None)
            }
            (Conflict::Other(message), _) => {
                (locale.f("notice.failed", &[("error", &message)]), None)
            }
        };
        if let Some((name, staleness)) = offer {
            if let Some(Overlay::Wizard(w)) = self.overlays.last_mut() {
                w.save_error = Some(text.clone());
            }
            self.overlays
                .push(Overlay::Stale(StaleEdit { name, staleness }));
        }
        vec![self.notify(text, true)]
    }

    /// `r` on the offer: the form, under it, now edits the stored connection.
    pub(super) fn reload_edit(&mut self, stored: Connection) -> Vec<Effect> {
        self.close_offer();
        let name = stored.name.clone();
        if let Some(Overlay::Wizard(w)) = self.overlays.last_mut() {
            w.rebase(stored);
        }
        vec![self.notify(
            self.locale.f(
                "notice.reloaded_edit",
                &[
                    ("name", &name),
                    ("save", &self.keymap.keys_of(Mode::WizardForm, Action::Save)),
                ],
            ),
            false,
        )]
    }

    /// `c` on the offer: what the form holds is saved as a new connection.
    pub(super) fn recreate_edit(&mut self) -> Vec<Effect> {
        self.close_offer();
        match self.overlays.last_mut() {
            Some(Overlay::Wizard(w)) => w
                .recreate()
                .map(|command| vec![Effect::Vault(command)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn close_offer(&mut self) {
        if let Some(Overlay::Stale(_)) = self.overlays.last() {
            self.overlays.pop();
        }
    }
}

/// The labels of what changed elsewhere between `base` and `stored`.
fn changed_fields(app: &App, base: &Connection, stored: &Connection) -> Vec<String> {
    let locale = app.locale;
    let mut out = Vec::new();
    if base.name != stored.name {
        out.push(locale.t("list.col.name").to_owned());
    }
    let method = Catalog::embedded()
        .service(&stored.service)
        .and_then(|s| s.method(&stored.method));
    if let Some(method) = method {
        for field in &method.fields {
            if base.fields.get(&field.key) != stored.fields.get(&field.key) {
                out.push(field_label(locale, &stored.service, field).to_owned());
            }
        }
    }
    out
}
