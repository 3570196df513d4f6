//! Row tags and the whole-vault digest, in the file.
//!
//! Every covered row carries a tag: a keyed MAC over its id, version and
//! stored bytes. The header keeps, sealed, one digest per record kind: the
//! number of rows and the XOR of their tags. A write updates both in its own
//! transaction, at a constant cost. A row whose bytes were put back from an
//! older copy no longer matches its tag (it reads as damaged); a row removed,
//! added or rolled back together with its tag changes the count or the XOR,
//! which opening reports.

use hmac::{Hmac, Mac};
use rusqlite::types::ValueRef;
use rusqlite::{Connection as Db, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Vault;
use crate::vault::crypto::SecretKey;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::integrity::{IntegrityReport, KindMismatch, RecordKind};

const TAG_LEN: usize = 32;
/// What an untagged row adds to its kind's XOR: never a valid tag's effect.
const UNTAGGED: [u8; TAG_LEN] = [0xA5; TAG_LEN];
const META: &str = "vault_meta";

/// The column a kind's rows are known by.
fn id_column(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Tokens | RecordKind::RenewalStates => "connection_id",
        _ => "id",
    }
}

/// The stored columns a kind's tag covers besides its id: everything that
/// says what the row holds, where it belongs and which version it is.
pub(super) fn tagged_columns(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Connections => {
            "version, name_hash, name, service, method, fields, created_at, updated_at"
        }
        RecordKind::Tokens => "token",
        RecordKind::RenewalStates => "state",
        RecordKind::Flows => "version, name_hash, name, created_at",
        RecordKind::FlowSteps => "flow_id, position, step, connection_id, inputs",
    }
}

fn tagged_column_count(kind: RecordKind) -> usize {
    tagged_columns(kind).split(',').count()
}

/// One stored value as tagged bytes: integers big-endian, text and blobs as
/// they are, NULL as absent.
fn value_bytes(value: ValueRef<'_>) -> Option<Vec<u8>> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_be_bytes().to_vec()),
        ValueRef::Real(f) => Some(f.to_bits().to_be_bytes().to_vec()),
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(b.to_vec()),
    }
}

/// Computes and checks row tags with a key of their own.
pub(super) struct RowTagger {
    key: SecretKey,
}

impl RowTagger {
    /// A tagger with its own key (derived from the data key).
    pub fn new(key: SecretKey) -> RowTagger {
        RowTagger { key }
    }

    fn mac(&self, kind: RecordKind, id: &str, parts: &[Option<&[u8]>]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose())
            .expect("HMAC takes keys of any length");
        mac.update(b"flowvault/row-tag/v1");
        for part in [Some(kind.table().as_bytes()), Some(id.as_bytes())]
            .iter()
            .chain(parts)
        {
            // A presence byte and a length keep (NULL, "") and ("a","b")/("ab","") apart.
            match part {
                Some(bytes) => {
                    mac.update(&[1]);
                    mac.update(&(bytes.len() as u64).to_be_bytes());
                    mac.update(bytes);
                }
                None => mac.update(&[0]),
            }
        }
        mac
    }

    fn row_mac(
        &self,
        kind: RecordKind,
        id: &str,
        row: &Row<'_>,
        from: usize,
    ) -> rusqlite::Result<Hmac<Sha256>> {
        let mut values = Vec::with_capacity(tagged_column_count(kind));
        for i in from..from + tagged_column_count(kind) {
            values.push(value_bytes(row.get_ref(i)?));
        }
        let parts: Vec<Option<&[u8]>> = values.iter().map(Option::as_deref).collect();
        Ok(self.mac(kind, id, &parts))
    }

    /// The tag of a row read as [`tagged_columns`] from column `from` on.
    pub fn tag_row(
        &self,
        kind: RecordKind,
        id: &str,
        row: &Row<'_>,
        from: usize,
    ) -> rusqlite::Result<Vec<u8>> {
        Ok(self
            .row_mac(kind, id, row, from)?
            .finalize()
            .into_bytes()
            .to_vec())
    }

    /// Whether `tag` is the tag of the row read as [`tagged_columns`] from
    /// column `from` on, compared in constant time.
    pub fn row_matches(
        &self,
        kind: RecordKind,
        id: &str,
        row: &Row<'_>,
        from: usize,
        tag: Option<&[u8]>,
    ) -> bool {
        let Some(tag) = tag else { return false };
        self.row_mac(kind, id, row, from)
            .is_ok_and(|mac| mac.verify_slice(tag).is_ok())
    }
}

/// Row count and XOR of tags of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct KindDigest {
    count: u64,
    xor: Vec<u8>,
}

