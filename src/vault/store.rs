//! The storage interface of typed records, so another backend can replace SQLite.

use super::error::VaultError;
use std::collections::HashMap;
use std::time::Duration;

use super::flow::{Flow, FlowId, Usage};
use super::model::{Connection, ConnectionId, SecretValue, StoredConnection};
use super::token::{RefreshState, Token, TokenRecord};

/// Typed access to the vault's records; values arrive and leave in clear,
/// sealing is the backend's business.
pub trait VaultStore {
    /// Every connection, intact or damaged, oldest first.
    fn connections(&self) -> Result<Vec<StoredConnection>, VaultError>;

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
}
