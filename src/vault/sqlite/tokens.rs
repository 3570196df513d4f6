//! Tokens, renewal state and renewal leases in the vault file.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::Vault;
use super::audit;
use super::integrity::{self, Digest};
use crate::vault::audit::AuditAction;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::integrity::RecordKind;
use crate::vault::model::{ConnectionId, SecretValue};
use crate::vault::token::{MAX_LEASE, RefreshState, Token, TokenRecord};

const TOKENS: &str = "tokens";
const REFRESH_STATE: &str = "refresh_state";

/// Drops a connection's token and renewal state (its credentials changed,
/// or it is being deleted), inside the caller's write transaction.
pub(super) fn forget(
    vault: &Vault,
    digest: &mut Digest,
    id: &ConnectionId,
) -> Result<(), VaultError> {
    for kind in [RecordKind::Tokens, RecordKind::RenewalStates] {
        integrity::delete_where(&vault.db, digest, kind, "connection_id = ?1", id.as_str())?;
    }
    Ok(())
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The latest expiry a genuine lease can have now; a lease further out was
/// not written by flowvault and is ignored.
fn lease_horizon() -> i64 {
    unix_now().saturating_add(MAX_LEASE.as_secs() as i64)
}

/// The token record of one connection. A token that fails its integrity
/// check is reported as damaged.
pub(super) fn token_record(vault: &Vault, id: &ConnectionId) -> Result<TokenRecord, VaultError> {
    let token = tagged_value(vault, RecordKind::Tokens, id)?;
    let state = tagged_value(vault, RecordKind::RenewalStates, id)?;
    let renewing: bool = vault
        .db
        .prepare_cached(
            "SELECT count(*) FROM refresh_leases WHERE connection_id = ?1 AND expires_at > ?2 AND expires_at <= ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![id.as_str(), unix_now(), lease_horizon()], |r| {
                r.get::<_, i64>(0)
            })
        })
        .context("cannot read the renewal lease")?
        > 0;
    let damaged = || VaultError::Damaged {
        id: id.clone(),
        name: None,
    };
    let token = match token {
        Some(Some(sealed)) => Some(
            vault
                .open_json(TOKENS, id.as_str(), "token", &sealed)
                .ok_or_else(damaged)?,
        ),
        Some(None) => return Err(damaged()),
        None => None,
    };
    let state = match state {
        Some(Some(sealed)) => vault
            .open_json(REFRESH_STATE, id.as_str(), "state", &sealed)
            .ok_or_else(damaged)?,
        Some(None) => return Err(damaged()),
        None => RefreshState::default(),
    };
    Ok(TokenRecord {
        token,
        state,
        renewing,
    })
}

/// The sealed value of one connection's token or renewal state: `None` if
/// there is none, `Some(None)` if the row no longer matches its tag.
fn tagged_value(
    vault: &Vault,
    kind: RecordKind,
    id: &ConnectionId,
) -> Result<Option<Option<Vec<u8>>>, VaultError> {
    let column = value_column(kind);
    let sql = format!(
        "SELECT {column}, tag FROM {} WHERE connection_id = ?1",
        kind.table()
    );
    vault
        .db
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row([id.as_str()], |r| {
                let tag: Option<Vec<u8>> = r.get(1)?;
                let matches = vault
                    .tagger
                    .row_matches(kind, id.as_str(), r, 0, tag.as_deref());
                matches.then(|| r.get::<_, Vec<u8>>(0)).transpose()
            })
            .optional()
        })
        .context(match column {
            "token" => "cannot read the token",
            _ => "cannot read the renewal state",
        })
}

/// The sealed column of tokens and renewal states: the one column their
/// tag covers besides the connection id.
fn value_column(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Tokens => "token",
        _ => "state",
    }
}

