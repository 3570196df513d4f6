//! What state a connection is in, as the list and `list --json` show it.

use serde::Serialize;

use time::OffsetDateTime;

use crate::catalog::{AuthKind, Catalog, Method};

use super::model::{Connection, StoredConnection};
use super::token::TokenRecord;

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
    TokenExpired,
    /// A usable token; with why its last renewal failed, if it did.
    TokenValid {
        expires_at: Option<OffsetDateTime>,
        renewal_failed: Option<String>,
    },
    /// A renewal is in flight (here or in another process).
    Renewing,
    /// The first token is being fetched: there was never one to renew.
    Fetching,
    /// No usable token and the last renewal failed.
    RenewalFailed {
        reason: String,
        needs_new_credentials: bool,
    },
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
    /// When the current token expires, for services with expiring tokens.
    pub expires_at: Option<OffsetDateTime>,
}

/// How a status reads at a glance: fine, needs a look, or broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warning,
    Bad,
}

impl Assessment {
    /// Usable but not fine (a renewal refused while the token still works)
    /// is a warning, never a plain "ready".
    pub fn tone(&self) -> Tone {
        match (self.status, &self.detail) {
            (
                Status::Ready | Status::Refreshing,
                Detail::TokenValid {
                    renewal_failed: Some(_),
                    ..
                },
            ) => Tone::Warning,
            (Status::Ready, _) => Tone::Good,
            (Status::Empty | Status::Pending | Status::Refreshing, _) => Tone::Warning,
            (Status::Failed | Status::Damaged, _) => Tone::Bad,
        }
    }

    fn new(status: Status, detail: Detail) -> Assessment {
        Assessment {
            status,
            missing: Vec::new(),
            detail,
            expires_at: None,
        }
    }
}

/// Assesses a stored connection against the catalog and what is known of its token.
pub fn assess(
    stored: &StoredConnection,
    catalog: &Catalog,
    token: Option<&TokenRecord>,
    now: OffsetDateTime,
) -> Assessment {
    match stored {
        StoredConnection::Intact(c) => assess_connection(c, catalog, token, now),
        StoredConnection::Damaged(_) => Assessment::new(Status::Damaged, Detail::IntegrityFailed),
    }
}

/// Assesses an intact connection.
pub fn assess_connection(
    c: &Connection,
    catalog: &Catalog,
    token: Option<&TokenRecord>,
    now: OffsetDateTime,
) -> Assessment {
    let Some(method) = catalog
        .service(&c.service)
        .and_then(|s| s.method(&c.method))
    else {
        return Assessment::new(
            Status::Failed,
            Detail::UnknownService(format!("{}/{}", c.service, c.method)),
        );
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
            expires_at: None,
        };
    }
    if !method.auth.uses_tokens() {
        return Assessment::new(Status::Ready, Detail::Static(method.auth));
    }
    let empty = TokenRecord::default();
    let record = token.unwrap_or(&empty);
    let valid = record.token.as_ref().filter(|t| t.is_valid_at(now));
    let failure = (record.state.failures > 0 || record.state.needs_new_credentials)
        .then(|| record.state.last_error.clone().unwrap_or_default());
    let mut assessment = match (valid, record.renewing) {
        (Some(t), renewing) => Assessment::new(
            if renewing {
                Status::Refreshing
            } else {
                Status::Ready
            },
            Detail::TokenValid {
                expires_at: t.expires_at,
                renewal_failed: failure,
            },
        ),
        (None, true) if record.token.is_none() => {
            Assessment::new(Status::Refreshing, Detail::Fetching)
        }
        (None, true) => Assessment::new(Status::Refreshing, Detail::Renewing),
        (None, false) => match failure {
            Some(reason) => Assessment::new(
                Status::Failed,
                Detail::RenewalFailed {
                    reason,
                    needs_new_credentials: record.state.needs_new_credentials,
                },
            ),
            None if record.token.is_some() => {
                Assessment::new(Status::Pending, Detail::TokenExpired)
            }
            None => Assessment::new(Status::Pending, Detail::NoTokenYet),
        },
    };
    assessment.expires_at = record.token.as_ref().and_then(|t| t.expires_at);
    assessment
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
    use crate::vault::{Credentials, RefreshState, SecretValue, Token};

    fn auth0() -> Connection {
        let mut fields = Credentials::default();
        fields.set("domain", "t.auth0.com");
        fields.set("client_id", "id");
        fields.set("client_secret", "s");
        Connection::new("m", "auth0", "client_credentials", fields)
    }

    fn valid_token(now: OffsetDateTime) -> Token {
        Token {
            access_token: SecretValue::new("t"),
            token_type: "Bearer".into(),
            scope: None,
            obtained_at: now,
            expires_at: Some(now + time::Duration::hours(1)),
        }
    }

    #[test]
    fn a_refused_renewal_of_a_valid_token_is_a_warning() {
        let now = crate::vault::now();
        let record = TokenRecord {
            token: Some(valid_token(now)),
            state: RefreshState {
                failures: 1,
                last_error: Some("access_denied".into()),
                ..RefreshState::default()
            },
            ..TokenRecord::default()
        };
        let a = assess_connection(&auth0(), Catalog::embedded(), Some(&record), now);
        assert_eq!(a.status, Status::Ready);
        assert_eq!(a.tone(), Tone::Warning);
        let fine = TokenRecord {
            token: Some(valid_token(now)),
            ..TokenRecord::default()
        };
        let a = assess_connection(&auth0(), Catalog::embedded(), Some(&fine), now);
        assert_eq!(a.tone(), Tone::Good);
    }

    #[test]
    fn a_first_fetch_is_fetching_not_renewing() {
        let now = crate::vault::now();
        let first = TokenRecord {
            renewing: true,
            ..TokenRecord::default()
        };
        let a = assess_connection(&auth0(), Catalog::embedded(), Some(&first), now);
        assert_eq!(a.detail, Detail::Fetching);
        let mut expired = valid_token(now);
        expired.expires_at = Some(now - time::Duration::minutes(1));
        let again = TokenRecord {
            token: Some(expired),
            renewing: true,
            ..TokenRecord::default()
        };
        let a = assess_connection(&auth0(), Catalog::embedded(), Some(&again), now);
        assert_eq!(a.detail, Detail::Renewing);
    }

    #[test]
    fn missing_required_fields_make_a_connection_empty() {
        let mut fields = Credentials::default();
        fields.set("domain", "t.auth0.com");
        let c = Connection::new("m", "auth0", "client_credentials", fields);
        let a = assess_connection(&c, Catalog::embedded(), None, crate::vault::now());
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
            assess_connection(&auth0, Catalog::embedded(), None, crate::vault::now()).status,
            Status::Pending
        );
        let mut fields = Credentials::default();
        fields.set("api_key", "SG.x");
        let sg = Connection::new("s", "sendgrid", "api_key", fields);
        assert_eq!(
            assess_connection(&sg, Catalog::embedded(), None, crate::vault::now()).status,
            Status::Ready
        );
    }
}
