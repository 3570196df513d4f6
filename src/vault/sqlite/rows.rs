//! Connection rows as stored, and how they become connections.

use rusqlite::Row;

use super::integrity::RowTagger;
use super::{CONNECTIONS, SealedBody};
use crate::vault::crypto::{NameHasher, SealContext, SealingKey, VAULT_ID_LEN};
use crate::vault::integrity::RecordKind;
use crate::vault::model::{Connection, ConnectionId, DamagedConnection, StoredConnection};

/// A connection row as stored: id and version in clear, the rest sealed.
pub(super) struct SealedRow {
    pub id: String,
    pub version: i64,
    pub name_hash: Vec<u8>,
    pub name: Vec<u8>,
    pub service: Vec<u8>,
    pub method: Vec<u8>,
    pub fields: Vec<u8>,
    /// Whether the row's tag matches what it holds now.
    pub tag_matches: bool,
}

impl SealedRow {
    /// Reads a row selected as [`super::SEALED_COLUMNS`].
    pub fn read(r: &Row<'_>, tagger: &RowTagger) -> rusqlite::Result<SealedRow> {
        let id: String = r.get(0)?;
        let tag: Option<Vec<u8>> = r.get(9)?;
        let tag_matches = tagger.row_matches(RecordKind::Connections, &id, r, 1, tag.as_deref());
        Ok(SealedRow {
            version: r.get(1)?,
            name_hash: r.get(2)?,
            name: r.get(3)?,
            service: r.get(4)?,
            method: r.get(5)?,
            fields: r.get(6)?,
            tag_matches,
            id,
        })
    }
}

/// The keys that open connection rows.
pub(super) struct RowOpener<'a> {
    pub vault_id: &'a [u8; VAULT_ID_LEN],
    pub sealing: &'a SealingKey,
    pub names: &'a NameHasher,
}

impl RowOpener<'_> {
    /// Decodes one row: intact, or damaged with its name where that still
    /// opens.
    pub fn decode(&self, row: &SealedRow) -> StoredConnection {
        let id = row.id.as_str();
        // A name is trusted only if it also matches the clear hash it is found by,
        // so swapping two rows' hashes cannot make one name open another row.
        // A matching row tag covers the hash and the sealed name together, so
        // only a damaged row needs the hash checked on its own.
        let name = self
            .open_text(id, "name", &row.name)
            .filter(|name| row.tag_matches || self.names.verify(name, &row.name_hash));
        let rest = (|| {
            // Values put back from an older copy of the row open fine, but
            // no longer match the row's tag.
            if !row.tag_matches {
                return None;
            }
            let service = self.open_text(id, "service", &row.service)?;
            let method = self.open_text(id, "method", &row.method)?;
            let body = self
                .sealing
                .open(&self.ctx(id, "fields"), &row.fields)
                .ok()?;
            let body: SealedBody = serde_json::from_slice(&body).ok()?;
            Some((service, method, body))
        })();
        let id = ConnectionId::from_stored(row.id.clone());
        match (name, rest) {
            (Some(name), Some((service, method, body))) => StoredConnection::Intact(Connection {
                id,
                name,
                service,
                method,
                fields: body.fields,
                created_at: body.created_at,
                updated_at: body.updated_at,
                version: row.version,
            }),
            (name, _) => StoredConnection::Damaged(DamagedConnection { id, name }),
        }
    }

    fn open_text(&self, row: &str, column: &str, sealed: &[u8]) -> Option<String> {
        let plain = self.sealing.open(&self.ctx(row, column), sealed).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }

    fn ctx<'a>(&'a self, row: &'a str, column: &'a str) -> SealContext<'a> {
        SealContext {
            vault_id: self.vault_id,
            table: CONNECTIONS,
            row_id: row,
            column,
        }
    }
}