/// Every intact sealed value of one kind (tokens or renewal states), by connection.
fn tagged_values(vault: &Vault, kind: RecordKind) -> Result<Vec<(String, Vec<u8>)>, VaultError> {
    let sql = format!(
        "SELECT connection_id, {}, tag FROM {}",
        value_column(kind),
        kind.table()
    );
    let mut stmt = vault
        .db
        .prepare_cached(&sql)
        .context("cannot list tokens")?;
    let rows = stmt
        .query_map([], |r| {
            let id: String = r.get(0)?;
            let tag: Option<Vec<u8>> = r.get(2)?;
            let matches = vault.tagger.row_matches(kind, &id, r, 1, tag.as_deref());
            Ok(matches.then(|| Ok::<_, rusqlite::Error>((id, r.get(1)?))))
        })
        .context("cannot list tokens")?;
    let mut out = Vec::new();
    for row in rows {
        if let Some(row) = row.context("cannot list tokens")? {
            out.push(row.context("cannot list tokens")?);
        }
    }
    Ok(out)
}

/// Token records of every connection that has one, for the list. A damaged
/// token is left out (its connection then shows as having no token).
pub(super) fn token_records(
    vault: &Vault,
) -> Result<HashMap<ConnectionId, TokenRecord>, VaultError> {
    let mut out: HashMap<ConnectionId, TokenRecord> = HashMap::new();
    for (id, sealed) in tagged_values(vault, RecordKind::Tokens)? {
        let token = vault.open_json(TOKENS, &id, "token", &sealed);
        out.entry(ConnectionId::from_stored(id)).or_default().token = token;
    }
    for (id, sealed) in tagged_values(vault, RecordKind::RenewalStates)? {
        if let Some(state) = vault.open_json(REFRESH_STATE, &id, "state", &sealed) {
            out.entry(ConnectionId::from_stored(id)).or_default().state = state;
        }
    }
    let mut stmt = vault
        .db
        .prepare_cached(
            "SELECT connection_id FROM refresh_leases WHERE expires_at > ?1 AND expires_at <= ?2",
        )
        .context("cannot list renewal leases")?;
    let rows = stmt
        .query_map([unix_now(), lease_horizon()], |r| r.get::<_, String>(0))
        .context("cannot list renewal leases")?;
    for row in rows {
        out.entry(ConnectionId::from_stored(
            row.context("cannot list renewal leases")?,
        ))
        .or_default()
        .renewing = true;
    }
    Ok(out)
}

/// Stores a new token in one transaction: first a rotated refresh token
/// into the connection's credentials, then the token; the renewal state is
/// reset. Nothing is half-written.
pub(super) fn store_token(
    vault: &mut Vault,
    id: &ConnectionId,
    token: &Token,
    rotated_refresh_token: Option<&SecretValue>,
) -> Result<(), VaultError> {
    let sealed = {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(token).expect("tokens serialise"));
        vault.seal_in(TOKENS, id.as_str(), "token", &json)?
    };
    vault.write_with_digest("cannot store the token", |tx, digest| {
        if let Some(rotated) = rotated_refresh_token {
            // Read inside the transaction, so the version written on is current.
            let mut connection = crate::vault::VaultStore::connection_by_id(vault, id)?;
            connection.fields.set("refresh_token", rotated.expose());
            vault.write_row(tx, digest, &connection, false)?;
        }
        put_sealed(vault, digest, id, &sealed)?;
        audit::record(
            vault,
            AuditAction::Refresh,
            audit::stored_connection(vault, id),
            None,
        )
    })
}

/// Stores a token (inside the caller's write transaction) and resets the
/// renewal state.
pub(super) fn put_token(
    vault: &Vault,
    digest: &mut Digest,
    id: &ConnectionId,
    token: &Token,
) -> Result<(), VaultError> {
    let json = zeroize::Zeroizing::new(serde_json::to_vec(token).expect("tokens serialise"));
    let sealed = vault.seal_in(TOKENS, id.as_str(), "token", &json)?;
    put_sealed(vault, digest, id, &sealed)
}

