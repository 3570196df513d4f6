//! The storage interface of typed records, so another backend can replace SQLite.

use super::error::VaultError;
use std::collections::HashMap;
use std::time::Duration;

use super::audit::{AuditCheck, AuditEntry, AuditEvent, AuditQuery};
use super::flow::{Flow, FlowId, Usage};
use super::model::{Connection, ConnectionId, SecretValue, StoredConnection};
use super::token::{RefreshState, Token, TokenRecord};

/// Typed access to the vault's records; values arrive and leave in clear,
/// sealing is the backend's business.
pub trait VaultStore {
    /// Every connection, intact or damaged, oldest first.
    fn connections(&self) -> Result<Vec<StoredConnection>, VaultError>;

    /// At least the oldest `limit` connections, oldest first, and how many
    /// there are in all: what a screen shows before the rest is read. A
    /// store that cannot read part of its connections returns them all.
    fn first_connections(
        &self,
        _limit: usize,
    ) -> Result<(Vec<StoredConnection>, usize), VaultError> {
        let all = self.connections()?;
        let total = all.len();
        Ok((all, total))
    }

    /// The connection with this name (case and spacing do not matter).
    fn connection(&self, name: &str) -> Result<Connection, VaultError>;

    /// The id of the connection with this name or id, even if it is damaged.
    fn connection_id(&self, name_or_id: &str) -> Result<ConnectionId, VaultError>;

    /// The connection with this id.
    fn connection_by_id(&self, id: &ConnectionId) -> Result<Connection, VaultError>;

    /// Adds a new connection, as version 1; its name must be unused.
    fn add_connection(&mut self, connection: &Connection) -> Result<(), VaultError>;

    /// Adds many connections in one transaction: all or none.
    fn add_connections(&mut self, connections: &[Connection]) -> Result<(), VaultError>;

    /// Replaces a connection's name, method and fields, if the stored
    /// connection is still at `connection.version`; returns the new version.
    /// If another writer came first: [`VaultError::Conflict`], nothing saved.
    fn update_connection(&mut self, connection: &Connection) -> Result<i64, VaultError>;

    /// Removes a connection.
    fn delete_connection(&mut self, id: &ConnectionId) -> Result<(), VaultError>;

    /// What is known of one connection's token; a damaged token is an error.
    fn token_record(&self, id: &ConnectionId) -> Result<TokenRecord, VaultError>;

    /// Token records of every connection that has one.
    fn token_records(&self) -> Result<HashMap<ConnectionId, TokenRecord>, VaultError>;

    /// Stores a new token (and a rotated refresh token first) in one transaction,
    /// resetting the renewal state.
    fn store_token(
        &mut self,
        id: &ConnectionId,
        token: &Token,
        rotated_refresh_token: Option<&SecretValue>,
    ) -> Result<(), VaultError>;

    /// Records a failed renewal; the token stays.
    fn store_refresh_state(
        &mut self,
        id: &ConnectionId,
        state: &RefreshState,
    ) -> Result<(), VaultError>;

