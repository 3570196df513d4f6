//! The audit trail, in the file: one sealed entry per row, hash-chained.
//!
//! Each entry is sealed like every other value (bound to its `seq`), and its
//! row carries `mac_n = HMAC(audit_key, mac_{n-1} || seq || sealed_n)` with a
//! key of its own derived from the data key. The chain head (last seq and
//! mac) is sealed in the header and moves in the same transaction as each
//! append, so an entry edited, removed (in the middle or at the end) or
//! reordered is found by [`verify`].

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Vault;
use crate::vault::audit::{
    AuditAction, AuditCheck, AuditEntry, AuditEvent, AuditQuery, AuditTarget, TargetKind,
};
use crate::vault::crypto::SecretKey;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::flow::FlowId;
use crate::vault::model::{Connection, ConnectionId};
use crate::vault::store::AuditLog;

const TABLE: &str = "audit";
const META: &str = "vault_meta";
const HEAD_COLUMN: &str = "audit_head";
const MAC_LEN: usize = 32;
/// What the first entry chains from.
const GENESIS: [u8; MAC_LEN] = [0; MAC_LEN];
const KEY_LABEL: &str = "flowvault/audit-chain/v1";

/// The last entry of the chain, as sealed in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Head {
    seq: u64,
    mac: Vec<u8>,
    /// Set when an entry was appended over a head found altered or
    /// missing, and carried forward by every later head: writes go on, and
    /// the damage stays reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    broken: Option<(u64, String)>,
}

impl Head {
    fn empty() -> Head {
        Head {
            seq: 0,
            mac: GENESIS.to_vec(),
            broken: None,
        }
    }
}

const HEAD_ALTERED: &str = "the trail's head in the vault header was altered";
const HEAD_MISSING: &str = "the trail's head is missing from the vault header";

/// The key the chain is computed with: derived from the data key with a
/// label of its own, like the row tags'.
fn chain_key(vault: &Vault) -> SecretKey {
    vault.data_key.derive(KEY_LABEL)
}

fn chain_mac(key: &SecretKey, previous: &[u8], seq: u64, sealed: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.expose()).expect("HMAC takes keys of any length");
    mac.update(KEY_LABEL.as_bytes());
    mac.update(previous);
    mac.update(&seq.to_be_bytes());
    mac.update(sealed);
    mac
}

/// The chain head; `Ok(None)` when the header has none, `Err` when it does
/// not open (altered, or sealed with another key).
fn load_head(vault: &Vault) -> Result<Option<Head>, HeadError> {
    let sealed: Option<Vec<u8>> = vault
        .db
        .query_row("SELECT audit_head FROM vault_meta WHERE id = 1", [], |r| {
            r.get(0)
        })
        .map_err(|source| {
            HeadError::Vault(VaultError::Sqlite {
                context: "cannot read the audit trail's head",
                source,
            })
        })?;
    match sealed {
        None => Ok(None),
        Some(sealed) => vault
            .open_json(META, "1", HEAD_COLUMN, &sealed)
            .map(Some)
            .ok_or(HeadError::Altered),
    }
}

enum HeadError {
    Altered,
    Vault(VaultError),
}

fn store_head(vault: &Vault, head: &Head) -> Result<(), VaultError> {
    let json = serde_json::to_vec(head).expect("the audit head serialises");
    let sealed = vault.seal_in(META, "1", HEAD_COLUMN, &json)?;
    vault
        .db
        .execute(
            "UPDATE vault_meta SET audit_head = ?1 WHERE id = 1",
            [sealed],
        )
        .context("cannot write the audit trail's head")?;
    Ok(())
}

/// Gives a vault without a chain head an empty one (a new vault, or one
/// just migrated), inside the caller's transaction: from then on a missing
/// head is itself tampering (rows and head removed together).
pub(super) fn ensure_head(vault: &Vault) -> Result<(), VaultError> {
    let sealed: Option<Vec<u8>> = vault
        .db
        .query_row("SELECT audit_head FROM vault_meta WHERE id = 1", [], |r| {
            r.get(0)
        })
        .context("cannot read the audit trail's head")?;
    if sealed.is_none() {
        store_head(vault, &Head::empty())?;
    }
    Ok(())
}

