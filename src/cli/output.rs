//! How connections are printed: status details in words and the JSON shapes.

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::catalog::{AuthKind, Catalog};
use crate::vault::status::{Assessment, Detail, assess};
use crate::vault::{Connection, StoredConnection};

use super::fields::effective_value;

/// What secret values look like when not revealed.
pub const MASK: &str = "••••••";

/// The short detail of a connection in words ("missing: Client Secret").
pub fn detail_text(detail: &Detail) -> String {
    match detail {
        Detail::Missing(labels) => format!("missing: {}", labels.join(", ")),
        Detail::NoTokenYet => "no token fetched yet".into(),
        Detail::Static(kind) => match kind {
            AuthKind::Webhook => "webhook".into(),
            AuthKind::Basic => "basic auth".into(),
            AuthKind::Bearer => "bearer token".into(),
            AuthKind::KeyPair => "key pair".into(),
            AuthKind::JwtLocal => "signs locally".into(),
            AuthKind::ServiceAccount => "service account key".into(),
            _ => "static key".into(),
        },
        Detail::UnknownService(s) => format!("unknown service {s}"),
        Detail::IntegrityFailed => "integrity check failed: stored values were altered".into(),
    }
}

/// One element of `list --json`.
pub fn list_entry(stored: &StoredConnection, assessment: &Assessment) -> Value {
    let (service, updated_at) = match stored {
        StoredConnection::Intact(c) => (Some(c.service.as_str()), Some(rfc3339(c.updated_at))),
        StoredConnection::Damaged(_) => (None, None),
    };
    json!({
        "id": stored.id().as_str(),
        "name": stored.name(),
        "service": service,
        "status": assessment.status.as_str(),
        "missing": assessment.missing,
        "expires_at": Value::Null,
        "detail": detail_text(&assessment.detail),
        "updated_at": updated_at,
    })
}

/// `show --json` of one connection; secrets masked unless `reveal`.
pub fn show_json(c: &Connection, reveal: bool) -> Value {
    let catalog = Catalog::embedded();
    let assessment = assess(&StoredConnection::Intact(c.clone()), catalog);
    let method = catalog
        .service(&c.service)
        .and_then(|s| s.method(&c.method));
    let mut fields = serde_json::Map::new();
    if let Some(method) = method {
        for f in &method.fields {
            let value = match c.fields.get(&f.key) {
                Some(_) if f.secret && !reveal => Value::from(MASK),
                Some(v) => Value::from(v),
                None => Value::Null,
            };
            fields.insert(f.key.clone(), value);
        }
    }
    let mut entry = list_entry(&StoredConnection::Intact(c.clone()), &assessment);
    entry["method"] = Value::from(c.method.as_str());
    entry["created_at"] = Value::from(rfc3339(c.created_at));
    entry["fields"] = Value::Object(fields);
    entry
}

/// Text lines of `show`: one field a line, secrets masked unless `reveal`.
pub fn show_text(c: &Connection, reveal: bool) -> Vec<String> {
    let catalog = Catalog::embedded();
    let assessment = assess(&StoredConnection::Intact(c.clone()), catalog);
    let service = catalog.service(&c.service);
    let mut lines = vec![
        format!("{:<16} {}", "Name", c.name),
        format!(
            "{:<16} {}",
            "Service",
            service.map_or(c.service.as_str(), |s| s.name.as_str())
        ),
        format!(
            "{:<16} {} ({})",
            "Status",
            assessment.status.as_str(),
            detail_text(&assessment.detail)
        ),
        format!("{:<16} {}", "Id", c.id),
    ];
    if let Some(method) = service.and_then(|s| s.method(&c.method)) {
        if service.is_some_and(|s| s.methods.len() > 1) {
            lines.push(format!("{:<16} {}", "Method", method.name));
        }
        for f in &method.fields {
            let value = match (c.fields.get(&f.key), f.secret && !reveal) {
                (Some(_), true) => MASK.to_owned(),
                (Some(v), false) => v.to_owned(),
                (None, _) => match effective_value(method, &c.fields, &f.key) {
                    Some(default) => format!("(default: {default})"),
                    None if f.required => "(missing)".to_owned(),
                    None => "(not set)".to_owned(),
                },
            };
            lines.push(format!("{:<16} {}", f.label, value));
        }
    }
    lines.push(format!("{:<16} {}", "Updated", rfc3339(c.updated_at)));
    lines
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("UTC times format as RFC 3339")
}
