//! Connections in KV: `connections/<id>` sealed, `names/<hash>` → id
//! created with cas=0, so two machines cannot add the same name.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::error::OpenBaoError;
use super::kv::Entry;
use super::store::{OpenBaoStore, conflict_as};
use crate::vault::error::VaultError;
use crate::vault::model::{
    Connection, ConnectionId, Credentials, DamagedConnection, StoredConnection, canonical_name,
};

const KIND: &str = "connections";
const NAMES: &str = "names";
/// How old a name claim without its record must be to be taken over.
const ORPHAN_AGE: time::Duration = time::Duration::minutes(2);

/// A connection's sealed record (its version is the KV version).
#[derive(Serialize, Deserialize)]
struct Record {
    name: String,
    service: String,
    method: String,
    fields: Credentials,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    /// When it was added, in nanoseconds: orders connections added within
    /// the same second (the times above are kept to the second).
    #[serde(default)]
    added: i64,
}

/// Now, in nanoseconds since 1970 (fits an i64 until 2262).
fn now_nanos() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

fn key(id: &str) -> String {
    format!("{KIND}/{id}")
}

impl OpenBaoStore {
    fn decode(&self, id: &str, entry: &Entry) -> StoredConnection {
        self.decode_ordered(id, entry).0
    }

    /// The connection, and when it was added (0 if unknown).
    fn decode_ordered(&self, id: &str, entry: &Entry) -> (StoredConnection, i64) {
        let id_owned = ConnectionId::from_stored(id.to_owned());
        let record = self.open::<Record>(KIND, id, &entry.data);
        let added = record.as_ref().map_or(0, |r| r.added);
        let connection = match record {
            Some(r) => StoredConnection::Intact(Connection {
                id: id_owned,
                name: r.name,
                service: r.service,
                method: r.method,
                fields: r.fields,
                created_at: r.created_at,
                updated_at: r.updated_at,
                version: entry.version,
            }),
            None => StoredConnection::Damaged(DamagedConnection {
                id: id_owned,
                name: None,
            }),
        };
        (connection, added)
    }

    /// When a stored connection was added, to keep it through a rewrite.
    pub(super) fn added_of(&self, id: &ConnectionId) -> Result<i64, VaultError> {
        Ok(self
            .entry(id)?
            .map_or(0, |e| self.decode_ordered(id.as_str(), &e).1))
    }

