//! The file's change generation: a counter in the header that every write
//! transaction bumps, so any handle, in any process, sees that something was
//! written by reading one integer.
//!
//! `PRAGMA data_version` would be cheaper but it is per connection: it cannot
//! be handed from one handle to another as a mark.

use rusqlite::Transaction;

use super::Vault;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::store::{ChangeFeed, ChangeMark};

/// Bumps the generation inside the caller's write transaction.
pub(super) fn bump(tx: &Transaction<'_>) -> Result<(), VaultError> {
    // Before the header row exists (a vault being created) this updates
    // nothing, which is right: there is no earlier state to tell apart.
    tx.prepare_cached("UPDATE vault_meta SET generation = generation + 1 WHERE id = 1")
        .and_then(|mut s| s.execute([]))
        .context("cannot record the change")?;
    Ok(())
}

impl ChangeFeed for Vault {
    /// Leases are not changes: they coordinate renewals and say nothing a
    /// reader shows, so taking or giving one back leaves the mark alone.
    fn change_mark(&self) -> Result<ChangeMark, VaultError> {
        let generation: i64 = self
            .db
            .prepare_cached("SELECT generation FROM vault_meta WHERE id = 1")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .context("cannot read the vault's change generation")?;
        Ok(ChangeMark(generation.to_string()))
    }
}
