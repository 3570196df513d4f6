//! Numbered schema migrations, each recorded in the file when applied.

use rusqlite::{Connection, params};

use super::error::{SqliteContext, VaultError};

/// `PRAGMA application_id` of every vault file ("FLWV").
pub const APPLICATION_ID: i32 = 0x464C_5756;

/// The migrations in order; the version of each is its position, from 1.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "vault header, key slots and connections",
        "CREATE TABLE vault_meta (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         vault_id BLOB NOT NULL,
         key_version INTEGER NOT NULL,
         created_at TEXT NOT NULL
     );
     CREATE TABLE key_slots (
         id INTEGER PRIMARY KEY,
         kind TEXT NOT NULL,
         kdf_memory_kib INTEGER,
         kdf_iterations INTEGER,
         kdf_parallelism INTEGER,
         salt BLOB NOT NULL,
         wrapped_key BLOB NOT NULL,
         created_at TEXT NOT NULL
     );
     CREATE TABLE connections (
         id TEXT PRIMARY KEY,
         name_hash BLOB NOT NULL UNIQUE,
         name BLOB NOT NULL,
         service BLOB NOT NULL,
         method BLOB NOT NULL,
         fields BLOB NOT NULL,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL
     );",
    ),
    (
        "tokens, refresh state and refresh leases",
        "CREATE TABLE tokens (
             connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
             token BLOB NOT NULL
         );
         CREATE TABLE refresh_state (
             connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
             state BLOB NOT NULL
         );
         CREATE TABLE refresh_leases (
             connection_id TEXT PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
             holder TEXT NOT NULL,
             expires_at INTEGER NOT NULL
         );",
    ),
    (
        "flows and their steps",
        "CREATE TABLE flows (
             id TEXT PRIMARY KEY,
             name_hash BLOB NOT NULL UNIQUE,
             name BLOB NOT NULL,
             created_at TEXT NOT NULL
         );
         CREATE TABLE flow_steps (
             id TEXT PRIMARY KEY,
             flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
             position INTEGER NOT NULL,
             step BLOB NOT NULL,
             connection_id TEXT REFERENCES connections(id) ON DELETE SET NULL,
             inputs BLOB NOT NULL,
             UNIQUE (flow_id, position)
         );
         CREATE INDEX flow_steps_by_connection ON flow_steps(connection_id);",
    ),
    (
        "record versions, row tags and the integrity digest",
        "ALTER TABLE connections ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
         ALTER TABLE connections ADD COLUMN tag BLOB;
         ALTER TABLE flows ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
         ALTER TABLE flows ADD COLUMN tag BLOB;
         ALTER TABLE tokens ADD COLUMN tag BLOB;
         ALTER TABLE refresh_state ADD COLUMN tag BLOB;
         ALTER TABLE flow_steps ADD COLUMN tag BLOB;
         ALTER TABLE vault_meta ADD COLUMN digest BLOB;",
    ),
    (
        "the change generation, bumped by every write",
        "ALTER TABLE vault_meta ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;",
    ),
    (
        "the audit trail",
        "CREATE TABLE audit (
             seq INTEGER PRIMARY KEY,
             entry BLOB NOT NULL,
             mac BLOB NOT NULL
         );
         ALTER TABLE vault_meta ADD COLUMN audit_head BLOB;",
    ),
    (
        "per-bucket integrity digests, so one record is checked alone; row tags and the list order indexed",
        "ALTER TABLE vault_meta ADD COLUMN buckets BLOB;
         CREATE INDEX connections_by_creation ON connections(created_at);
         CREATE INDEX connections_tags ON connections(id, tag);
         CREATE INDEX tokens_tags ON tokens(connection_id, tag);
         CREATE INDEX refresh_state_tags ON refresh_state(connection_id, tag);
         CREATE INDEX flows_tags ON flows(id, tag);
         CREATE INDEX flow_steps_tags ON flow_steps(id, tag);",
    ),
];

/// The first schema whose header holds the integrity digest.
pub const DIGEST_SCHEMA: i64 = 4;

/// The first schema with the audit trail.
pub const AUDIT_SCHEMA: i64 = 6;

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// The schema version recorded in the file (0 for a new file).
pub fn current(conn: &Connection) -> Result<i64, VaultError> {
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )
        .context("cannot read the schema")?;
    if !has_table {
        return Ok(0);
    }
    conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
    .context("cannot read the schema version")
}

/// Applies every migration the file lacks, each in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), VaultError> {
    let current = current(conn)?;
    if current > latest() {
        return Err(VaultError::TooNew(current));
    }
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction().context("cannot start a migration")?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 applied_at TEXT NOT NULL
             );",
        )
        .context("cannot record migrations")?;
        tx.execute_batch(sql).context("migration failed")?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, datetime('now'))",
            params![version, name],
        )
        .context("cannot record a migration")?;
        tx.commit().context("cannot commit a migration")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_are_recorded() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(current(&conn).unwrap(), 0);
        migrate(&mut conn).unwrap();
        assert_eq!(current(&conn).unwrap(), latest());
        migrate(&mut conn).unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, latest());
    }

    #[test]
    fn a_newer_file_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (999, 'future', 'now')",
            [],
        )
        .unwrap();
        assert!(matches!(migrate(&mut conn), Err(VaultError::TooNew(999))));
    }
}
