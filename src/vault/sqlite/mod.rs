//! The vault file: SQLite with every user value sealed.

use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection as Db, OpenFlags, OptionalExtension, Transaction, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::crypto::{NameHasher, SealContext, SealingKey, SecretKey, VAULT_ID_LEN, fill_random};
use super::error::{SqliteContext, VaultError};
use super::file;
use super::keyslot::{KdfParams, KeySlot, SlotKind, UnlockKey};
use super::migrations;
use std::collections::HashMap;

use super::audit::AuditAction;
use super::flow::{Flow, FlowId, Usage};
use super::integrity::RecordKind;
use super::model::{
    Connection, ConnectionId, Credentials, DamagedConnection, SecretValue, StoredConnection,
};
use super::store::{Store, VaultStore};
use super::token::{RefreshState, Token, TokenRecord};

mod audit;
mod backup;
mod batch;
mod change_feed;
mod flows;
mod integrity;
mod rekey;
mod rows;
mod tokens;

pub(super) use backup::{PagesCopied, integrity_check};
use integrity::{Digest, RowTagger};
use rows::{RowOpener, SealedRow};

const CONNECTIONS: &str = "connections";
/// The version of a new vault's data key; `rekey` counts up from here. It is
/// bound into every sealed value.
const FIRST_KEY_VERSION: u32 = 1;

/// An unlocked vault file.
pub struct Vault {
    db: Db,
    path: PathBuf,
    vault_id: [u8; VAULT_ID_LEN],
    /// Kept (zeroized on drop) so `passwd` can rewrap it.
    data_key: SecretKey,
    sealing: SealingKey,
    names: NameHasher,
    tagger: RowTagger,
    /// Whether every row was checked against the digest since opening; until
    /// then a read of one record checks its bucket, and the first read of
    /// many checks them all.
    whole_checked: std::cell::Cell<bool>,
    /// The buckets of the digest already checked by this handle.
    checked_buckets: std::cell::RefCell<Vec<usize>>,
    /// Whole reads decode on a second thread (see `read_on_two_threads`).
    two_threads: bool,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates a new vault at `path` unlocked by `unlock`; refuses an existing file.
    /// On any failure the half-made file is removed.
    pub fn create(path: &Path, unlock: &UnlockKey, kdf: KdfParams) -> Result<Vault, VaultError> {
        file::create_private_file(path)?;
        Self::initialise(path, unlock, kdf).inspect_err(|_| file::remove_vault_files(path))
    }

    fn initialise(path: &Path, unlock: &UnlockKey, kdf: KdfParams) -> Result<Vault, VaultError> {
        let mut db = open_db(path)?;
        db.pragma_update(None, "application_id", migrations::APPLICATION_ID)
            .context("cannot mark the vault file")?;
        migrations::migrate(&mut db)?;
        let mut vault_id = [0u8; VAULT_ID_LEN];
        fill_random(&mut vault_id)?;
        let data_key = SecretKey::random()?;
        let slot = KeySlot::wrap(&vault_id, unlock, kdf, &data_key)?;
        let vault = Vault::from_parts(db, path, vault_id, data_key, FIRST_KEY_VERSION);
        let tx = vault.write_transaction("cannot start creating the vault")?;
        tx.execute(
            "INSERT INTO vault_meta (id, vault_id, key_version, created_at) VALUES (1, ?1, ?2, ?3)",
            params![
                &vault_id[..],
                FIRST_KEY_VERSION,
                timestamp(super::model::now())
            ],
        )
        .context("cannot write the vault header")?;
        insert_slot(&tx, &slot)?;
        Digest::default().store(&vault)?;
        audit::ensure_head(&vault)?;
        tx.commit().context("cannot write the vault header")?;
        Ok(vault)
    }

    /// Opens and unlocks the vault at `path`, and checks that no row was
    /// removed, added or rolled back. A wrong key changes nothing on disk.
    pub fn open(path: &Path, unlock: &UnlockKey) -> Result<Vault, VaultError> {
        let vault = Self::unlock(path, unlock)?;
        vault.check_whole()?;
        Ok(vault)
    }

