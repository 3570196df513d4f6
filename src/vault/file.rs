//! The vault file on disk: private folders and files, and the checks before use.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::error::{InsecureReason, VaultError};
use crate::platform;

/// Checks a path `init` is about to create a vault at: nothing there yet (a
/// device or a folder is named as such, not as an existing vault), and a
/// folder that only its owner can write, on a writable file system.
pub fn check_new_path(path: &Path) -> Result<(), VaultError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(insecure(path, InsecureReason::Symlink));
        }
        Ok(meta) if !meta.is_file() => return Err(insecure(path, InsecureReason::NotAFile)),
        Ok(_) => return Err(VaultError::AlreadyExists(path.to_owned())),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(source) => return Err(io_error("cannot read", path, source)),
    }
    // A vault moved or removed without its write-ahead log leaves the log
    // here, holding its latest commits: SQLite would apply it to a new file
    // at this path, and a failed creation would delete it.
    let log = write_ahead_log(path);
    if fs::symlink_metadata(&log).is_ok_and(|meta| meta.len() > 0) {
        return Err(VaultError::LeftoverLog(log));
    }
    let folder = folder_of(path);
    if folder.exists() {
        check_folder(folder)?;
    }
    Ok(())
}

/// The write-ahead log SQLite keeps beside the vault file at `path`.
pub fn write_ahead_log(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}-wal", path.display()))
}

/// Creates the folders above `path` (mode 0700) and the empty file itself (mode
/// 0600), before SQLite opens it, so it is never readable by others.
pub fn create_private_file(path: &Path) -> Result<(), VaultError> {
    check_new_path(path)?;
    let folder = folder_of(path);
    if !folder.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|source| match source.kind() {
                ErrorKind::ReadOnlyFilesystem => VaultError::ReadOnlyFolder(folder.to_owned()),
                _ => io_error("cannot create folder", folder, source),
            })?;
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| match source.kind() {
            ErrorKind::AlreadyExists => VaultError::AlreadyExists(path.to_owned()),
            ErrorKind::ReadOnlyFilesystem => VaultError::ReadOnlyFolder(folder.to_owned()),
            _ => io_error("cannot create vault file", path, source),
        })?;
    Ok(())
}

/// Reads a key or passphrase file the way ssh reads a private key: not through
/// a symlink, a regular file (never a device, or a pipe but one handed to this
/// process, see [`is_own_descriptor`]),
/// not readable or writable by group or others, owned by us or root, and at most
/// `max_len` bytes, enforced while reading. `context` names the file in errors.
pub fn read_private_file(
    path: &Path,
    max_len: u64,
    context: &'static str,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let own_descriptor = is_own_descriptor(path);
    // O_NOFOLLOW: a symlink fails to open instead of being followed; O_NONBLOCK:
    // a FIFO opens at once (and is then refused) instead of hanging.
    let flags = if own_descriptor {
        0
    } else {
        libc::O_NOFOLLOW | libc::O_NONBLOCK
    };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|source| match source.raw_os_error() {
            Some(libc::ELOOP) => insecure(path, InsecureReason::Symlink),
            _ => io_error(context, path, source),
        })?;
    // Checked on the open file, so nothing can be swapped in after the check.
    let meta = file
        .metadata()
        .map_err(|source| io_error(context, path, source))?;
    // A pipe this process was handed (`--passphrase-file <(pass show x)`)
    // keeps the secret off the disk; it is read with the same limit.
    let handed_pipe = own_descriptor && meta.file_type().is_fifo();
    if !meta.is_file() && !handed_pipe {
        return Err(insecure(path, InsecureReason::NotAFile));
    }
    if handed_pipe {
        return read_limited(file, path, max_len, context);
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(insecure(path, InsecureReason::OpenMode(mode)));
    }
    if meta.uid() != platform::current_uid() && meta.uid() != 0 {
        return Err(insecure(path, InsecureReason::OtherOwner));
    }
    let too_large = || VaultError::FileTooLarge {
        path: path.to_owned(),
        max: max_len,
    };
    if meta.len() > max_len {
        return Err(too_large());
    }
    read_limited(file, path, max_len, context)
}

