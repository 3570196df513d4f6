//! A batch of records (an import) written in one transaction: all or none.

use super::{Vault, audit, flows, tokens};
use crate::vault::audit::AuditAction;
use crate::vault::error::VaultError;
use crate::vault::store::{RecordBatch, VaultStore};

/// Writes `batch` in one write transaction with the integrity digest; the
/// audit entries of each record are part of it.
pub(super) fn write_batch(vault: &Vault, batch: &RecordBatch) -> Result<(), VaultError> {
    vault.write_with_digest("cannot write the imported records", |tx, digest| {
        for c in &batch.added {
            vault.write_row(tx, digest, c, true)?;
            audit::record(vault, AuditAction::Add, audit::about_connection(c), None)?;
        }
        for c in &batch.updated {
            let before = vault.connection_by_id(&c.id).ok();
            vault.write_row(tx, digest, c, false)?;
            // As an edit does: new credentials make the old token moot.
            tokens::forget(vault, digest, &c.id)?;
            audit::record_update(vault, before.as_ref(), c)?;
        }
        for (id, token) in &batch.tokens {
            tokens::put_token(vault, digest, id, token)?;
        }
        for flow in &batch.added_flows {
            flows::insert_flow(vault, digest, flow)?;
            flows::write_steps(vault, tx, digest, flow)?;
        }
        for flow in &batch.updated_flows {
            flows::bump_version(vault, digest, flow, &flow.name)?;
            flows::write_steps(vault, tx, digest, flow)?;
            audit::record(
                vault,
                AuditAction::FlowEdit,
                audit::about_flow(&flow.id, &flow.name),
                None,
            )?;
        }
        Ok(())
    })
}