    /// Opens and unlocks the vault at `path`, and checks what is read as it
    /// is read: one record against its bucket of the digest, every row
    /// before the first read of many. A command about one connection then
    /// does no work in proportion to the vault's size.
    pub fn open_checking_reads(path: &Path, unlock: &UnlockKey) -> Result<Vault, VaultError> {
        Self::unlock(path, unlock)
    }

    /// The error for a name no row has: "not found", unless a row was
    /// removed behind the digest's back, which a name alone cannot place
    /// in a bucket, so every row is checked.
    fn not_found(&self, name: &str) -> VaultError {
        match self.check_whole() {
            Err(tampered @ VaultError::Tampered(_)) => tampered,
            _ => VaultError::NotFound(name.to_owned()),
        }
    }

    /// Checks every row against the digest, once per handle.
    fn check_whole(&self) -> Result<(), VaultError> {
        if !self.whole_checked.get() {
            integrity::verify(self)?;
            self.whole_checked.set(true);
        }
        Ok(())
    }

    /// Checks the rows of the record `id`'s bucket against the digest,
    /// once per handle, unless every row was checked already.
    fn check_record(&self, id: &str) -> Result<(), VaultError> {
        let bucket = integrity::bucket_of(id);
        if self.whole_checked.get() || self.checked_buckets.borrow().contains(&bucket) {
            return Ok(());
        }
        integrity::verify_bucket(self, id)?;
        self.checked_buckets.borrow_mut().push(bucket);
        Ok(())
    }

