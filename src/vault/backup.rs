//! `backup`: a consistent copy of the vault file made while others use it,
//! checked before it is kept, and put in place whole or not at all.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::error::VaultError;
use super::file;
use super::keyslot::UnlockKey;
use super::sqlite::{PagesCopied, Vault, integrity_check};
use super::store::VaultStore;

/// What a backup copied, as checked in the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupReport {
    /// Database pages copied.
    pub pages: u64,
    /// Size of the backup file, in bytes.
    pub bytes: u64,
    /// Connections in the copy.
    pub connections: usize,
}

/// Why a backup was not made; the destination is then left as it was.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The destination is the vault itself.
    #[error("the backup would replace the vault itself")]
    SameFile,
    /// The copy failed SQLite's own check (a bug or a failing disk).
    #[error("the copy fails SQLite's integrity check ({0}); it was not kept")]
    CopyDamaged(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Copies `vault` into a new file `dest` (mode 0600; an existing file only
/// with `force`): first into a temporary file beside it, which must pass
/// SQLite's integrity check and open with `unlock` past flowvault's own
/// integrity check before it is renamed into place.
pub fn backup_vault(
    vault: &Vault,
    unlock: &UnlockKey,
    dest: &Path,
    force: bool,
) -> Result<BackupReport, BackupError> {
    refuse_destination(vault.path(), dest, force)?;
    let temp = file::temp_beside(dest, "backup");
    let made = copy_and_check(vault, unlock, &temp).and_then(|report| {
        file::put_in_place(&temp, dest, force)?;
        Ok(report)
    });
    // On success only the companions of the check are left to remove.
    file::remove_vault_files(&temp);
    let mut report = made?;
    report.bytes = fs::metadata(dest)
        .map_err(|source| io_error("cannot read", dest, source))?
        .len();
    Ok(report)
}

/// Refuses the vault itself, and an existing file unless `force`.
fn refuse_destination(vault: &Path, dest: &Path, force: bool) -> Result<(), BackupError> {
    if super::file::same_file(vault, dest) {
        return Err(BackupError::SameFile);
    }
    match fs::symlink_metadata(dest) {
        Ok(_) if !force => Err(VaultError::FileExists(dest.to_owned()).into()),
        Ok(meta) if !meta.is_file() => Err(VaultError::InsecurePath {
            path: dest.to_owned(),
            reason: super::InsecureReason::NotAFile,
        }
        .into()),
        _ => Ok(()),
    }
}

fn copy_and_check(
    vault: &Vault,
    unlock: &UnlockKey,
    temp: &Path,
) -> Result<BackupReport, BackupError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temp)
        .map_err(|source| io_error("cannot create file", temp, source))?;
    let PagesCopied(pages) = vault.backup_into(temp)?;
    integrity_check(temp).map_err(BackupError::CopyDamaged)?;
    let connections = {
        let copy = Vault::open(temp, unlock)?;
        copy.verify_integrity()?;
        copy.first_connections(0)?.1
    };
    // Opening switched the copy to the write-ahead log: back to one file.
    integrity_check(temp).map_err(BackupError::CopyDamaged)?;
    let db = rusqlite::Connection::open(temp).map_err(|source| VaultError::Sqlite {
        context: "cannot finish the backup file",
        source,
    })?;
    db.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|source| VaultError::Sqlite {
            context: "cannot finish the backup file",
            source,
        })?;
    drop(db);
    fs::File::open(temp)
        .and_then(|f| f.sync_all())
        .map_err(|source| io_error("cannot write file", temp, source))?;
    Ok(BackupReport {
        pages,
        bytes: 0,
        connections,
    })
}

fn io_error(context: &'static str, path: &Path, source: std::io::Error) -> VaultError {
    VaultError::Io {
        context,
        path: path.to_owned(),
        source,
    }
}
