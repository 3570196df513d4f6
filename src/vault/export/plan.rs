//! What an import would change: a pure function of the document and the
//! vault's records, which `--check` prints and the import then writes.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::document::{ExportDocument, ExportedStep};
use crate::vault::flow::{Flow, FlowId, FlowStep};
use crate::vault::model::{Connection, ConnectionId, normalise_name};
use crate::vault::store::RecordBatch;

/// What the import does to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A new record.
    Added,
    /// The vault's record of that name is replaced (`--overwrite`).
    Overwritten,
    /// The vault already holds the same values.
    Unchanged,
    /// The vault's record of that name holds other values: refused
    /// without `--overwrite`.
    Conflict,
}

/// One record of the document and what becomes of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedRecord {
    pub name: String,
    pub change: Change,
}

/// Every record's change, and the writes that make them.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    pub connections: Vec<PlannedRecord>,
    pub flows: Vec<PlannedRecord>,
    /// What to write; meaningless while there are conflicts.
    pub batch: RecordBatch,
}

impl ImportPlan {
    /// The records refused without `--overwrite`, as "connection “x”".
    pub fn conflicts(&self) -> Vec<String> {
        let named = |kind: &str, records: &[PlannedRecord]| {
            records
                .iter()
                .filter(|r| r.change == Change::Conflict)
                .map(|r| format!("{kind} “{}”", r.name))
                .collect::<Vec<_>>()
        };
        let mut all = named("connection", &self.connections);
        all.extend(named("flow", &self.flows));
        all
    }

    /// How many records of `list` have `change`.
    pub fn count(list: &[PlannedRecord], change: Change) -> usize {
        list.iter().filter(|r| r.change == change).count()
    }
}

/// Plans merging `doc` into a vault holding `existing` connections and
/// `existing_flows`. Names match as the vault matches them (case and
/// spacing aside). A replaced connection or flow keeps its id, version
/// and creation time, so the flows using it keep working; a new one keeps
/// the document's id unless the vault already uses it. Steps point at the
/// ids the connections have in this vault.
pub fn plan_import(
    doc: &ExportDocument,
    existing: &[Connection],
    existing_flows: &[Flow],
    overwrite: bool,
) -> ImportPlan {
    let now = crate::vault::now();
    let by_name: HashMap<String, &Connection> = existing
        .iter()
        .map(|c| (normalise_name(&c.name), c))
        .collect();
    let taken: HashSet<&ConnectionId> = existing.iter().map(|c| &c.id).collect();
    let mut plan = ImportPlan::default();
    // Document id → this vault's id.
    let mut ids: HashMap<ConnectionId, ConnectionId> = HashMap::new();
    for c in &doc.connections {
        let there = by_name.get(&normalise_name(&c.name));
        let change = match there {
            Some(t) if t.service == c.service && t.method == c.method && t.fields == c.fields => {
                ids.insert(c.id.clone(), t.id.clone());
                Change::Unchanged
            }
            Some(t) if overwrite => {
                plan.batch.updated.push(Connection {
                    id: t.id.clone(),
                    name: c.name.clone(),
                    service: c.service.clone(),
                    method: c.method.clone(),
                    fields: c.fields.clone(),
                    created_at: t.created_at,
                    updated_at: now,
                    version: t.version,
                });
                if let Some(token) = &c.token {
                    plan.batch.tokens.push((t.id.clone(), token.clone()));
                }
                ids.insert(c.id.clone(), t.id.clone());
                Change::Overwritten
            }
            Some(_) => Change::Conflict,
            None => {
                let id = if taken.contains(&c.id) {
                    ConnectionId::random()
                } else {
                    c.id.clone()
                };
                plan.batch.added.push(Connection {
                    id: id.clone(),
                    name: c.name.clone(),
                    service: c.service.clone(),
                    method: c.method.clone(),
                    fields: c.fields.clone(),
                    created_at: c.created_at,
                    updated_at: c.updated_at,
                    version: 1,
                });
                if let Some(token) = &c.token {
                    plan.batch.tokens.push((id.clone(), token.clone()));
                }
                ids.insert(c.id.clone(), id);
                Change::Added
            }
        };
        plan.connections.push(PlannedRecord {
            name: c.name.clone(),
            change,
        });
    }

    let flows_by_name: HashMap<String, &Flow> = existing_flows
        .iter()
        .map(|f| (normalise_name(&f.name), f))
        .collect();
    let flow_ids: HashSet<&FlowId> = existing_flows.iter().map(|f| &f.id).collect();
    for flow in &doc.flows {
        let steps = remapped(&flow.steps, &ids);
        let change = match flows_by_name.get(&normalise_name(&flow.name)) {
            Some(there) if !there.damaged && same_steps(&there.steps, &steps) => Change::Unchanged,
            Some(there) if overwrite => {
                plan.batch.updated_flows.push(Flow {
                    steps,
                    ..(*there).clone()
                });
                Change::Overwritten
            }
            Some(_) => Change::Conflict,
            None => {
                let id = if flow_ids.contains(&flow.id) {
                    FlowId::random()
                } else {
                    flow.id.clone()
                };
                plan.batch.added_flows.push(Flow {
                    id,
                    name: flow.name.clone(),
                    steps,
                    created_at: flow.created_at,
                    damaged: false,
                    version: 1,
                });
                Change::Added
            }
        };
        plan.flows.push(PlannedRecord {
            name: flow.name.clone(),
            change,
        });
    }
    plan
}

/// The document's steps with this vault's connection ids and fresh step
/// ids (a step id of the document may be taken in this vault).
fn remapped(steps: &[ExportedStep], ids: &HashMap<ConnectionId, ConnectionId>) -> Vec<FlowStep> {
    steps
        .iter()
        .map(|s| {
            FlowStep::new(
                s.action.clone(),
                s.connection.as_ref().and_then(|c| ids.get(c).cloned()),
                s.inputs.clone(),
            )
        })
        .collect()
}

/// The same actions, connections and inputs in the same order.
fn same_steps(a: &[FlowStep], b: &[FlowStep]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.action == y.action && x.connection == y.connection && x.inputs == y.inputs
        })
}
