//! What keeps a flow's action from running, for the pane and `flows list --json`.

use crate::catalog::{Catalog, ConnectionNeed, FieldError};
use crate::vault::status::{Status, assess_connection};
use crate::vault::{FlowStep, StoredConnection, TokenRecord, now};

/// One reason an action may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    UnknownAction(String),
    NoConnection,
    /// The connection is gone or failed its integrity check.
    ConnectionUnusable,
    WrongService,
    /// The connection is empty; labels of the missing fields.
    EmptyConnection(Vec<String>),
    /// The connection's token was granted without this scope.
    MissingScope(String),
    /// The connection has no usable token and its renewal failed.
    TokenFailed(String),
    Input(FieldError),
}

impl Warning {
    /// A stable word for scripts (`flows list --json`).
    pub fn code(&self) -> &'static str {
        match self {
            Warning::UnknownAction(_) => "unknown_action",
            Warning::NoConnection => "no_connection",
            Warning::ConnectionUnusable => "connection_unusable",
            Warning::WrongService => "wrong_service",
            Warning::EmptyConnection(_) => "empty_connection",
            Warning::MissingScope(_) => "missing_scope",
            Warning::TokenFailed(_) => "token_failed",
            Warning::Input(_) => "invalid_input",
        }
    }
}

/// Everything that keeps `step` from running, given its connection (if it
/// has one and it was found) and that connection's token record.
pub fn warnings(
    step: &FlowStep,
    connection: Option<&StoredConnection>,
    token: Option<&TokenRecord>,
) -> Vec<Warning> {
    let catalog = Catalog::embedded();
    let Some(action) = catalog.action(&step.action) else {
        return vec![Warning::UnknownAction(step.action.clone())];
    };
    let mut out = Vec::new();
    match (step.connection.as_ref(), connection) {
        (None, _) if action.connection == ConnectionNeed::Required => {
            out.push(Warning::NoConnection);
        }
        (None, _) => {}
        (Some(_), None | Some(StoredConnection::Damaged(_))) => {
            out.push(Warning::ConnectionUnusable);
        }
        (Some(_), Some(StoredConnection::Intact(c))) => {
            if !action.accepts(&c.service, &c.method) {
                out.push(Warning::WrongService);
            }
            let assessment = assess_connection(c, catalog, token, now());
            if assessment.status == Status::Empty {
                let method = catalog
                    .service(&c.service)
                    .and_then(|s| s.method(&c.method));
                let labels = assessment
                    .missing
                    .iter()
                    .map(|k| {
                        method
                            .and_then(|m| m.field(k))
                            .map_or(k.clone(), |f| f.label.clone())
                    })
                    .collect();
                out.push(Warning::EmptyConnection(labels));
            }
            if assessment.status == Status::Failed
                && let Some(reason) = token.and_then(|t| t.state.last_error.clone())
            {
                out.push(Warning::TokenFailed(reason));
            }
            if let Some(granted) = token.and_then(|t| t.token.as_ref()) {
                for scope in action.scopes.iter().filter(|s| !granted.has_scope(s)) {
                    out.push(Warning::MissingScope(scope.clone()));
                }
            }
        }
    }
    if let Err(e) = super::request::check_inputs(action, &step.inputs) {
        out.push(Warning::Input(e));
    }
    out
}
