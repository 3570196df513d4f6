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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::export::document::{ExportedConnection, ExportedFlow, FORMAT, VERSION};
    use crate::vault::model::Credentials;
    use crate::vault::token::Token;

    fn fields(token: &str) -> Credentials {
        let mut fields = Credentials::default();
        fields.set("token", token);
        fields
    }

    fn exported(name: &str, token: &str) -> ExportedConnection {
        let c = Connection::new(name, "http", "bearer", fields(token));
        ExportedConnection::of(
            c,
            Some(Token {
                access_token: crate::vault::SecretValue::new("at"),
                token_type: "Bearer".into(),
                scope: None,
                obtained_at: crate::vault::now(),
                expires_at: None,
            }),
        )
    }

    fn flow_using(name: &str, connection: &ConnectionId) -> ExportedFlow {
        ExportedFlow {
            id: FlowId::random(),
            name: name.into(),
            created_at: crate::vault::now(),
            steps: vec![ExportedStep {
                action: "http.request".into(),
                connection: Some(connection.clone()),
                inputs: Credentials::default(),
            }],
        }
    }

    fn doc(connections: Vec<ExportedConnection>, flows: Vec<ExportedFlow>) -> ExportDocument {
        ExportDocument {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: crate::vault::now(),
            connections,
            flows,
        }
    }

    fn changes(records: &[PlannedRecord]) -> Vec<(&str, Change)> {
        records
            .iter()
            .map(|r| (r.name.as_str(), r.change))
            .collect()
    }

    #[test]
    fn into_an_empty_vault_everything_is_added_with_its_ids_and_tokens() {
        let a = exported("A", "1");
        let flow = flow_using("F", &a.id);
        let plan = plan_import(&doc(vec![a.clone()], vec![flow.clone()]), &[], &[], false);
        assert_eq!(changes(&plan.connections), [("A", Change::Added)]);
        assert_eq!(changes(&plan.flows), [("F", Change::Added)]);
        assert_eq!(plan.batch.added[0].id, a.id);
        assert_eq!(plan.batch.added[0].created_at, a.created_at);
        assert_eq!(plan.batch.tokens.len(), 1);
        assert_eq!(plan.batch.added_flows[0].id, flow.id);
        assert_eq!(plan.batch.added_flows[0].steps[0].connection, Some(a.id));
        assert!(plan.conflicts().is_empty());
    }

    #[test]
    fn a_clash_is_a_conflict_unless_overwrite_and_the_same_values_are_unchanged() {
        let there = Connection::new("billing", "http", "bearer", fields("old"));
        let same = Connection::new("Same", "http", "bearer", fields("s"));
        let document = doc(
            vec![exported("Billing", "new"), exported("same", "s")],
            vec![],
        );
        let existing = [there.clone(), same.clone()];
        let plan = plan_import(&document, &existing, &[], false);
        assert_eq!(
            changes(&plan.connections),
            [("Billing", Change::Conflict), ("same", Change::Unchanged)]
        );
        assert_eq!(plan.conflicts(), ["connection “Billing”"]);

        let plan = plan_import(&document, &existing, &[], true);
        assert_eq!(
            changes(&plan.connections),
            [
                ("Billing", Change::Overwritten),
                ("same", Change::Unchanged)
            ]
        );
        let updated = &plan.batch.updated[0];
        assert_eq!(
            (&updated.id, updated.version, updated.created_at),
            (&there.id, there.version, there.created_at),
            "the replaced connection keeps its id, version and creation time"
        );
        assert_eq!(updated.fields.get("token"), Some("new"));
        assert_eq!(plan.batch.tokens[0].0, there.id, "its token goes to its id");
        assert!(plan.batch.added.is_empty());
    }

    #[test]
    fn flow_steps_point_at_this_vaults_ids() {
        let there = Connection::new("Billing", "http", "bearer", fields("old"));
        let incoming = exported("Billing", "new");
        let fresh = exported("Fresh", "f");
        let mut existing_flow = Flow::new("F");
        existing_flow.steps = vec![FlowStep::new(
            "http.request",
            Some(there.id.clone()),
            Credentials::default(),
        )];
        let document = doc(
            vec![incoming.clone(), fresh.clone()],
            vec![flow_using("F", &incoming.id), flow_using("G", &fresh.id)],
        );
        let plan = plan_import(
            &document,
            std::slice::from_ref(&there),
            std::slice::from_ref(&existing_flow),
            true,
        );
        // F already uses Billing by this vault's id: nothing to change.
        assert_eq!(
            changes(&plan.flows),
            [("F", Change::Unchanged), ("G", Change::Added)]
        );
        assert_eq!(
            plan.batch.added_flows[0].steps[0].connection,
            Some(fresh.id)
        );
    }

    #[test]
    fn an_id_the_vault_already_uses_under_another_name_is_replaced() {
        let incoming = exported("New name", "x");
        let mut there = Connection::new("Old name", "http", "bearer", fields("y"));
        there.id = incoming.id.clone();
        let flow = flow_using("F", &incoming.id);
        let plan = plan_import(
            &doc(vec![incoming.clone()], vec![flow]),
            &[there],
            &[],
            false,
        );
        let added = &plan.batch.added[0];
        assert_ne!(added.id, incoming.id);
        assert_eq!(
            plan.batch.added_flows[0].steps[0].connection,
            Some(added.id.clone()),
            "the flow follows the new id"
        );
        assert_eq!(plan.batch.tokens[0].0, added.id);
    }
}
