//! Access tokens kept for connections, and the state of their renewal.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::model::SecretValue;

/// The longest a renewal lease may run: one renewal request's time with a
/// wide margin. A lease expiring later was not written by flowvault and is
/// ignored, so a planted one cannot stop renewals.
pub const MAX_LEASE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// An access token as granted, sealed in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub access_token: SecretValue,
    pub token_type: String,
    /// The scopes the server granted, space-separated.
    pub scope: Option<String>,
    /// When the request for it was sent (its lifetime counts from there).
    #[serde(with = "time::serde::rfc3339")]
    pub obtained_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl Token {
    /// Whether the token can still be used at `now`.
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }

    /// How long the token lives, if it expires.
    pub fn lifetime(&self) -> Option<Duration> {
        self.expires_at.map(|e| e - self.obtained_at)
    }

    /// Whether the granted scopes include `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|g| g == scope))
    }
}

/// How the last renewals of a connection went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshState {
    /// Failures in a row since the last success.
    pub failures: u32,
    /// When to try again after a failure.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// Why the last attempt failed, in words (never a secret).
    pub last_error: Option<String>,
    /// The server refused the credentials themselves: no retry until they change.
    pub needs_new_credentials: bool,
}

/// What the vault knows of a connection's token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub token: Option<Token>,
    pub state: RefreshState,
    /// Another handle (or process) holds the renewal lease right now.
    pub renewing: bool,
}
