//! What state a connection is in, as the list and `list --json` show it.

use serde::Serialize;

use crate::catalog::{AuthKind, Catalog, Method};

use super::model::{Connection, StoredConnection};

/// The status words of CLI.md; one per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Required credentials are missing.
    Empty,
    /// Credentials present, no token fetched yet.
    Pending,
    /// Usable now.
    Ready,
    Refreshing,
    Failed,
    /// A sealed value failed its integrity check.
    Damaged,
}

impl Status {
    /// The word scripts read.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Empty => "empty",
            Status::Pending => "pending",
            Status::Ready => "ready",
            Status::Refreshing => "refreshing",
            Status::Failed => "failed",
            Status::Damaged => "damaged",
        }
    }
}

/// Why a connection is in its state, in words and in field keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// Labels of the missing required fields.
    Missing(Vec<String>),
    NoTokenYet,
    /// Static credentials of this kind of authentication.
    Static(AuthKind),
    UnknownService(String),
    IntegrityFailed,
}

/// A connection's status with what explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub status: Status,
    /// Keys of the missing required fields.
    pub missing: Vec<String>,
    pub detail: Detail,
}

/// Assesses a stored connection against the catalog.
pub fn assess(stored: &StoredConnection, catalog: &Catalog) -> Assessment {
    match stored {
        StoredConnection::Intact(c) => assess_connection(c, catalog),
        StoredConnection::Damaged(_) => Assessment {
            status: Status::Damaged,
            missing: Vec::new(),
            detail: Detail::IntegrityFailed,
        },
    }
}

/// Assesses an intact connection against the catalog.
pub fn assess_connection(c: &Connection, catalog: &Catalog) -> Assessment {
    let Some(method) = catalog
        .service(&c.service)
        .and_then(|s| s.method(&c.method))
    else {
        return Assessment {
            status: Status::Failed,
            missing: Vec::new(),
            detail: Detail::UnknownService(format!("{}/{}", c.service, c.method)),
        };
    };
    let missing = missing_fields(c, method);
    if !missing.is_empty() {
        let labels = missing
            .iter()
            .filter_map(|k| method.field(k))
            .map(|f| f.label.clone())
            .collect();
        return Assessment {
            status: Status::Empty,
            missing,
            detail: Detail::Missing(labels),
        };
    }
    if method.auth.uses_tokens() {
        return Assessment {
            status: Status::Pending,
            missing,
            detail: Detail::NoTokenYet,
        };
    }
    Assessment {
        status: Status::Ready,
        missing,
        detail: Detail::Static(method.auth),
    }
}

/// Keys of the required fields that have neither a value nor a default.
pub fn missing_fields(c: &Connection, method: &Method) -> Vec<String> {
    method
        .fields
        .iter()
        .filter(|f| f.required && c.fields.get(&f.key).is_none() && f.default.is_none())
        .map(|f| f.key.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Credentials;

    #[test]
    fn missing_required_fields_make_a_connection_empty() {
        let mut fields = Credentials::default();
        fields.set("domain", "t.auth0.com");
        let c = Connection::new("m", "auth0", "client_credentials", fields);
        let a = assess_connection(&c, Catalog::embedded());
        assert_eq!(a.status, Status::Empty);
        assert_eq!(a.missing, ["client_id", "client_secret"]);
        assert_eq!(
            a.detail,
            Detail::Missing(vec!["Client ID".into(), "Client Secret".into()])
        );
    }

    #[test]
    fn complete_token_connections_are_pending_and_static_ones_ready() {
        let mut fields = Credentials::default();
        fields.set("domain", "t.auth0.com");
        fields.set("client_id", "id");
        fields.set("client_secret", "s");
        let auth0 = Connection::new("m", "auth0", "client_credentials", fields);
        assert_eq!(
            assess_connection(&auth0, Catalog::embedded()).status,
            Status::Pending
        );
        let mut fields = Credentials::default();
        fields.set("api_key", "SG.x");
        let sg = Connection::new("s", "sendgrid", "api_key", fields);
        assert_eq!(
            assess_connection(&sg, Catalog::embedded()).status,
            Status::Ready
        );
    }
}