/// Appends one entry inside the caller's write transaction.
pub(super) fn append(vault: &Vault, event: &AuditEvent) -> Result<(), VaultError> {
    let head = match load_head(vault) {
        Ok(Some(head)) => head,
        Err(HeadError::Vault(e)) => return Err(e),
        // The write goes on after the last stored entry, and the head keeps
        // saying the trail was tampered with.
        Ok(None) => after_last_row(vault, HEAD_MISSING)?,
        Err(HeadError::Altered) => after_last_row(vault, HEAD_ALTERED)?,
    };
    let seq = head.seq + 1;
    let entry = AuditEntry {
        seq,
        at: crate::vault::now(),
        actor: actor().to_owned(),
        event: event.clone(),
    };
    let json = serde_json::to_vec(&entry).expect("audit entries serialise");
    let sealed = vault.seal_in(TABLE, &seq.to_string(), "entry", &json)?;
    let mac = chain_mac(&chain_key(vault), &head.mac, seq, &sealed)
        .finalize()
        .into_bytes()
        .to_vec();
    vault
        .db
        .prepare_cached("INSERT INTO audit (seq, entry, mac) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(params![seq as i64, sealed, mac]))
        .context("cannot append to the audit trail")?;
    store_head(
        vault,
        &Head {
            seq,
            mac,
            broken: head.broken,
        },
    )
}

/// A head rebuilt from the last stored entry, marked broken for `reason`.
fn after_last_row(vault: &Vault, reason: &str) -> Result<Head, VaultError> {
    let last: Option<(i64, Vec<u8>)> = vault
        .db
        .query_row(
            "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .context("cannot read the audit trail")?;
    let (seq, mac) = last.map_or((0, GENESIS.to_vec()), |(s, m)| (s as u64, m));
    Ok(Head {
        seq,
        mac,
        broken: Some((seq, reason.to_owned())),
    })
}

/// One stored entry: its seq, sealed entry and chain MAC.
type StoredEntry = (u64, Vec<u8>, Vec<u8>);

/// The stored rows, in order.
fn rows(vault: &Vault) -> Result<Vec<StoredEntry>, VaultError> {
    vault
        .db
        .prepare_cached("SELECT seq, entry, mac FROM audit ORDER BY seq")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
            })?
            .collect()
        })
        .context("cannot read the audit trail")
}

fn open_entry(vault: &Vault, seq: u64, sealed: &[u8]) -> Option<AuditEntry> {
    vault
        .open_json::<AuditEntry>(TABLE, &seq.to_string(), "entry", sealed)
        .filter(|e| e.seq == seq)
}

/// Walks the whole chain against the head.
pub(super) fn verify(vault: &Vault) -> Result<AuditCheck, VaultError> {
    let snapshot = vault
        .db
        .unchecked_transaction()
        .context("cannot start checking the audit trail")?;
    let head = match load_head(vault) {
        Ok(head) => head,
        Err(HeadError::Vault(e)) => return Err(e),
        Err(HeadError::Altered) => return Ok(broken(0, HEAD_ALTERED)),
    };
    let rows = rows(vault)?;
    snapshot.commit().context("cannot check the audit trail")?;
    let Some(head) = head else {
        let seq = rows.first().map_or(0, |(seq, ..)| *seq);
        return Ok(broken(seq, HEAD_MISSING));
    };
    let key = chain_key(vault);
    let mut previous = GENESIS.to_vec();
    let mut expected = 1;
    for (seq, sealed, mac) in &rows {
        if *seq > head.seq {
            return Ok(broken(*seq, "entry added outside flowvault"));
        }
        if *seq != expected {
            return Ok(broken(expected, "entry removed"));
        }
        if chain_mac(&key, &previous, *seq, sealed)
            .verify_slice(mac)
            .is_err()
            || open_entry(vault, *seq, sealed).is_none()
        {
            return Ok(broken(*seq, "entry altered"));
        }
        previous = mac.clone();
        expected += 1;
    }
    if expected - 1 < head.seq {
        return Ok(broken(expected, "entries removed from the end"));
    }
    if previous != head.mac {
        return Ok(broken(head.seq, "entry altered"));
    }
    if let Some((seq, reason)) = &head.broken {
        return Ok(broken(*seq, reason));
    }
    Ok(AuditCheck::Intact { entries: head.seq })
}