impl KindDigest {
    fn fold(&mut self, tag: &[u8]) {
        self.xor.resize(TAG_LEN, 0);
        for (x, t) in self.xor.iter_mut().zip(tag) {
            *x ^= t;
        }
    }

    fn same_as(&self, other: &KindDigest) -> bool {
        let zero = |v: &Vec<u8>| v.iter().all(|&b| b == 0);
        self.count == other.count
            && (self.xor == other.xor || (zero(&self.xor) && zero(&other.xor)))
    }
}

/// The digest of every covered kind, as sealed in the header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Digest {
    connections: KindDigest,
    tokens: KindDigest,
    refresh_state: KindDigest,
    flows: KindDigest,
    flow_steps: KindDigest,
}

impl Digest {
    fn kind_mut(&mut self, kind: RecordKind) -> &mut KindDigest {
        match kind {
            RecordKind::Connections => &mut self.connections,
            RecordKind::Tokens => &mut self.tokens,
            RecordKind::RenewalStates => &mut self.refresh_state,
            RecordKind::Flows => &mut self.flows,
            RecordKind::FlowSteps => &mut self.flow_steps,
        }
    }

    fn kind(&self, kind: RecordKind) -> &KindDigest {
        match kind {
            RecordKind::Connections => &self.connections,
            RecordKind::Tokens => &self.tokens,
            RecordKind::RenewalStates => &self.refresh_state,
            RecordKind::Flows => &self.flows,
            RecordKind::FlowSteps => &self.flow_steps,
        }
    }

    /// Accounts for a row of `kind` whose tag goes from `old` to `new`
    /// (`None`: the row did not exist, or no longer does).
    pub fn replace(&mut self, kind: RecordKind, old: Option<&[u8]>, new: Option<&[u8]>) {
        let k = self.kind_mut(kind);
        if let Some(old) = old {
            k.fold(old);
            k.count = k.count.saturating_sub(1);
        }
        if let Some(new) = new {
            k.fold(new);
            k.count += 1;
        }
    }

    /// The digest of the rows as they are stored now.
    fn of_stored_rows(db: &Db) -> Result<Digest, VaultError> {
        let mut digest = Digest::default();
        for kind in RecordKind::ALL {
            let sql = format!("SELECT tag FROM {}", kind.table());
            let mut stmt = db.prepare_cached(&sql).context("cannot read row tags")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, Option<Vec<u8>>>(0))
                .context("cannot read row tags")?;
            let k = digest.kind_mut(kind);
            for tag in rows {
                let tag = tag.context("cannot read row tags")?;
                k.fold(tag.as_deref().unwrap_or(&UNTAGGED));
                k.count += 1;
            }
        }
        Ok(digest)
    }

    /// The digest sealed in the header; `None` if the vault has none yet.
    pub fn load(vault: &Vault) -> Result<Option<Digest>, VaultError> {
        let sealed: Option<Vec<u8>> = vault
            .db
            .query_row("SELECT digest FROM vault_meta WHERE id = 1", [], |r| {
                r.get(0)
            })
            .context("cannot read the integrity digest")?;
        match sealed {
            None => Ok(None),
            Some(sealed) => vault
                .open_json(META, "1", "digest", &sealed)
                .map(Some)
                .ok_or(VaultError::Tampered(IntegrityReport {
                    mismatches: Vec::new(),
                })),
        }
    }

    /// Seals this digest into the header (inside the caller's transaction).
    pub fn store(&self, vault: &Vault) -> Result<(), VaultError> {
        let json = serde_json::to_vec(self).expect("digests serialise");
        let sealed = vault.seal_in(META, "1", "digest", &json)?;
        vault
            .db
            .execute("UPDATE vault_meta SET digest = ?1 WHERE id = 1", [sealed])
            .context("cannot write the integrity digest")?;
        Ok(())
    }
}

/// Compares the stored rows with the sealed digest.
pub(super) fn verify(vault: &Vault) -> Result<(), VaultError> {
    // One read transaction: the digest and the rows from the same snapshot,
    // or a writer committing in between would look like tampering.
    let snapshot = vault
        .db
        .unchecked_transaction()
        .context("cannot start checking the vault")?;
    let Some(expected) = Digest::load(vault)? else {
        return Ok(());
    };
    let found = Digest::of_stored_rows(&vault.db)?;
    snapshot.commit().context("cannot check the vault")?;
    let mismatches: Vec<KindMismatch> = RecordKind::ALL
        .into_iter()
        .filter(|&kind| !expected.kind(kind).same_as(found.kind(kind)))
        .map(|kind| KindMismatch {
            kind,
            expected: expected.kind(kind).count,
            found: found.kind(kind).count,
        })
        .collect();
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(VaultError::Tampered(IntegrityReport { mismatches }))
    }
}

