//! `init`, `passwd`, `rekey` and `verify`: creating a vault, changing how it
//! is unlocked, replacing its data key and checking its integrity.

use std::path::Path;

use crate::vault::{UnlockKey, Vault};

use super::GlobalArgs;
use super::error::CliError;
use super::output::print_line;
use super::unlock;

/// `init [--new-key-file PATH]`.
pub fn init(global: &GlobalArgs, new_key_file: Option<&Path>) -> Result<(), CliError> {
    let path = unlock::vault_path(global)?;
    crate::vault::check_new_path(&path)?;
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
    let locale = global.locale();
    print_line(&locale.f("cli.created", &[("path", &path.display().to_string())]));
    if let Some(key_path) = new_key_file {
        print_line(&locale.f(
            "cli.key_file_hint",
            &[("path", &key_path.display().to_string())],
        ));
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
    let locale = global.locale();
    print_line(&match new_key_file {
        Some(path) => locale.f(
            "cli.passwd_key_file",
            &[("path", &path.display().to_string())],
        ),
        None => locale.t("cli.passwd_passphrase").to_owned(),
    });
    Ok(())
}

/// `rekey`: a fresh data key, every value resealed, one transaction; the
/// vault stays unlocked by the same passphrase or key file.
pub fn rekey(global: &GlobalArgs) -> Result<(), CliError> {
    let (path, key) = unlock::path_and_key(global)?;
    let mut vault = Vault::open(&path, &key)?;
    let count = vault.rekey(&key, unlock::kdf_params())?;
    println!(
        "{}",
        global
            .locale()
            .f("cli.rekeyed", &[("n", &count.to_string())])
    );
    Ok(())
}

/// `verify [--accept]`: whether every record matches the integrity digest;
/// with `--accept`, trust the file as it is now.
pub fn verify(global: &GlobalArgs, accept: bool) -> Result<(), CliError> {
    let locale = global.locale();
    if !accept {
        unlock::open_vault(global)?;
        println!("{}", locale.t("cli.verify_ok"));
        return Ok(());
    }
    let (path, key) = unlock::path_and_key(global)?;
    match Vault::open_accepting_changes(&path, &key)? {
        (_, None) => println!("{}", locale.t("cli.verify_ok")),
        (_, Some(report)) => println!(
            "{}",
            locale.f(
                "cli.verify_accepted",
                &[(
                    "changes",
                    &crate::present::labels::integrity_changes(locale, &report)
                )]
            )
        ),
    }
    Ok(())
}