fn broken(seq: u64, reason: &str) -> AuditCheck {
    AuditCheck::Broken {
        seq,
        reason: reason.to_owned(),
    }
}

/// Refuses to go on when the chain is broken: for `rekey`, which would
/// launder it by resealing.
pub(super) fn refuse_broken(vault: &Vault) -> Result<(), VaultError> {
    match verify(vault)? {
        AuditCheck::Intact { .. } => Ok(()),
        AuditCheck::Broken { seq, reason } => Err(VaultError::AuditBroken { seq, reason }),
    }
}

/// Reseals every entry and the head with `next`'s keys, recomputing the
/// chain, inside `next`'s transaction (see `rekey`; `old` holds the old
/// keys, `next` the file). Returns how many entries were resealed.
pub(super) fn reseal(old: &Vault, next: &Vault) -> Result<usize, VaultError> {
    let key = chain_key(next);
    let mut previous = GENESIS.to_vec();
    let rows = rows(next)?;
    for (seq, sealed, _) in &rows {
        let plain = old
            .sealing
            .open(&old.ctx_in(TABLE, &seq.to_string(), "entry"), sealed)
            .map_err(|_| VaultError::AuditBroken {
                seq: *seq,
                reason: "entry altered".to_owned(),
            })?;
        let resealed = next.seal_in(TABLE, &seq.to_string(), "entry", &plain)?;
        let mac = chain_mac(&key, &previous, *seq, &resealed)
            .finalize()
            .into_bytes()
            .to_vec();
        next.db
            .prepare_cached("UPDATE audit SET entry = ?2, mac = ?3 WHERE seq = ?1")
            .and_then(|mut s| s.execute(params![*seq as i64, resealed, mac]))
            .context("cannot write a resealed audit entry")?;
        previous = mac;
    }
    let seq = rows.last().map_or(0, |(seq, ..)| *seq);
    store_head(
        next,
        &Head {
            seq,
            mac: previous,
            broken: None,
        },
    )?;
    Ok(rows.len())
}

/// Appends an entry inside the caller's write transaction.
pub(super) fn record(
    vault: &Vault,
    action: AuditAction,
    target: Option<AuditTarget>,
    detail: Option<String>,
) -> Result<(), VaultError> {
    append(
        vault,
        &AuditEvent {
            action,
            target,
            detail,
        },
    )
}

/// The entry target of a connection as it is being written.
pub(super) fn about_connection(c: &Connection) -> Option<AuditTarget> {
    Some(AuditTarget {
        kind: TargetKind::Connection,
        id: c.id.as_str().to_owned(),
        name: c.name.clone(),
    })
}

/// The entry target of a stored connection, by id and its current name
/// (empty if it no longer opens).
pub(super) fn stored_connection(vault: &Vault, id: &ConnectionId) -> Option<AuditTarget> {
    let name = vault
        .find_row("id = ?1", &id.as_str())
        .ok()
        .flatten()
        .and_then(|stored| stored.name().map(str::to_owned))
        .unwrap_or_default();
    Some(AuditTarget {
        kind: TargetKind::Connection,
        id: id.as_str().to_owned(),
        name,
    })
}

/// Records an update of a connection: a rename, an edit (naming the fields
/// changed, never their values), or both.
pub(super) fn record_update(
    vault: &Vault,
    before: Option<&Connection>,
    after: &Connection,
) -> Result<(), VaultError> {
    for event in crate::vault::audit::update_events(before, after) {
        append(vault, &event)?;
    }
    Ok(())
}

pub(super) use crate::vault::audit::failure_detail;

/// The entry target of a flow.
pub(super) fn about_flow(id: &FlowId, name: &str) -> Option<AuditTarget> {
    Some(AuditTarget {
        kind: TargetKind::Flow,
        id: id.as_str().to_owned(),
        name: name.to_owned(),
    })
}