    /// Takes the renewal lease unless another holder has an unexpired one.
    fn try_lease(
        &mut self,
        id: &ConnectionId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, VaultError>;

    /// Gives the renewal lease back.
    fn release_lease(&mut self, id: &ConnectionId, holder: &str) -> Result<(), VaultError>;

    /// Every flow with its steps, oldest first.
    fn flows(&self) -> Result<Vec<Flow>, VaultError>;

    /// The flow with this name.
    fn flow(&self, name: &str) -> Result<Flow, VaultError>;

    /// Adds a new flow, as version 1 (its steps are saved with
    /// [`VaultStore::save_steps`]).
    fn add_flow(&mut self, flow: &Flow) -> Result<(), VaultError>;

    /// Renames a flow still at `flow.version`; returns the new version.
    fn rename_flow(&mut self, flow: &Flow, name: &str) -> Result<i64, VaultError>;

    /// Deletes a flow and its steps.
    fn delete_flow(&mut self, id: &FlowId) -> Result<(), VaultError>;

    /// Replaces a flow's steps, in order, in one transaction, if the flow is
    /// still at `flow.version`; returns the new version.
    fn save_steps(&mut self, flow: &Flow) -> Result<i64, VaultError>;

    /// Where flows use a connection.
    fn connection_usage(&self, id: &ConnectionId) -> Result<Vec<Usage>, VaultError>;

    /// Writes a whole batch of records (an import). A vault file writes it
    /// in one transaction: all or none. This default, which OpenBao uses,
    /// writes record by record (its KV store has no transaction across
    /// keys): a failure part-way leaves the records before it written, and
    /// running the same import again completes it.
    fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), VaultError> {
        self.add_connections(&batch.added)?;
        for connection in &batch.updated {
            self.update_connection(connection)?;
        }
        for (id, token) in &batch.tokens {
            self.store_token(id, token, None)?;
        }
        for flow in &batch.added_flows {
            self.add_flow(flow)?;
            if !flow.steps.is_empty() {
                self.save_steps(flow)?;
            }
        }
        for flow in &batch.updated_flows {
            self.save_steps(flow)?;
        }
        Ok(())
    }
}

/// Records to write together, in this order: connections, then tokens
/// (which need their connection), then flows (whose steps name connections).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct RecordBatch {
    /// New connections, as version 1; their names and ids must be unused.
    pub added: Vec<Connection>,
    /// Connections to replace, each at its stored version (id kept).
    pub updated: Vec<Connection>,
    /// Tokens to store for connections of this batch.
    pub tokens: Vec<(ConnectionId, Token)>,
    /// New flows with their steps.
    pub added_flows: Vec<Flow>,
    /// Flows whose steps are replaced, each at its stored version.
    pub updated_flows: Vec<Flow>,
}

impl RecordBatch {
    /// Whether the batch writes nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.updated.is_empty()
            && self.tokens.is_empty()
            && self.added_flows.is_empty()
            && self.updated_flows.is_empty()
    }
}

/// A mark of the vault's state: two marks differ when a record was written
/// between them, by any process or machine (renewal leases and audit entries
/// alone, which no list shows, do not count).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeMark(pub String);

/// "What changed since": how live reload and the refresher notice writes
/// made elsewhere, cheaply (no record is read).
pub trait ChangeFeed {
    /// The vault's current mark.
    fn change_mark(&self) -> Result<ChangeMark, VaultError>;

    /// The new mark if anything was written since `mark`, else `None`.
    fn changed_since(&self, mark: &ChangeMark) -> Result<Option<ChangeMark>, VaultError> {
        let current = self.change_mark()?;
        Ok((&current != mark).then_some(current))
    }
}

/// The audit trail: appended to on every change and every use of a secret;
/// the store adds the time and who did it.
pub trait AuditLog {
    /// Appends one entry.
    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), VaultError>;

    /// The entries `query` selects, oldest first.
    fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, VaultError>;

    /// Checks that no entry was removed, altered or reordered.
    fn verify_audit(&self) -> Result<AuditCheck, VaultError>;
}

/// A whole vault, whatever its backend: what every command, the UI, the
/// refresher and runs work through.
pub trait Store: VaultStore + ChangeFeed + AuditLog + Send {
    /// Where the vault lives, for messages: a file path or an OpenBao URL.
    fn location(&self) -> String;

    /// A second handle on the same vault, for another thread.
    fn reopen(&self) -> Result<Box<dyn Store>, VaultError>;

    /// Checks every record against its integrity tag.
    fn verify(&self) -> Result<(), VaultError>;

    /// Frees what this handle keeps between reads (pages, prepared
    /// statements), for a thread whose heap should empty; the next read
    /// makes them again.
    fn shed_caches(&self) {}

    /// A one-shot command's hint: reading every connection may use a
    /// second thread. Not for a long-lived process, whose heap would keep
    /// the second thread's share of what it read.
    fn read_on_two_threads(&mut self) {}
}
