//! Flows in KV: `flows/<id>` sealed with their steps, `flow-names/<hash>`
//! → id created with cas=0.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::OpenBaoError;
use super::kv::Entry;
use super::store::{OpenBaoStore, conflict_as};
use crate::vault::error::VaultError;
use crate::vault::flow::{Flow, FlowId, FlowStep, Usage};
use crate::vault::model::{ConnectionId, Credentials};

const KIND: &str = "flows";
const NAMES: &str = "flow-names";

#[derive(Serialize, Deserialize)]
struct Record {
    name: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    steps: Vec<Step>,
}

#[derive(Serialize, Deserialize)]
struct Step {
    id: String,
    action: String,
    connection: Option<ConnectionId>,
    inputs: Credentials,
}

fn key(id: &str) -> String {
    format!("{KIND}/{id}")
}

impl OpenBaoStore {
    /// Flow names hash apart from connection names.
    fn flow_name_key(&self, name: &str) -> String {
        self.name_key(NAMES, &format!("flow:{name}"))
    }

    fn decode_flow(&self, id: &str, entry: &Entry) -> Flow {
        let flow_id = FlowId::from_stored(id.to_owned());
        match self.open::<Record>(KIND, id, &entry.data) {
            Some(r) => Flow {
                id: flow_id,
                name: r.name,
                steps: r
                    .steps
                    .into_iter()
                    .map(|s| FlowStep {
                        id: s.id,
                        action: s.action,
                        connection: s.connection,
                        inputs: s.inputs,
                    })
                    .collect(),
                created_at: r.created_at,
                damaged: false,
                version: entry.version,
            },
            None => Flow {
                id: flow_id,
                name: id.to_owned(),
                steps: Vec::new(),
                created_at: OffsetDateTime::UNIX_EPOCH,
                damaged: true,
                version: entry.version,
            },
        }
    }

    fn sealed_flow(&self, flow: &Flow, name: &str) -> Result<serde_json::Value, VaultError> {
        let record = Record {
            name: name.to_owned(),
            created_at: flow.created_at,
            steps: flow
                .steps
                .iter()
                .map(|s| Step {
                    id: s.id.clone(),
                    action: s.action.clone(),
                    connection: s.connection.clone(),
                    inputs: s.inputs.clone(),
                })
                .collect(),
        };
        self.seal(KIND, flow.id.as_str(), &record)
    }

    pub(super) fn list_flows(&self) -> Result<Vec<Flow>, VaultError> {
        let ids = self.kv.list(KIND)?;
        let keys: Vec<String> = ids.iter().map(|id| key(id)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for (id, entry) in ids.iter().zip(self.kv.read_many(&keys)) {
            if let Some(entry) = entry? {
                out.push(self.decode_flow(id, &entry));
            }
        }
        out.sort_by_key(|f| f.created_at);
        Ok(out)
    }

    pub(super) fn flow_by_name(&self, name: &str) -> Result<Flow, VaultError> {
        let not_found = || VaultError::FlowNotFound(name.to_owned());
        let index = self
            .kv
            .read(&self.flow_name_key(name))?
            .ok_or_else(not_found)?;
        let id = index.data["id"].as_str().ok_or_else(not_found)?.to_owned();
        let entry = self.kv.read(&key(&id))?.ok_or_else(not_found)?;
        let flow = self.decode_flow(&id, &entry);
        if flow.damaged {
            return Err(VaultError::DamagedFlow(name.to_owned()));
        }
        Ok(flow)
    }

    pub(super) fn insert_flow(&mut self, flow: &Flow) -> Result<(), VaultError> {
        let index = self.flow_name_key(&flow.name);
        self.claim_name(
            &index,
            flow.id.as_str(),
            KIND,
            VaultError::DuplicateFlow(flow.name.clone()),
        )?;
        let record = self.sealed_flow(flow, &flow.name)?;
        if let Err(e) = self.kv.write(&key(flow.id.as_str()), record, 0) {
            let _ = self.release_name(&index, flow.id.as_str());
            return Err(match e {
                OpenBaoError::CasConflict { .. } => VaultError::DuplicateFlow(flow.name.clone()),
                e => e.into(),
            });
        }
        self.bump()
    }

    /// Renames the flow (`rename: Some`) or saves its steps (`None`), if it
    /// is still at `flow.version`; returns the new version.
    pub(super) fn write_flow(
        &mut self,
        flow: &Flow,
        rename: Option<&str>,
    ) -> Result<i64, VaultError> {
        let entry = self
            .kv
            .read(&key(flow.id.as_str()))?
            .ok_or_else(|| VaultError::FlowNotFound(flow.name.clone()))?;
        let stored = self.decode_flow(flow.id.as_str(), &entry);
        if stored.damaged {
            return Err(VaultError::DamagedFlow(flow.name.clone()));
        }
        if entry.version != flow.version {
            return Err(VaultError::Conflict(flow.name.clone()));
        }
        let (name, steps_from) = match rename {
            Some(name) => (name.to_owned(), &stored),
            None => (stored.name.clone(), flow),
        };
        let new_index = self.flow_name_key(&name);
        let old_index = self.flow_name_key(&stored.name);
        let renamed = new_index != old_index;
        if renamed {
            self.claim_name(
                &new_index,
                flow.id.as_str(),
                KIND,
                VaultError::DuplicateFlow(name.clone()),
            )?;
        }
        let record = self.sealed_flow(steps_from, &name)?;
        let version = match self.kv.write(&key(flow.id.as_str()), record, flow.version) {
            Ok(v) => v,
            Err(e) => {
                if renamed {
                    let _ = self.release_name(&new_index, flow.id.as_str());
                }
                return Err(conflict_as(&flow.name)(e));
            }
        };
        if renamed {
            self.release_name(&old_index, flow.id.as_str())?;
        }
        self.bump()?;
        Ok(version)
    }

    pub(super) fn remove_flow(&mut self, id: &FlowId) -> Result<(), VaultError> {
        let entry = self
            .kv
            .read(&key(id.as_str()))?
            .ok_or_else(|| VaultError::FlowNotFound(id.as_str().to_owned()))?;
        let flow = self.decode_flow(id.as_str(), &entry);
        if !flow.damaged {
            self.release_name(&self.flow_name_key(&flow.name), id.as_str())?;
        }
        self.kv.delete(&key(id.as_str()))?;
        self.bump()
    }

    pub(super) fn usage_of(&self, id: &ConnectionId) -> Result<Vec<Usage>, VaultError> {
        Ok(self
            .list_flows()?
            .into_iter()
            .flat_map(|f| {
                f.steps
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.connection.as_ref() == Some(id))
                    .map(|(i, _)| Usage {
                        flow: f.name.clone(),
                        position: i + 1,
                    })
                    .collect::<Vec<_>>()
            })
            .collect())
    }

    /// Clears a removed connection from every step that used it.
    pub(super) fn clear_from_flows(&self, id: &ConnectionId) -> Result<(), VaultError> {
        for mut flow in self.list_flows()? {
            if flow.damaged || !flow.steps.iter().any(|s| s.connection.as_ref() == Some(id)) {
                continue;
            }
            for step in &mut flow.steps {
                if step.connection.as_ref() == Some(id) {
                    step.connection = None;
                }
            }
            let record = self.sealed_flow(&flow, &flow.name)?;
            self.kv
                .write(&key(flow.id.as_str()), record, flow.version)
                .map_err(conflict_as(&flow.name))?;
        }
        Ok(())
    }
}
