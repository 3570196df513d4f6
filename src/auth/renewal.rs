//! One renewal, in two halves around the HTTP request: take the lease and
//! build the grant; then store the token (or the failure) and give the lease back.

use std::time::Duration;

use time::OffsetDateTime;

use super::client::{GrantError, Granted};
use super::grant::{Grant, GrantSetupError};
use super::schedule::{after, backoff, random_unit, renew_at};
use crate::vault::{ConnectionId, RefreshState, Token, TokenRecord, VaultError, VaultStore};

/// How long a lease lasts if its holder dies mid-request (longer than a request may take).
pub const LEASE_TTL: Duration = Duration::from_secs(60);

/// What to do about a connection's token now.
#[derive(Debug)]
pub enum Begin {
    /// The lease is ours: send this grant, then call [`finish`] with `since`.
    Send {
        grant: Grant,
        name: String,
        /// When the credentials the grant was built from were last changed.
        since: OffsetDateTime,
    },
    /// The token is still fresh (perhaps another process just renewed it).
    Fresh(TokenRecord),
    /// Another holder is renewing it; look again shortly.
    Busy,
    /// It cannot be renewed as it is.
    Cannot(CannotRenew),
}

/// How a renewal ended.
#[derive(Debug)]
pub enum Finished {
    Renewed(Token),
    /// It failed; the still-valid token (if any) is kept.
    Failed {
        error: GrantError,
        state: RefreshState,
    },
    /// The credentials changed while the request was out; nothing was stored.
    Stale,
}

/// A unique lease holder name for this process.
pub fn holder_name() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        crate::vault::crypto::random_uuid().simple()
    )
}

/// Whether a record's token is usable and not yet due for renewal.
pub fn is_fresh(record: &TokenRecord, now: OffsetDateTime) -> bool {
    record
        .token
        .as_ref()
        .is_some_and(|t| t.is_valid_at(now) && renew_at(t, 0.0).is_none_or(|at| now < at))
}

/// Whether [`obtain`], not forced, would ask the token endpoint now: the
/// stored token is not fresh, and the credentials were not refused before
/// (then it uses a still-valid token as it is, or fails without asking).
pub fn would_fetch(record: &TokenRecord, now: OffsetDateTime) -> bool {
    !is_fresh(record, now) && !record.state.needs_new_credentials
}

/// First half: checks whether a renewal is needed and takes the lease.
/// `force` renews even a fresh token, and retries after a refusal of the credentials.
pub fn begin<V: VaultStore + ?Sized>(
    vault: &mut V,
    id: &ConnectionId,
    holder: &str,
    force: bool,
    now: OffsetDateTime,
) -> Result<Begin, VaultError> {
    let connection = vault.connection_by_id(id)?;
    let record = vault.token_record(id)?;
    if !force && is_fresh(&record, now) {
        return Ok(Begin::Fresh(record));
    }
    if !force && record.state.needs_new_credentials {
        return Ok(Begin::Cannot(CannotRenew::CredentialsRefused(
            record.state.last_error.clone().unwrap_or_default(),
        )));
    }
    let grant = match Grant::for_connection(&connection) {
        Ok(grant) => grant,
        Err(e) => return Ok(Begin::Cannot(CannotRenew::Setup(e))),
    };
    if !vault.try_lease(id, holder, LEASE_TTL)? {
        return Ok(Begin::Busy);
    }
    // Another process may have renewed it between our look and our lease.
    let record = vault.token_record(id)?;
    if !force && is_fresh(&record, now) {
        vault.release_lease(id, holder)?;
        return Ok(Begin::Fresh(record));
    }
    Ok(Begin::Send {
        grant,
        name: connection.name,
        since: connection.updated_at,
    })
}

/// Second half: stores the token (a rotated refresh token first, in the same
/// transaction) or the failure, and releases the lease. A failure never
/// removes a token.
pub fn finish<V: VaultStore + ?Sized>(
    vault: &mut V,
    id: &ConnectionId,
    holder: &str,
    since: OffsetDateTime,
    result: Result<Granted, GrantError>,
    now: OffsetDateTime,
) -> Result<Finished, VaultError> {
    let stored = store(vault, id, since, result, now);
    // The lease goes back whatever happened to the result.
    let released = vault.release_lease(id, holder);
    let finished = stored?;
    released?;
    Ok(finished)
}

