//! Administration only a vault file has: changing its key slots, replacing
//! its data key, accepting changes made outside flowvault, and reading its
//! header before unlocking. An OpenBao vault's equivalents are OpenBao's own.

use std::path::Path;

use super::error::VaultError;
use super::integrity::IntegrityReport;
use super::keyslot::{KdfParams, UnlockKey};
use super::sqlite::Vault;

pub use super::file::same_file;

/// Opens the file with `unlock`, then replaces every key slot by one for the
/// key `new_key` gives; it is asked for only once the old key has opened the
/// file, so a wrong passphrase is reported before a new one is typed.
pub fn change_unlock<E: From<VaultError>>(
    path: &Path,
    unlock: &UnlockKey,
    kdf: KdfParams,
    new_key: impl FnOnce() -> Result<UnlockKey, E>,
) -> Result<UnlockKey, E> {
    let mut vault = Vault::open(path, unlock)?;
    let key = new_key()?;
    vault.change_unlock(&key, kdf)?;
    Ok(key)
}

/// Replaces the file's data key and reseals every value (see
/// [`Vault::rekey`]); returns how many values were resealed.
pub fn rekey(path: &Path, unlock: &UnlockKey, kdf: KdfParams) -> Result<usize, VaultError> {
    Vault::open(path, unlock)?.rekey(unlock, kdf)
}

/// Opens the file and makes its integrity digest describe its rows as they
/// are; returns what was accepted, if anything.
pub fn accept_changes(
    path: &Path,
    unlock: &UnlockKey,
) -> Result<Option<IntegrityReport>, VaultError> {
    Vault::open_accepting_changes(path, unlock).map(|(_, report)| report)
}

/// Whether the file opens only with a key file, read from its header
/// without unlocking; false when it cannot tell.
pub fn opens_only_with_key_file(path: &Path) -> bool {
    Vault::opens_only_with_key_file(path)
}
