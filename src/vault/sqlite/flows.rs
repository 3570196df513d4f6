//! Flows and their steps in the vault file, sealed like everything else.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::audit;
use super::integrity::{self, Digest};
use super::{Vault, is_unique_violation, timestamp};
use crate::vault::audit::AuditAction;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::flow::{Flow, FlowId, FlowStep, Usage};
use crate::vault::integrity::RecordKind;
use crate::vault::model::{ConnectionId, Credentials, canonical_name};

const FLOWS: &str = "flows";
const STEPS: &str = "flow_steps";

/// The sealed part of a step. The connection id is also kept in clear (for the
/// foreign key and usage queries); the sealed copy makes a redirected clear id
/// detectable.
#[derive(Serialize, Deserialize)]
struct SealedStep {
    action: String,
    connection: Option<String>,
    /// Where the step belongs: a step moved to another flow or place is damaged.
    flow: String,
    position: i64,
}

impl Vault {
    fn flow_name_hash(&self, name: &str) -> Vec<u8> {
        // A prefix, so a flow and a connection of the same name hash apart.
        self.names.hash(&format!("flow:{name}"))
    }
}

pub(super) fn flows(vault: &Vault) -> Result<Vec<Flow>, VaultError> {
    let mut stmt = vault
        .db
        .prepare_cached(&format!("{FLOW_SELECT} ORDER BY created_at, rowid"))
        .context("cannot list flows")?;
    let rows = stmt
        .query_map([], |r| FlowRow::read(r, vault))
        .context("cannot list flows")?;
    let mut out = Vec::new();
    for row in rows {
        out.push(decode_flow(vault, row.context("cannot list flows")?));
    }
    Ok(out)
}

/// `id`, the tagged columns of a flow (see `integrity::tagged_columns`), then the tag.
const FLOW_SELECT: &str = "SELECT id, version, name_hash, name, created_at, tag FROM flows";

/// A flow row as stored, with whether it matches its tag.
struct FlowRow {
    id: String,
    version: i64,
    hash: Vec<u8>,
    name: Vec<u8>,
    created_at: String,
    tag_matches: bool,
}

impl FlowRow {
    fn read(r: &rusqlite::Row<'_>, vault: &Vault) -> rusqlite::Result<FlowRow> {
        let id: String = r.get(0)?;
        let tag: Option<Vec<u8>> = r.get(5)?;
        let tag_matches = vault
            .tagger
            .row_matches(RecordKind::Flows, &id, r, 1, tag.as_deref());
        Ok(FlowRow {
            version: r.get(1)?,
            hash: r.get(2)?,
            name: r.get(3)?,
            created_at: r.get(4)?,
            tag_matches,
            id,
        })
    }
}