    /// Every connection, oldest first; damaged ones last.
    pub(super) fn list_connections(&self) -> Result<Vec<StoredConnection>, VaultError> {
        let ids = self.kv.list(KIND)?;
        let keys: Vec<String> = ids.iter().map(|id| key(id)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for (id, entry) in ids.iter().zip(self.kv.read_many(&keys)) {
            // Deleted between the list and the read: not there any more.
            if let Some(entry) = entry? {
                out.push(self.decode_ordered(id, &entry));
            }
        }
        out.sort_by_key(|(c, added)| match c {
            StoredConnection::Intact(c) => (0, Some(c.created_at), *added),
            StoredConnection::Damaged(_) => (1, None, 0),
        });
        Ok(out.into_iter().map(|(c, _)| c).collect())
    }

    /// The raw entry of a connection.
    fn entry(&self, id: &ConnectionId) -> Result<Option<Entry>, VaultError> {
        Ok(self.kv.read(&key(id.as_str()))?)
    }

    pub(super) fn read_connection(&self, id: &ConnectionId) -> Result<Connection, VaultError> {
        let entry = self
            .entry(id)?
            .ok_or_else(|| VaultError::IdNotFound(id.clone()))?;
        match self.decode(id.as_str(), &entry) {
            StoredConnection::Intact(c) => Ok(c),
            StoredConnection::Damaged(d) => Err(VaultError::Damaged {
                id: d.id,
                name: d.name,
            }),
        }
    }

    /// The id a name index entry points to.
    fn named_id(&self, name: &str) -> Result<Option<(ConnectionId, i64)>, VaultError> {
        let entry = self.kv.read(&self.name_key(NAMES, name))?;
        Ok(entry.and_then(|e| {
            e.data["id"]
                .as_str()
                .map(|id| (ConnectionId::from_stored(id.to_owned()), e.version))
        }))
    }

    pub(super) fn connection_by_name(&self, name: &str) -> Result<Connection, VaultError> {
        let (id, _) = self
            .named_id(name)?
            .ok_or_else(|| VaultError::NotFound(name.to_owned()))?;
        let connection = match self.read_connection(&id) {
            Err(VaultError::IdNotFound(_)) => return Err(VaultError::NotFound(name.to_owned())),
            other => other?,
        };
        // An index entry pointed at another record is not trusted.
        let hash = self.names.hash(name);
        if !self.names.verify(&connection.name, &hash) {
            return Err(VaultError::Damaged {
                id,
                name: Some(name.to_owned()),
            });
        }
        Ok(connection)
    }

    pub(super) fn find_connection_id(&self, name_or_id: &str) -> Result<ConnectionId, VaultError> {
        if let Some((id, _)) = self.named_id(name_or_id)?
            && self.entry(&id)?.is_some()
        {
            return Ok(id);
        }
        let plausible_id = !name_or_id.is_empty()
            && name_or_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if plausible_id && self.kv.current_version(&key(name_or_id))? > 0 {
            return Ok(ConnectionId::from_stored(name_or_id.to_owned()));
        }
        Err(VaultError::NotFound(name_or_id.to_owned()))
    }

    /// Claims `name` for `id` in an index (`names/` or `flow-names/`),
    /// create-only; a claim left by a record that no longer exists is taken over.
    pub(super) fn claim_name(
        &self,
        index_key: &str,
        id: &str,
        record_key: &str,
        duplicate: VaultError,
    ) -> Result<(), VaultError> {
        match self.kv.write(index_key, json!({ "id": id }), 0) {
            Ok(_) => Ok(()),
            Err(OpenBaoError::CasConflict { .. }) => {
                let Some(current) = self.kv.read(index_key)? else {
                    return Err(duplicate);
                };
                let holder = current.data["id"].as_str().unwrap_or_default().to_owned();
                // A claim whose record never came (a writer stopped between
                // the two writes) is an orphan once it is old enough that its
                // writer cannot still be about to write the record.
                let settled = current
                    .written_at
                    .is_none_or(|at| crate::vault::model::now() - at > ORPHAN_AGE);
                let orphan = holder != id
                    && settled
                    && self.kv.current_version(&format!("{record_key}/{holder}"))? == 0;
                if holder == id {
                    return Ok(());
                }
                if !orphan {
                    return Err(duplicate);
                }
                match self
                    .kv
                    .write(index_key, json!({ "id": id }), current.version)
                {
                    Ok(_) => Ok(()),
                    Err(OpenBaoError::CasConflict { .. }) => Err(duplicate),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Drops a name index entry if it still points at `id`.
    pub(super) fn release_name(&self, index_key: &str, id: &str) -> Result<(), VaultError> {
        if let Some(entry) = self.kv.read(index_key)?
            && entry.data["id"].as_str() == Some(id)
        {
            self.kv.delete(index_key)?;
        }
        Ok(())
    }

    pub(super) fn sealed_record(
        &self,
        c: &Connection,
        name: &str,
        added: i64,
    ) -> Result<Value, VaultError> {
        let record = Record {
            name: name.to_owned(),
            service: c.service.clone(),
            method: c.method.clone(),
            fields: c.fields.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            added,
        };
        self.seal(KIND, c.id.as_str(), &record)
    }

    /// Adds connections; on a failure, those this call added are removed again.
    pub(super) fn insert_connections(
        &mut self,
        connections: &[Connection],
    ) -> Result<(), VaultError> {
        let mut claimed: Vec<(String, String)> = Vec::new();
        let mut written: Vec<String> = Vec::new();
        let result = (|| {
            for c in connections {
                let name = canonical_name(&c.name);
                let index = self.name_key(NAMES, &name);
                self.claim_name(
                    &index,
                    c.id.as_str(),
                    KIND,
                    VaultError::DuplicateName(c.name.clone()),
                )?;
                claimed.push((index, c.id.as_str().to_owned()));
                let record = self.sealed_record(c, &name, now_nanos())?;
                self.kv
                    .write(&key(c.id.as_str()), record, 0)
                    .map_err(|e| match e {
                        OpenBaoError::CasConflict { .. } => {
                            VaultError::DuplicateName(c.name.clone())
                        }
                        e => e.into(),
                    })?;
                written.push(key(c.id.as_str()));
            }
            Ok(())
        })();
        if result.is_err() {
            for record in written.iter().rev() {
                let _ = self.kv.delete(record);
            }
            for (index, id) in claimed.iter().rev() {
                let _ = self.release_name(index, id);
            }
        }
        self.bump()?;
        result
    }

    /// Replaces a connection at `c.version`; a racing writer makes this a
    /// conflict with nothing saved.
    pub(super) fn replace_connection(&mut self, c: &Connection) -> Result<i64, VaultError> {
        let entry = self
            .entry(&c.id)?
            .ok_or_else(|| VaultError::IdNotFound(c.id.clone()))?;
        if entry.version != c.version {
            return Err(VaultError::Conflict(c.name.clone()));
        }
        let (before, added) = self.decode_ordered(c.id.as_str(), &entry);
        let before = match before {
            StoredConnection::Intact(b) => Some(b),
            StoredConnection::Damaged(_) => None,
        };
        let name = canonical_name(&c.name);
        let new_index = self.name_key(NAMES, &name);
        let old_index = before.as_ref().map(|b| self.name_key(NAMES, &b.name));
        let renamed = old_index.as_deref() != Some(new_index.as_str());
        if renamed {
            self.claim_name(
                &new_index,
                c.id.as_str(),
                KIND,
                VaultError::DuplicateName(c.name.clone()),
            )?;
        }
        let record = self.sealed_record(c, &name, added)?;
        let version = match self.kv.write(&key(c.id.as_str()), record, c.version) {
            Ok(v) => v,
            Err(e) => {
                if renamed {
                    let _ = self.release_name(&new_index, c.id.as_str());
                }
                return Err(conflict_as(&c.name)(e));
            }
        };
        if renamed && let Some(old) = old_index {
            self.release_name(&old, c.id.as_str())?;
        }
        // New credentials make the old token and its renewal state moot.
        if before.is_none_or(|b| b.fields != c.fields || b.method != c.method) {
            self.forget_token(&c.id)?;
        }
        self.bump()?;
        Ok(version)
    }

    /// Removes a connection, its token and lease, and clears it from flows.
    pub(super) fn remove_connection(&mut self, id: &ConnectionId) -> Result<(), VaultError> {
        let entry = self
            .entry(id)?
            .ok_or_else(|| VaultError::IdNotFound(id.clone()))?;
        self.forget_token(id)?;
        self.kv.delete(&format!("leases/{}", id.as_str()))?;
        self.clear_from_flows(id)?;
        if let StoredConnection::Intact(c) = self.decode(id.as_str(), &entry) {
            self.release_name(&self.name_key(NAMES, &c.name), id.as_str())?;
        }
        self.kv.delete(&key(id.as_str()))?;
        self.bump()
    }
}
