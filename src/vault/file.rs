//! The vault file on disk: private folders and files, and the checks before use.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::{InsecureReason, VaultError};

/// Creates the folders above `path` (mode 0700) and the empty file itself (mode
/// 0600), before SQLite opens it, so it is never readable by others.
pub fn create_private_file(path: &Path) -> Result<(), VaultError> {
    refuse_symlink(path)?;
    if path.exists() {
        return Err(VaultError::AlreadyExists(path.to_owned()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|source| io_error("cannot create folder", parent, source))?;
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => VaultError::AlreadyExists(path.to_owned()),
            _ => io_error("cannot create vault file", path, source),
        })?;
    Ok(())
}

/// Writes a new file with mode 0600 and syncs it; never overwrites.
pub fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => VaultError::FileExists(path.to_owned()),
            _ => io_error("cannot create file", path, source),
        })?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(source) = written {
        let _ = fs::remove_file(path);
        return Err(io_error("cannot write file", path, source));
    }
    // The new name must survive a crash too: sync the folder that holds it.
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Checks an existing vault path: a regular file, not a symlink, not readable
/// or writable by group or others.
pub fn check_existing(path: &Path) -> Result<(), VaultError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VaultError::Missing(path.to_owned()));
        }
        Err(source) => return Err(io_error("cannot read", path, source)),
    };
    if meta.file_type().is_symlink() {
        return Err(insecure(path, InsecureReason::Symlink));
    }
    if !meta.is_file() {
        return Err(insecure(path, InsecureReason::NotAFile));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(insecure(path, InsecureReason::OpenMode(mode)));
    }
    if meta.uid() != current_uid() {
        return Err(insecure(path, InsecureReason::OtherOwner));
    }
    Ok(())
}

/// Removes a vault file and its SQLite companions, after a failed creation.
pub fn remove_vault_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
}

fn refuse_symlink(path: &Path) -> Result<(), VaultError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(insecure(path, InsecureReason::Symlink)),
        _ => Ok(()),
    }
}

fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

fn insecure(path: &Path, reason: InsecureReason) -> VaultError {
    VaultError::InsecurePath {
        path: path.to_owned(),
        reason,
    }
}

fn io_error(context: &'static str, path: &Path, source: std::io::Error) -> VaultError {
    VaultError::Io {
        context,
        path: path.to_owned(),
        source,
    }
}
