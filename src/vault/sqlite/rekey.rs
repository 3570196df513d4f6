//! Replacing the data key: every value resealed, every name rehashed, every
//! row retagged and the key slot rewrapped, in one transaction.

use rusqlite::{Connection as Db, params};

use super::{Vault, insert_slot};
use super::{audit, integrity};
use crate::vault::audit::AuditAction;
use crate::vault::crypto::SecretKey;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::integrity::RecordKind;
use crate::vault::keyslot::{KdfParams, KeySlot, UnlockKey};
use crate::vault::model::ConnectionId;

/// Every sealed column: table, id column, columns.
const SEALED: &[(&str, &str, &[&str])] = &[
    (
        "connections",
        "id",
        &["name", "service", "method", "fields"],
    ),
    ("tokens", "connection_id", &["token"]),
    ("refresh_state", "connection_id", &["state"]),
    ("flows", "id", &["name"]),
    ("flow_steps", "id", &["step", "inputs"]),
];

impl Vault {
    /// Replaces the data key by a fresh one, wrapped for `unlock` alone, and
    /// reseals every value under it in one transaction: old key slots and
    /// old copies of the key open nothing written afterwards. Refuses while
    /// any row fails its integrity check (resealing would launder it).
    /// Returns how many values were resealed.
    pub fn rekey(&mut self, unlock: &UnlockKey, kdf: KdfParams) -> Result<usize, VaultError> {
        integrity::verify(self)?;
        if let Some((kind, id)) = integrity::first_untrusted_row(self)? {
            return Err(untrusted(kind, id));
        }
        audit::refuse_broken(self)?;
        let version = self
            .sealing
            .version()
            .checked_add(1)
            .ok_or(VaultError::CannotUnlock)?;
        let new_key = SecretKey::random()?;
        // The KDF runs before the write lock is taken.
        let slot = KeySlot::wrap(&self.vault_id, unlock, kdf, &new_key)?;
        let placeholder = Db::open_in_memory().context("cannot start replacing the data key")?;
        let db = std::mem::replace(&mut self.db, placeholder);
        let next = Vault::from_parts(db, &self.path, self.vault_id, new_key, version);
        match reseal_everything(self, &next, &slot) {
            Ok(count) => {
                *self = next;
                Ok(count)
            }
            Err(e) => {
                self.db = next.db;
                Err(e)
            }
        }
    }
}

/// Does the whole rekey inside one transaction on `next`'s handle: reads
/// with `old`'s keys, writes with `next`'s.
fn reseal_everything(old: &Vault, next: &Vault, slot: &KeySlot) -> Result<usize, VaultError> {
    let tx = next.write_transaction("cannot start replacing the data key")?;
    let mut count = 0;
    for (table, id_col, columns) in SEALED {
        for column in *columns {
            count += reseal_column(old, next, table, id_col, column)?;
        }
    }
    count += audit::reseal(old, next)?;
    rehash_names(next, "connections", "")?;
    rehash_names(next, "flows", "flow:")?;
    integrity::untag_every_row(next)?;
    integrity::tag_every_row(next)?;
    integrity::reseal_digest(next)?;
    next.db
        .execute(
            "UPDATE vault_meta SET key_version = ?1 WHERE id = 1",
            [next.sealing.version()],
        )
        .context("cannot write the vault header")?;
    next.db
        .execute("DELETE FROM key_slots", [])
        .context("cannot remove the old key slots")?;
    insert_slot(&tx, slot)?;
    audit::record(next, AuditAction::Rekey, None, None)?;
    tx.commit().context("cannot replace the data key")?;
    Ok(count)
}

fn reseal_column(
    old: &Vault,
    next: &Vault,
    table: &str,
    id_col: &str,
    column: &str,
) -> Result<usize, VaultError> {
    let rows: Vec<(String, Vec<u8>)> = next
        .db
        .prepare(&format!("SELECT {id_col}, {column} FROM {table}"))
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .context("cannot read the values to reseal")?;
    let update = format!("UPDATE {table} SET {column} = ?2 WHERE {id_col} = ?1");
    for (id, sealed) in &rows {
        let plain = old
            .sealing
            .open(&old.ctx_in(table, id, column), sealed)
            .map_err(|_| damaged(table, id))?;
        let resealed = next.seal_in(table, id, column, &plain)?;
        next.db
            .prepare_cached(&update)
            .and_then(|mut s| s.execute(params![id, resealed]))
            .context("cannot write a resealed value")?;
    }
    Ok(rows.len())
}

/// Recomputes the keyed name hashes of a table with the new key.
fn rehash_names(next: &Vault, table: &str, prefix: &str) -> Result<(), VaultError> {
    let rows: Vec<(String, Vec<u8>)> = next
        .db
        .prepare(&format!("SELECT id, name FROM {table}"))
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .context("cannot read names")?;
    let update = format!("UPDATE {table} SET name_hash = ?2 WHERE id = ?1");
    for (id, sealed) in &rows {
        let name = next
            .sealing
            .open(&next.ctx_in(table, id, "name"), sealed)
            .map_err(|_| damaged(table, id))?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| damaged(table, id))?;
        next.db
            .prepare_cached(&update)
            .and_then(|mut s| s.execute(params![id, next.names.hash(&format!("{prefix}{name}"))]))
            .context("cannot write a name hash")?;
    }
    Ok(())
}

fn damaged(table: &str, id: &str) -> VaultError {
    match table {
        "flows" | "flow_steps" => VaultError::DamagedFlow(id.to_owned()),
        _ => VaultError::Damaged {
            id: ConnectionId::from_stored(id.to_owned()),
            name: None,
        },
    }
}

fn untrusted(kind: RecordKind, id: String) -> VaultError {
    damaged(kind.table(), &id)
}
