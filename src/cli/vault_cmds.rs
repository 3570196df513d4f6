//! `init` and `passwd`: creating a vault and changing how it is unlocked.

use std::path::Path;

use crate::vault::{UnlockKey, Vault};

use super::GlobalArgs;
use super::error::CliError;
use super::unlock;

/// `init [--new-key-file PATH]`.
pub fn init(global: &GlobalArgs, new_key_file: Option<&Path>) -> Result<(), CliError> {
    let path = unlock::vault_path(global)?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(crate::vault::VaultError::AlreadyExists(path).into());
    }
    let key = match new_key_file {
        Some(key_path) => UnlockKey::create_key_file(key_path)?,
        None => unlock::new_key(global)?,
    };
    let created = Vault::create(&path, &key, unlock::kdf_params());
    if created.is_err()
        && let Some(key_path) = new_key_file
    {
        // The key file would unlock nothing.
        let _ = std::fs::remove_file(key_path);
    }
    created?;
    println!("created vault {}", path.display());
    if let Some(key_path) = new_key_file {
        println!(
            "unlock it with --key-file {} (keep that file safe: without it the vault cannot be opened)",
            key_path.display()
        );
    }
    Ok(())
}

/// `passwd (--new-key-file PATH | --new-passphrase-file PATH)`, or a new passphrase typed twice.
pub fn passwd(
    global: &GlobalArgs,
    new_key_file: Option<&Path>,
    new_passphrase_file: Option<&Path>,
) -> Result<(), CliError> {
    let mut vault = unlock::open_vault(global)?;
    let key = match (new_key_file, new_passphrase_file) {
        (Some(path), _) => UnlockKey::create_key_file(path)?,
        (None, Some(path)) => unlock::checked_new_passphrase(unlock::passphrase_from_file(path)?)?,
        (None, None) => unlock::checked_new_passphrase(unlock::prompt_new_passphrase()?)?,
    };
    if let Err(e) = vault.change_unlock(&key, unlock::kdf_params()) {
        if let Some(path) = new_key_file {
            let _ = std::fs::remove_file(path);
        }
        return Err(e.into());
    }
    println!(
        "the vault is now unlocked by {}; the old key no longer opens it",
        match new_key_file {
            Some(path) => format!("the key file {}", path.display()),
            None => "the new passphrase".to_owned(),
        }
    );
    Ok(())
}
