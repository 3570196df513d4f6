//! SQLite's online backup of the vault file, for `backup`.

use std::path::Path;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection as Db, OpenFlags};

use super::Vault;
use crate::vault::error::{SqliteContext, VaultError};

/// How many pages an online backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagesCopied(pub u64);

impl Vault {
    /// Copies the whole file into the empty file `dest` by SQLite's online
    /// backup, in one step: one read transaction, so the copy is the vault
    /// as of one commit while other processes go on writing (the
    /// write-ahead log lets them). The copy is left in rollback-journal
    /// mode, one file with no log beside it; flowvault switches it back to
    /// the log when it opens it.
    pub fn backup_into(&self, dest: &Path) -> Result<PagesCopied, VaultError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut copy = Db::open_with_flags(dest, flags).context("cannot open the backup file")?;
        let pages = {
            let backup = Backup::new(&self.db, &mut copy).context("cannot start the backup")?;
            // -1: every page in one step, never a copy spliced from two states.
            match backup.step(-1).context("cannot copy the vault")? {
                StepResult::Done => {}
                _ => {
                    return Err(VaultError::Sqlite {
                        context: "cannot copy the vault",
                        source: rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                            Some("the backup did not finish in one step".into()),
                        ),
                    });
                }
            }
            backup.progress().pagecount
        };
        copy.pragma_update(None, "journal_mode", "DELETE")
            .context("cannot finish the backup file")?;
        copy.close().map_err(|(_, source)| VaultError::Sqlite {
            context: "cannot close the backup file",
            source,
        })?;
        Ok(PagesCopied(u64::try_from(pages).unwrap_or(0)))
    }
}

/// SQLite's own check of a database file, read-only: `Ok` if it says "ok".
pub fn integrity_check(path: &Path) -> Result<(), String> {
    let db =
        Db::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| e.to_string())?;
    let result: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if result == "ok" { Ok(()) } else { Err(result) }
}
