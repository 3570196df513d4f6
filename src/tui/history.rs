//! The audit trail as the UI uses it, on the vault thread: entries appended
//! for what the UI shows or sends, and a connection's recent history.

use crate::vault::audit::{AuditEvent, AuditQuery, TargetKind};
use crate::vault::{AuditLog, ConnectionId, VaultError};

use super::message::VaultReply;

/// How many entries a connection's details show.
pub const HISTORY_LEN: usize = 5;

/// Appends `event`; answers with the history of the connection it is about.
pub fn record<V: AuditLog + ?Sized>(
    vault: &mut V,
    event: &AuditEvent,
) -> Result<VaultReply, VaultError> {
    vault.append_audit(event)?;
    match &event.target {
        Some(t) if t.kind == TargetKind::Connection => {
            read(vault, ConnectionId::from_stored(t.id.clone()))
        }
        _ => Ok(VaultReply::Recorded),
    }
}

/// The last [`HISTORY_LEN`] entries about one connection.
pub fn read<V: AuditLog + ?Sized>(vault: &V, id: ConnectionId) -> Result<VaultReply, VaultError> {
    let entries = vault.audit_entries(&AuditQuery {
        target_id: Some(id.as_str().to_owned()),
        since: None,
        last: Some(HISTORY_LEN),
    })?;
    Ok(VaultReply::History { id, entries })
}
