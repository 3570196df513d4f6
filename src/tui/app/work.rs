//! Vault work in flight: what the status line says meanwhile, and the rule
//! that one write waits for the one before it.

use std::collections::VecDeque;

use super::App;
use crate::tui::message::{Effect, VaultCommand, VaultReply};

/// What kind of vault work is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Unlocking,
    Saving,
    Reading,
    /// Recording or reading the audit trail: says nothing, blocks nothing.
    Background,
}

/// Vault commands sent and not answered yet, oldest first (the worker
/// answers in order).
#[derive(Debug, Default)]
pub struct VaultWork {
    in_flight: VecDeque<Work>,
}

impl VaultWork {
    /// The work under way now, if any.
    pub fn current(&self) -> Option<Work> {
        self.in_flight.front().copied()
    }

    fn writing(&self) -> bool {
        self.in_flight.contains(&Work::Saving)
    }
}

impl App {
    /// Called by the effect runner before it sends `command`. A write while
    /// another is in flight is refused (`Err`, with the notice that says so):
    /// it was made from a state the first write is about to change. The
    /// screen that asked stays open, so the key can be pressed again.
    pub fn begin_vault_work(&mut self, command: &VaultCommand) -> Result<(), Vec<Effect>> {
        let work = match command {
            VaultCommand::Open(_) | VaultCommand::Connect | VaultCommand::Create(_) => {
                Work::Unlocking
            }
            VaultCommand::Reload => Work::Reading,
            VaultCommand::Audit(_) | VaultCommand::History(_) | VaultCommand::Lock => {
                Work::Background
            }
            _ => Work::Saving,
        };
        if work == Work::Saving && self.work.writing() {
            self.changed = true;
            return Err(vec![
                self.notify(self.locale.t("notice.still_saving").to_owned(), true),
            ]);
        }
        self.work.in_flight.push_back(work);
        self.changed = true;
        Ok(())
    }

    /// A reply came: the oldest command in flight is answered (news of
    /// changes made elsewhere answers none).
    pub(super) fn vault_work_done(&mut self, reply: &VaultReply) {
        if !matches!(
            reply,
            VaultReply::ChangedElsewhere(_)
                | VaultReply::Unreachable(_)
                | VaultReply::Reachable(_)
                | VaultReply::AgentLocked { noticed: true }
        ) {
            self.work.in_flight.pop_front();
        }
    }

    /// Whether vault work is in flight (tests wait for it to end before the
    /// next key, so random key runs repeat).
    pub fn busy(&self) -> bool {
        self.work.current().is_some()
    }

    /// The words the status line shows while work runs.
    pub(super) fn work_text(&self) -> Option<&'static str> {
        match self.work.current()? {
            Work::Saving => Some(self.locale.t("status.saving")),
            Work::Reading => Some(self.locale.t("status.reading")),
            // The unlock screen says so itself.
            Work::Unlocking | Work::Background => None,
        }
    }
}