    /// Opens the vault at `path` even if its rows do not match the integrity
    /// digest, and makes the digest describe them as they are: the operator
    /// has seen the report and accepts the file's state. Returns what was
    /// accepted, if anything.
    pub fn open_accepting_changes(
        path: &Path,
        unlock: &UnlockKey,
    ) -> Result<(Vault, Option<super::IntegrityReport>), VaultError> {
        let vault = Self::unlock(path, unlock)?;
        match vault.check_whole() {
            Ok(()) => Ok((vault, None)),
            Err(VaultError::Tampered(report)) => {
                let tx = vault.write_transaction("cannot start accepting the vault's state")?;
                integrity::tag_every_row(&vault)?;
                integrity::reseal_digest(&vault)?;
                tx.commit().context("cannot accept the vault's state")?;
                vault.whole_checked.set(true);
                Ok((vault, Some(report)))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the vault at `path` opens only with a key file (it has no
    /// passphrase slot), read from its header without unlocking, read-only.
    /// False when it cannot tell: unlocking then says what is wrong.
    pub fn opens_only_with_key_file(path: &Path) -> bool {
        let Ok(db) = Db::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
            return false;
        };
        let Ok(mut stmt) = db.prepare("SELECT kind FROM key_slots") else {
            return false;
        };
        let Ok(kinds) = stmt.query_map([], |r| r.get::<_, String>(0)) else {
            return false;
        };
        let kinds: Vec<Option<SlotKind>> = kinds
            .map(|k| k.ok().and_then(|k| SlotKind::parse(&k)))
            .collect();
        !kinds.is_empty() && kinds.iter().all(|k| *k == Some(SlotKind::KeyFile))
    }

    /// Checks that no row was removed, added or rolled back since the last
    /// write: the check `open` makes.
    pub fn verify_integrity(&self) -> Result<(), VaultError> {
        integrity::verify(self)
    }

    fn unlock(path: &Path, unlock: &UnlockKey) -> Result<Vault, VaultError> {
        file::check_existing(path)?;
        // The id is looked at before the handle is configured: switching
        // to WAL would change some other SQLite file before it is refused.
        // (Not by reading the header through a file of our own: closing it
        // would drop every POSIX lock this process's SQLite handles hold on
        // the file.)
        let db = open_unconfigured(path)?;
        let is_vault = db
            .pragma_query_value(None, "application_id", |r| r.get::<_, i32>(0))
            .is_ok_and(|id| id == migrations::APPLICATION_ID);
        if !is_vault {
            return Err(VaultError::NotAVault(path.to_owned()));
        }
        let mut db = configure(db, path)?;
        let schema = migrations::current(&db)?;
        if schema == 0 {
            return Err(VaultError::NotAVault(path.to_owned()));
        }
        let (vault_id, key_version) = read_meta(&db)?;
        let slots = read_slots(&db)?;
        let mut found = None;
        for slot in &slots {
            let Ok(data_key) = slot.unwrap(&vault_id, unlock) else {
                continue;
            };
            let vault = Vault::from_parts(db, path, vault_id, data_key, key_version);
            // A key slot left over from before a `rekey` unwraps the old data
            // key, which does not open the digest sealed with the new one.
            if schema < migrations::DIGEST_SCHEMA || Digest::opens(&vault) {
                found = Some(vault);
                break;
            }
            db = vault.db;
        }
        let mut vault = found.ok_or(VaultError::CannotUnlock)?;
        // Only an unlocked vault is migrated: a wrong key must leave the file as it was.
        migrations::migrate(&mut vault.db)?;
        let migrated = schema < migrations::latest();
        match Digest::load(&vault)? {
            None => {
                let tx = vault.write_transaction("cannot start sealing the integrity digest")?;
                integrity::tag_every_row(&vault)?;
                integrity::reseal_digest(&vault)?;
                tx.commit().context("cannot seal the integrity digest")?;
            }
            Some(digest) if !digest.has_buckets() => integrity::make_buckets(&vault)?,
            Some(_) => {}
        }
        if schema < migrations::AUDIT_SCHEMA {
            audit::start_trail(&vault)?;
        }
        fold_in_a_long_log(&vault.db, path, migrated);
        Ok(vault)
    }

    fn from_parts(
        db: Db,
        path: &Path,
        vault_id: [u8; VAULT_ID_LEN],
        data_key: SecretKey,
        key_version: u32,
    ) -> Vault {
        Vault {
            db,
            path: path.to_owned(),
            vault_id,
            sealing: SealingKey::new(&data_key.derive("flowvault/seal/v1"), key_version),
            names: NameHasher::new(data_key.derive("flowvault/name-hash/v1")),
            tagger: RowTagger::new(data_key.derive("flowvault/row-tag/v1")),
            data_key,
            whole_checked: std::cell::Cell::new(false),
            checked_buckets: std::cell::RefCell::new(Vec::new()),
            two_threads: false,
        }
    }

    /// Starts a transaction that takes the write lock at once, so what it
    /// reads (versions, the digest) cannot change before it writes.
    ///
    /// It bumps the change generation first: every write goes through here,
    /// and a transaction that rolls back takes its bump with it, so the
    /// generation moves exactly when something was committed.
    fn write_transaction(&self, context: &'static str) -> Result<Transaction<'_>, VaultError> {
        let tx = Transaction::new_unchecked(&self.db, rusqlite::TransactionBehavior::Immediate)
            .context(context)?;
        change_feed::bump(&tx)?;
        Ok(tx)
    }

    /// The file this vault lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces every key slot by one for `unlock`, in one transaction; the data
    /// key and every sealed value stay as they are.
    pub fn change_unlock(&mut self, unlock: &UnlockKey, kdf: KdfParams) -> Result<(), VaultError> {
        let slot = KeySlot::wrap(&self.vault_id, unlock, kdf, &self.data_key)?;
        let tx = self.write_transaction("cannot start changing the unlock method")?;
        tx.execute("DELETE FROM key_slots", [])
            .context("cannot remove the old key slots")?;
        insert_slot(&tx, &slot)?;
        audit::record(self, AuditAction::Passwd, None, None)?;
        tx.commit().context("cannot change the unlock method")
    }

    fn seal(&self, row: &str, column: &str, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.seal_in(CONNECTIONS, row, column, plain)
    }

    fn ctx_in<'a>(&'a self, table: &'a str, row: &'a str, column: &'a str) -> SealContext<'a> {
        SealContext {
            vault_id: &self.vault_id,
            table,
            row_id: row,
            column,
        }
    }

    /// Seals a value for a place in any table.
    fn seal_in(
        &self,
        table: &str,
        row: &str,
        column: &str,
        plain: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        Ok(self.sealing.seal(&self.ctx_in(table, row, column), plain)?)
    }

    /// Opens a sealed JSON record; `None` if it fails its integrity check.
    fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        row: &str,
        column: &str,
        sealed: &[u8],
    ) -> Option<T> {
        let plain = self
            .sealing
            .open(&self.ctx_in(table, row, column), sealed)
            .ok()?;
        serde_json::from_slice(&plain).ok()
    }

    /// A second handle on the same file with the same keys (no KDF), for a
    /// background task; SQLite's WAL lets both read and write.
    pub fn try_clone(&self) -> Result<Vault, VaultError> {
        let clone = Vault::from_parts(
            open_db(&self.path)?,
            &self.path,
            self.vault_id,
            self.data_key.clone(),
            self.sealing.version(),
        );
        clone.whole_checked.set(self.whole_checked.get());
        Ok(clone)
    }

    /// Decodes rows with this vault's keys.
    fn row_opener(&self) -> RowOpener<'_> {
        RowOpener {
            vault_id: &self.vault_id,
            sealing: &self.sealing,
            names: &self.names,
        }
    }

    /// Writes a connection inside the caller's write transaction: a new row
    /// at version 1, or the row at `c.version`, which becomes the next
    /// version. Returns the version written.
    fn write_row(
        &self,
        tx: &Transaction<'_>,
        digest: &mut Digest,
        c: &Connection,
        insert: bool,
    ) -> Result<i64, VaultError> {
        let id = c.id.as_str();
        let old_tag = if insert {
            None
        } else {
            let stored: Option<(i64, Option<Vec<u8>>)> = tx
                .prepare_cached("SELECT version, tag FROM connections WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .context("cannot read the connection")?;
            match stored {
                None => return Err(VaultError::IdNotFound(c.id.clone())),
                Some((version, _)) if version != c.version => {
                    return Err(VaultError::Conflict(c.name.clone()));
                }
                Some((_, tag)) => Some(tag),
            }
        };
        let version = if insert { 1 } else { c.version + 1 };
        let body = SealedBody {
            fields: c.fields.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        };
        let fields =
            zeroize::Zeroizing::new(serde_json::to_vec(&body).expect("credentials serialise"));
        // Stored composed (NFC), so a decomposed copy of the name is the same name.
        let name = super::model::canonical_name(&c.name);
        let name_hash = self.names.hash(&name);
        let values = params![
            id,
            name_hash,
            self.seal(id, "name", name.as_bytes())?,
            self.seal(id, "service", c.service.as_bytes())?,
            self.seal(id, "method", c.method.as_bytes())?,
            self.seal(id, "fields", &fields)?,
            timestamp(c.created_at),
            timestamp(c.updated_at),
            version,
        ];
        let sql = if insert {
            "INSERT INTO connections (id, name_hash, name, service, method, fields, created_at, updated_at, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        } else {
            "UPDATE connections SET name_hash = ?2, name = ?3, service = ?4, method = ?5, fields = ?6,
             created_at = ?7, updated_at = ?8, version = ?9 WHERE id = ?1"
        };
        let changed = tx
            .prepare_cached(sql)
            .and_then(|mut s| s.execute(values))
            .map_err(|e| {
                if is_unique_violation(&e) {
                    VaultError::DuplicateName(c.name.clone())
                } else {
                    VaultError::Sqlite {
                        context: "cannot write the connection",
                        source: e,
                    }
                }
            })?;
        if changed == 0 {
            return Err(VaultError::IdNotFound(c.id.clone()));
        }
        integrity::retag(self, Some(digest), RecordKind::Connections, id, old_tag)?;
        Ok(version)
    }

    /// Runs `write` in one write transaction with the integrity digest, and
    /// seals the updated digest before committing.
    fn write_with_digest<T>(
        &self,
        context: &'static str,
        write: impl FnOnce(&Transaction<'_>, &mut Digest) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let tx = self.write_transaction(context)?;
        let mut digest = Digest::load(self)?.unwrap_or_default();
        let out = write(&tx, &mut digest)?;
        digest.store(self)?;
        tx.commit().context(context)?;
        Ok(out)
    }

    /// The oldest `limit` connections (all, if negative), decoded. Every
    /// row is checked against the digest first, even for a first page: it
    /// must not show a row the rest would reveal as rolled back.
    fn oldest_connections(&self, limit: i64) -> Result<Vec<StoredConnection>, VaultError> {
        self.check_whole()?;
        let sql =
            format!("SELECT {SEALED_COLUMNS} FROM connections ORDER BY created_at, rowid LIMIT ?1");
        let mut stmt = self
            .db
            .prepare_cached(&sql)
            .context("cannot list connections")?;
        let opener = self.row_opener();
        if self.two_threads {
            let rows = stmt.query([limit]).context("cannot list connections")?;
            return rows::decode_on_second_thread(rows, &self.tagger, &opener)
                .context("cannot list connections");
        }
        stmt.query_map([limit], |r| {
            Ok(opener.decode(&SealedRow::read(r, &self.tagger)?))
        })
        .and_then(Iterator::collect)
        .context("cannot list connections")
    }

    /// The connection of the row `clause` finds by `key`, decoded.
    fn find_row(
        &self,
        clause: &str,
        key: &dyn rusqlite::ToSql,
    ) -> Result<Option<StoredConnection>, VaultError> {
        let sql = format!("SELECT {SEALED_COLUMNS} FROM connections WHERE {clause}");
        let opener = self.row_opener();
        self.db
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row([key], |r| {
                    Ok(opener.decode(&SealedRow::read(r, &self.tagger)?))
                })
                .optional()
            })
            .context("cannot read the connection")
    }
}

/// The connection of a stored row, or why it cannot be used.
fn intact(stored: StoredConnection) -> Result<Connection, VaultError> {
    match stored {
        StoredConnection::Intact(c) => Ok(c),
        StoredConnection::Damaged(DamagedConnection { id, name }) => {
            Err(VaultError::Damaged { id, name })
        }
    }
}

impl Store for Vault {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn reopen(&self) -> Result<Box<dyn Store>, VaultError> {
        Ok(Box::new(self.try_clone()?))
    }

    fn verify(&self) -> Result<(), VaultError> {
        integrity::verify(self)?;
        self.whole_checked.set(true);
        Ok(())
    }

    fn read_on_two_threads(&mut self) {
        self.two_threads = true;
    }

    fn shed_caches(&self) {
        self.db.flush_prepared_statement_cache();
        // Only memory is at stake: a failure leaves the cache as it was.
        let _ = self.db.release_memory();
    }
}

impl VaultStore for Vault {
    fn connections(&self) -> Result<Vec<StoredConnection>, VaultError> {
        // SQLite reads a negative limit as none.
        self.oldest_connections(-1)
    }

    fn first_connections(
        &self,
        limit: usize,
    ) -> Result<(Vec<StoredConnection>, usize), VaultError> {
        let rows = self.oldest_connections(i64::try_from(limit).unwrap_or(i64::MAX))?;
        let total: i64 = self
            .db
            .prepare_cached("SELECT count(*) FROM connections")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .context("cannot count connections")?;
        Ok((rows, usize::try_from(total).unwrap_or(usize::MAX)))
    }

    fn connection(&self, name: &str) -> Result<Connection, VaultError> {
        let hash = self.names.hash(name);
        let Some(stored) = self.find_row("name_hash = ?1", &hash)? else {
            return Err(self.not_found(name));
        };
        self.check_record(stored.id().as_str())?;
        intact(stored)
    }

    fn connection_id(&self, name_or_id: &str) -> Result<ConnectionId, VaultError> {
        let hash = self.names.hash(name_or_id);
        let found: Option<String> = self
            .db
            .prepare_cached("SELECT id FROM connections WHERE name_hash = ?1 OR id = ?2")
            .and_then(|mut s| {
                s.query_row(params![hash, name_or_id], |r| r.get(0))
                    .optional()
            })
            .context("cannot read the connection")?;
        found
            .map(ConnectionId::from_stored)
            .ok_or_else(|| self.not_found(name_or_id))
    }

    fn connection_by_id(&self, id: &ConnectionId) -> Result<Connection, VaultError> {
        self.check_record(id.as_str())?;
        let stored = self.find_row("id = ?1", &id.as_str())?;
        intact(stored.ok_or_else(|| VaultError::IdNotFound(id.clone()))?)
    }

    fn add_connection(&mut self, connection: &Connection) -> Result<(), VaultError> {
        self.add_connections(std::slice::from_ref(connection))
    }

    fn add_connections(&mut self, connections: &[Connection]) -> Result<(), VaultError> {
        self.write_with_digest("cannot save the connection", |tx, digest| {
            for c in connections {
                self.write_row(tx, digest, c, true)?;
                audit::record(self, AuditAction::Add, audit::about_connection(c), None)?;
            }
            Ok(())
        })
    }

    fn update_connection(&mut self, connection: &Connection) -> Result<i64, VaultError> {
        self.check_record(connection.id.as_str())?;
        self.write_with_digest("cannot save the connection", |tx, digest| {
            let before = self.connection_by_id(&connection.id).ok();
            let version = self.write_row(tx, digest, connection, false)?;
            // New credentials make the old token and any "stop retrying" state moot.
            let credentials_changed = before
                .as_ref()
                .is_none_or(|b| b.fields != connection.fields || b.method != connection.method);
            if credentials_changed {
                tokens::forget(self, digest, &connection.id)?;
            }
            audit::record_update(self, before.as_ref(), connection)?;
            Ok(version)
        })
    }

    fn delete_connection(&mut self, id: &ConnectionId) -> Result<(), VaultError> {
        self.check_record(id.as_str())?;
        self.write_with_digest("cannot delete the connection", |_, digest| {
            let target = audit::stored_connection(self, id);
            // Dependent rows go first, through the digest: the file's cascades
            // would remove them unaccounted.
            tokens::forget(self, digest, id)?;
            flows::clear_connection(self, digest, id)?;
            let n = integrity::delete_where(
                &self.db,
                digest,
                RecordKind::Connections,
                "id = ?1",
                id.as_str(),
            )?;
            if n == 0 {
                return Err(VaultError::IdNotFound(id.clone()));
            }
            audit::record(self, AuditAction::Remove, target, None)
        })
    }

    fn token_record(&self, id: &ConnectionId) -> Result<TokenRecord, VaultError> {
        self.check_record(id.as_str())?;
        tokens::token_record(self, id)
    }

    fn token_records(&self) -> Result<HashMap<ConnectionId, TokenRecord>, VaultError> {
        self.check_whole()?;
        tokens::token_records(self)
    }

    fn store_token(
        &mut self,
        id: &ConnectionId,
        token: &Token,
        rotated_refresh_token: Option<&SecretValue>,
    ) -> Result<(), VaultError> {
        self.check_record(id.as_str())?;
        tokens::store_token(self, id, token, rotated_refresh_token)
    }

    fn store_refresh_state(
        &mut self,
        id: &ConnectionId,
        state: &RefreshState,
    ) -> Result<(), VaultError> {
        self.check_record(id.as_str())?;
        tokens::store_refresh_state(self, id, state)
    }

    fn try_lease(
        &mut self,
        id: &ConnectionId,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, VaultError> {
        tokens::try_lease(self, id, holder, ttl)
    }

    fn release_lease(&mut self, id: &ConnectionId, holder: &str) -> Result<(), VaultError> {
        tokens::release_lease(self, id, holder)
    }

    fn flows(&self) -> Result<Vec<Flow>, VaultError> {
        self.check_whole()?;
        flows::flows(self)
    }

    fn flow(&self, name: &str) -> Result<Flow, VaultError> {
        self.check_whole()?;
        flows::flow_by_name(self, name)
    }

    fn add_flow(&mut self, flow: &Flow) -> Result<(), VaultError> {
        self.check_whole()?;
        flows::add_flow(self, flow)
    }

    fn rename_flow(&mut self, flow: &Flow, name: &str) -> Result<i64, VaultError> {
        self.check_whole()?;
        flows::rename_flow(self, flow, name)
    }

    fn delete_flow(&mut self, id: &FlowId) -> Result<(), VaultError> {
        self.check_whole()?;
        flows::delete_flow(self, id)
    }

    fn save_steps(&mut self, flow: &Flow) -> Result<i64, VaultError> {
        self.check_whole()?;
        flows::save_steps(self, flow)
    }

    fn connection_usage(&self, id: &ConnectionId) -> Result<Vec<Usage>, VaultError> {
        self.check_whole()?;
        flows::connection_usage(self, id)
    }

    fn write_batch(&mut self, batch: &super::store::RecordBatch) -> Result<(), VaultError> {
        self.check_whole()?;
        batch::write_batch(self, batch)
    }
}

/// `id`, the tagged columns (see `integrity::tagged_columns`), then the tag.
const SEALED_COLUMNS: &str =
    "id, version, name_hash, name, service, method, fields, created_at, updated_at, tag";

/// The sealed `fields` column: values with the times they were made and changed,
/// sealed together so the times cannot be altered either. The clear time
/// columns only order the list.
#[derive(serde::Serialize, serde::Deserialize)]
struct SealedBody {
    fields: Credentials,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

fn open_db(path: &Path) -> Result<Db, VaultError> {
    configure(open_unconfigured(path)?, path)
}

/// The file opened for reading and writing, nothing written yet.
fn open_unconfigured(path: &Path) -> Result<Db, VaultError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = Db::open_with_flags(path, flags).context("cannot open the vault file")?;
    db.busy_timeout(std::time::Duration::from_secs(10))
        .context("cannot configure the vault file")?;
    Ok(db)
}

/// A vault handle's settings: the write-ahead log, full syncs, foreign
/// keys, no copy of the log on close, a small page cache.
fn configure(db: Db, path: &Path) -> Result<Db, VaultError> {
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )
    .map_err(|_| VaultError::NotAVault(path.to_owned()))?;
    // The last handle to close would copy the log into the file and sync
    // both, three fsyncs more for every command; a commit is durable in the
    // log already. The log stays beside the file (a copy of the vault takes
    // both, or `sqlite3 vault.db .backup`: see the README) until unlocking
    // finds it long (`fold_in_a_long_log`).
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .context("cannot configure the vault file")?;
    // 512 KiB of page cache per handle rather than 2 MiB: reads are a single
    // row and its bucket's index, or the whole file once (which no cache
    // holds), and the UI keeps three handles open.
    db.pragma_update(None, "cache_size", -512)
        .context("cannot configure the vault file")?;
    Ok(db)
}

/// The log length past which unlocking folds it into the file: 64 pages,
/// a dozen or so commands' writes.
const LONG_LOG_BYTES: u64 = 64 * 4096;

/// Folds the write-ahead log into the file and empties it, when it is long
/// or a migration just rewrote much of the file.
///
/// The first handle of every process reads the whole log to index it, and
/// believes none of it copied into the file yet: SQLite's own automatic
/// checkpoint then copies it all again at every commit, and never starts
/// the log over. A long-running process (the UI, the daemon) keeps its
/// index, so its automatic checkpoints work as they should. Busy (another
/// process is writing) is no failure: the next command folds it in.
fn fold_in_a_long_log(db: &Db, path: &Path, migrated: bool) {
    let long =
        std::fs::metadata(file::write_ahead_log(path)).is_ok_and(|m| m.len() > LONG_LOG_BYTES);
    if migrated || long {
        let _ = db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
}

fn read_meta(db: &Db) -> Result<([u8; VAULT_ID_LEN], u32), VaultError> {
    let (id, version): (Vec<u8>, u32) = db
        .query_row(
            "SELECT vault_id, key_version FROM vault_meta WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|_| VaultError::CannotUnlock)?;
    let id = id.try_into().map_err(|_| VaultError::CannotUnlock)?;
    Ok((id, version))
}

fn read_slots(db: &Db) -> Result<Vec<KeySlot>, VaultError> {
    let mut stmt = db
        .prepare("SELECT kind, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key FROM key_slots ORDER BY id")
        .context("cannot read the key slots")?;
    let rows = stmt
        .query_map([], |r| {
            let kind: String = r.get(0)?;
            let m: Option<u32> = r.get(1)?;
            let t: Option<u32> = r.get(2)?;
            let p: Option<u32> = r.get(3)?;
            Ok((
                kind,
                m,
                t,
                p,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, Vec<u8>>(5)?,
            ))
        })
        .context("cannot read the key slots")?;
    let mut slots = Vec::new();
    for row in rows {
        // An unreadable slot is skipped; if none is left, unlocking fails as usual.
        let Ok((kind, m, t, p, salt, wrapped)) = row else {
            continue;
        };
        let Some(kind) = SlotKind::parse(&kind) else {
            continue;
        };
        let kdf = match (m, t, p) {
            (Some(memory_kib), Some(iterations), Some(parallelism)) => Some(KdfParams {
                memory_kib,
                iterations,
                parallelism,
            }),
            _ => None,
        };
        slots.push(KeySlot {
            kind,
            kdf,
            salt,
            wrapped,
        });
    }
    Ok(slots)
}

fn insert_slot(tx: &Transaction<'_>, slot: &KeySlot) -> Result<(), VaultError> {
    tx.execute(
        "INSERT INTO key_slots (kind, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, wrapped_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            slot.kind.as_str(),
            slot.kdf.map(|k| k.memory_kib),
            slot.kdf.map(|k| k.iterations),
            slot.kdf.map(|k| k.parallelism),
            slot.salt,
            slot.wrapped,
            timestamp(super::model::now()),
        ],
    )
    .context("cannot write the key slot")?;
    Ok(())
}

fn timestamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("UTC times format as RFC 3339")
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_vault(dir: &tempfile::TempDir) -> Vault {
        let kdf = KdfParams {
            memory_kib: 8192,
            iterations: 1,
            parallelism: 1,
        };
        Vault::create(
            &dir.path().join("v.db"),
            &UnlockKey::KeyFile(zeroize::Zeroizing::new(vec![9; 32])),
            kdf,
        )
        .unwrap()
    }

    /// What a list shows of each row, in order.
    fn summary(rows: &[StoredConnection]) -> Vec<(String, Option<String>, bool)> {
        rows.iter()
            .map(|r| {
                let intact = matches!(r, StoredConnection::Intact(_));
                (
                    r.id().as_str().to_owned(),
                    r.name().map(str::to_owned),
                    intact,
                )
            })
            .collect()
    }

    #[test]
    fn two_threads_read_the_same_rows_in_the_same_order_damaged_ones_included() {
        let dir = tempfile::TempDir::new().unwrap();
        let mut vault = test_vault(&dir);
        // Several batches of 256 and a part batch.
        let stored: Vec<Connection> = (0..1000)
            .map(|i| {
                let mut fields = Credentials::default();
                fields.set("token", format!("secret {i}"));
                Connection::new(format!("c{i:04}"), "http", "bearer", fields)
            })
            .collect();
        vault.add_connections(&stored).unwrap();
        // A row rolled back (its values no longer match its tag), and one
        // whose sealed name is garbage: both damaged, in their places.
        for (index, column) in [(5, "service"), (700, "name")] {
            vault
                .db
                .execute(
                    &format!("UPDATE connections SET {column} = X'00' WHERE id = ?1"),
                    [stored[index].id.as_str()],
                )
                .unwrap();
        }
        // The file now fails its digest as a whole; the rows are what is
        // compared here, so the whole check is taken as done.
        vault.whole_checked.set(true);
        let sequential = summary(&vault.connections().unwrap());
        vault.read_on_two_threads();
        let parallel = vault.connections().unwrap();
        assert_eq!(summary(&parallel), sequential);
        assert_eq!(sequential.len(), 1000);
        assert!(!sequential[5].2 && !sequential[700].2, "both damaged");
        // The rolled-back row keeps its name (it still matches its hash).
        assert_eq!(sequential[5].1.as_deref(), Some("c0005"));
        assert_eq!(sequential[700].1.as_deref(), None);
        assert!(
            sequential
                .iter()
                .enumerate()
                .all(|(i, r)| i == 5 || i == 700 || r.2)
        );
        let StoredConnection::Intact(last) = &parallel[999] else {
            panic!("the last row is intact");
        };
        assert_eq!(last.fields.get("token"), Some("secret 999"));
    }

    #[test]
    fn connections_come_in_creation_order_whatever_order_they_were_stored_in() {
        let dir = tempfile::TempDir::new().unwrap();
        let mut vault = test_vault(&dir);
        let make = |name: &str, minutes: i64| {
            let mut c = Connection::new(name, "http", "bearer", Credentials::default());
            c.created_at = OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(minutes);
            c
        };
        // Stored newest first, as a copy from another vault may be.
        let stored = [make("newest", 30), make("oldest", 10), make("middle", 20)];
        vault.add_connections(&stored).unwrap();
        let names: Vec<_> = vault
            .connections()
            .unwrap()
            .iter()
            .map(|c| c.name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["oldest", "middle", "newest"]);
        let (first, total) = vault.first_connections(2).unwrap();
        let first: Vec<_> = first.iter().map(|c| c.name().unwrap().to_owned()).collect();
        assert_eq!(
            (first, total),
            (vec!["oldest".to_owned(), "middle".to_owned()], 3)
        );
    }
}
