//! Tokens, renewal state and renewal leases in the vault file.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::Vault;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::model::{ConnectionId, SecretValue};
use crate::vault::token::{RefreshState, Token, TokenRecord};

const TOKENS: &str = "tokens";
const REFRESH_STATE: &str = "refresh_state";

/// Drops a connection's token and renewal state (its credentials changed).
pub(super) fn forget(tx: &Transaction<'_>, id: &ConnectionId) -> Result<(), VaultError> {
    tx.execute("DELETE FROM tokens WHERE connection_id = ?1", [id.as_str()])
        .context("cannot drop the old token")?;
    tx.execute(
        "DELETE FROM refresh_state WHERE connection_id = ?1",
        [id.as_str()],
    )
    .context("cannot reset the renewal state")?;
    Ok(())
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The token record of one connection. A token that fails its integrity
/// check is reported as damaged.
pub(super) fn token_record(vault: &Vault, id: &ConnectionId) -> Result<TokenRecord, VaultError> {
    let token: Option<Vec<u8>> = vault
        .db
        .prepare_cached("SELECT token FROM tokens WHERE connection_id = ?1")
        .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)).optional())
        .context("cannot read the token")?;
    let state: Option<Vec<u8>> = vault
        .db
        .prepare_cached("SELECT state FROM refresh_state WHERE connection_id = ?1")
        .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)).optional())
        .context("cannot read the renewal state")?;
    let renewing: bool = vault
        .db
        .prepare_cached(
            "SELECT count(*) FROM refresh_leases WHERE connection_id = ?1 AND expires_at > ?2",
        )
        .and_then(|mut s| s.query_row(params![id.as_str(), unix_now()], |r| r.get::<_, i64>(0)))
        .context("cannot read the renewal lease")?
        > 0;
    let damaged = || VaultError::Damaged {
        id: id.clone(),
        name: None,
    };
    let token = match token {
        Some(sealed) => Some(
            vault
                .open_json(TOKENS, id.as_str(), "token", &sealed)
                .ok_or_else(damaged)?,
        ),
        None => None,
    };
    let state = match state {
        Some(sealed) => vault
            .open_json(REFRESH_STATE, id.as_str(), "state", &sealed)
            .ok_or_else(damaged)?,
        None => RefreshState::default(),
    };
    Ok(TokenRecord {
        token,
        state,
        renewing,
    })
}

/// Token records of every connection that has one, for the list. A damaged
/// token is left out (its connection then shows as having no token).
pub(super) fn token_records(
    vault: &Vault,
) -> Result<HashMap<ConnectionId, TokenRecord>, VaultError> {
    let mut out: HashMap<ConnectionId, TokenRecord> = HashMap::new();
    let mut stmt = vault
        .db
        .prepare_cached("SELECT connection_id, token FROM tokens")
        .context("cannot list tokens")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .context("cannot list tokens")?;
    for row in rows {
        let (id, sealed) = row.context("cannot list tokens")?;
        let token = vault.open_json(TOKENS, &id, "token", &sealed);
        out.entry(ConnectionId::from_stored(id)).or_default().token = token;
    }
    let mut stmt = vault
        .db
        .prepare_cached("SELECT connection_id, state FROM refresh_state")
        .context("cannot list renewal state")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .context("cannot list renewal state")?;
    for row in rows {
        let (id, sealed) = row.context("cannot list renewal state")?;
        if let Some(state) = vault.open_json(REFRESH_STATE, &id, "state", &sealed) {
            out.entry(ConnectionId::from_stored(id)).or_default().state = state;
        }
    }
    let mut stmt = vault
        .db
        .prepare_cached("SELECT connection_id FROM refresh_leases WHERE expires_at > ?1")
        .context("cannot list renewal leases")?;
    let rows = stmt
        .query_map([unix_now()], |r| r.get::<_, String>(0))
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
    let mut connection = match rotated_refresh_token {
        Some(_) => Some(crate::vault::VaultStore::connection_by_id(vault, id)?),
        None => None,
    };
    let sealed = {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(token).expect("tokens serialise"));
        vault.seal_in(TOKENS, id.as_str(), "token", &json)?
    };
    let tx = vault
        .db
        .unchecked_transaction()
        .context("cannot start storing the token")?;
    if let (Some(connection), Some(rotated)) = (connection.as_mut(), rotated_refresh_token) {
        connection.fields.set("refresh_token", rotated.expose());
        vault.write_row(&tx, connection, false)?;
    }
    tx.execute(
        "INSERT INTO tokens (connection_id, token) VALUES (?1, ?2)
             ON CONFLICT (connection_id) DO UPDATE SET token = excluded.token",
        params![id.as_str(), sealed],
    )
    .context("cannot store the token")?;
    tx.execute(
        "DELETE FROM refresh_state WHERE connection_id = ?1",
        [id.as_str()],
    )
    .context("cannot reset the renewal state")?;
    tx.commit().context("cannot store the token")
}

/// Records how a failed renewal leaves the connection; its token stays.
pub(super) fn store_refresh_state(
    vault: &mut Vault,
    id: &ConnectionId,
    state: &RefreshState,
) -> Result<(), VaultError> {
    let json = serde_json::to_vec(state).expect("renewal state serialises");
    let sealed = vault.seal_in(REFRESH_STATE, id.as_str(), "state", &json)?;
    vault
        .db
        .execute(
            "INSERT INTO refresh_state (connection_id, state) VALUES (?1, ?2)
                 ON CONFLICT (connection_id) DO UPDATE SET state = excluded.state",
            params![id.as_str(), sealed],
        )
        .context("cannot store the renewal state")?;
    Ok(())
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
    if matches!(&current, Some((other, expires)) if other != holder && *expires > now) {
        return Ok(false);
    }
    tx.execute(
            "INSERT INTO refresh_leases (connection_id, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (connection_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at",
            params![id.as_str(), holder, now + ttl.as_secs() as i64],
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
