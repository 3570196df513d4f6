//! What the app waits for: a reply that finishes something begun before it.

use crate::vault::{ConnectionId, FlowId};

/// Things begun that a later reply finishes.
#[derive(Debug, Default)]
pub struct FollowUps {
    /// The wizard was opened by `+` on this action: the new connection goes there.
    pub connection_for: Option<(FlowId, usize)>,
    /// Select this flow once the vault says it is saved.
    pub select_flow: Option<FlowId>,
    /// The notice for the next save, when it finishes something begun before.
    pub next_save_notice: Option<String>,
    /// Renewals asked for with `r`: their success is told.
    pub renewals_asked: Vec<ConnectionId>,
    /// Numbers runs, so a late result never fills a newer run's view.
    pub runs: u64,
    /// Real runs under way, with their flow: what they send is recorded in
    /// the audit trail when they finish, whether their view is open or not.
    pub runs_sending: Vec<(u64, crate::vault::Flow)>,
    /// `t` asked for this connection's token, which is being renewed: it
    /// is copied when the renewal comes back.
    pub token_copy: Option<ConnectionId>,
    /// The vault opened with its first page of connections: the refresher
    /// starts when the rest has been read (or could not be).
    pub refresher_after_reload: bool,
}

impl FollowUps {
    /// The number of a new run.
    pub fn next_run(&mut self) -> u64 {
        self.runs += 1;
        self.runs
    }

    /// Remembers that a renewal was asked for `id`.
    pub fn renewal_asked(&mut self, id: &ConnectionId) {
        if !self.renewals_asked.contains(id) {
            self.renewals_asked.push(id.clone());
        }
    }

    /// Whether a renewal of `id` was asked for; it is forgotten either way.
    pub fn take_renewal(&mut self, id: &ConnectionId) -> bool {
        let asked = self.renewals_asked.contains(id);
        self.renewals_asked.retain(|a| a != id);
        asked
    }
}
