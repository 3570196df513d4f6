//! Copying every connection, token and flow from one vault to another,
//! whatever their backends (file → OpenBao, OpenBao → file, file → file).
//!
//! Records are matched by name. A copy is idempotent: run twice, the second
//! run finds everything unchanged. Every record is checked before the first
//! write, so a refusal (a different record of the same name, without
//! `overwrite`) leaves the destination untouched. The writes themselves are
//! not one transaction across two vaults: a copy cut short by a failure is
//! finished by running it again.

use std::collections::HashMap;

use super::error::VaultError;
use super::flow::{Flow, FlowStep};
use super::model::{Connection, ConnectionId, StoredConnection, canonical_name};
use super::store::VaultStore;

/// What a copy did (or, refused, nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub connections: Tally,
    pub flows: Tally,
    /// Tokens written (new, or newer than the destination's).
    pub tokens: usize,
}

/// How many records were added, found identical, or replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub added: usize,
    pub unchanged: usize,
    pub overwritten: usize,
}

/// Why a copy was refused or stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Names the records in the way; nothing was written.
    #[error(
        "the destination already has {} with other values: {}; nothing was copied (--overwrite replaces them)",
        if .0.len() == 1 { "a record of the same name" } else { "records of the same names" },
        .0.join(", ")
    )]
    Differs(Vec<String>),
    /// A record of either vault fails its integrity check; nothing was written.
    #[error(
        "the {vault}'s {record} fails its integrity check; nothing was copied (run `flowvault verify` on it)"
    )]
    Damaged { vault: &'static str, record: String },
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// What to do with one source connection.
enum Plan {
    Add(Connection),
    Same(ConnectionId),
    Overwrite(Connection),
}

/// Copies every connection, token and flow of `from` into `to`.
pub fn copy_vault(
    from: &dyn VaultStore,
    to: &mut dyn VaultStore,
    overwrite: bool,
) -> Result<CopyReport, CopyError> {
    let source = intact(from.connections()?, "source")?;
    let existing: HashMap<String, Connection> = intact(to.connections()?, "destination")?
        .into_iter()
        .map(|c| (canonical_name(&c.name), c))
        .collect();
    let mut differs = Vec::new();
    let mut plans = Vec::new();
    // Source id → destination id, for the flows' steps.
    let mut ids: HashMap<ConnectionId, ConnectionId> = HashMap::new();
    for connection in source {
        let plan = match existing.get(&canonical_name(&connection.name)) {
            None => {
                let taken = existing.values().any(|c| c.id == connection.id);
                let mut added = connection.clone();
                if taken {
                    added.id = ConnectionId::random();
                }
                added.version = 1;
                Plan::Add(added)
            }
            Some(there) if same_connection(there, &connection) => Plan::Same(there.id.clone()),
            Some(there) if overwrite => Plan::Overwrite(Connection {
                id: there.id.clone(),
                version: there.version,
                created_at: there.created_at,
                ..connection.clone()
            }),
            Some(_) => {
                differs.push(format!("connection “{}”", connection.name));
                continue;
            }
        };
        let target = match &plan {
            Plan::Add(c) | Plan::Overwrite(c) => c.id.clone(),
            Plan::Same(id) => id.clone(),
        };
        ids.insert(connection.id.clone(), target);
        plans.push(plan);
    }

    let flows = from.flows()?;
    if let Some(damaged) = flows.iter().find(|f| f.damaged) {
        return Err(CopyError::Damaged {
            vault: "source",
            record: format!("flow “{}”", damaged.name),
        });
    }
    let existing_flows: HashMap<String, Flow> = to
        .flows()?
        .into_iter()
        .map(|f| (canonical_name(&f.name), f))
        .collect();
    let mut flow_plans = Vec::new();
    for flow in flows {
        let steps = remapped(&flow.steps, &ids);
        match existing_flows.get(&canonical_name(&flow.name)) {
            None => flow_plans.push((None, flow, steps)),
            Some(there) if same_steps(&there.steps, &steps) => {
                flow_plans.push((Some(there.clone()), flow, steps));
            }
            Some(there) if overwrite => flow_plans.push((Some(there.clone()), flow, steps)),
            Some(_) => differs.push(format!("flow “{}”", flow.name)),
        }
    }
    if !differs.is_empty() {
        return Err(CopyError::Differs(differs));
    }

    let mut report = CopyReport::default();
    let mut added = Vec::new();
    let mut token_ids = Vec::new();
    for plan in plans {
        match plan {
            Plan::Add(connection) => added.push(connection),
            Plan::Same(id) => {
                report.connections.unchanged += 1;
                token_ids.push(id);
            }
            Plan::Overwrite(connection) => {
                to.update_connection(&connection)?;
                report.connections.overwritten += 1;
                token_ids.push(connection.id);
            }
        }
    }
    to.add_connections(&added)?;
    report.connections.added = added.len();
    token_ids.extend(added.into_iter().map(|c| c.id));

    // Tokens: the source's, where the destination has none or an older one.
    let tokens = from.token_records()?;
    let there = to.token_records()?;
    let back: HashMap<&ConnectionId, &ConnectionId> = ids.iter().map(|(s, d)| (d, s)).collect();
    for id in &token_ids {
        let Some(token) = back
            .get(id)
            .and_then(|source_id| tokens.get(*source_id))
            .and_then(|r| r.token.as_ref())
        else {
            continue;
        };
        let current = there.get(id).and_then(|r| r.token.as_ref());
        if current.is_none_or(|t| t.obtained_at < token.obtained_at) {
            to.store_token(id, token, None)?;
            report.tokens += 1;
        }
    }

    for (there, flow, steps) in flow_plans {
        match there {
            Some(there) if same_steps(&there.steps, &steps) => report.flows.unchanged += 1,
            Some(mut there) => {
                there.steps = steps;
                to.save_steps(&there)?;
                report.flows.overwritten += 1;
            }
            None => {
                // The flow keeps its id, as a connection does, unless the
                // destination already has a flow of that id (by another name).
                let mut new = Flow::new(flow.name.clone());
                if !existing_flows.values().any(|f| f.id == flow.id) {
                    new.id = flow.id.clone();
                }
                new.created_at = flow.created_at;
                to.add_flow(&new)?;
                if !steps.is_empty() {
                    new.steps = steps;
                    to.save_steps(&new)?;
                }
                report.flows.added += 1;
            }
        }
    }
    Ok(report)
}

/// Every connection, or the first damaged one as an error.
fn intact(
    stored: Vec<StoredConnection>,
    vault: &'static str,
) -> Result<Vec<Connection>, CopyError> {
    stored
        .into_iter()
        .map(|s| match s {
            StoredConnection::Intact(c) => Ok(c),
            StoredConnection::Damaged(d) => Err(CopyError::Damaged {
                vault,
                record: match &d.name {
                    Some(name) => format!("connection “{name}”"),
                    None => format!("connection {}", d.id),
                },
            }),
        })
        .collect()
}

/// The same credentials: what a copy would not change.
fn same_connection(a: &Connection, b: &Connection) -> bool {
    a.service == b.service && a.method == b.method && a.fields == b.fields
}

/// The same actions, connections and inputs in the same order (step ids,
/// made by each vault, do not count).
fn same_steps(a: &[FlowStep], b: &[FlowStep]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.action == y.action && x.connection == y.connection && x.inputs == y.inputs
        })
}

/// Steps pointing at the destination's connections; step ids are kept.
fn remapped(steps: &[FlowStep], ids: &HashMap<ConnectionId, ConnectionId>) -> Vec<FlowStep> {
    steps
        .iter()
        .map(|s| FlowStep {
            connection: s.connection.as_ref().and_then(|c| ids.get(c).cloned()),
            ..s.clone()
        })
        .collect()
}
