//! The JSON shapes of the CLI, one typed struct each, as the README's "JSON
//! output" section documents them. Keys are the same in every language and,
//! as in every JSON object the CLI prints, in alphabetical order (fields are
//! declared in that order). What is shown in words (`detail`, a warning's
//! `message`) follows the language; codes and ids do not.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::actions::warnings;
use crate::catalog::{Action, Catalog, ConnectionNeed, Field, Method, Service};
use crate::locale::Locale;
use crate::present::labels::{action_name, detail, warning};
use crate::vault::audit::{AuditAction, AuditEntry, TargetKind};
use crate::vault::status::{Assessment, Status, assess_connection};
use crate::vault::{Connection, Flow, FlowStep, StoredConnection, TokenRecord};

use super::detail_code::detail_code;
use super::output::{MASK, rfc3339};

/// One element of `list --json`.
#[derive(Debug, Serialize)]
pub struct ListEntry<'a> {
    /// Why the connection is in its state, in the interface language.
    pub detail: String,
    /// The same, as an untranslated code (`missing:client_id`, `no_token`…).
    pub detail_code: String,
    pub expires_at: Option<String>,
    pub id: &'a str,
    /// Keys of the missing required fields.
    pub missing: &'a [String],
    /// Null when a damaged connection's name cannot be read.
    pub name: Option<&'a str>,
    pub service: Option<&'a str>,
    pub status: Status,
    pub updated_at: Option<String>,
}

/// The `list --json` element of one connection.
pub fn list_entry<'a>(
    stored: &'a StoredConnection,
    assessment: &'a Assessment,
    locale: &Locale,
    now: OffsetDateTime,
) -> ListEntry<'a> {
    let connection = match stored {
        StoredConnection::Intact(c) => Some(c),
        StoredConnection::Damaged(_) => None,
    };
    ListEntry {
        detail: detail(locale, connection, assessment, now),
        detail_code: detail_code(assessment),
        expires_at: assessment.expires_at.map(rfc3339),
        id: stored.id().as_str(),
        missing: &assessment.missing,
        name: stored.name(),
        service: connection.map(|c| c.service.as_str()),
        status: assessment.status,
        updated_at: connection.map(|c| rfc3339(c.updated_at)),
    }
}

/// `show --json`: the `list --json` keys of the connection and its own.
#[derive(Debug, Serialize)]
pub struct ShowEntry<'a> {
    pub created_at: String,
    pub detail: String,
    pub detail_code: String,
    pub expires_at: Option<String>,
    /// Every field of the method: its value, `••••••` for a secret not
    /// revealed, null when not set.
    pub fields: BTreeMap<&'a str, Option<&'a str>>,
    pub id: &'a str,
    pub method: &'a str,
    pub missing: Vec<String>,
    pub name: &'a str,
    /// The scope the current token was granted, if the server said.
    pub scope: Option<&'a str>,
    pub service: &'a str,
    pub status: Status,
    pub updated_at: String,
}

/// `show --json` of one connection; secrets masked unless `reveal`.
pub fn show_entry<'a>(
    c: &'a Connection,
    token: Option<&'a TokenRecord>,
    reveal: bool,
    locale: &Locale,
    now: OffsetDateTime,
) -> ShowEntry<'a> {
    let catalog = Catalog::embedded();
    let assessment = assess_connection(c, catalog, token, now);
    let method = catalog
        .service(&c.service)
        .and_then(|s| s.method(&c.method));
    let fields = method
        .map_or(&[][..], |m| &m.fields[..])
        .iter()
        .map(|f| {
            let value = match c.fields.get(&f.key) {
                Some(_) if f.secret && !reveal => Some(MASK),
                other => other,
            };
            (f.key.as_str(), value)
        })
        .collect();
    ShowEntry {
        created_at: rfc3339(c.created_at),
        detail: detail(locale, Some(c), &assessment, now),
        detail_code: detail_code(&assessment),
        expires_at: assessment.expires_at.map(rfc3339),
        fields,
        id: c.id.as_str(),
        method: &c.method,
        missing: assessment.missing,
        name: &c.name,
        scope: token
            .and_then(|t| t.token.as_ref())
            .and_then(|t| t.scope.as_deref()),
        service: &c.service,
        status: assessment.status,
        updated_at: rfc3339(c.updated_at),
    }
}

