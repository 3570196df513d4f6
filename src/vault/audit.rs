//! The audit trail's entries: who did what to which connection or flow, and
//! when. An entry never holds a secret value.

use time::OffsetDateTime;

/// What was done. Every change and every use of a secret has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A connection was added.
    Add,
    /// A connection's fields or secrets were changed.
    Edit,
    /// A connection was renamed.
    Rename,
    /// A connection was removed.
    Remove,
    /// Secrets were shown on a screen (`show --reveal`, the UI's reveal).
    Reveal,
    /// A secret was copied to the clipboard.
    Copy,
    /// An access token was printed or handed to a program.
    TokenPrinted,
    /// A flow's requests were sent.
    RunSent,
    /// A token was fetched or renewed.
    Refresh,
    /// The vault's passphrase or key file was changed.
    Passwd,
    /// The vault's data key was replaced.
    Rekey,
    /// Records were copied to or from another vault.
    CopyVault,
    /// A flow was added.
    FlowAdd,
    /// A flow's actions were changed.
    FlowEdit,
    /// A flow was renamed.
    FlowRename,
    /// A flow was removed.
    FlowRemove,
    /// A field's value was printed by `get` (the detail names the field).
    SecretPrinted,
    /// Values were put in a program's environment by `exec` (the detail
    /// names the fields and the program).
    ExecEnv,
}

/// What kind of record an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Connection,
    Flow,
    Vault,
}

/// The record an entry is about, by id and by the name it had then.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditTarget {
    pub kind: TargetKind,
    pub id: String,
    pub name: String,
}

/// One event to record; the store adds when and who.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub target: Option<AuditTarget>,
    /// A short note that is never a secret: which fields changed, which host
    /// a run was sent to, why a renewal failed.
    pub detail: Option<String>,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Position in the trail, from 1, without gaps.
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `user@host` for the file, the OpenBao entity or token name for OpenBao.
    pub actor: String,
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries about this connection or flow id.
    pub target_id: Option<String>,
    /// Only entries at or after this time.
    pub since: Option<OffsetDateTime>,
    /// At most this many, the most recent.
    pub last: Option<usize>,
}

/// What checking the trail found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    /// Every entry is there, unaltered, in order.
    Intact { entries: u64 },
    /// The first entry found removed, altered or out of order.
    Broken { seq: u64, reason: String },
}

impl AuditEvent {
    /// An event about a connection, by its id and current name.
    pub fn connection(
        action: AuditAction,
        connection: &crate::vault::Connection,
        detail: Option<String>,
    ) -> AuditEvent {
        AuditEvent {
            action,
            target: Some(AuditTarget {
                kind: TargetKind::Connection,
                id: connection.id.as_str().to_owned(),
                name: connection.name.clone(),
            }),
            detail,
        }
    }

    /// An event about a flow, by its id and current name.
    pub fn flow(
        action: AuditAction,
        flow: &crate::vault::Flow,
        detail: Option<String>,
    ) -> AuditEvent {
        AuditEvent {
            action,
            target: Some(AuditTarget {
                kind: TargetKind::Flow,
                id: flow.id.as_str().to_owned(),
                name: flow.name.clone(),
            }),
            detail,
        }
    }
}

/// The entries an update of a connection makes: a rename (from the old
/// name), an edit naming the fields changed (never their values), or both.
pub(crate) fn update_events(
    before: Option<&crate::vault::Connection>,
    after: &crate::vault::Connection,
) -> Vec<AuditEvent> {
    let mut events = Vec::new();
    let renamed = before.filter(|b| b.name != after.name);
    if let Some(old) = renamed {
        let detail = format!("from {}", old.name);
        events.push(AuditEvent::connection(
            AuditAction::Rename,
            after,
            Some(detail),
        ));
    }
    let changed = before.map(|b| changed_fields(b, after)).unwrap_or_default();
    if changed.is_empty() && renamed.is_some() {
        return events;
    }
    let detail = (!changed.is_empty()).then(|| changed.join(", "));
    events.push(AuditEvent::connection(AuditAction::Edit, after, detail));
    events
}

/// What an edit changed, by field name (never a value).
fn changed_fields<'a>(
    before: &'a crate::vault::Connection,
    after: &'a crate::vault::Connection,
) -> Vec<&'a str> {
    let mut changed: Vec<&str> = Vec::new();
    if before.service != after.service {
        changed.push("service");
    }
    if before.method != after.method {
        changed.push("method");
    }
    let keys: std::collections::BTreeSet<&str> = before
        .fields
        .iter()
        .chain(after.fields.iter())
        .map(|(k, _)| k)
        .collect();
    for key in keys {
        if before.fields.get(key) != after.fields.get(key) {
            changed.push(key);
        }
    }
    changed
}

/// A failed renewal in an entry: its error code alone ("invalid_client",
/// "HTTP 500", "timeout"), never the server's description, which it wrote
/// and which may quote anything. The renewal state keeps the code first,
/// any words after it in parentheses (see `GrantError::short`).
pub(crate) fn failure_detail(state: &crate::vault::RefreshState) -> String {
    let words = state.last_error.as_deref().unwrap_or("?");
    let code = words.split(" (").next().unwrap_or(words);
    // A bad lifetime names the value sent: the code stops before it.
    let code = code.split(" with expires_in").next().unwrap_or(code);
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        .take(60)
        .collect();
    format!("failed: {}", code.trim())
}