/// Makes the sealed digest describe the rows as they are now (a vault made
/// before digests existed, or one whose state the operator accepted).
pub(super) fn reseal_digest(vault: &Vault) -> Result<(), VaultError> {
    Digest::of_stored_rows(&vault.db)?.store(vault)
}

/// Tags every untagged row from its stored bytes: for vaults written before
/// tags existed.
pub(super) fn tag_every_row(vault: &Vault) -> Result<(), VaultError> {
    for kind in RecordKind::ALL {
        let sql = format!(
            "SELECT {} FROM {} WHERE tag IS NULL",
            id_column(kind),
            kind.table()
        );
        let ids: Vec<String> = vault
            .db
            .prepare(&sql)
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .context("cannot read untagged rows")?;
        for id in ids {
            retag(vault, None, kind, &id, None)?;
        }
    }
    Ok(())
}

/// Tags one row from what is stored now (inside the caller's transaction)
/// and moves it in `digest` from its `old` tag to the new one.
pub(super) fn retag(
    vault: &Vault,
    digest: Option<&mut Digest>,
    kind: RecordKind,
    id: &str,
    old: Option<Option<Vec<u8>>>,
) -> Result<(), VaultError> {
    let (table, id_col) = (kind.table(), id_column(kind));
    let sql = format!(
        "SELECT {} FROM {table} WHERE {id_col} = ?1",
        tagged_columns(kind)
    );
    let tag = vault
        .db
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row([id], |r| vault.tagger.tag_row(kind, id, r, 0)))
        .context("cannot tag a row")?;
    let sql = format!("UPDATE {table} SET tag = ?2 WHERE {id_col} = ?1");
    vault
        .db
        .prepare_cached(&sql)
        .and_then(|mut s| s.execute(params![id, tag]))
        .context("cannot tag a row")?;
    if let Some(digest) = digest {
        let old = old.map(|t| t.unwrap_or_else(|| UNTAGGED.to_vec()));
        digest.replace(kind, old.as_deref(), Some(&tag));
    }
    Ok(())
}

/// The tag stored with one row, if the row exists.
pub(super) fn stored_tag(
    db: &Db,
    kind: RecordKind,
    id: &str,
) -> Result<Option<Option<Vec<u8>>>, VaultError> {
    let sql = format!(
        "SELECT tag FROM {} WHERE {} = ?1",
        kind.table(),
        id_column(kind)
    );
    db.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
        .context("cannot read a row tag")
}

/// Deletes the rows of `kind` matching `clause` (one `?1` parameter) and
/// takes them out of the digest.
pub(super) fn delete_where(
    db: &Db,
    digest: &mut Digest,
    kind: RecordKind,
    clause: &str,
    key: &str,
) -> Result<usize, VaultError> {
    let sql = format!("DELETE FROM {} WHERE {clause} RETURNING tag", kind.table());
    let tags: Vec<Option<Vec<u8>>> = db
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_map([key], |r| r.get(0))?.collect())
        .context("cannot delete rows")?;
    for tag in &tags {
        digest.replace(kind, Some(tag.as_deref().unwrap_or(&UNTAGGED)), None);
    }
    Ok(tags.len())
}

/// The first row, of any kind, that no longer matches its tag.
pub(super) fn first_untrusted_row(
    vault: &Vault,
) -> Result<Option<(RecordKind, String)>, VaultError> {
    for kind in RecordKind::ALL {
        let sql = format!(
            "SELECT {}, {}, tag FROM {}",
            id_column(kind),
            tagged_columns(kind),
            kind.table()
        );
        let tag_at = 1 + tagged_column_count(kind);
        let mut stmt = vault.db.prepare(&sql).context("cannot read row tags")?;
        let mut rows = stmt.query([]).context("cannot read row tags")?;
        while let Some(r) = rows.next().context("cannot read row tags")? {
            let id: String = r.get(0).context("cannot read row tags")?;
            let tag: Option<Vec<u8>> = r.get(tag_at).context("cannot read row tags")?;
            if !vault.tagger.row_matches(kind, &id, r, 1, tag.as_deref()) {
                return Ok(Some((kind, id)));
            }
        }
    }
    Ok(None)
}

/// Drops every row's tag, so [`tag_every_row`] tags them all afresh.
pub(super) fn untag_every_row(vault: &Vault) -> Result<(), VaultError> {
    for kind in RecordKind::ALL {
        vault
            .db
            .execute(&format!("UPDATE {} SET tag = NULL", kind.table()), [])
            .context("cannot retag rows")?;
    }
    Ok(())
}