/// One element of `services --json`.
#[derive(Debug, Serialize)]
pub struct ServiceEntry<'a> {
    /// The first method's fields, for scripts that ignore methods.
    pub fields: Vec<FieldEntry<'a>>,
    pub id: &'a str,
    pub methods: Vec<MethodEntry<'a>>,
    pub name: &'a str,
}

/// One authentication method of a service.
#[derive(Debug, Serialize)]
pub struct MethodEntry<'a> {
    pub fields: Vec<FieldEntry<'a>>,
    pub id: &'a str,
    pub name: &'a str,
}

/// One field of a method or input of an action.
#[derive(Debug, Serialize)]
pub struct FieldEntry<'a> {
    /// Used when the field is left blank.
    pub default: Option<&'a str>,
    pub key: &'a str,
    pub label: &'a str,
    /// Longest value accepted, in characters.
    pub max_len: Option<usize>,
    pub required: bool,
    pub secret: bool,
}

impl<'a> FieldEntry<'a> {
    fn of(f: &'a Field) -> FieldEntry<'a> {
        FieldEntry {
            default: f.default.as_deref(),
            key: &f.key,
            label: &f.label,
            max_len: f.max_len,
            required: f.required,
            secret: f.secret,
        }
    }
}

fn field_entries(fields: &[Field]) -> Vec<FieldEntry<'_>> {
    fields.iter().map(FieldEntry::of).collect()
}

/// The `services --json` element of one service.
pub fn service_entry(s: &Service) -> ServiceEntry<'_> {
    ServiceEntry {
        fields: field_entries(&s.default_method().fields),
        id: &s.id,
        methods: s.methods.iter().map(method_entry).collect(),
        name: &s.name,
    }
}

fn method_entry(m: &Method) -> MethodEntry<'_> {
    MethodEntry {
        fields: field_entries(&m.fields),
        id: &m.id,
        name: &m.name,
    }
}

/// One element of `actions --json`.
#[derive(Debug, Serialize)]
pub struct ActionEntry<'a> {
    /// `required`, `optional` or `none`.
    pub connection: &'static str,
    pub id: &'a str,
    pub inputs: Vec<FieldEntry<'a>>,
    /// In the interface language.
    pub name: &'a str,
    /// Scopes the connection's token must carry.
    pub scopes: &'a [String],
    /// The service whose connection it uses.
    pub service: Option<&'a str>,
}

/// The `actions --json` element of one action.
pub fn action_entry<'a>(locale: &'a Locale, a: &'a Action) -> ActionEntry<'a> {
    ActionEntry {
        connection: match a.connection {
            ConnectionNeed::Required => "required",
            ConnectionNeed::Optional => "optional",
            ConnectionNeed::None => "none",
        },
        id: &a.id,
        inputs: field_entries(&a.inputs),
        name: action_name(locale, a),
        scopes: &a.scopes,
        service: a.service.as_deref(),
    }
}

/// One element of `flows list --json`.
#[derive(Debug, Serialize)]
pub struct FlowEntry<'a> {
    pub actions: Vec<FlowActionEntry<'a>>,
    /// A sealed value of the flow failed its integrity check.
    pub damaged: bool,
    pub id: &'a str,
    pub name: &'a str,
}

/// One action of a flow.
#[derive(Debug, Serialize)]
pub struct FlowActionEntry<'a> {
    /// The catalog id (`twilio.send_sms`).
    pub action: &'a str,
    pub connection: Option<ConnectionRef<'a>>,
    /// Input values; secret ones as `••••••`.
    pub inputs: BTreeMap<&'a str, &'a str>,
    /// The action's name in the interface language; null for an unknown action.
    pub name: Option<&'a str>,
    /// 1-based.
    pub position: usize,
    pub warnings: Vec<WarningEntry>,
}