/// The entry target of a stored flow, by id and its current name.
pub(super) fn stored_flow(vault: &Vault, id: &FlowId) -> Option<AuditTarget> {
    let name = vault
        .db
        .query_row("SELECT name FROM flows WHERE id = ?1", [id.as_str()], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .ok()
        .and_then(|sealed| {
            vault
                .sealing
                .open(&vault.ctx_in("flows", id.as_str(), "name"), &sealed)
                .ok()
        })
        .and_then(|plain| String::from_utf8(plain.to_vec()).ok())
        .unwrap_or_default();
    about_flow(id, &name)
}

impl AuditLog for Vault {
    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), VaultError> {
        // Not through `write_transaction`: an entry alone (a reveal, a copy)
        // changes no record, so it does not move the change mark that makes
        // every open UI read the whole vault again.
        //
        // Nor does it hold a secret, so it is committed without waiting for
        // the disk (synchronous=NORMAL in WAL mode): it survives the process
        // crashing at once, and the next durable write syncs it. A reveal
        // then costs no fsync.
        self.db
            .pragma_update(None, "synchronous", "NORMAL")
            .context("cannot start appending to the audit trail")?;
        let appended = (|| {
            let tx = rusqlite::Transaction::new_unchecked(
                &self.db,
                rusqlite::TransactionBehavior::Immediate,
            )
            .context("cannot start appending to the audit trail")?;
            append(self, event)?;
            tx.commit().context("cannot append to the audit trail")
        })();
        let restored = self
            .db
            .pragma_update(None, "synchronous", "FULL")
            .context("cannot append to the audit trail");
        appended.and(restored)
    }

    fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, VaultError> {
        let mut entries = Vec::new();
        for (seq, sealed, _) in rows(self)? {
            // An entry that does not open is left out here; `verify` names it.
            let Some(entry) = open_entry(self, seq, &sealed) else {
                continue;
            };
            let about = entry.event.target.as_ref().map(|t| t.id.as_str());
            if query
                .target_id
                .as_deref()
                .is_some_and(|id| about != Some(id))
            {
                continue;
            }
            if query.since.is_some_and(|since| entry.at < since) {
                continue;
            }
            entries.push(entry);
        }
        if let Some(last) = query.last {
            let skip = entries.len().saturating_sub(last);
            entries.drain(..skip);
        }
        Ok(entries)
    }

    fn verify_audit(&self) -> Result<AuditCheck, VaultError> {
        verify(self)
    }
}

/// Who acts, for the file: the OS `user@host`, looked up once.
pub fn actor() -> &'static str {
    static ACTOR: OnceLock<String> = OnceLock::new();
    ACTOR.get_or_init(|| format!("{}@{}", user_name(), host_name()))
}

fn user_name() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
        .map_or_else(
            || format!("uid{}", crate::platform::current_uid()),
            |u| u.trim().to_owned(),
        )
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Starts the trail of a vault just migrated to it, in a transaction of its
/// own.
pub(super) fn start_trail(vault: &Vault) -> Result<(), VaultError> {
    let tx = vault.write_transaction("cannot start the audit trail")?;
    ensure_head(vault)?;
    tx.commit().context("cannot start the audit trail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::RefreshState;

    fn failed(words: &str) -> String {
        failure_detail(&RefreshState {
            failures: 1,
            last_error: Some(words.to_owned()),
            ..RefreshState::default()
        })
    }

    #[test]
    fn a_failure_keeps_its_code_and_drops_the_servers_words() {
        assert_eq!(
            failed("invalid_client (Unauthorized: client abc)"),
            "failed: invalid_client"
        );
        assert_eq!(failed("HTTP 500"), "failed: HTTP 500");
        assert_eq!(
            failed("HTTP 200 with expires_in \"tok-123\""),
            "failed: HTTP 200"
        );
        assert_eq!(failed("unreachable (dns error)"), "failed: unreachable");
        assert_eq!(failed("timeout"), "failed: timeout");
        // A code a hostile server made up cannot smuggle controls or length.
        let long = format!("{}\u{1b}[2J", "x".repeat(200));
        let detail = failed(&long);
        assert!(detail.len() <= "failed: ".len() + 60 && !detail.contains('\u{1b}'));
    }

    #[test]
    fn the_actor_is_user_at_host() {
        let actor = actor();
        let (user, host) = actor.split_once('@').unwrap();
        assert!(!user.is_empty() && !host.is_empty(), "{actor}");
    }
}