fn store<V: VaultStore + ?Sized>(
    vault: &mut V,
    id: &ConnectionId,
    since: OffsetDateTime,
    result: Result<Granted, GrantError>,
    now: OffsetDateTime,
) -> Result<Finished, VaultError> {
    // Credentials edited while the request was out: its answer is about the
    // old ones, and must not overwrite the new (nor a pasted refresh token).
    if vault.connection_by_id(id)?.updated_at != since {
        return Ok(Finished::Stale);
    }
    Ok(match result {
        Ok(granted) => {
            vault.store_token(id, &granted.token, granted.rotated_refresh_token.as_ref())?;
            Finished::Renewed(granted.token)
        }
        Err(error) => {
            let previous = vault.token_record(id).map(|r| r.state).unwrap_or_default();
            let failures = previous.failures.saturating_add(1);
            let wait = backoff(failures, random_unit(), error.retry_after());
            let state = RefreshState {
                failures,
                next_attempt_at: Some(after(now, wait)),
                last_error: Some(error.short()),
                needs_new_credentials: error.needs_new_credentials(),
            };
            vault.store_refresh_state(id, &state)?;
            Finished::Failed { error, state }
        }
    })
}

/// Why a connection's token cannot be renewed as things are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CannotRenew {
    /// No grant can be built (static credentials, missing fields, bad endpoint).
    #[error("{0}")]
    Setup(GrantSetupError),
    /// The server refused these credentials before; the last error's code.
    #[error("the credentials were refused ({0}); edit them to try again")]
    CredentialsRefused(String),
    #[error("no token")]
    NoToken,
}

/// Why [`obtain`] has no token to give.
#[derive(Debug, thiserror::Error)]
pub enum ObtainError {
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Cannot(CannotRenew),
    #[error("{0}")]
    Grant(GrantError),
    #[error("another process held the renewal lease for too long")]
    BusyTooLong,
}

/// A usable token for a connection: the stored one while fresh, else renewed
/// now (waiting for another process's renewal instead of racing it). With
/// `force`, renews even a fresh token. If renewal fails but the stored token
/// is still valid, that token is returned with the error.
pub async fn obtain<V: VaultStore + ?Sized>(
    vault: &mut V,
    client: &super::client::TokenClient,
    id: &ConnectionId,
    holder: &str,
    force: bool,
) -> Result<(Token, Option<GrantError>), ObtainError> {
    let give_up = std::time::Instant::now() + LEASE_TTL;
    let mut force = force;
    loop {
        let now = crate::vault::now();
        match begin(vault, id, holder, force, now)? {
            Begin::Fresh(record) => {
                return record
                    .token
                    .map(|t| (t, None))
                    .ok_or(ObtainError::Cannot(CannotRenew::NoToken));
            }
            Begin::Cannot(reason) => {
                let record = vault.token_record(id)?;
                return match record.token.filter(|t| t.is_valid_at(now)) {
                    Some(token) => Ok((token, None)),
                    None => Err(ObtainError::Cannot(reason)),
                };
            }
            Begin::Busy if std::time::Instant::now() < give_up => {
                // The other holder's token will be visible once it is stored;
                // a forced renewal is satisfied by theirs.
                force = false;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Begin::Busy => return Err(ObtainError::BusyTooLong),
            Begin::Send { grant, since, .. } => {
                let result = client.request(&grant).await;
                return match finish(vault, id, holder, since, result, crate::vault::now())? {
                    // The credentials changed meanwhile: ask again with the new ones.
                    Finished::Stale => continue,
                    Finished::Renewed(token) => Ok((token, None)),
                    Finished::Failed { error, .. } => {
                        let record = vault.token_record(id)?;
                        match record.token.filter(|t| t.is_valid_at(crate::vault::now())) {
                            Some(token) => Ok((token, Some(error))),
                            None => Err(ObtainError::Grant(error)),
                        }
                    }
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::SecretValue;

    fn record(lifetime: time::Duration, age: time::Duration, refused: bool) -> TokenRecord {
        let now = crate::vault::now();
        TokenRecord {
            token: Some(Token {
                access_token: SecretValue::new("at".to_owned()),
                token_type: "Bearer".into(),
                scope: None,
                obtained_at: now - age,
                expires_at: Some(now - age + lifetime),
            }),
            state: RefreshState {
                needs_new_credentials: refused,
                ..RefreshState::default()
            },
            renewing: false,
        }
    }

    #[test]
    fn a_token_is_fetched_unless_a_fresh_one_is_held_or_the_credentials_were_refused() {
        let now = crate::vault::now();
        let hour = time::Duration::hours(1);
        let minute = time::Duration::minutes(1);
        // Fresh: used as it is.
        assert!(!would_fetch(&record(hour, minute, false), now));
        // None yet, expired, or due for renewal (valid, in its last tenth).
        assert!(would_fetch(&TokenRecord::default(), now));
        assert!(would_fetch(&record(hour, 2 * hour, false), now));
        assert!(would_fetch(&record(hour, hour - minute * 2, false), now));
        // Refused before: nothing is asked until the credentials change.
        assert!(!would_fetch(&record(hour, 2 * hour, true), now));
    }
}