/// The connection an action points at; `name` is null when it is gone or
/// unreadable.
#[derive(Debug, Serialize)]
pub struct ConnectionRef<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
}

/// Something that would stop an action from running.
#[derive(Debug, Serialize)]
pub struct WarningEntry {
    /// Untranslated (`no_connection`, `missing_input`…).
    pub code: &'static str,
    /// In the interface language.
    pub message: String,
}

/// The `flows list --json` element of one flow.
pub fn flow_entry<'a>(
    locale: &'a Locale,
    flow: &'a Flow,
    connections: &'a [StoredConnection],
    tokens: &'a std::collections::HashMap<crate::vault::ConnectionId, TokenRecord>,
) -> FlowEntry<'a> {
    let action = |(i, step): (usize, &'a FlowStep)| {
        let connection = step
            .connection
            .as_ref()
            .and_then(|id| connections.iter().find(|c| c.id() == id));
        let token = step.connection.as_ref().and_then(|id| tokens.get(id));
        FlowActionEntry {
            action: &step.action,
            connection: step.connection.as_ref().map(|id| ConnectionRef {
                id: id.as_str(),
                name: connection.and_then(|c| c.name()),
            }),
            inputs: shown_inputs(step),
            name: Catalog::embedded()
                .action(&step.action)
                .map(|a| action_name(locale, a)),
            position: i + 1,
            warnings: warnings(step, connection, token)
                .iter()
                .map(|w| WarningEntry {
                    code: w.code(),
                    message: warning(locale, &step.action, w),
                })
                .collect(),
        }
    };
    FlowEntry {
        actions: flow.steps.iter().enumerate().map(action).collect(),
        damaged: flow.damaged,
        id: flow.id.as_str(),
        name: &flow.name,
    }
}

/// Input values as shown: secrets masked.
fn shown_inputs(step: &FlowStep) -> BTreeMap<&str, &str> {
    let action = Catalog::embedded().action(&step.action);
    step.inputs
        .iter()
        .map(|(key, value)| {
            let secret = action.and_then(|a| a.input(key)).is_some_and(|f| f.secret);
            (key, if secret { MASK } else { value.expose() })
        })
        .collect()
}

/// One element of `audit --json`.
#[derive(Debug, Serialize)]
pub struct AuditJson<'a> {
    /// `add`, `edit`, `reveal`, `token_printed`, `refresh`… (untranslated).
    pub action: AuditAction,
    /// `user@host` for a file, the OpenBao entity or token name for OpenBao.
    pub actor: &'a str,
    pub at: String,
    /// A note that is never a secret: fields changed, host a run went to…
    pub detail: Option<&'a str>,
    /// Position in the trail, from 1, without gaps.
    pub seq: u64,
    pub target: Option<AuditTargetJson<'a>>,
}

/// The record an audit entry is about, with the name it had then.
#[derive(Debug, Serialize)]
pub struct AuditTargetJson<'a> {
    pub id: &'a str,
    /// `connection`, `flow` or `vault`.
    pub kind: TargetKind,
    pub name: &'a str,
}

/// The `audit --json` element of one entry.
pub fn audit_entry(entry: &AuditEntry) -> AuditJson<'_> {
    AuditJson {
        action: entry.event.action,
        actor: &entry.actor,
        at: rfc3339(entry.at),
        detail: entry.event.detail.as_deref(),
        seq: entry.seq,
        target: entry.event.target.as_ref().map(|t| AuditTargetJson {
            id: &t.id,
            kind: t.kind,
            name: &t.name,
        }),
    }
}

/// What `refresh` did for one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshOutcome {
    /// A new token was fetched and stored.
    Renewed,
    /// Nothing was sent: the stored token is still fresh.
    Fresh,
    Failed,
}

/// One element of `refresh --json`.
#[derive(Debug, Serialize)]
pub struct RefreshEntry {
    /// Why it failed, in the interface language; null unless `failed`.
    pub error: Option<String>,
    /// When the token now held expires; null if it does not or there is none.
    pub expires_at: Option<String>,
    pub id: String,
    pub name: String,
    pub outcome: RefreshOutcome,
}