fn decode_flow(vault: &Vault, row: FlowRow) -> Flow {
    let created_at =
        OffsetDateTime::parse(&row.created_at, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let name = vault
        .sealing
        .open(&vault.ctx_in(FLOWS, &row.id, "name"), &row.name)
        .ok()
        .and_then(|p| String::from_utf8(p.to_vec()).ok())
        .filter(|n| row.tag_matches && vault.names.verify(&format!("flow:{n}"), &row.hash));
    let id = FlowId::from_stored(row.id);
    let steps = name.as_ref().and_then(|_| steps(vault, &id));
    Flow {
        damaged: steps.is_none(),
        name: name.unwrap_or_default(),
        steps: steps.unwrap_or_default(),
        id,
        created_at,
        version: row.version,
    }
}

/// The steps of a flow in order; `None` if one failed its integrity check.
fn steps(vault: &Vault, flow: &FlowId) -> Option<Vec<FlowStep>> {
    let mut stmt = vault
        .db
        .prepare_cached(
            "SELECT id, flow_id, position, step, connection_id, inputs, tag FROM flow_steps WHERE flow_id = ?1 ORDER BY position",
        )
        .ok()?;
    let rows = stmt
        .query_map([flow.as_str()], |r| {
            let id: String = r.get(0)?;
            let tag: Option<Vec<u8>> = r.get(6)?;
            let matches =
                vault
                    .tagger
                    .row_matches(RecordKind::FlowSteps, &id, r, 1, tag.as_deref());
            Ok((
                matches,
                id,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Vec<u8>>(5)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .ok()?;
    let mut out = Vec::new();
    for row in rows {
        let (matches, id, step, connection, inputs, position) = row.ok()?;
        // A step put back from an older copy, or whose connection was cleared
        // behind flowvault's back, no longer matches its tag.
        if !matches {
            return None;
        }
        let step: SealedStep = vault.open_json(STEPS, &id, "step", &step)?;
        if step.flow != flow.as_str() || step.position != position {
            return None;
        }
        let inputs: Credentials = vault.open_json(STEPS, &id, "inputs", &inputs)?;
        // The clear id may only be the sealed one, or cleared by a forced delete.
        let connection = match (connection, step.connection) {
            (Some(clear), Some(sealed)) if clear == sealed => {
                Some(ConnectionId::from_stored(clear))
            }
            (None, _) => None,
            _ => return None,
        };
        out.push(FlowStep {
            id,
            action: step.action,
            connection,
            inputs,
        });
    }
    Some(out)
}

pub(super) fn flow_by_name(vault: &Vault, name: &str) -> Result<Flow, VaultError> {
    let hash = vault.flow_name_hash(name);
    let row = vault
        .db
        .prepare_cached(&format!("{FLOW_SELECT} WHERE name_hash = ?1"))
        .and_then(|mut s| s.query_row([&hash], |r| FlowRow::read(r, vault)).optional())
        .context("cannot read the flow")?;
    let row = row.ok_or_else(|| VaultError::FlowNotFound(name.to_owned()))?;
    let flow = decode_flow(vault, row);
    if flow.damaged {
        return Err(VaultError::DamagedFlow(name.to_owned()));
    }
    Ok(flow)
}

pub(super) fn add_flow(vault: &mut Vault, flow: &Flow) -> Result<(), VaultError> {
    vault.write_with_digest("cannot save the flow", |_, digest| {
        insert_flow(vault, digest, flow)
    })
}

/// Inserts a new flow row, version 1, without steps (inside the caller's
/// write transaction).
pub(super) fn insert_flow(
    vault: &Vault,
    digest: &mut Digest,
    flow: &Flow,
) -> Result<(), VaultError> {
    let name = canonical_name(&flow.name);
    let sealed = vault.seal_in(FLOWS, flow.id.as_str(), "name", name.as_bytes())?;
    vault
        .db
        .execute(
            "INSERT INTO flows (id, name_hash, name, created_at, version) VALUES (?1, ?2, ?3, ?4, 1)",
            params![
                flow.id.as_str(),
                vault.flow_name_hash(&name),
                sealed,
                timestamp(flow.created_at)
            ],
        )
        .map_err(|e| flow_write_error(e, &flow.name))?;
    integrity::retag(
        vault,
        Some(digest),
        RecordKind::Flows,
        flow.id.as_str(),
        None,
    )?;
    audit::record(
        vault,
        AuditAction::FlowAdd,
        audit::about_flow(&flow.id, &name),
        None,
    )
}

/// Moves a flow from `flow.version` to the next version (inside the caller's
/// write transaction), or fails with a conflict if it is no longer there.
pub(super) fn bump_version(
    vault: &Vault,
    digest: &mut Digest,
    flow: &Flow,
    name: &str,
) -> Result<i64, VaultError> {
    let stored: Option<(i64, Option<Vec<u8>>)> = vault
        .db
        .prepare_cached("SELECT version, tag FROM flows WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([flow.id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .context("cannot read the flow")?;
    let old_tag = match stored {
        None => return Err(VaultError::FlowNotFound(flow.name.clone())),
        Some((version, _)) if version != flow.version => {
            return Err(VaultError::Conflict(flow.name.clone()));
        }
        Some((_, tag)) => tag,
    };
    let name = canonical_name(name);
    let sealed = vault.seal_in(FLOWS, flow.id.as_str(), "name", name.as_bytes())?;
    let version = flow.version + 1;
    vault
        .db
        .execute(
            "UPDATE flows SET name_hash = ?2, name = ?3, version = ?4 WHERE id = ?1",
            params![
                flow.id.as_str(),
                vault.flow_name_hash(&name),
                sealed,
                version
            ],
        )
        .map_err(|e| flow_write_error(e, &name))?;
    integrity::retag(
        vault,
        Some(digest),
        RecordKind::Flows,
        flow.id.as_str(),
        Some(old_tag),
    )?;
    Ok(version)
}

pub(super) fn rename_flow(vault: &mut Vault, flow: &Flow, name: &str) -> Result<i64, VaultError> {
    vault.write_with_digest("cannot save the flow", |_, digest| {
        let version = bump_version(vault, digest, flow, name)?;
        let detail = Some(format!("from {}", flow.name));
        audit::record(
            vault,
            AuditAction::FlowRename,
            audit::about_flow(&flow.id, name),
            detail,
        )?;
        Ok(version)
    })
}

pub(super) fn delete_flow(vault: &mut Vault, id: &FlowId) -> Result<(), VaultError> {
    vault.write_with_digest("cannot delete the flow", |_, digest| {
        let target = audit::stored_flow(vault, id);
        integrity::delete_where(
            &vault.db,
            digest,
            RecordKind::FlowSteps,
            "flow_id = ?1",
            id.as_str(),
        )?;
        let n =
            integrity::delete_where(&vault.db, digest, RecordKind::Flows, "id = ?1", id.as_str())?;
        if n == 0 {
            return Err(VaultError::FlowNotFound(id.as_str().to_owned()));
        }
        audit::record(vault, AuditAction::FlowRemove, target, None)
    })
}

/// Clears the connection setting of every step that uses `connection`
/// (inside the caller's write transaction), before it is deleted.
pub(super) fn clear_connection(
    vault: &Vault,
    digest: &mut Digest,
    connection: &ConnectionId,
) -> Result<(), VaultError> {
    let ids: Vec<String> = vault
        .db
        .prepare_cached("SELECT id FROM flow_steps WHERE connection_id = ?1")
        .and_then(|mut s| s.query_map([connection.as_str()], |r| r.get(0))?.collect())
        .context("cannot read where the connection is used")?;
    for id in ids {
        let old = integrity::stored_tag(&vault.db, RecordKind::FlowSteps, &id)?;
        vault
            .db
            .execute(
                "UPDATE flow_steps SET connection_id = NULL WHERE id = ?1",
                [&id],
            )
            .context("cannot clear the connection setting")?;
        integrity::retag(vault, Some(digest), RecordKind::FlowSteps, &id, old)?;
    }
    Ok(())
}

/// Replaces a flow's steps in one transaction, numbered from 1 in order, if
/// the flow is still at `flow.version`; returns the new version.
pub(super) fn save_steps(vault: &mut Vault, flow: &Flow) -> Result<i64, VaultError> {
    vault.write_with_digest("cannot save the flow", |tx, digest| {
        // Steps that no longer decode would be lost by the rewrite below.
        if steps(vault, &flow.id).is_none() {
            return Err(VaultError::DamagedFlow(flow.name.clone()));
        }
        let version = bump_version(vault, digest, flow, &flow.name)?;
        write_steps(vault, tx, digest, flow)?;
        audit::record(
            vault,
            AuditAction::FlowEdit,
            audit::about_flow(&flow.id, &flow.name),
            None,
        )?;
        Ok(version)
    })
}

pub(super) fn write_steps(
    vault: &Vault,
    tx: &rusqlite::Transaction<'_>,
    digest: &mut Digest,
    flow: &Flow,
) -> Result<(), VaultError> {
    integrity::delete_where(
        &vault.db,
        digest,
        RecordKind::FlowSteps,
        "flow_id = ?1",
        flow.id.as_str(),
    )?;
    for (i, step) in flow.steps.iter().enumerate() {
        let connection = step.connection.as_ref().map(|c| c.as_str().to_owned());
        let sealed_step = serde_json::to_vec(&SealedStep {
            action: step.action.clone(),
            connection: connection.clone(),
            flow: flow.id.as_str().to_owned(),
            position: i as i64 + 1,
        })
        .expect("steps serialise");
        let inputs =
            zeroize::Zeroizing::new(serde_json::to_vec(&step.inputs).expect("inputs serialise"));
        tx.execute(
            "INSERT INTO flow_steps (id, flow_id, position, step, connection_id, inputs) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                step.id,
                flow.id.as_str(),
                i as i64 + 1,
                vault.seal_in(STEPS, &step.id, "step", &sealed_step)?,
                connection,
                vault.seal_in(STEPS, &step.id, "inputs", &inputs)?,
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                VaultError::IdNotFound(step.connection.clone().unwrap_or_else(|| ConnectionId::from_stored(String::new())))
            }
            e => VaultError::Sqlite { context: "cannot save the flow", source: e },
        })?;
        integrity::retag(vault, Some(digest), RecordKind::FlowSteps, &step.id, None)?;
    }
    Ok(())
}

pub(super) fn connection_usage(vault: &Vault, id: &ConnectionId) -> Result<Vec<Usage>, VaultError> {
    let mut stmt = vault
        .db
        .prepare_cached("SELECT flow_id, position FROM flow_steps WHERE connection_id = ?1 ORDER BY flow_id, position")
        .context("cannot read where the connection is used")?;
    let rows = stmt
        .query_map([id.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .context("cannot read where the connection is used")?;
    let names: std::collections::HashMap<String, String> = flows(vault)?
        .into_iter()
        .map(|f| (f.id.as_str().to_owned(), f.name))
        .collect();
    let mut out = Vec::new();
    for row in rows {
        let (flow, position) = row.context("cannot read where the connection is used")?;
        out.push(Usage {
            flow: names.get(&flow).cloned().unwrap_or_default(),
            position: position as usize,
        });
    }
    Ok(out)
}

fn flow_write_error(e: rusqlite::Error, name: &str) -> VaultError {
    if is_unique_violation(&e) {
        VaultError::DuplicateFlow(name.to_owned())
    } else {
        VaultError::Sqlite {
            context: "cannot save the flow",
            source: e,
        }
    }
}