/// Descriptors this process already holds, named by the kernel's own links
/// (process substitution, `/dev/stdin`): nobody else can plant these, so
/// following them is safe.
fn is_own_descriptor(path: &Path) -> bool {
    path.starts_with("/dev/fd/")
        || path.starts_with("/proc/self/fd/")
        || path == Path::new("/dev/stdin")
}

/// Reads at most `max_len` bytes; more is an error, never a larger read.
fn read_limited(
    file: fs::File,
    path: &Path,
    max_len: u64,
    context: &'static str,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut bytes = Zeroizing::new(Vec::new());
    // One byte more than allowed tells a file that grew since the check.
    file.take(max_len + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| io_error(context, path, source))?;
    if bytes.len() as u64 > max_len {
        return Err(VaultError::FileTooLarge {
            path: path.to_owned(),
            max: max_len,
        });
    }
    Ok(bytes)
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
    if let Ok(dir) = fs::File::open(folder_of(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Whether `a` and `b` name one existing file (through links or `..`): a
/// copy written to `b` would replace `a`.
pub fn same_file(a: &Path, b: &Path) -> bool {
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
}

/// A path for a temporary file beside `dest`, hidden and named for what
/// it becomes (`.NAME.PURPOSE-RANDOM`), so a half-written file is never
/// at `dest` itself.
pub fn temp_beside(dest: &Path, purpose: &str) -> PathBuf {
    let name = dest
        .file_name()
        .map_or_else(|| "flowvault".into(), |n| n.to_string_lossy().into_owned());
    let hidden = format!(".{name}.{purpose}-{}", super::crypto::random_uuid());
    dest.with_file_name(hidden)
}

/// Moves the finished file `temp` to `dest` and syncs the folder. Without
/// `force` by a link, which fails if `dest` exists (even one made since it
/// was checked); `temp` is then still there for the caller to remove.
pub fn put_in_place(temp: &Path, dest: &Path, force: bool) -> Result<(), VaultError> {
    if force {
        fs::rename(temp, dest).map_err(|source| io_error("cannot create file", dest, source))?;
    } else {
        fs::hard_link(temp, dest).map_err(|source| match source.kind() {
            ErrorKind::AlreadyExists => VaultError::FileExists(dest.to_owned()),
            _ => io_error("cannot create file", dest, source),
        })?;
        let _ = fs::remove_file(temp);
    }
    if let Ok(dir) = fs::File::open(folder_of(dest)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Checks an existing vault path: a regular file, not a symlink, not readable
/// or writable by group or others, in a folder only its owner can write, and
/// writable (SQLite writes its journal beside the file even to read).
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
    if meta.uid() != platform::current_uid() {
        return Err(insecure(path, InsecureReason::OtherOwner));
    }
    let folder = folder_of(path);
    check_folder(folder)?;
    if !platform::is_writable(path) {
        return Err(VaultError::NotWritable(path.to_owned()));
    }
    Ok(())
}

/// The folder a vault lives in must be writable by us and by no one else: who
/// can write the folder can replace the vault or plant its journal.
fn check_folder(folder: &Path) -> Result<(), VaultError> {
    let meta = fs::metadata(folder).map_err(|source| io_error("cannot read", folder, source))?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(insecure(folder, InsecureReason::OpenFolder(mode & 0o777)));
    }
    if platform::is_read_only_fs(folder).unwrap_or(false) {
        return Err(VaultError::ReadOnlyFolder(folder.to_owned()));
    }
    if !platform::is_writable(folder) {
        return Err(VaultError::NotWritable(folder.to_owned()));
    }
    Ok(())
}

/// The folder holding `path` ("." for a bare file name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes a vault file and its SQLite companions, after a failed creation.
pub fn remove_vault_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
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
