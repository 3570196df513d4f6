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

/// A [`SealedRow`] copied out of SQLite, to be decoded on another thread.
struct OwnedRow {
    id: String,
    version: i64,
    /// Name hash, name, service, method and fields, one after another.
    bytes: Vec<u8>,
    /// Where each of those ends in `bytes`.
    ends: [usize; 5],
    tag_matches: bool,
}

impl OwnedRow {
    fn copy(row: &SealedRow<'_>) -> OwnedRow {
        let parts = [row.name_hash, row.name, row.service, row.method, row.fields];
        let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = [0; 5];
        for (end, part) in ends.iter_mut().zip(parts) {
            bytes.extend_from_slice(part);
            *end = bytes.len();
        }
        OwnedRow {
            id: row.id.to_owned(),
            version: row.version,
            bytes,
            ends,
            tag_matches: row.tag_matches,
        }
    }

    fn sealed(&self) -> SealedRow<'_> {
        let part = |i: usize| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.bytes[start..self.ends[i]]
        };
        SealedRow {
            id: &self.id,
            version: self.version,
            name_hash: part(0),
            name: part(1),
            service: part(2),
            method: part(3),
            fields: part(4),
            tag_matches: self.tag_matches,
        }
    }
}

/// Rows the reader hands the decoder at a time.
const BATCH: usize = 256;

/// Of every this many batches, the reader decodes one itself: reading,
/// checking and copying a row takes about half as long as opening it, so
/// both threads are then busy to the end.
const READER_SHARE: usize = 3;

/// Decodes `rows` (selected as [`super::SEALED_COLUMNS`]) in order, on two
/// threads: this one steps SQLite, checks row tags and copies the sealed
/// bytes out, and opens a share of the batches; a second thread opens the
/// rest, which is most of the work.
pub(super) fn decode_on_second_thread(
    mut rows: rusqlite::Rows<'_>,
    tagger: &RowTagger,
    opener: &RowOpener<'_>,
) -> rusqlite::Result<Vec<StoredConnection>> {
    type Decoded = Vec<(usize, Vec<StoredConnection>)>;
    let decode = |batch: &[OwnedRow]| -> Vec<StoredConnection> {
        batch
            .iter()
            .map(|row| opener.decode(&row.sealed()))
            .collect()
    };
    std::thread::scope(|scope| {
        let (batches, inbox) = std::sync::mpsc::sync_channel::<(usize, Vec<OwnedRow>)>(4);
        let decoder = scope.spawn(move || -> Decoded {
            inbox
                .into_iter()
                .map(|(index, batch)| (index, decode(&batch)))
                .collect()
        });
        let mut own: Decoded = Vec::new();
        let mut batch = Vec::with_capacity(BATCH);
        let mut index = 0;
        let mut hand_over = |index: usize, batch: Vec<OwnedRow>| {
            if index % READER_SHARE == READER_SHARE - 1 {
                own.push((index, decode(&batch)));
            } else {
                // The decoder only stops by panicking, which its join reports.
                let _ = batches.send((index, batch));
            }
        };
        let read = loop {
            match rows.next() {
                Ok(Some(r)) => match SealedRow::read(r, tagger) {
                    Ok(row) => batch.push(OwnedRow::copy(&row)),
                    Err(e) => break Err(e),
                },
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
            if batch.len() == BATCH {
                hand_over(
                    index,
                    std::mem::replace(&mut batch, Vec::with_capacity(BATCH)),
                );
                index += 1;
            }
        };
        if !batch.is_empty() {
            hand_over(index, batch);
        }
        drop(batches);
        let mut decoded = decoder
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read?;
        decoded.append(&mut own);
        decoded.sort_unstable_by_key(|(index, _)| *index);
        Ok(decoded.into_iter().flat_map(|(_, rows)| rows).collect())
    })
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
