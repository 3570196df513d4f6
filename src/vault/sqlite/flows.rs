//! Flows and their steps in the vault file, sealed like everything else.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Vault, is_unique_violation, timestamp};
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::flow::{Flow, FlowId, FlowStep, Usage};
use crate::vault::model::{ConnectionId, Credentials};

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
        .prepare_cached(
            "SELECT id, name_hash, name, created_at FROM flows ORDER BY created_at, rowid",
        )
        .context("cannot list flows")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .context("cannot list flows")?;
    let mut out = Vec::new();
    for row in rows {
        let (id, hash, name, created_at) = row.context("cannot list flows")?;
        out.push(decode_flow(vault, id, &hash, &name, &created_at)?);
    }
    Ok(out)
}

fn decode_flow(
    vault: &Vault,
    id: String,
    hash: &[u8],
    name: &[u8],
    created_at: &str,
) -> Result<Flow, VaultError> {
    let created_at =
        OffsetDateTime::parse(created_at, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let name = vault
        .sealing
        .open(&vault.ctx_in(FLOWS, &id, "name"), name)
        .ok()
        .and_then(|p| String::from_utf8(p.to_vec()).ok())
        .filter(|n| vault.names.verify(&format!("flow:{n}"), hash));
    let id = FlowId::from_stored(id);
    let Some(name) = name else {
        return Ok(Flow {
            id,
            name: String::new(),
            steps: Vec::new(),
            created_at,
            damaged: true,
        });
    };
    match steps(vault, &id) {
        Some(steps) => Ok(Flow {
            id,
            name,
            steps,
            created_at,
            damaged: false,
        }),
        None => Ok(Flow {
            id,
            name,
            steps: Vec::new(),
            created_at,
            damaged: true,
        }),
    }
}

/// The steps of a flow in order; `None` if one failed its integrity check.
fn steps(vault: &Vault, flow: &FlowId) -> Option<Vec<FlowStep>> {
    let mut stmt = vault
        .db
        .prepare_cached(
            "SELECT id, step, connection_id, inputs, position FROM flow_steps WHERE flow_id = ?1 ORDER BY position",
        )
        .ok()?;
    let rows = stmt
        .query_map([flow.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .ok()?;
    let mut out = Vec::new();
    for row in rows {
        let (id, step, connection, inputs, position) = row.ok()?;
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
    let row: Option<(String, Vec<u8>, String)> = vault
        .db
        .prepare_cached("SELECT id, name, created_at FROM flows WHERE name_hash = ?1")
        .and_then(|mut s| {
            s.query_row([&hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .context("cannot read the flow")?;
    let (id, sealed, created_at) = row.ok_or_else(|| VaultError::FlowNotFound(name.to_owned()))?;
    let flow = decode_flow(vault, id.clone(), &hash, &sealed, &created_at)?;
    if flow.damaged {
        return Err(VaultError::DamagedFlow(name.to_owned()));
    }
    Ok(flow)
}

pub(super) fn add_flow(vault: &mut Vault, flow: &Flow) -> Result<(), VaultError> {
    let sealed = vault.seal_in(FLOWS, flow.id.as_str(), "name", flow.name.as_bytes())?;
    vault
        .db
        .execute(
            "INSERT INTO flows (id, name_hash, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                flow.id.as_str(),
                vault.flow_name_hash(&flow.name),
                sealed,
                timestamp(flow.created_at)
            ],
        )
        .map_err(|e| flow_write_error(e, &flow.name))?;
    Ok(())
}

pub(super) fn rename_flow(vault: &mut Vault, id: &FlowId, name: &str) -> Result<(), VaultError> {
    let sealed = vault.seal_in(FLOWS, id.as_str(), "name", name.as_bytes())?;
    let n = vault
        .db
        .execute(
            "UPDATE flows SET name_hash = ?2, name = ?3 WHERE id = ?1",
            params![id.as_str(), vault.flow_name_hash(name), sealed],
        )
        .map_err(|e| flow_write_error(e, name))?;
    if n == 0 {
        return Err(VaultError::FlowNotFound(id.as_str().to_owned()));
    }
    Ok(())
}

pub(super) fn delete_flow(vault: &mut Vault, id: &FlowId) -> Result<(), VaultError> {
    let n = vault
        .db
        .execute("DELETE FROM flows WHERE id = ?1", [id.as_str()])
        .context("cannot delete the flow")?;
    if n == 0 {
        return Err(VaultError::FlowNotFound(id.as_str().to_owned()));
    }
    Ok(())
}

/// Replaces a flow's steps in one transaction, numbered from 1 in order.
pub(super) fn save_steps(vault: &mut Vault, flow: &Flow) -> Result<(), VaultError> {
    // Steps that no longer decode would be lost by the rewrite below.
    if steps(vault, &flow.id).is_none() {
        return Err(VaultError::DamagedFlow(flow.name.clone()));
    }
    let tx = vault
        .db
        .unchecked_transaction()
        .context("cannot start saving the flow")?;
    tx.execute(
        "DELETE FROM flow_steps WHERE flow_id = ?1",
        [flow.id.as_str()],
    )
    .context("cannot save the flow")?;
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
    }
    tx.commit().context("cannot save the flow")
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
