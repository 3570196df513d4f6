//! Row tags and the whole-vault digest, in the file.
//!
//! Every covered row carries a tag: a keyed MAC over its id, version and
//! stored bytes. The header keeps, sealed, one digest per record kind: the
//! number of rows and the XOR of their tags. A write updates both in its own
//! transaction, at a constant cost. A row whose bytes were put back from an
//! older copy no longer matches its tag (it reads as damaged); a row removed,
//! added or rolled back together with its tag changes the count or the XOR,
//! which opening reports.
//!
//! The same count and XOR are also kept per bucket: a row falls into one of
//! 256 buckets by the first two hex digits of its id (a token's or renewal
//! state's: its connection's id). The buckets are sealed beside the digest,
//! which holds their hash, so neither can be put back without the other. A
//! command about one connection checks its bucket alone (some 1/256 of the
//! rows) instead of every row of the vault. Each kind's tags are indexed
//! with their ids (migration 7), so a check reads that small index, never
//! the sealed rows.

use hmac::{Hmac, Mac};
use rusqlite::types::ValueRef;
use rusqlite::{Connection as Db, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::Vault;
use crate::vault::crypto::SecretKey;
use crate::vault::error::{SqliteContext, VaultError};
use crate::vault::integrity::{IntegrityReport, KindMismatch, RecordKind};

const TAG_LEN: usize = 32;
const BUCKETS: usize = 256;
/// A bucket keeps the first half of its rows' XOR: 128 bits are as hard to
/// match by chance as the whole, and keep the buckets to 25 KB.
const BUCKET_XOR_LEN: usize = 16;
/// One kind in one bucket, encoded: count (u32, big-endian) and XOR.
const BUCKET_KIND_LEN: usize = 4 + BUCKET_XOR_LEN;
const KIND_COUNT: usize = RecordKind::ALL.len();
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

/// Computes and checks row tags with a key of their own.
pub(super) struct RowTagger {
    /// Kept as a key (zeroized, in locked memory), not as a keyed HMAC
    /// state, which is as good as the key and would be neither.
    key: SecretKey,
}

impl RowTagger {
    /// A tagger with its own key (derived from the data key).
    pub fn new(key: SecretKey) -> RowTagger {
        RowTagger { key }
    }

    /// The MAC of a row's table, id and tagged values (NULL as `None`).
    fn row_mac(
        &self,
        kind: RecordKind,
        id: &str,
        row: &Row<'_>,
        from: usize,
    ) -> rusqlite::Result<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose())
            .expect("HMAC takes keys of any length");
        mac.update(b"flowvault/row-tag/v1");
        add_part(&mut mac, Some(kind.table().as_bytes()));
        add_part(&mut mac, Some(id.as_bytes()));
        for i in from..from + tagged_column_count(kind) {
            // Integers big-endian, text and blobs as they are.
            match row.get_ref(i)? {
                ValueRef::Null => add_part(&mut mac, None),
                ValueRef::Integer(n) => add_part(&mut mac, Some(&n.to_be_bytes())),
                ValueRef::Real(f) => add_part(&mut mac, Some(&f.to_bits().to_be_bytes())),
                ValueRef::Text(b) | ValueRef::Blob(b) => add_part(&mut mac, Some(b)),
            }
        }
        Ok(mac)
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

/// Adds one part to a row MAC. A presence byte and a length keep
/// (NULL, "") and ("a","b")/("ab","") apart.
fn add_part(mac: &mut Hmac<Sha256>, part: Option<&[u8]>) {
    match part {
        Some(bytes) => {
            mac.update(&[1]);
            mac.update(&(bytes.len() as u64).to_be_bytes());
            mac.update(bytes);
        }
        None => mac.update(&[0]),
    }
}

/// The bucket of a row known by `id`: bucket `k` holds the ids from the
/// two hex digits of `k` up to those of `k + 1`, as the id column sorts
/// (bytewise); bucket 0 also holds every id below "01" and bucket 255 every
/// id from "ff" on. Ids made here are v4 UUIDs (random lowercase hex), so
/// the buckets are even; an id kept from elsewhere by `copy` (an OpenBao
/// key name, uppercase hex) still falls in exactly one bucket, the same one
/// its range query reads.
pub(super) fn bucket_of(id: &str) -> usize {
    // The bounds ascend with `k`: a binary search for the last bound at or
    // below the id (compared bytewise, as str is), with no allocation,
    // since listing calls this once per row.
    let (mut low, mut high) = (1, BUCKETS);
    while low < high {
        let mid = usize::midpoint(low, high);
        if id.as_bytes() >= &bucket_bound(mid)[..] {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low - 1
}

/// The two lowercase hex digits of `k`, the lower bound of bucket `k`.
fn bucket_bound(k: usize) -> [u8; 2] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    [HEX[(k >> 4) & 0xf], HEX[k & 0xf]]
}

/// The ids of bucket `bucket` as bounds of the id column (see [`bucket_of`]):
/// from (inclusive) and to (exclusive), either open at the ends.
fn bucket_range(bucket: usize) -> (Option<String>, Option<String>) {
    let bound = |k| String::from_utf8_lossy(&bucket_bound(k)).into_owned();
    let from = (bucket > 0).then(|| bound(bucket));
    let to = (bucket + 1 < BUCKETS).then(|| bound(bucket + 1));
    (from, to)
}

fn kind_index(kind: RecordKind) -> usize {
    RecordKind::ALL
        .iter()
        .position(|&k| k == kind)
        .expect("every kind is in ALL")
}

/// Row count and XOR of tags of one kind within one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct BucketKind {
    count: u32,
    xor: [u8; BUCKET_XOR_LEN],
}

impl BucketKind {
    fn fold(&mut self, tag: &[u8]) {
        for (x, t) in self.xor.iter_mut().zip(tag) {
            *x ^= t;
        }
    }
}

/// The per-bucket digests of every kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Buckets(Vec<[BucketKind; KIND_COUNT]>);

impl Default for Buckets {
    fn default() -> Buckets {
        Buckets(vec![[BucketKind::default(); KIND_COUNT]; BUCKETS])
    }
}

impl Buckets {
    fn entry(&mut self, kind: RecordKind, id: &str) -> &mut BucketKind {
        &mut self.0[bucket_of(id)][kind_index(kind)]
    }

    fn replace(&mut self, kind: RecordKind, id: &str, old: Option<&[u8]>, new: Option<&[u8]>) {
        let entry = self.entry(kind, id);
        if let Some(old) = old {
            entry.fold(old);
            entry.count = entry.count.saturating_sub(1);
        }
        if let Some(new) = new {
            entry.fold(new);
            entry.count = entry.count.saturating_add(1);
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BUCKETS * KIND_COUNT * BUCKET_KIND_LEN);
        for kinds in &self.0 {
            for k in kinds {
                out.extend_from_slice(&k.count.to_be_bytes());
                out.extend_from_slice(&k.xor);
            }
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Buckets> {
        if bytes.len() != BUCKETS * KIND_COUNT * BUCKET_KIND_LEN {
            return None;
        }
        let mut kinds = bytes.chunks_exact(BUCKET_KIND_LEN).map(|chunk| {
            let (count, xor) = chunk.split_at(4);
            BucketKind {
                count: u32::from_be_bytes(count.try_into().expect("4 bytes")),
                xor: xor.try_into().expect("BUCKET_XOR_LEN bytes"),
            }
        });
        let mut buckets = Buckets::default();
        for bucket in &mut buckets.0 {
            for k in bucket.iter_mut() {
                *k = kinds.next()?;
            }
        }
        Some(buckets)
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Digest {
    connections: KindDigest,
    tokens: KindDigest,
    refresh_state: KindDigest,
    flows: KindDigest,
    flow_steps: KindDigest,
    /// SHA-256 of the sealed buckets stored beside the digest; absent in a
    /// vault whose buckets are not made yet (written before schema 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    buckets_sha256: Option<Vec<u8>>,
    #[serde(skip)]
    buckets: Option<Buckets>,
}

impl Default for Digest {
    /// The digest of an empty vault, buckets included.
    fn default() -> Digest {
        Digest {
            connections: KindDigest::default(),
            tokens: KindDigest::default(),
            refresh_state: KindDigest::default(),
            flows: KindDigest::default(),
            flow_steps: KindDigest::default(),
            buckets_sha256: None,
            buckets: Some(Buckets::default()),
        }
    }
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

    /// Accounts for the row `id` of `kind` whose tag goes from `old` to `new`
    /// (`None`: the row did not exist, or no longer does).
    pub fn replace(&mut self, kind: RecordKind, id: &str, old: Option<&[u8]>, new: Option<&[u8]>) {
        let k = self.kind_mut(kind);
        if let Some(old) = old {
            k.fold(old);
            k.count = k.count.saturating_sub(1);
        }
        if let Some(new) = new {
            k.fold(new);
            k.count += 1;
        }
        if let Some(buckets) = &mut self.buckets {
            buckets.replace(kind, id, old, new);
        }
    }

    /// The digest of the rows as they are stored now, buckets included.
    fn of_stored_rows(db: &Db) -> Result<Digest, VaultError> {
        let mut digest = Digest::default();
        let mut buckets = Buckets::default();
        for kind in RecordKind::ALL {
            let sql = format!("SELECT {}, tag FROM {}", id_column(kind), kind.table());
            let mut stmt = db.prepare_cached(&sql).context("cannot read row tags")?;
            let mut rows = stmt.query([]).context("cannot read row tags")?;
            while let Some(row) = rows.next().context("cannot read row tags")? {
                let id = row.get_ref(0).context("cannot read row tags")?;
                let id = std::str::from_utf8(id.as_bytes().unwrap_or_default()).unwrap_or("");
                let tag = match row.get_ref(1).context("cannot read row tags")? {
                    ValueRef::Blob(tag) => tag,
                    _ => &UNTAGGED,
                };
                let k = digest.kind_mut(kind);
                k.fold(tag);
                k.count += 1;
                buckets.replace(kind, id, None, Some(tag));
            }
        }
        digest.buckets = Some(buckets);
        Ok(digest)
    }

    /// One bucket's digest of the rows stored now.
    fn of_bucket_rows(db: &Db, bucket: usize) -> Result<[BucketKind; KIND_COUNT], VaultError> {
        let (from, to) = bucket_range(bucket);
        // One statement over every table: a one-row command prepares it
        // once, where five would each be compiled.
        let parts: Vec<String> = RecordKind::ALL
            .iter()
            .map(|&kind| {
                let id = id_column(kind);
                let bounds = match (&from, &to) {
                    (Some(_), Some(_)) => format!("{id} >= ?1 AND {id} < ?2"),
                    (Some(_), None) => format!("{id} >= ?1"),
                    (None, Some(_)) => format!("{id} < ?2"),
                    (None, None) => "1".to_owned(),
                };
                format!(
                    "SELECT {}, tag FROM {} WHERE {bounds}",
                    kind_index(kind),
                    kind.table()
                )
            })
            .collect();
        let sql = parts.join(" UNION ALL ");
        let mut stmt = db.prepare_cached(&sql).context("cannot read row tags")?;
        for (index, bound) in [(1, &from), (2, &to)] {
            if let Some(bound) = bound {
                stmt.raw_bind_parameter(index, bound)
                    .context("cannot read row tags")?;
            }
        }
        let mut found = [BucketKind::default(); KIND_COUNT];
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().context("cannot read row tags")? {
            let kind: i64 = row.get(0).context("cannot read row tags")?;
            let Some(entry) = usize::try_from(kind).ok().and_then(|k| found.get_mut(k)) else {
                continue;
            };
            match row.get_ref(1).context("cannot read row tags")? {
                ValueRef::Blob(tag) => entry.fold(tag),
                _ => entry.fold(&UNTAGGED),
            }
            entry.count = entry.count.saturating_add(1);
        }
        Ok(found)
    }

    /// Whether the digest sealed in the header opens with this vault's keys
    /// (or there is none): how unlocking tells a current key slot from one
    /// left over from before a `rekey`. Read before any migration runs.
    pub fn opens(vault: &Vault) -> bool {
        let sealed: Result<Option<Vec<u8>>, _> =
            vault
                .db
                .query_row("SELECT digest FROM vault_meta WHERE id = 1", [], |r| {
                    r.get(0)
                });
        match sealed {
            Ok(None) => true,
            Ok(Some(sealed)) => vault
                .sealing
                .open(&vault.ctx_in(META, "1", "digest"), &sealed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// The digest sealed in the header with its buckets; `None` if the vault
    /// has none yet.
    pub fn load(vault: &Vault) -> Result<Option<Digest>, VaultError> {
        let (sealed, sealed_buckets): (Option<Vec<u8>>, Option<Vec<u8>>) = vault
            .db
            .query_row(
                "SELECT digest, buckets FROM vault_meta WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .context("cannot read the integrity digest")?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let unreadable = || {
            VaultError::Tampered(IntegrityReport {
                mismatches: Vec::new(),
            })
        };
        let mut digest: Digest = vault
            .open_json(META, "1", "digest", &sealed)
            .ok_or_else(unreadable)?;
        // Buckets that are missing, altered or do not match the digest are
        // not used: a record is then checked against the whole digest, and
        // the next unlock that finds the rows intact makes them again.
        digest.buckets = digest.buckets_sha256.as_ref().and_then(|expected| {
            let sealed = sealed_buckets?;
            if Sha256::digest(&sealed).as_slice() != expected.as_slice() {
                return None;
            }
            let plain = vault
                .sealing
                .open(&vault.ctx_in(META, "1", "buckets"), &sealed)
                .ok()?;
            Buckets::decode(&plain)
        });
        Ok(Some(digest))
    }

    /// Seals this digest and its buckets into the header (inside the
    /// caller's transaction).
    pub fn store(&self, vault: &Vault) -> Result<(), VaultError> {
        let mut header = self.clone();
        let sealed_buckets = match &self.buckets {
            Some(buckets) => {
                let sealed = vault.seal_in(META, "1", "buckets", &buckets.encode())?;
                header.buckets_sha256 = Some(Sha256::digest(&sealed).to_vec());
                Some(sealed)
            }
            None => None,
        };
        let json = serde_json::to_vec(&header).expect("digests serialise");
        let sealed = vault.seal_in(META, "1", "digest", &json)?;
        vault
            .db
            .execute(
                "UPDATE vault_meta SET digest = ?1, buckets = ?2 WHERE id = 1",
                params![sealed, sealed_buckets],
            )
            .context("cannot write the integrity digest")?;
        Ok(())
    }

    /// Whether the buckets are made (they are from schema 7 on).
    pub fn has_buckets(&self) -> bool {
        self.buckets.is_some()
    }
}

/// One read transaction for a check: the digest and the rows from the same
/// snapshot, or a writer committing in between would look like tampering.
/// Inside the caller's transaction, which is such a snapshot already, none.
struct Snapshot<'a>(Option<rusqlite::Transaction<'a>>);

impl<'a> Snapshot<'a> {
    fn start(vault: &'a Vault) -> Result<Snapshot<'a>, VaultError> {
        if !vault.db.is_autocommit() {
            return Ok(Snapshot(None));
        }
        let tx = vault
            .db
            .unchecked_transaction()
            .context("cannot start checking the vault")?;
        Ok(Snapshot(Some(tx)))
    }

    fn end(self) -> Result<(), VaultError> {
        match self.0 {
            Some(tx) => tx.commit().context("cannot check the vault"),
            None => Ok(()),
        }
    }
}

/// Compares the stored rows with the sealed digest.
pub(super) fn verify(vault: &Vault) -> Result<(), VaultError> {
    let snapshot = Snapshot::start(vault)?;
    let Some(expected) = Digest::load(vault)? else {
        return Ok(());
    };
    let found = Digest::of_stored_rows(&vault.db)?;
    snapshot.end()?;
    // Rows moved between buckets (an altered id) leave the totals as they
    // were; they read as damaged, and their kind is reported here too.
    let bucket_differs = |kind: RecordKind| match (&expected.buckets, &found.buckets) {
        (Some(expected), Some(found)) => {
            let k = kind_index(kind);
            expected.0.iter().zip(&found.0).any(|(e, f)| e[k] != f[k])
        }
        _ => false,
    };
    let mismatches: Vec<KindMismatch> = RecordKind::ALL
        .into_iter()
        .filter(|&kind| !expected.kind(kind).same_as(found.kind(kind)) || bucket_differs(kind))
        .map(|kind| KindMismatch {
            kind,
            expected: expected.kind(kind).count,
            found: found.kind(kind).count,
        })
        .collect();
    reported(mismatches)
}

/// `Tampered` with what differs, if anything does.
fn reported(mismatches: Vec<KindMismatch>) -> Result<(), VaultError> {
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(VaultError::Tampered(IntegrityReport { mismatches }))
    }
}

/// Compares the stored rows of the bucket of the record `id` with its sealed
/// digest: what a command about that one record checks. A vault whose
/// buckets are not made yet is checked whole.
pub(super) fn verify_bucket(vault: &Vault, id: &str) -> Result<(), VaultError> {
    let snapshot = Snapshot::start(vault)?;
    let Some(expected) = Digest::load(vault)? else {
        return Ok(());
    };
    let Some(buckets) = &expected.buckets else {
        snapshot.end()?;
        return verify(vault);
    };
    let bucket = bucket_of(id);
    let found = Digest::of_bucket_rows(&vault.db, bucket)?;
    snapshot.end()?;
    let expected = &buckets.0[bucket];
    let mismatches: Vec<KindMismatch> = RecordKind::ALL
        .into_iter()
        .filter(|&kind| expected[kind_index(kind)] != found[kind_index(kind)])
        .map(|kind| KindMismatch {
            kind,
            expected: expected[kind_index(kind)].count.into(),
            found: found[kind_index(kind)].count.into(),
        })
        .collect();
    reported(mismatches)
}

/// Makes the buckets of a vault that lacks them (written before schema 7,
/// or whose buckets could not be read), once its rows match the digest:
/// buckets made over rows altered behind its back would hide the change
/// from every later bucket check.
pub(super) fn make_buckets(vault: &Vault) -> Result<(), VaultError> {
    if verify(vault).is_err() {
        // Reported by the first whole read; `verify --accept` makes them.
        return Ok(());
    }
    let tx = vault.write_transaction("cannot start making the integrity buckets")?;
    let Some(mut digest) = Digest::load(vault)? else {
        return Ok(());
    };
    if digest.has_buckets() {
        // Another process made them since.
        return Ok(());
    }
    digest.buckets = Digest::of_stored_rows(&vault.db)?.buckets;
    digest.store(vault)?;
    tx.commit().context("cannot make the integrity buckets")
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
        digest.replace(kind, id, old.as_deref(), Some(&tag));
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
    let sql = format!(
        "DELETE FROM {} WHERE {clause} RETURNING {}, tag",
        kind.table(),
        id_column(kind)
    );
    let rows: Vec<(String, Option<Vec<u8>>)> = db
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .context("cannot delete rows")?;
    for (id, tag) in &rows {
        digest.replace(kind, id, Some(tag.as_deref().unwrap_or(&UNTAGGED)), None);
    }
    Ok(rows.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn in_range(id: &str, bucket: usize) -> bool {
        let (from, to) = bucket_range(bucket);
        from.is_none_or(|from| id >= from.as_str()) && to.is_none_or(|to| id < to.as_str())
    }

    #[test]
    fn every_id_falls_in_the_id_range_of_its_bucket_and_no_other() {
        let uuids = (0..2000).map(|_| crate::vault::crypto::random_uuid().to_string());
        let others = [
            "", "0", "00", "01", "0f", "0g", "10", "9z", "AB12", "ZZ", "fe", "ff", "ffff", "g",
            "zz", "é",
        ];
        for id in uuids.chain(others.iter().map(std::string::ToString::to_string)) {
            let bucket = bucket_of(&id);
            let holding: Vec<usize> = (0..BUCKETS).filter(|&b| in_range(&id, b)).collect();
            assert_eq!(holding, [bucket], "{id:?}");
        }
        assert_eq!(bucket_of("ff000000-0000"), 255);
        assert_eq!(bucket_of("3c000000-0000"), 0x3c);
        assert_eq!(bucket_of("not-hex"), 0xff);
    }

    #[test]
    fn buckets_encode_and_decode_to_the_same_counts_and_xors() {
        let mut buckets = Buckets::default();
        buckets.replace(RecordKind::Tokens, "3f-x", None, Some(&[7u8; TAG_LEN]));
        buckets.replace(RecordKind::Flows, "ab-y", None, Some(&[1u8; TAG_LEN]));
        buckets.replace(RecordKind::Flows, "ab-z", None, Some(&[2u8; TAG_LEN]));
        let decoded = Buckets::decode(&buckets.encode()).unwrap();
        assert_eq!(decoded, buckets);
        let flows = decoded.0[0xab][kind_index(RecordKind::Flows)];
        assert_eq!((flows.count, flows.xor), (2, [3u8; BUCKET_XOR_LEN]));
        assert!(Buckets::decode(&buckets.encode()[1..]).is_none());
    }

    #[test]
    fn a_row_replaced_then_put_back_leaves_its_bucket_as_it_was() {
        let mut buckets = Buckets::default();
        let before = buckets.clone();
        buckets.replace(RecordKind::Connections, "c1", None, Some(&[9u8; TAG_LEN]));
        buckets.replace(RecordKind::Connections, "c1", Some(&[9u8; TAG_LEN]), None);
        assert_eq!(buckets, before);
    }
}
