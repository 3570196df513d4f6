//! The export document: typed, versioned, built from a store.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::PortingError;
use crate::vault::flow::{Flow, FlowId};
use crate::vault::model::{Connection, ConnectionId, Credentials, StoredConnection};
use crate::vault::store::VaultStore;
use crate::vault::token::Token;

/// The document's `format` value.
pub const FORMAT: &str = "flowvault-export";
/// The version this flowvault writes and reads.
pub const VERSION: u32 = 1;

/// A whole vault: what `export` seals and `import` merges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportDocument {
    pub format: String,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    pub connections: Vec<ExportedConnection>,
    pub flows: Vec<ExportedFlow>,
}

/// One connection with every field, secrets included, and its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedConnection {
    pub id: ConnectionId,
    pub name: String,
    pub service: String,
    pub method: String,
    pub fields: Credentials,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The access token last granted, if any.
    pub token: Option<Token>,
}

impl ExportedConnection {
    /// `connection` as the document carries it, with its token.
    pub fn of(connection: Connection, token: Option<Token>) -> ExportedConnection {
        ExportedConnection {
            id: connection.id,
            name: connection.name,
            service: connection.service,
            method: connection.method,
            fields: connection.fields,
            created_at: connection.created_at,
            updated_at: connection.updated_at,
            token,
        }
    }
}

/// One flow and its actions in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedFlow {
    pub id: FlowId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub steps: Vec<ExportedStep>,
}

/// One action of a flow; `connection` is an id of this document's connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedStep {
    pub action: String,
    pub connection: Option<ConnectionId>,
    pub inputs: Credentials,
}

/// Reads every connection, token and flow of `store`; a damaged record
/// stops the export rather than leave it out unsaid.
pub fn build_document(store: &dyn VaultStore) -> Result<ExportDocument, PortingError> {
    let mut tokens = store.token_records()?;
    let mut connections = Vec::new();
    for stored in store.connections()? {
        let c = match stored {
            StoredConnection::Intact(c) => c,
            StoredConnection::Damaged(d) => {
                return Err(PortingError::DamagedRecord(match d.name {
                    Some(name) => format!("connection “{name}”"),
                    None => format!("connection {}", d.id),
                }));
            }
        };
        let token = tokens.remove(&c.id).and_then(|r| r.token);
        connections.push(ExportedConnection::of(c, token));
    }
    let flows = store
        .flows()?
        .into_iter()
        .map(exported_flow)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ExportDocument {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at: crate::vault::now(),
        connections,
        flows,
    })
}

fn exported_flow(flow: Flow) -> Result<ExportedFlow, PortingError> {
    if flow.damaged {
        return Err(PortingError::DamagedRecord(format!("flow “{}”", flow.name)));
    }
    Ok(ExportedFlow {
        id: flow.id,
        name: flow.name,
        created_at: flow.created_at,
        steps: flow
            .steps
            .into_iter()
            .map(|s| ExportedStep {
                action: s.action,
                connection: s.connection,
                inputs: s.inputs,
            })
            .collect(),
    })
}
