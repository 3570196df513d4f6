//! The OpenBao store: its keys, sealing of records, the change mark, and
//! the `Store` traits, whose record work lives in the sibling modules.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::error::OpenBaoError;
use super::kv::Kv;
use super::location::OpenBaoLocation;
use crate::vault::audit::{
    AuditAction, AuditCheck, AuditEntry, AuditEvent, AuditQuery, AuditTarget, TargetKind,
    failure_detail, update_events,
};
use crate::vault::crypto::{NameHasher, SealContext, SealingKey, SecretKey, VAULT_ID_LEN};
use crate::vault::error::VaultError;
use crate::vault::flow::{Flow, FlowId, Usage};
use crate::vault::model::{Connection, ConnectionId, SecretValue, StoredConnection};
use crate::vault::store::{AuditLog, ChangeFeed, ChangeMark, Store, VaultStore};
use crate::vault::token::{RefreshState, Token, TokenRecord};

/// The version of the data key; bound into every sealed value.
const KEY_VERSION: u32 = 1;
/// The entry whose KV version is the change mark.
const CHANGES: &str = "changes";

/// An unlocked vault in OpenBao.
pub struct OpenBaoStore {
    pub(super) kv: Kv,
    location: OpenBaoLocation,
    vault_id: [u8; VAULT_ID_LEN],
    data_key: SecretKey,
    sealing: SealingKey,
    pub(super) names: NameHasher,
    pub(super) audit_key: SecretKey,
    /// Who this session is, for the audit trail.
    pub(super) actor: String,
    /// The audit seq to try next, once known (saves listing the trail).
    pub(super) audit_next: Option<u64>,
}

impl std::fmt::Debug for OpenBaoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenBaoStore")
            .field("location", &self.location.to_string())
            .finish_non_exhaustive()
    }
}

impl OpenBaoStore {
    pub(super) fn new(
        kv: Kv,
        location: OpenBaoLocation,
        vault_id: [u8; VAULT_ID_LEN],
        data_key: SecretKey,
        actor: String,
    ) -> OpenBaoStore {
        OpenBaoStore {
            kv,
            location,
            vault_id,
            sealing: SealingKey::new(&data_key.derive("flowvault/seal/v1"), KEY_VERSION),
            names: NameHasher::new(data_key.derive("flowvault/name-hash/v1")),
            audit_key: data_key.derive("flowvault/audit-chain/v1"),
            data_key,
            actor,
            audit_next: None,
        }
    }

    /// Seals `value` as JSON for `kind/id`, into the `{"sealed": base64}`
    /// shape every entry has.
    pub(super) fn seal<T: Serialize>(
        &self,
        kind: &str,
        id: &str,
        value: &T,
    ) -> Result<Value, VaultError> {
        let plain = Zeroizing::new(serde_json::to_vec(value).expect("records serialise"));
        let sealed = self.sealing.seal(&self.ctx(kind, id), &plain)?;
        Ok(json!({ "sealed": b64(&sealed) }))
    }

    /// Opens an entry sealed by [`Self::seal`]; `None` if it fails its check.
    pub(super) fn open<T: DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
        data: &Value,
    ) -> Option<T> {
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(data["sealed"].as_str()?)
            .ok()?;
        let plain = self.sealing.open(&self.ctx(kind, id), &sealed).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    fn ctx<'a>(&'a self, kind: &'a str, id: &'a str) -> SealContext<'a> {
        SealContext {
            vault_id: &self.vault_id,
            table: kind,
            row_id: id,
            column: "record",
        }
    }

    /// The keyed hash of a name, as a key segment.
    pub(super) fn name_key(&self, dir: &str, name: &str) -> String {
        format!("{dir}/{}", hex(&self.names.hash(name)))
    }

    /// Moves the change mark on: called after every write.
    pub(super) fn bump(&self) -> Result<(), VaultError> {
        self.kv.write_any(
            CHANGES,
            json!({ "at": time::OffsetDateTime::now_utc().unix_timestamp() }),
        )?;
        Ok(())
    }
}

/// A CAS failure as the file's "changed by someone else" error for `name`.
pub(super) fn conflict_as(name: &str) -> impl Fn(OpenBaoError) -> VaultError + '_ {
    move |e| match e {
        OpenBaoError::CasConflict { .. } => VaultError::Conflict(name.to_owned()),
        e => e.into(),
    }
}

pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Lower-case hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from lower-case hex.
pub(super) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl VaultStore for OpenBaoStore {
    fn connections(&self) -> Result<Vec<StoredConnection>, VaultError> {
        self.list_connections()
    }

    fn connection(&self, name: &str) -> Result<Connection, VaultError> {
        self.connection_by_name(name)
    }

    fn connection_id(&self, name_or_id: &str) -> Result<ConnectionId, VaultError> {
        self.find_connection_id(name_or_id)
    }

    fn connection_by_id(&self, id: &ConnectionId) -> Result<Connection, VaultError> {
        self.read_connection(id)
    }

    fn add_connection(&mut self, connection: &Connection) -> Result<(), VaultError> {
        self.add_connections(std::slice::from_ref(connection))
    }

    fn add_connections(&mut self, connections: &[Connection]) -> Result<(), VaultError> {
        self.insert_connections(connections)?;
        for connection in connections {
            self.record(AuditEvent::connection(AuditAction::Add, connection, None))?;
        }
        Ok(())
    }

    fn update_connection(&mut self, connection: &Connection) -> Result<i64, VaultError> {
        let before = self.read_connection(&connection.id).ok();
        let version = self.replace_connection(connection)?;
        for event in update_events(before.as_ref(), connection) {
            self.record(event)?;
        }
        Ok(version)
    }

    fn delete_connection(&mut self, id: &ConnectionId) -> Result<(), VaultError> {
        let target = self.connection_target(id);
        self.remove_connection(id)?;
        self.record(AuditEvent {
            action: AuditAction::Remove,
            target,
            detail: None,
        })
    }

    fn token_record(&self, id: &ConnectionId) -> Result<TokenRecord, VaultError> {
        self.read_token_record(id)
    }

    fn token_records(&self) -> Result<HashMap<ConnectionId, TokenRecord>, VaultError> {
        self.read_token_records()
    }

    fn store_token(
        &mut self,
        id: &ConnectionId,
        token: &Token,
        rotated_refresh_token: Option<&SecretValue>,
    ) -> Result<(), VaultError> {
        self.write_token(id, token, rotated_refresh_token)?;
        let target = self.connection_target(id);
        self.record(AuditEvent {
            action: AuditAction::Refresh,
            target,
            detail: None,
        })
    }

    fn store_refresh_state(
        &mut self,
        id: &ConnectionId,
        state: &RefreshState,
    ) -> Result<(), VaultError> {
        self.write_refresh_state(id, state)?;
        let target = self.connection_target(id);
        self.record(AuditEvent {
            action: AuditAction::Refresh,
            target,
            detail: Some(failure_detail(state)),
        })
    }

    fn try_lease(
        &mut self,
        id: &ConnectionId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, VaultError> {
        self.take_lease(id, holder, ttl)
    }

    fn release_lease(&mut self, id: &ConnectionId, holder: &str) -> Result<(), VaultError> {
        self.give_back_lease(id, holder)
    }

    fn flows(&self) -> Result<Vec<Flow>, VaultError> {
        self.list_flows()
    }

    fn flow(&self, name: &str) -> Result<Flow, VaultError> {
        self.flow_by_name(name)
    }

    fn add_flow(&mut self, flow: &Flow) -> Result<(), VaultError> {
        self.insert_flow(flow)?;
        self.record(AuditEvent::flow(AuditAction::FlowAdd, flow, None))
    }

    fn rename_flow(&mut self, flow: &Flow, name: &str) -> Result<i64, VaultError> {
        let version = self.write_flow(flow, Some(name))?;
        let renamed = Flow {
            name: name.to_owned(),
            ..flow.clone()
        };
        let detail = Some(format!("from {}", flow.name));
        self.record(AuditEvent::flow(AuditAction::FlowRename, &renamed, detail))?;
        Ok(version)
    }

    fn delete_flow(&mut self, id: &FlowId) -> Result<(), VaultError> {
        let flow = self.list_flows()?.into_iter().find(|f| &f.id == id);
        self.remove_flow(id)?;
        let target = flow.map(|f| AuditTarget {
            kind: TargetKind::Flow,
            id: f.id.as_str().to_owned(),
            name: f.name,
        });
        self.record(AuditEvent {
            action: AuditAction::FlowRemove,
            target,
            detail: None,
        })
    }

    fn save_steps(&mut self, flow: &Flow) -> Result<i64, VaultError> {
        let version = self.write_flow(flow, None)?;
        self.record(AuditEvent::flow(AuditAction::FlowEdit, flow, None))?;
        Ok(version)
    }

    fn connection_usage(&self, id: &ConnectionId) -> Result<Vec<Usage>, VaultError> {
        self.usage_of(id)
    }
}

impl ChangeFeed for OpenBaoStore {
    /// The KV version of `changes`, from its metadata: no record is read.
    fn change_mark(&self) -> Result<ChangeMark, VaultError> {
        Ok(ChangeMark(format!(
            "openbao:{}",
            self.kv.current_version(CHANGES)?
        )))
    }
}

impl OpenBaoStore {
    /// Appends the entry for a change just written. OpenBao has no
    /// transaction spanning two KV entries, so it follows the write: a
    /// failure here is reported, the change itself is kept.
    fn record(&mut self, event: AuditEvent) -> Result<(), VaultError> {
        self.append_entry(&event)
    }

    /// The entry target of a stored connection, by id and its current name.
    fn connection_target(&self, id: &ConnectionId) -> Option<AuditTarget> {
        let name = self.read_connection(id).map(|c| c.name).unwrap_or_default();
        Some(AuditTarget {
            kind: TargetKind::Connection,
            id: id.as_str().to_owned(),
            name,
        })
    }
}

impl AuditLog for OpenBaoStore {
    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), VaultError> {
        self.append_entry(event)
    }

    fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, VaultError> {
        self.query_entries(query)
    }

    fn verify_audit(&self) -> Result<AuditCheck, VaultError> {
        self.check_chain()
    }
}

impl Store for OpenBaoStore {
    fn location(&self) -> String {
        self.location.to_string()
    }

    /// Shares the client thread and its token; the keys are copied.
    fn reopen(&self) -> Result<Box<dyn Store>, VaultError> {
        Ok(Box::new(OpenBaoStore::new(
            self.kv.clone(),
            self.location.clone(),
            self.vault_id,
            self.data_key.clone(),
            self.actor.clone(),
        )))
    }

    /// Every connection opens and passes its integrity check.
    fn verify(&self) -> Result<(), VaultError> {
        for stored in self.list_connections()? {
            if let StoredConnection::Damaged(d) = stored {
                return Err(VaultError::Damaged {
                    id: d.id,
                    name: d.name,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex("0001abff").unwrap(), bytes);
        assert!(unhex("abc").is_none());
        assert!(unhex("zz").is_none());
    }
}
