//! Flows: ordered actions, each pointing at a connection by id.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::model::{ConnectionId, Credentials};

/// Stable identity of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowId(String);

impl FlowId {
    /// A new random id.
    pub fn random() -> FlowId {
        FlowId(crate::vault::crypto::random_uuid().to_string())
    }

    /// Wraps an id read from storage.
    pub fn from_stored(id: String) -> FlowId {
        FlowId(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A named list of actions, run in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub id: FlowId,
    pub name: String,
    pub steps: Vec<FlowStep>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// A sealed value of this flow failed its integrity check; its steps are not shown.
    pub damaged: bool,
    /// The stored version this copy stands for (a new flow is saved as
    /// version 1); renames and step saves name it, and fail if another
    /// writer came first.
    pub version: i64,
}

/// One action of a flow, with its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStep {
    pub id: String,
    /// Catalog action id ("twilio.send_sms").
    pub action: String,
    /// The *Vault connection* setting: by id, so renames and edits reach every flow.
    pub connection: Option<ConnectionId>,
    /// Input values by key (some may be secret, so they are kept like credentials).
    pub inputs: Credentials,
}

impl Flow {
    /// A new, empty flow.
    pub fn new(name: impl Into<String>) -> Flow {
        Flow {
            id: FlowId::random(),
            name: name.into(),
            steps: Vec::new(),
            created_at: super::model::now(),
            damaged: false,
            version: 1,
        }
    }
}

impl FlowStep {
    /// A new step for an action.
    pub fn new(
        action: impl Into<String>,
        connection: Option<ConnectionId>,
        inputs: Credentials,
    ) -> FlowStep {
        FlowStep {
            id: crate::vault::crypto::random_uuid().to_string(),
            action: action.into(),
            connection,
            inputs,
        }
    }
}

/// Where a connection is used: flow name and 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub flow: String,
    pub position: usize,
}
