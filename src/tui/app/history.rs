//! The audit trail from the app's side: what it asks the vault thread to
//! record (reveals, copies, runs sent) and the history the details show.

use super::{App, Overlay};
use crate::actions::StepReport;
use crate::tui::message::{Effect, VaultCommand, VaultReply};
use crate::vault::ConnectionId;
use crate::vault::audit::{AuditAction, AuditEntry, AuditEvent};

impl App {
    /// An entry about the connection whose details are on top, if any.
    pub(super) fn audit_details(
        &self,
        action: AuditAction,
        detail: Option<String>,
    ) -> Option<Effect> {
        let Some(Overlay::Details(d)) = self.overlays.last() else {
            return None;
        };
        let connection = self.connection(&d.id)?;
        let event = AuditEvent::connection(action, connection, detail);
        Some(Effect::Vault(VaultCommand::Audit(event)))
    }

    /// An entry about the connection `id`, whatever screen is open.
    pub(super) fn audit_connection(
        &self,
        id: &crate::vault::ConnectionId,
        action: AuditAction,
        detail: Option<String>,
    ) -> Option<Effect> {
        let connection = self.connection(id)?;
        let event = AuditEvent::connection(action, connection, detail);
        Some(Effect::Vault(VaultCommand::Audit(event)))
    }

    /// The entry of a real run that sent requests, if this one did.
    pub(super) fn audit_run(&mut self, run: u64, reports: &[StepReport]) -> Option<Effect> {
        let sending = &mut self.follow_ups.runs_sending;
        let at = sending.iter().position(|(r, _)| *r == run)?;
        let (_, flow) = sending.remove(at);
        let event = crate::actions::run_sent_event(&flow, reports)?;
        Some(Effect::Vault(VaultCommand::Audit(event)))
    }

    /// Reads the history of the connection whose details are open, again
    /// after a reply that may have added to it.
    pub(super) fn history_after(&self, reply: &VaultReply) -> Option<Effect> {
        let stale = matches!(
            reply,
            VaultReply::Saved { .. } | VaultReply::Reloaded(_) | VaultReply::ChangedElsewhere(_)
        );
        if !stale {
            return None;
        }
        let id = self.overlays.iter().rev().find_map(|o| match o {
            Overlay::Details(d) => Some(d.id.clone()),
            _ => None,
        })?;
        Some(Effect::Vault(VaultCommand::History(id)))
    }

    /// A connection's history came: its details show it.
    pub(super) fn show_history(&mut self, id: &ConnectionId, entries: Vec<AuditEntry>) {
        for overlay in &mut self.overlays {
            if let Overlay::Details(d) = overlay
                && &d.id == id
            {
                d.history = Some(entries.clone());
                self.changed = true;
            }
        }
    }
}
