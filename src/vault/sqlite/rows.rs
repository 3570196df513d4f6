//! Connection rows as stored, and how they become connections.

use rusqlite::Row;

use super::integrity::RowTagger;
use super::{CONNECTIONS, SealedBody};
use crate::vault::crypto::{NameHasher, SealContext, SealingKey, VAULT_ID_LEN};
use crate::vault::integrity::RecordKind;
use crate::vault::model::{Connection, ConnectionId, DamagedConnection, StoredConnection};

/// A connection row as stored, borrowed from SQLite's row: id and version
/// in clear, the rest sealed. Decoded where it is read, so listing copies
/// no sealed bytes.
pub(super) struct SealedRow<'r> {
    pub id: &'r str,
    pub version: i64,
    pub name_hash: &'r [u8],
    pub name: &'r [u8],
    pub service: &'r [u8],
    pub method: &'r [u8],
    pub fields: &'r [u8],
    /// Whether the row's tag matches what it holds now.
    pub tag_matches: bool,
}

impl<'r> SealedRow<'r> {
    /// Reads a row selected as [`super::SEALED_COLUMNS`].
    pub fn read(r: &'r Row<'_>, tagger: &RowTagger) -> rusqlite::Result<SealedRow<'r>> {
        let id = std::str::from_utf8(bytes(r, 0)?).map_err(|e| rusqlite::Error::Utf8Error(0, e))?;
        let tag = r.get_ref(9)?.as_blob_or_null()?;
        let tag_matches = tagger.row_matches(RecordKind::Connections, id, r, 1, tag);
        Ok(SealedRow {
            id,
            version: r.get(1)?,
            name_hash: bytes(r, 2)?,
            name: bytes(r, 3)?,
            service: bytes(r, 4)?,
            method: bytes(r, 5)?,
            fields: bytes(r, 6)?,
            tag_matches,
        })
    }
}

/// Column `i` of a row as bytes (text or blob), without copying.
fn bytes<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    let value = r.get_ref(i)?;
    value.as_bytes().map_err(|e| match e {
        rusqlite::types::FromSqlError::InvalidType => {
            rusqlite::Error::InvalidColumnType(i, String::new(), value.data_type())
        }
        other => rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(other)),
    })
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
        let id = row.id;
        // A name is trusted only if it also matches the clear hash it is found by,
        // so swapping two rows' hashes cannot make one name open another row.
        // A matching row tag covers the hash and the sealed name together, so
        // only a damaged row needs the hash checked on its own.
        let name = self
            .open_text(id, "name", row.name)
            .filter(|name| row.tag_matches || self.names.verify(name, row.name_hash));
        let rest = (|| {
            // Values put back from an older copy of the row open fine, but
            // no longer match the row's tag.
            if !row.tag_matches {
                return None;
            }
            let service = self.open_text(id, "service", row.service)?;
            let method = self.open_text(id, "method", row.method)?;
            let body = self
                .sealing
                .open(&self.ctx(id, "fields"), row.fields)
                .ok()?;
            let body: SealedBody = serde_json::from_slice(&body).ok()?;
            Some((service, method, body))
        })();
        let id = ConnectionId::from_stored(row.id.to_owned());
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

    /// A sealed text that is not a secret (a name, a service id), moved out
    /// of its zeroizing buffer rather than copied.
    fn open_text(&self, row: &str, column: &str, sealed: &[u8]) -> Option<String> {
        let mut plain = self.sealing.open(&self.ctx(row, column), sealed).ok()?;
        let mut text = String::from_utf8(std::mem::take(&mut *plain)).ok()?;
        // The buffer is as long as the padded value; 10,000 names keep it.
        text.shrink_to_fit();
        Some(text)
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
