//! Tokens with their renewal state (`tokens/<id>`, sealed) and renewal
//! leases (`leases/<id>`, sealed), each written with check-and-set: across
//! machines exactly one takes a lease.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::OpenBaoError;
use super::store::{OpenBaoStore, conflict_as};
use crate::vault::error::VaultError;
use crate::vault::model::{ConnectionId, SecretValue};
use crate::vault::token::{MAX_LEASE, RefreshState, Token, TokenRecord};

const TOKENS: &str = "tokens";
const LEASES: &str = "leases";

/// A connection's token and how its renewals went.
#[derive(Serialize, Deserialize, Default)]
struct TokenEntry {
    token: Option<Token>,
    state: RefreshState,
}

/// Who renews a connection's token, until when (unix seconds).
#[derive(Serialize, Deserialize)]
struct Lease {
    holder: String,
    expires_at: i64,
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Lease {
    /// Held by someone until later than now, and not planted beyond the
    /// longest lease flowvault grants.
    fn is_live(&self) -> bool {
        let now = unix_now();
        !self.holder.is_empty()
            && self.expires_at > now
            && self.expires_at <= now.saturating_add(MAX_LEASE.as_secs() as i64)
    }
}

impl OpenBaoStore {
    /// Drops a connection's token and renewal state.
    pub(super) fn forget_token(&self, id: &ConnectionId) -> Result<(), VaultError> {
        Ok(self.kv.delete(&format!("{TOKENS}/{}", id.as_str()))?)
    }

    fn token_entry(&self, id: &str, data: &serde_json::Value) -> Option<TokenEntry> {
        self.open(TOKENS, id, data)
    }

    fn lease_is_live(&self, id: &str, data: &serde_json::Value) -> bool {
        self.open::<Lease>(LEASES, id, data)
            .is_some_and(|l| l.is_live())
    }

    pub(super) fn read_token_record(&self, id: &ConnectionId) -> Result<TokenRecord, VaultError> {
        let keys = [
            format!("{TOKENS}/{}", id.as_str()),
            format!("{LEASES}/{}", id.as_str()),
        ];
        let mut answers = self.kv.read_many(&keys).into_iter();
        let token = answers.next().expect("two answers")?;
        let lease = answers.next().expect("two answers")?;
        let entry = match token {
            Some(e) => {
                self.token_entry(id.as_str(), &e.data)
                    .ok_or_else(|| VaultError::Damaged {
                        id: id.clone(),
                        name: None,
                    })?
            }
            None => TokenEntry::default(),
        };
        Ok(TokenRecord {
            token: entry.token,
            state: entry.state,
            renewing: lease.is_some_and(|l| self.lease_is_live(id.as_str(), &l.data)),
        })
    }

    /// Every token record; a damaged token is left out.
    pub(super) fn read_token_records(
        &self,
    ) -> Result<HashMap<ConnectionId, TokenRecord>, VaultError> {
        let tokens = self.kv.list(TOKENS)?;
        let leases = self.kv.list(LEASES)?;
        let keys: Vec<String> = tokens
            .iter()
            .map(|id| format!("{TOKENS}/{id}"))
            .chain(leases.iter().map(|id| format!("{LEASES}/{id}")))
            .collect();
        let mut answers = self.kv.read_many(&keys).into_iter();
        let mut out: HashMap<ConnectionId, TokenRecord> = HashMap::new();
        for id in &tokens {
            if let Some(entry) = answers.next().expect("one answer per key")?
                && let Some(t) = self.token_entry(id, &entry.data)
            {
                let record = out
                    .entry(ConnectionId::from_stored(id.clone()))
                    .or_default();
                record.token = t.token;
                record.state = t.state;
            }
        }
        for id in &leases {
            if let Some(entry) = answers.next().expect("one answer per key")?
                && self.lease_is_live(id, &entry.data)
            {
                out.entry(ConnectionId::from_stored(id.clone()))
                    .or_default()
                    .renewing = true;
            }
        }
        Ok(out)
    }