fn put_sealed(
    vault: &Vault,
    digest: &mut Digest,
    id: &ConnectionId,
    sealed: &[u8],
) -> Result<(), VaultError> {
    upsert(vault, digest, RecordKind::Tokens, id, sealed)?;
    integrity::delete_where(
        &vault.db,
        digest,
        RecordKind::RenewalStates,
        "connection_id = ?1",
        id.as_str(),
    )?;
    Ok(())
}

/// Inserts or replaces one connection's token or renewal state, tagged.
fn upsert(
    vault: &Vault,
    digest: &mut Digest,
    kind: RecordKind,
    id: &ConnectionId,
    sealed: &[u8],
) -> Result<(), VaultError> {
    let old = integrity::stored_tag(&vault.db, kind, id.as_str())?;
    let column = value_column(kind);
    let sql = format!(
        "INSERT INTO {table} (connection_id, {column}) VALUES (?1, ?2)
             ON CONFLICT (connection_id) DO UPDATE SET {column} = excluded.{column}",
        table = kind.table()
    );
    vault
        .db
        .prepare_cached(&sql)
        .and_then(|mut s| s.execute(params![id.as_str(), sealed]))
        .context("cannot store the token")?;
    integrity::retag(vault, Some(digest), kind, id.as_str(), old)
}

/// Records how a failed renewal leaves the connection; its token stays.
pub(super) fn store_refresh_state(
    vault: &mut Vault,
    id: &ConnectionId,
    state: &RefreshState,
) -> Result<(), VaultError> {
    let json = serde_json::to_vec(state).expect("renewal state serialises");
    let sealed = vault.seal_in(REFRESH_STATE, id.as_str(), "state", &json)?;
    vault.write_with_digest("cannot store the renewal state", |_, digest| {
        // The connection may have been deleted meanwhile: nothing to record.
        if integrity::stored_tag(&vault.db, RecordKind::Connections, id.as_str())?.is_none() {
            return Err(VaultError::IdNotFound(id.clone()));
        }
        upsert(vault, digest, RecordKind::RenewalStates, id, &sealed)?;
        let detail = Some(audit::failure_detail(state));
        audit::record(
            vault,
            AuditAction::Refresh,
            audit::stored_connection(vault, id),
            detail,
        )
    })
}

/// Takes the renewal lease of a connection for `holder` unless someone else
/// holds an unexpired one. Atomic across processes (an immediate transaction).
pub(super) fn try_lease(
    vault: &mut Vault,
    id: &ConnectionId,
    holder: &str,
    ttl: std::time::Duration,
) -> Result<bool, VaultError> {
    let now = unix_now();
    let tx =
        rusqlite::Transaction::new_unchecked(&vault.db, rusqlite::TransactionBehavior::Immediate)
            .context("cannot take the renewal lease")?;
    let current: Option<(String, i64)> = tx
        .query_row(
            "SELECT holder, expires_at FROM refresh_leases WHERE connection_id = ?1",
            [id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .context("cannot read the renewal lease")?;
    // A lease running past the longest one flowvault grants was planted: ignored.
    let horizon = lease_horizon();
    if matches!(&current, Some((other, expires)) if other != holder && *expires > now && *expires <= horizon)
    {
        return Ok(false);
    }
    let ttl = ttl.min(MAX_LEASE).as_secs() as i64;
    tx.execute(
            "INSERT INTO refresh_leases (connection_id, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (connection_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
            params![id.as_str(), holder, now.saturating_add(ttl)],
        )
        .context("cannot take the renewal lease")?;
    tx.commit().context("cannot take the renewal lease")?;
    Ok(true)
}

/// Gives the lease back, if `holder` still has it.
pub(super) fn release_lease(
    vault: &mut Vault,
    id: &ConnectionId,
    holder: &str,
) -> Result<(), VaultError> {
    vault
        .db
        .execute(
            "DELETE FROM refresh_leases WHERE connection_id = ?1 AND holder = ?2",
            params![id.as_str(), holder],
        )
        .context("cannot release the renewal lease")?;
    Ok(())
}