    /// Writes a token entry over the version read; a racing writer is a conflict.
    fn put_token_entry(
        &self,
        id: &ConnectionId,
        update: impl FnOnce(TokenEntry) -> TokenEntry,
    ) -> Result<(), VaultError> {
        let key = format!("{TOKENS}/{}", id.as_str());
        let current = self.kv.read(&key)?;
        let (version, entry) = match current {
            Some(e) => (
                e.version,
                self.token_entry(id.as_str(), &e.data).unwrap_or_default(),
            ),
            None => (0, TokenEntry::default()),
        };
        let sealed = self.seal(TOKENS, id.as_str(), &update(entry))?;
        self.kv
            .write(&key, sealed, version)
            .map_err(conflict_as(id.as_str()))?;
        Ok(())
    }

    /// Stores a new token, a rotated refresh token first; the renewal state
    /// is reset. Two entries: the connection, then the token.
    pub(super) fn write_token(
        &mut self,
        id: &ConnectionId,
        token: &Token,
        rotated_refresh_token: Option<&SecretValue>,
    ) -> Result<(), VaultError> {
        if let Some(rotated) = rotated_refresh_token {
            let mut connection = self.read_connection(id)?;
            connection.fields.set("refresh_token", rotated.expose());
            let record_key = format!("connections/{}", id.as_str());
            let added = self.added_of(id)?;
            let record = self.sealed_record(&connection, &connection.name, added)?;
            self.kv
                .write(&record_key, record, connection.version)
                .map_err(conflict_as(&connection.name))?;
        }
        self.put_token_entry(id, |_| TokenEntry {
            token: Some(token.clone()),
            state: RefreshState::default(),
        })?;
        self.bump()
    }

    /// Records a failed renewal; the token stays.
    pub(super) fn write_refresh_state(
        &mut self,
        id: &ConnectionId,
        state: &RefreshState,
    ) -> Result<(), VaultError> {
        if self
            .kv
            .current_version(&format!("connections/{}", id.as_str()))?
            == 0
        {
            return Err(VaultError::IdNotFound(id.clone()));
        }
        self.put_token_entry(id, |entry| TokenEntry {
            token: entry.token,
            state: state.clone(),
        })?;
        self.bump()
    }

    /// Takes the lease unless another holder has a live one; the write
    /// checks-and-sets the version read, so of two racing takers one wins.
    pub(super) fn take_lease(
        &mut self,
        id: &ConnectionId,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, VaultError> {
        let key = format!("{LEASES}/{}", id.as_str());
        let (version, current) = match self.kv.read(&key)? {
            Some(e) => (e.version, self.open::<Lease>(LEASES, id.as_str(), &e.data)),
            None => (0, None),
        };
        if current.is_some_and(|l| l.holder != holder && l.is_live()) {
            return Ok(false);
        }
        let lease = Lease {
            holder: holder.to_owned(),
            expires_at: unix_now().saturating_add(ttl.min(MAX_LEASE).as_secs() as i64),
        };
        let sealed = self.seal(LEASES, id.as_str(), &lease)?;
        match self.kv.write(&key, sealed, version) {
            Ok(_) => Ok(true),
            Err(OpenBaoError::CasConflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives the lease back if `holder` still has it (an expired lease is
    /// written, keeping the entry's versions counting up).
    pub(super) fn give_back_lease(
        &mut self,
        id: &ConnectionId,
        holder: &str,
    ) -> Result<(), VaultError> {
        let key = format!("{LEASES}/{}", id.as_str());
        let Some(entry) = self.kv.read(&key)? else {
            return Ok(());
        };
        let held = self
            .open::<Lease>(LEASES, id.as_str(), &entry.data)
            .is_some_and(|l| l.holder == holder);
        if !held {
            return Ok(());
        }
        let released = Lease {
            holder: String::new(),
            expires_at: 0,
        };
        let sealed = self.seal(LEASES, id.as_str(), &released)?;
        match self.kv.write(&key, sealed, entry.version) {
            // Someone else took it meanwhile: theirs now.
            Ok(_) | Err(OpenBaoError::CasConflict { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
